package org.cardbridge.demo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.demo.DemoCa;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's browser E2E: the demo portal in CMP mode renews the card end to end — Debian's Chromium with
 * the real extension, the page helper's CMP mode relaying the real host's key update request to the demo
 * CA's {@code /cmp} (Bouncy Castle's CMP on the server side) and its answers back, the host's windows
 * answered on Xvfb with the PIN typed, a SoftHSM2 card. Each step asserts the text the person reads and
 * saves {@code target/screenshots/cmp-*.png}.
 */
class CmpPortalIT {
    static final Duration CARD = Duration.ofSeconds(90);
    @RegisterExtension
    static final DemoPortalFixture portal = new DemoPortalFixture();

    static PortalSession session() throws Exception {
        return new PortalSession(portal.dir(), portal.xvfb(), portal.ca(), portal.origin(), 30);
    }

    /** Opens the portal in CMP mode, reads the card and lands on the form that asks for no code. */
    static void toTheCmpForm(PortalSession s, String lang) throws Exception {
        s.open("?lang=" + lang + "&mode=cmp");
        assertTrue(s.driver().findElement(By.cssSelector("input[name=mode][value=cmp]")).isSelected(), "CMP is the chosen way");
        s.click("read-card");
        s.awaitState("form", CARD);
        assertFalse(s.driver().findElement(By.id("code")).isDisplayed(), "no renewal code in CMP mode");
    }

    /** The card holds one user certificate, the new one of this CA, for a new key that signs; no key without a certificate. */
    static X509Certificate assertRenewed(PortalSession s, DemoCa ca) throws Exception {
        List<JsonNode> certs = s.userCertificates();
        assertEquals(1, certs.size(), certs.toString());
        X509Certificate renewed = RenewalPortalIT.certificate(certs.getFirst());
        assertNotEquals(s.oldCertificate.getSerialNumber(), renewed.getSerialNumber());
        assertEquals(s.oldCertificate.getSubjectX500Principal(), renewed.getSubjectX500Principal());
        assertTrue(ca.renewals().ca().issued(renewed), "issued by the demo CA over CMP");
        assertNotEquals(List.of(s.oldCertificate.getPublicKey().getEncoded()), List.of(renewed.getPublicKey().getEncoded()));
        // The old key signed the certConf and went with removeOldKey, as in the non-CMP renewal: nothing is
        // left that a later visit would take for a pending renewal key.
        assertEquals(0, s.card().path("pendingKeys").size(), "no key left without a certificate: " + s.card());
        RenewalPortalIT.assertKeyMatches(s, certs.getFirst());
        return renewed;
    }

    @Test
    void cmpMode_renewsTheCardEndToEnd_polishThenEnglishText_oneCertificateLeft() throws Exception {
        try (PortalSession s = session()) {
            toTheCmpForm(s, "pl");
            assertTrue(s.visibleText("form-cmp").startsWith("Odnowienie przez protokół CMP: nie wpisujesz kodu"), s.visibleText("form-cmp"));
            assertTrue(s.visibleText("old-summary").contains("Jan Kowalski"), s.visibleText("old-summary"));
            assertEquals("", s.visibleText("status"), "nothing runs, nothing is said to run");
            s.screenshot("cmp-pl-1-form");

            s.click("renew");
            s.awaitState("done", CARD);
            String done = s.visibleText("done-text");
            assertTrue(done.startsWith("Nowy certyfikat został zapisany na karcie i zastąpił stary. Ważny od "), done);
            assertFalse(done.contains("od  do"), "the new certificate's dates are told: " + done);
            assertEquals("", s.visibleText("status"), "no stale 'Wymiana wiadomości z CA'");
            assertTrue(s.text("log").contains("potwierdź żądanie nowego certyfikatu podpisane obecnym certyfikatem"), s.text("log"));
            assertTrue(s.text("log").contains("Wymiana wiadomości z CA (CMP)"), s.text("log"));
            s.screenshot("cmp-pl-2-done");
            // The windows: the key (its PIN), the request signed with the old key, writing the certificate (+ certConf).
            assertEquals(3, s.dialogs.given().size(), "windows answered: " + s.dialogs.given());

            s.click("lang-en");
            done = s.visibleText("done-text");
            assertTrue(done.startsWith("The new certificate is on the card and replaced the old one. Valid from "), done);
            s.screenshot("cmp-en-2-done");

            X509Certificate renewed = assertRenewed(s, portal.ca());
            assertTrue(s.text("final-certificates").contains("Jan Kowalski"));
            assertFalse(s.text("final-certificates").contains(s.oldCertificate.getSerialNumber().toString(16)));

            // A second visit: the renewed certificate is the one offered for the next renewal; nothing pending.
            s.open("?lang=en&mode=cmp");
            s.click("read-card");
            s.awaitState("form", CARD);
            assertTrue(s.visibleText("old-summary").contains("Jan Kowalski"), s.visibleText("old-summary"));
            assertEquals("", s.visibleText("form-text"), "no 'a new key is already on the card'");
            assertEquals(renewed.getSerialNumber(), RenewalPortalIT.certificate(s.userCertificates().getFirst()).getSerialNumber());
        }
    }

    @Test
    void cmpMode_installWindowCancelled_pageOffersInstall_thenInstallsTheSameCertificate_nothingSignedAgain() throws Exception {
        try (PortalSession s = session()) {
            s.cancelWindowOf("acceptCmpResponse");
            toTheCmpForm(s, "en");
            assertTrue(s.visibleText("form-cmp").startsWith("Renewal over the CMP protocol: you type no code"), s.visibleText("form-cmp"));
            s.click("renew");
            s.awaitState("error", CARD);
            assertEquals("issued", s.bodyData("journey"));
            assertTrue(s.visibleText("pending-text").startsWith("The CA has issued your new certificate. Click \"Install the certificate\""),
                    s.visibleText("pending-text"));
            assertTrue(s.buttons().contains("Install the certificate"), s.buttons().toString());
            assertFalse(s.buttons().contains("Sign and send"), "nothing to sign again: " + s.buttons());
            s.screenshot("cmp-en-3-install-cancelled");
            s.assertOldCertificateStillWorks();
            int windows = s.dialogs.given().size();

            s.click("lang-pl");
            assertTrue(s.visibleText("pending-text").startsWith("CA wystawiło nowy certyfikat. Kliknij „Zainstaluj certyfikat”"),
                    s.visibleText("pending-text"));
            s.screenshot("cmp-pl-3-install-cancelled");

            s.click("install-pending");
            s.awaitState("done", CARD);
            assertTrue(s.visibleText("done-text").startsWith("Nowy certyfikat został zapisany na karcie i zastąpił stary."), s.visibleText("done-text"));
            assertEquals(windows + 1, s.dialogs.given().size(), "one window: writing the certificate, no second request signed");
            s.screenshot("cmp-pl-4-installed");
            assertRenewed(s, portal.ca());
        }
    }
}
