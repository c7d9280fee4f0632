package org.cardbridge.demo.e2e;

import org.cardbridge.demo.DemoCa;
import org.cardbridge.testing.Browser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The minimal CA page of docs/integration.md through a whole renewal in Debian's firefox-esr: the same
 * steps and the same words as {@link MinimalPageIT}'s full renewal (which runs in Chromium), with the
 * extension as a Firefox add-on, the host started the Firefox way (its manifest under
 * {@code $HOME/.mozilla/native-messaging-hosts}), its windows answered on Xvfb, and a SoftHSM2 card.
 * A class of its own so that MinimalPageIT's bodies stay as they are; it reuses MinimalPageIT's helpers.
 * Screenshots: target/screenshots/minimal-firefox-*.png.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class FirefoxMinimalPageIT {
    @RegisterExtension
    static final DemoPortalFixture portal = new DemoPortalFixture();

    @BeforeAll
    static void requireFirefox() {
        Browser.Kind.FIREFOX.requireInstalled(); // under CI=true a missing firefox-esr fails
    }

    @Test
    void minimalPage_fullRenewalInFirefox_eachStepTellsThePersonWhereTheyAre() throws Exception {
        DemoCa ca = portal.ca();
        try (PortalSession s = new PortalSession(Browser.Kind.FIREFOX, portal.dir(), portal.xvfb(), ca, portal.origin(), Duration.ofDays(30))) {
            s.cancelWindowOf(null); // approve every window, noting what the page said meanwhile
            s.web().get(s.origin + "/minimal/?lang=en"); // as MinimalPageIT.open, through the driver both browsers have
            MinimalPageIT.await(s, "eligible", false);
            assertEquals("Your certificate can be renewed. Enter your renewal code.", s.visibleText("status"));
            assertEquals(List.of("Continue"), s.buttons());
            s.screenshot("minimal-firefox-1-eligible");

            MinimalPageIT.typeCode(s, ca.renewals().newCode());
            s.click("renew");
            MinimalPageIT.await(s, "drafted", false);
            assertEquals("Read your application, then sign it with your current certificate.", s.visibleText("status"));
            assertTrue(s.visibleText("application").contains("CN=Jan Kowalski"), s.visibleText("application"));
            assertEquals(List.of("Sign and send", "Cancel the renewal"), s.buttons());
            assertEquals("", s.visibleText("activity"), "nothing is running, nothing is said to run");
            s.screenshot("minimal-firefox-2-drafted");
            s.assertOldCertificateStillWorks();

            s.click("submit");
            MinimalPageIT.await(s, "done", false);
            assertEquals("Done: your new certificate is on the card.", s.visibleText("status"));
            assertEquals("", s.visibleText("activity"));
            s.screenshot("minimal-firefox-3-done");
            MinimalPageIT.assertPageSaidWaitingForYou(s, "Waiting for you in the CardBridge window");
            MinimalPageIT.assertOnlyTheNewCertificate(s);
            assertEquals(1, ca.store().read().applications().size());
        }
    }
}
