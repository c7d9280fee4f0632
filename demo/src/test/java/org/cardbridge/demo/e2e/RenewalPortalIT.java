package org.cardbridge.demo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.cardbridge.demo.Answer;
import org.cardbridge.demo.DemoCa;
import org.cardbridge.demo.DemoServer;
import org.cardbridge.testing.Xvfb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The renewal a user clicks through, end to end: the demo portal in Debian's Chromium → the real extension
 * → the real host (its Swing dialogs answered on Xvfb, the PIN typed) → a SoftHSM2 card; the demo CA runs
 * in this JVM so a test can move its clock and spend codes.
 */
class RenewalPortalIT {
    static final Duration CARD = Duration.ofSeconds(90);
    @TempDir
    static Path dir;
    static Xvfb xvfb;
    // A CA per test: the deferred test moves the CA's clock, which must not leak into the others.
    DemoCa ca;
    DemoServer server;

    @BeforeAll
    static void startDisplay() {
        xvfb = Xvfb.start();
    }

    @AfterAll
    static void stopDisplay() {
        if (xvfb != null) {
            xvfb.close();
        }
    }

    @BeforeEach
    void startCa(TestInfo info) throws Exception {
        ca = DemoCa.open(dir.resolve(name(info)).resolve("ca"), Clock.systemUTC());
        server = new DemoServer(ca, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null).start();
    }

    @AfterEach
    void stopCa() {
        if (server != null) {
            server.close();
        }
    }

    static String name(TestInfo info) {
        return info.getTestMethod().orElseThrow().getName();
    }

    PortalSession session(TestInfo info, long daysLeft) throws Exception {
        return new PortalSession(dir.resolve(name(info)), xvfb, ca, "http://localhost:" + server.port(), daysLeft);
    }

    static X509Certificate certificate(JsonNode listed) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(listed.path("certificate").asText())));
    }

    /** Reads the card, enters a fresh code, chooses the validity and signs the application. */
    static void renewThroughThePortal(PortalSession s, String validity, String code) throws Exception {
        s.open("?lang=en");
        s.click("read-card");
        s.awaitState("form", CARD);
        assertEquals("", s.visibleText("status"), "nothing runs, nothing is said to run");
        s.type("code", code);
        s.driver().findElement(By.cssSelector("input[name=validity][value=" + validity + "]")).click();
        s.click("renew");
        s.awaitState("application", CARD);
        assertTrue(s.text("application-text").contains("CN=Jan Kowalski"), s.text("application-text"));
        assertEquals("", s.visibleText("status"), "no stale 'The CA is preparing the application…'");
        assertEquals("", s.visibleText("progress"), "no key clock once the key is made");
        s.screenshot("portal-" + validity + "-application");
        s.click("sign-submit");
    }

    /** The certificate on the card really belongs to the key on the card: sign with it, verify with the certificate. */
    static void assertKeyMatches(PortalSession s, JsonNode listed) throws Exception {
        byte[] data = "key check".getBytes(StandardCharsets.UTF_8);
        byte[] cms = s.signCms(listed.path("handle").asText(), data);
        SignerInformation signer = new CMSSignedData(new CMSProcessableByteArray(data), cms).getSignerInfos().getSigners().iterator().next();
        assertTrue(signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(certificate(listed).getPublicKey())));
    }

    @Test
    void immediateRenewal_cardEndsWithTheNewCertificateOnlyAndItsKeyMatches(TestInfo info) throws Exception {
        try (PortalSession s = session(info, 30)) {
            renewThroughThePortal(s, "now", ca.renewals().newCode());
            s.awaitState("done", CARD);
            assertTrue(s.visibleText("done-text").startsWith("The new certificate is on the card and replaced the old one."), s.visibleText("done-text"));
            assertEquals("", s.visibleText("status"));
            s.screenshot("portal-now-done");

            List<JsonNode> certs = s.userCertificates();
            assertEquals(1, certs.size(), certs.toString());
            X509Certificate renewed = certificate(certs.getFirst());
            assertNotEquals(s.oldCertificate.getSerialNumber(), renewed.getSerialNumber());
            assertEquals(s.oldCertificate.getSubjectX500Principal(), renewed.getSubjectX500Principal());
            assertTrue(ca.renewals().ca().issued(renewed));
            assertNotEquals(List.of(s.oldCertificate.getPublicKey().getEncoded()), List.of(renewed.getPublicKey().getEncoded()));
            assertEquals(0, s.card().path("pendingKeys").size(), "no key left without a certificate");
            assertKeyMatches(s, certs.getFirst());
            assertTrue(s.text("final-certificates").contains("Jan Kowalski"));
        }
    }

    @Test
    void deferredRenewal_savedOnFirstVisit_installedOnASecondVisitAfterTheClockMoves(TestInfo info) throws Exception {
        try (PortalSession s = session(info, 20)) {
            renewThroughThePortal(s, "afterExpiry", ca.renewals().newCode());
            s.awaitState("scheduled", CARD);
            assertTrue(s.visibleText("pending-text").contains("Come back"), s.visibleText("pending-text"));
            s.screenshot("portal-deferred-1-scheduled");
            // between the visits: the old certificate works, the new key waits on the card
            s.assertOldCertificateStillWorks();
            JsonNode pending = s.card().path("pendingKeys");
            assertEquals(1, pending.size(), pending.toString());

            // a second visit too early: the page says when to come back
            s.open("?lang=en");
            s.click("read-card");
            s.awaitState("scheduled", CARD);
            assertTrue(s.visibleText("pending-text").contains("will be valid from"), s.visibleText("pending-text"));
            assertFalse(s.driver().findElement(By.id("sign-submit")).isDisplayed(), "nothing to sign again");

            ca.clock().advance(Duration.ofDays(21));
            s.open("?lang=pl");
            s.click("read-card");
            s.awaitState("ready-to-install", CARD);
            assertTrue(s.visibleText("pending-text").contains("gotowy"), s.visibleText("pending-text"));
            s.click("install-pending");
            s.awaitState("deferred", CARD);
            s.screenshot("portal-deferred-2-beside-pl");

            // The new certificate sits on the card with the key that waited there. (Only the CA's clock moved:
            // on this computer's clock the new one is not valid yet, so the host keeps the old one beside it.)
            List<JsonNode> renewed = s.userCertificates().stream()
                    .filter(c -> !new java.math.BigInteger(c.path("serialNumber").asText(), 16).equals(s.oldCertificate.getSerialNumber())).toList();
            assertEquals(1, renewed.size(), renewed.toString());
            X509Certificate cert = certificate(renewed.getFirst());
            assertTrue(renewed.getFirst().path("hasPrivateKey").asBoolean());
            assertEquals(s.oldCertificate.getNotAfter().toInstant().plusSeconds(1), cert.getNotBefore().toInstant());
            assertEquals(s.oldCertificate.getSubjectX500Principal(), cert.getSubjectX500Principal());
            assertArrayEquals(Base64.getDecoder().decode(pending.get(0).path("publicKey").asText()), cert.getPublicKey().getEncoded());
            assertEquals(0, s.card().path("pendingKeys").size());
            assertTrue(s.visibleText("pending-text").contains("obok obecnego"), s.visibleText("pending-text"));
            s.assertOldCertificateStillWorks();
        }
    }

    @Test
    void expiredCertificate_refusedWithTheSeedsExplanationBeforeAnyKeyIsMade(TestInfo info) throws Exception {
        try (PortalSession s = session(info, -3)) {
            s.open("?lang=en");
            s.click("read-card");
            s.awaitState("refused", CARD);
            assertEquals("CERTIFICATE_EXPIRED", s.messageCode());
            s.screenshot("portal-expired");
            assertTrue(s.text("message").contains("only be renewed online while it is still valid"), s.text("message"));
            assertTrue(s.driver().findElement(By.id("step-form")).getAttribute("hidden") != null, "no renewal form");
            assertEquals(0, s.card().path("pendingKeys").size(), "nothing generated on the card");
            assertEquals(1, s.userCertificates().size());
            assertEquals(List.of(), s.dialogs.given(), "no host dialog: nothing was asked of the card");
        }
    }

    @Test
    void wrongOrUsedCode_orUnknownPointOfService_refusedBeforeTheCardIsTouched(TestInfo info) throws Exception {
        String used = ca.renewals().newCode();
        spendElsewhere(used);
        try (PortalSession s = session(info, 30)) {
            s.open("?lang=en");
            s.click("read-card");
            s.awaitState("form", CARD);
            s.type("code", "WRONGCODE123");
            s.click("renew");
            s.awaitState("error", CARD);
            assertEquals("CODE_UNKNOWN", s.messageCode());

            s.type("code", used);
            s.click("renew");
            s.awaitState("error", CARD);
            assertEquals("CODE_USED", s.messageCode());
            assertTrue(s.text("message").contains("already been used"), s.text("message"));

            s.type("code", ca.renewals().newCode());
            s.type("pok", "NOWHERE");
            s.click("renew");
            s.awaitState("error", CARD);
            assertEquals("POK_UNKNOWN", s.messageCode());
            assertTrue(s.text("message").contains("ZETOSERWIS"), s.text("message"));
            assertEquals(0, s.card().path("pendingKeys").size(), "no key generated for a refused code or point of service");
            s.assertOldCertificateStillWorks();
            assertEquals(List.of(), s.dialogs.given(), "no host dialog: nothing was asked of the card");
        }
    }

    /** Another person's renewal spends the code (in-process, with BC-made keys). */
    void spendElsewhere(String code) throws Exception {
        var g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        var oldKey = g.generateKeyPair();
        var newKey = g.generateKeyPair();
        X500Name anna = new X500Name("C=PL,O=CardBridge Demo,CN=Anna Nowak");
        var now = ca.clock().now();
        X509Certificate old = ca.renewals().issueInitial(anna, org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(oldKey.getPublic().getEncoded()),
                now.minus(Duration.ofDays(10)), now.plus(Duration.ofDays(10)));
        byte[] csr = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(anna, newKey.getPublic())
                .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA").build(newKey.getPrivate())).getEncoded();
        Answer.Draft d = (Answer.Draft) ca.renewals().draft(old.getEncoded(), code, "ZETOSERWIS", "now", csr, "en");
        var gen = new org.bouncycastle.cms.CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder(
                new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().build())
                .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA").build(oldKey.getPrivate()), old));
        byte[] sig = gen.generate(new CMSProcessableByteArray(d.document()), false).getEncoded();
        assertTrue(ca.renewals().submit(d.document(), sig) instanceof Answer.Issued);
    }

    @Test
    void userCancelsThePinDialog_nothingChangesOnTheCard(TestInfo info) throws Exception {
        try (PortalSession s = session(info, 30)) {
            s.open("?lang=en");
            s.click("read-card");
            s.awaitState("form", CARD);
            String code = ca.renewals().newCode();
            s.type("code", code);
            // generateKeyPair: its (first) CardBridge window is cancelled
            s.cancelWindowOf("generateKeyPair");
            s.click("renew");
            s.awaitState("error", CARD);
            assertEquals("USER_CANCELLED", s.messageCode());
            assertEquals(HostDialogs.Answer.CANCEL, s.dialogs.given().getLast());
            assertEquals("You cancelled in the CardBridge window. Nothing changed on the card — your current certificate works.", s.text("message"));
            assertEquals("", s.visibleText("status"), "no status left beside the error");
            assertEquals("", s.visibleText("progress"), "no key clock: no key was made");
            s.screenshot("portal-cancel-key");
            assertEquals(0, s.card().path("pendingKeys").size());
            s.assertOldCertificateStillWorks();
            assertTrue(ca.renewals().check(s.oldCertificate.getEncoded(), code, null) instanceof Answer.Eligible, "the code is not spent");
        }
    }

    @Test
    void cancelTheInstallWindowAfterIssuance_pageOffersInstall_neverSignAgain_andDoesNotClaimNothingChanged(TestInfo info) throws Exception {
        try (PortalSession s = session(info, 30)) {
            s.cancelWindowOf("installCertificate");
            renewThroughThePortal(s, "now", ca.renewals().newCode());
            s.awaitState("error", CARD);
            assertEquals("issued", s.bodyData("journey"));
            assertEquals("USER_CANCELLED", s.messageCode());
            String message = s.text("message");
            assertTrue(message.startsWith("You cancelled in the CardBridge window. The CA has already issued your new certificate"), message);
            assertFalse(message.contains("Nothing changed"), message);
            assertTrue(s.driver().findElement(By.id("install-pending")).isDisplayed(), "Install the certificate is offered");
            assertEquals("Install the certificate", s.driver().findElement(By.id("install-pending")).getText());
            assertFalse(s.driver().findElement(By.id("sign-submit")).isDisplayed(), "Sign and send is not offered again");
            assertEquals("", s.visibleText("status"));
            s.screenshot("portal-cancel-install-after-issuance");
            s.assertOldCertificateStillWorks();

            s.cancelWindowOf(null);
            s.click("install-pending");
            s.awaitState("done", CARD);
            List<JsonNode> certs = s.userCertificates();
            assertEquals(1, certs.size(), certs.toString());
            assertNotEquals(s.oldCertificate.getSerialNumber(), certificate(certs.getFirst()).getSerialNumber());
            assertEquals(1, ca.store().read().applications().size(), "one application: signed and paid once");
        }
    }

    @Test
    void manualPath_csrDownloadedAsAFile_certificateAndCaCertificateImportedFromFiles(TestInfo info) throws Exception {
        try (PortalSession s = session(info, 30)) {
            Path downloads = Files.createDirectories(dir.resolve("downloads-" + System.nanoTime()));
            s.driver().executeCdpCommand("Browser.setDownloadBehavior", Map.of("behavior", "allow", "downloadPath", downloads.toString()));
            s.open("?lang=en");
            s.type("manual-subject", "CN=SKP 1234,O=Stacja Kontroli Pojazdow,C=PL");
            s.click("download-csr");
            s.awaitState("csr-ready", CARD);
            Path csrFile = downloads.resolve("request.csr");
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!Files.exists(csrFile) && System.nanoTime() < end) {
                PortalSession.sleep(100);
            }
            String csrPem = Files.readString(csrFile);
            assertTrue(csrPem.startsWith("-----BEGIN CERTIFICATE REQUEST-----"), csrPem);
            assertEquals(1, s.card().path("pendingKeys").size());

            // the CA operator (CEPiK: by e-mail) issues the certificate; the user gets two files
            Answer.Issued issued = (Answer.Issued) ca.renewals().issueFromCsr(Base64.getMimeDecoder().decode(
                    csrPem.replaceAll("-----[A-Z ]+-----", "")));
            Path certFile = downloads.resolve("certificate.der");
            Files.write(certFile, issued.certificate().getEncoded());
            Path caFile = downloads.resolve("ca.pem");
            Files.writeString(caFile, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder().encodeToString(issued.chain().getFirst().getEncoded())
                    + "\n-----END CERTIFICATE-----\n");
            s.driver().findElement(By.id("cert-file")).sendKeys(certFile.toString());
            s.driver().findElement(By.id("ca-file")).sendKeys(caFile.toString());
            s.click("import-cert");
            s.awaitState("imported", CARD);

            JsonNode card = s.card();
            assertEquals(0, card.path("pendingKeys").size(), card.toString());
            boolean found = false;
            for (JsonNode c : card.path("certificates")) {
                if (!c.path("isCa").asBoolean() && c.path("hasPrivateKey").asBoolean()
                        && certificate(c).getSerialNumber().equals(issued.certificate().getSerialNumber())) {
                    found = true;
                }
            }
            assertTrue(found, "the imported certificate sits on the card with its key: " + card);
            s.assertOldCertificateStillWorks();
        }
    }
}
