package org.cardbridge.demo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.extension.ResponseTransformerV2;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.http.HttpHeaders;
import com.github.tomakehurst.wiremock.http.Response;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.cardbridge.demo.DemoCa;
import org.cardbridge.demo.DemoServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The minimal CA page of docs/integration.md ({@code /minimal/}, under 100 lines on the renewal helper) in
 * Debian's Chromium with the real extension, the real host (its windows answered on Xvfb) and a SoftHSM2
 * card, through a whole renewal and each interruption of docs/renewal-states.md. Each step asserts what
 * the person reads on the page, and saves a screenshot under target/screenshots/minimal-*.png.
 */
// A whole renewal with its interruptions takes longer than the suite's default 120 s per test; the
// deferred one waits in real time for the new certificate to become valid.
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class MinimalPageIT {
    static final Duration CARD = Duration.ofSeconds(120);
    @RegisterExtension
    static final DemoPortalFixture portal = new DemoPortalFixture();
    DemoCa ca;
    DemoServer server;

    @BeforeEach
    void fixture() {
        ca = portal.ca();
        server = portal.server();
    }

    PortalSession session(TestInfo info, String origin, Duration left) throws Exception {
        return new PortalSession(portal.dir(), portal.xvfb(), ca, origin, left);
    }

    // --- the page as the person sees it -----------------------------------------------------------------

    static void open(PortalSession s, String lang) {
        s.driver().get(s.origin + "/minimal/?lang=" + lang);
    }

    /**
     * Waits until the page rests in {@code state} (nothing running), with an error shown or not as
     * {@code withError} says; fails early on an unexpected error.
     */
    static void await(PortalSession s, String state, boolean withError) {
        long end = System.nanoTime() + CARD.toNanos();
        String seen = "";
        while (System.nanoTime() < end) {
            String now = s.bodyData("state");
            String activity = s.bodyData("activity");
            String error = s.visibleText("error");
            seen = now + " / activity '" + activity + "' / error '" + error + "' / status '" + s.visibleText("status") + "'";
            if (activity.isEmpty()) {
                if (now.equals(state) && withError == !error.isEmpty()) {
                    return;
                }
                if (!withError && !error.isEmpty() && !now.equals("idle")) {
                    throw new AssertionError("page shows an error instead of '" + state + "': " + seen);
                }
            }
            PortalSession.sleep(100);
        }
        throw new AssertionError("page did not reach '" + state + "': " + seen);
    }

    static void typeCode(PortalSession s, String code) {
        s.type("code", code);
    }

    static X509Certificate certificate(JsonNode listed) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(listed.path("certificate").asText())));
    }

    static boolean isOld(PortalSession s, JsonNode c) {
        return new BigInteger(c.path("serialNumber").asText(), 16).equals(s.oldCertificate.getSerialNumber());
    }

    /** Exactly one certificate for the person on the card, the new one, and its key signs for it. */
    static void assertOnlyTheNewCertificate(PortalSession s) throws Exception {
        List<JsonNode> certs = s.userCertificates();
        assertEquals(1, certs.size(), certs.toString());
        assertFalse(isOld(s, certs.getFirst()), "the old certificate is gone");
        assertEquals(0, s.card().path("pendingKeys").size(), "no key left without a certificate");
        byte[] data = "key check".getBytes(StandardCharsets.UTF_8);
        byte[] cms = s.signCms(certs.getFirst().path("handle").asText(), data);
        SignerInformation signer = new CMSSignedData(new CMSProcessableByteArray(data), cms).getSignerInfos().getSigners().iterator().next();
        assertTrue(signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(certificate(certs.getFirst()).getPublicKey())));
    }

    int applications() {
        return ca.store().read().applications().size();
    }

    /** Every time a CardBridge window was open, the page said it waits for the person there — no other status, no key clock. */
    static void assertPageSaidWaitingForYou(PortalSession s, String text) {
        assertFalse(s.activityWhileWindowOpen.isEmpty(), "a CardBridge window was seen");
        for (String said : s.activityWhileWindowOpen) {
            assertTrue(said.startsWith(text), "while a CardBridge window was open the page said: '" + said + "'");
        }
    }

    // --- the tests -----------------------------------------------------------------------------------

    @Test
    void minimalPage_fullRenewal_eachStepTellsThePersonWhereTheyAre(TestInfo info) throws Exception {
        try (PortalSession s = session(info, "http://localhost:" + server.port(), Duration.ofDays(30))) {
            s.cancelWindowOf(null); // approve every window, noting what the page said meanwhile
            open(s, "en");
            await(s, "eligible", false);
            assertEquals("Your certificate can be renewed. Enter your renewal code.", s.visibleText("status"));
            assertEquals(List.of("Continue"), s.buttons());
            s.screenshot("minimal-1-eligible");

            typeCode(s, ca.renewals().newCode());
            s.click("renew");
            await(s, "drafted", false);
            assertEquals("Read your application, then sign it with your current certificate.", s.visibleText("status"));
            assertTrue(s.visibleText("application").contains("CN=Jan Kowalski"), s.visibleText("application"));
            assertEquals(List.of("Sign and send", "Cancel the renewal"), s.buttons());
            assertEquals("", s.visibleText("activity"), "nothing is running, nothing is said to run");
            s.screenshot("minimal-2-drafted");
            s.assertOldCertificateStillWorks();

            s.click("submit");
            await(s, "done", false);
            assertEquals("Done: your new certificate is on the card.", s.visibleText("status"));
            assertEquals("", s.visibleText("activity"));
            s.screenshot("minimal-3-done");
            assertPageSaidWaitingForYou(s, "Waiting for you in the CardBridge window");
            assertOnlyTheNewCertificate(s);
            assertEquals(1, applications());
        }
    }

    @Test
    void minimalPage_cancelAtEachWindow_thenTabClosedAfterIssuance_reopenedPageOffersInstall(TestInfo info) throws Exception {
        try (PortalSession s = session(info, "http://localhost:" + server.port(), Duration.ofDays(30))) {
            String code = ca.renewals().newCode();
            open(s, "en");
            await(s, "eligible", false);
            typeCode(s, code);

            // 1. the new key's window: nothing on the card
            s.cancelWindowOf("generateKeyPair");
            s.click("renew");
            await(s, "eligible", true);
            assertEquals("You cancelled in the CardBridge window.", s.visibleText("error"));
            assertEquals(0, s.card().path("pendingKeys").size());
            s.screenshot("minimal-cancel-1-key");
            String untouched = s.popup("minimal-cancel-1-key-popup", t -> t.contains(HumanPathIT.EXPIRING));
            assertTrue(untouched.contains(HumanPathIT.EXPIRING) && !untouched.contains(HumanPathIT.STARTED),
                    "nothing on the card: the popup still asks to renew:\n" + untouched);

            // 2. one window makes the key and its request; the tab is closed then, and the page opened again
            // finds the key waiting. A request for that key now has its own window: cancelled, the key stays,
            // and is offered for the next try.
            s.cancelWindowOf(null);
            s.click("renew");
            await(s, "drafted", false);
            assertEquals(1, s.card().path("pendingKeys").size());
            s.driver().get("about:blank");
            open(s, "en");
            await(s, "keyOnCard", false);
            typeCode(s, code);
            s.cancelWindowOf("createCsr");
            s.click("renew");
            await(s, "keyOnCard", true);
            assertEquals("You cancelled in the CardBridge window.", s.visibleText("error"));
            assertTrue(s.visibleText("status").startsWith("A new key for your renewal is on the card."), s.visibleText("status"));
            assertEquals(List.of("Continue", "Cancel the renewal"), s.buttons());
            JsonNode pending = s.card().path("pendingKeys");
            assertEquals(1, pending.size());
            s.screenshot("minimal-cancel-2-csr");
            String keyWaits = s.popup("minimal-cancel-2-csr-popup", t -> t.contains(HumanPathIT.STARTED));
            assertTrue(keyWaits.contains(HumanPathIT.STARTED) && !keyWaits.contains(HumanPathIT.EXPIRING), keyWaits);

            // 3. the signature's window: nothing signed, nothing sent, the code not spent
            s.cancelWindowOf(null);
            s.click("renew");
            await(s, "drafted", false);
            assertEquals(1, s.card().path("pendingKeys").size(), "the same key, not a second one");
            s.cancelWindowOf("sign");
            s.click("submit");
            await(s, "drafted", true);
            assertEquals("You cancelled in the CardBridge window.", s.visibleText("error"));
            assertEquals(List.of("Sign and send", "Cancel the renewal"), s.buttons());
            assertEquals(0, applications(), "nothing was sent to the CA");
            s.screenshot("minimal-cancel-3-sign");
            String unsigned = s.popup("minimal-cancel-3-sign-popup", t -> t.contains(HumanPathIT.STARTED));
            assertTrue(unsigned.contains(HumanPathIT.STARTED) && unsigned.contains("Do not buy a new renewal code."), unsigned);

            // 4. the installation's window, after the CA issued: "Install", never "Sign and send" again
            s.cancelWindowOf("installCertificate");
            s.click("submit");
            await(s, "issued", true);
            assertEquals("You cancelled in the CardBridge window.", s.visibleText("error"));
            assertEquals("The CA has issued your new certificate. It is not on the card yet; your current certificate works. Install it now.",
                    s.visibleText("status"));
            assertEquals(List.of("Install the certificate"), s.buttons());
            assertFalse(s.visibleText("status").contains("Nothing changed"));
            assertEquals(1, applications());
            s.assertOldCertificateStillWorks();
            s.screenshot("minimal-cancel-4-install");
            // The popup meanwhile: the renewal has started, continue it — never "renew" (a second code).
            String issued = s.popup("minimal-cancel-4-install-popup", t -> t.contains(HumanPathIT.STARTED));
            assertTrue(issued.contains(HumanPathIT.STARTED) && !issued.contains(HumanPathIT.EXPIRING), issued);

            // 5. the tab is closed and the page opened again (in Polish): it finds the issued certificate
            s.cancelWindowOf(null);
            s.driver().get("about:blank");
            open(s, "pl");
            await(s, "issued", false);
            assertEquals("CA wystawiło nowy certyfikat. Nie ma go jeszcze na karcie; obecny certyfikat działa. Zainstaluj go teraz.", s.visibleText("status"));
            assertEquals(List.of("Zainstaluj certyfikat"), s.buttons());
            s.screenshot("minimal-reopened-issued-pl");
            s.click("install");
            await(s, "done", false);
            assertEquals("Gotowe: nowy certyfikat jest na karcie.", s.visibleText("status"));
            s.screenshot("minimal-reopened-done-pl");
            assertOnlyTheNewCertificate(s);
            HumanPathIT.assertPopupShowsOnlyTheNewCertificate(s, "minimal-reopened-done-popup");
            assertEquals(1, applications(), "one application, one code, one signature");
            assertArrayEquals(Base64.getDecoder().decode(pending.get(0).path("publicKey").asText()),
                    certificate(s.userCertificates().getFirst()).getPublicKey().getEncoded(), "the key made in step 1's retry");
        }
    }

    @Test
    void minimalPage_networkToTheCaFailsAfterSubmit_checkAgainInstallsWhatTheCaIssued(TestInfo info) throws Exception {
        WireMockServer wiremock = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1")
                .extensions(new LoseTheAnswer()));
        wiremock.start();
        try {
            String caOrigin = "http://127.0.0.1:" + server.port();
            wiremock.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().proxiedFrom(caOrigin)));
            // the CA accepts the application; the answer is lost on the way back
            wiremock.stubFor(post(urlEqualTo("/api/renewal/submit")).atPriority(1)
                    .willReturn(aResponse().proxiedFrom(caOrigin).withTransformers(LoseTheAnswer.NAME)));
            try (PortalSession s = session(info, "http://localhost:" + wiremock.port(), Duration.ofDays(30))) {
                open(s, "en");
                await(s, "eligible", false);
                typeCode(s, ca.renewals().newCode());
                s.click("renew");
                await(s, "drafted", false);
                s.click("submit");
                await(s, "unknown", true);
                assertEquals("No answer from the CA.", s.visibleText("error"));
                assertEquals("The CA has not confirmed your application. Your current certificate works. Check again — do not apply again.",
                        s.visibleText("status"));
                assertEquals(List.of("Check again"), s.buttons());
                assertEquals(1, applications(), "the CA has it");
                s.assertOldCertificateStillWorks();
                s.screenshot("minimal-network-1-unknown");
                String unknown = s.popup("minimal-network-1-unknown-popup", t -> t.contains(HumanPathIT.STARTED));
                assertTrue(unknown.contains(HumanPathIT.STARTED) && !unknown.contains(HumanPathIT.EXPIRING), unknown);

                s.click("lookup");
                await(s, "done", false);
                assertEquals("Done: your new certificate is on the card.", s.visibleText("status"));
                s.screenshot("minimal-network-2-done");
                assertOnlyTheNewCertificate(s);
                assertEquals(1, applications(), "not sent twice");
                assertEquals(1, wiremock.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo("/api/renewal/submit"))).size());
            }
        } finally {
            wiremock.stop();
        }
    }

    /**
     * Deferred renewal with real clocks: the old certificate expires a few minutes from now, so the new one
     * (valid from that expiry) becomes valid on the CA's, the browser's and the host's clocks during the test.
     */
    @Test
    void minimalPage_deferredRenewal_installedBesideTheOld_finishedWhenDue_oneCertificate(TestInfo info) throws Exception {
        try (PortalSession s = session(info, "http://localhost:" + server.port(), Duration.ofMinutes(3))) {
            open(s, "en");
            await(s, "eligible", false);
            typeCode(s, ca.renewals().newCode());
            s.driver().findElement(By.cssSelector("input[name=validity][value=afterExpiry]")).click();
            s.click("renew");
            await(s, "drafted", false);
            s.click("submit");
            await(s, "scheduled", false);
            assertTrue(s.visibleText("status").startsWith("Your application is accepted. Your new certificate will be ready from "), s.visibleText("status"));
            assertEquals(List.of("Read the card"), s.buttons(), "nothing to do but come back");
            s.screenshot("minimal-deferred-1-scheduled");
            s.assertOldCertificateStillWorks();

            // the CA releases the certificate before it is valid: stored beside the old one
            ca.clock().advance(Duration.ofDays(1));
            open(s, "en");
            await(s, "issued", false);
            s.click("install");
            await(s, "deferred", false);
            assertTrue(s.visibleText("status").startsWith("Your new certificate is on the card and becomes valid on "), s.visibleText("status"));
            assertTrue(s.visibleText("status").contains("Your current certificate works until then."), s.visibleText("status"));
            s.screenshot("minimal-deferred-2-beside");
            assertEquals(2, s.userCertificates().size());
            s.assertOldCertificateStillWorks();
            // The popup and the badge: "ready from", not "renew" (the old one expires within minutes) — nothing to pay for again.
            String beside = s.popup("minimal-deferred-2-beside-popup", t -> t.contains("New certificate ready from "));
            assertTrue(beside.contains("New certificate ready from ") && beside.contains("You do not need to renew again or buy another renewal code."), beside);
            assertFalse(beside.contains(HumanPathIT.EXPIRING) || beside.contains("Finish your renewal"), beside);

            // until it is valid, coming back changes nothing
            open(s, "en");
            await(s, "deferred", false);
            assertEquals(List.of("Read the card"), s.buttons());

            Instant validFrom = s.oldCertificate.getNotAfter().toInstant().plusSeconds(2);
            while (Instant.now().isBefore(validFrom)) {
                PortalSession.sleep(500);
            }
            open(s, "en");
            await(s, "finishable", false);
            assertEquals("Your new certificate is valid now. Finish: replace the old certificate.", s.visibleText("status"));
            assertEquals(List.of("Finish the renewal"), s.buttons());
            s.screenshot("minimal-deferred-3-finishable");
            String due = s.popup("minimal-deferred-3-finishable-popup", t -> t.contains("Finish your renewal"));
            assertTrue(due.contains("Finish your renewal") && !due.contains("New certificate ready from "), due);
            s.click("finish");
            await(s, "done", false);
            assertEquals("Done: your new certificate is on the card.", s.visibleText("status"));
            s.screenshot("minimal-deferred-4-done");
            assertOnlyTheNewCertificate(s);
            HumanPathIT.assertPopupShowsOnlyTheNewCertificate(s, "minimal-deferred-5-done-popup");
            assertEquals(1, applications());
        }
    }

    /** Lets the CA process the request, then answers the page with a gateway error instead of the CA's answer. */
    static final class LoseTheAnswer implements ResponseTransformerV2 {
        static final String NAME = "lose-the-answer";

        @Override
        public String getName() {
            return NAME;
        }

        @Override
        public boolean applyGlobally() {
            return false;
        }

        @Override
        public Response transform(Response response, ServeEvent event) {
            return Response.Builder.like(response).but().status(502)
                    .headers(new HttpHeaders(new HttpHeader("Content-Type", "text/html")))
                    .body("<h1>502 Bad Gateway</h1>").build();
        }
    }
}
