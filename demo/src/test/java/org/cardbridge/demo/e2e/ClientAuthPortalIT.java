package org.cardbridge.demo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cardbridge.demo.CertificateAuthority;
import org.cardbridge.demo.DemoCa;
import org.cardbridge.demo.DemoServer;
import org.cardbridge.testing.ClientAuthLogin;
import org.cardbridge.testing.ClientAuthLogin.LoginServer;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.Xvfb;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16's must-show, through the demo portal: a CEPiK-like web application (HTTPS on loopback, started and
 * stopped here) requires a client certificate from the demo CA. Before the renewal Chromium logs in with the
 * OLD certificate on the card; then the person renews it in the demo portal (the same Chromium, the real
 * extension and host, the host's windows answered on Xvfb); after it Chromium logs in with the NEW
 * certificate, and the old one is no longer offered (NSS in Chromium's HOME lists only the new one; the
 * server is never shown the old one again). The card's module is in Chromium's {@code ~/.pki/nssdb} by
 * {@code cardbridge-host install --user --client-auth}; the certificate choice is automated as Chromium's
 * {@code AutoSelectCertificateForUrls} policy does it; the PIN is typed into Chromium's own prompt. The
 * browser, login server and NSS setup are {@link ClientAuthLogin}'s, shared with the host's
 * {@code ClientAuthBrowserIT} (the same check through the page API). Screenshots: target/screenshots/portal-clientauth-*.
 */
class ClientAuthPortalIT {
    static final Duration CALL = Duration.ofSeconds(90);
    @TempDir
    Path dir;
    Xvfb xvfb;
    DemoCa ca;
    DemoServer portal;
    LoginServer login;

    @AfterEach
    void stop() {
        if (login != null) {
            login.close();
        }
        if (portal != null) {
            portal.close();
        }
        if (xvfb != null) {
            xvfb.close();
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void renewedInThePortal_chromiumLogsInWithTheNewCertificate_andNoLongerOffersTheOld() throws Exception {
        xvfb = Xvfb.start();
        ca = DemoCa.open(dir.resolve("ca"), Clock.systemUTC());
        portal = new DemoServer(ca, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null).start();
        // The web application trusts the demo CA's issuing CA for its users; its own certificate is any (Chromium
        // is told to ignore server certificate errors: the check here is the client's certificate).
        X509Certificate userCa = ca.renewals().ca().issuing();
        TestCa serverCa = new TestCa("CardBridge login server");
        KeyPair serverKeys = TestCa.rsa(2048);
        X509Certificate[] serverChain = {serverCa.issue(serverKeys.getPublic(), "CN=127.0.0.1,O=CardBridge Test", 2), serverCa.issuing()};
        login = LoginServer.start(serverKeys, serverChain, userCa, 0, new java.util.concurrent.CopyOnWriteArrayList<>());
        Path home = ClientAuthLogin.chromiumHome(dir);
        Path nssdb = ClientAuthLogin.nssdb(home);
        String issuerCn = CertificateAuthority.ISSUING_NAME.getRDNs(org.bouncycastle.asn1.x500.style.BCStyle.CN)[0].getFirst().getValue().toString();

        try (PortalSession s = new PortalSession(dir.resolve("session"), xvfb, ca, "http://localhost:" + portal.port(), Duration.ofDays(30),
                (session, b) -> {
                    // The card registered for logging in to web sites, the way a person does it.
                    String installed = cli(home, session, dir, "install", "--user", "--client-auth");
                    assertTrue(installed.contains("the card is now available for logging in to web sites (" + SoftHsm2.MODULE + " in " + nssdb),
                            installed);
                    b.headed()
                            .preferences(ClientAuthLogin.autoSelect(login.origin(), issuerCn))
                            .env("HOME", home.toString())
                            .arg("--ignore-certificate-errors")
                            .arg("--window-size=1200,900");
                })) {
            String oldNickname = PortalSession.CARD_LABEL + ":Jan Kowalski 2025";
            assertEquals(List.of(oldNickname), ClientAuthLogin.offered(nssdb, s.store.environment(), PortalSession.CARD_LABEL),
                    "NSS offers the old certificate from the card");

            // 1. Before the renewal: Chromium logs in with the OLD certificate.
            String who = ClientAuthLogin.logIn(s.driver(), xvfb, login, s.portal, SoftHsm2.PIN, "portal-clientauth-1-old", CALL);
            assertEquals(s.oldCertificate.getSerialNumber(), login.last().getSerialNumber(), "the server was shown the old certificate");
            assertTrue(who.contains("Zalogowano: " + s.oldCertificate.getSerialNumber().toString(16)), who);

            // 2. The renewal, in the demo portal, as the person clicks through it.
            RenewalPortalIT.renewThroughThePortal(s, "now", ca.renewals().newCode());
            s.awaitState("done", RenewalPortalIT.CARD);
            assertTrue(s.visibleText("done-text").startsWith("The new certificate is on the card and replaced the old one."), s.visibleText("done-text"));
            s.screenshot("portal-clientauth-2-renewed");
            List<JsonNode> certs = s.userCertificates();
            assertEquals(1, certs.size(), certs.toString());
            X509Certificate renewed = RenewalPortalIT.certificate(certs.getFirst());

            // 3. After it: the old certificate is no longer offered; doctor says the newest one is; the new one logs in.
            List<String> offeredAfter = ClientAuthLogin.offered(nssdb, s.store.environment(), PortalSession.CARD_LABEL);
            assertEquals(1, offeredAfter.size(), "one certificate offered after the renewal: " + offeredAfter);
            assertFalse(offeredAfter.contains(oldNickname), "the old certificate is not offered: " + offeredAfter);
            JsonNode doctor = new ObjectMapper().readTree(cli(home, s, dir, "doctor", "--json"));
            boolean newest = false;
            for (JsonNode f : doctor.path("findings")) {
                newest |= f.path("subject").asText().equals("nss:" + nssdb) && f.path("code").asText().equals("doctor.clientAuth.offersNewest")
                        && f.path("message").asText().contains("number " + renewed.getSerialNumber().toString(16));
            }
            assertTrue(newest, "doctor: Chromium's database offers the newest certificate: " + doctor);

            login = login.restart(serverKeys, serverChain, userCa); // the same address, no TLS session of the old login to resume
            int before = login.logins().size();
            who = ClientAuthLogin.logIn(s.driver(), xvfb, login, s.portal, SoftHsm2.PIN, "portal-clientauth-3-new", CALL);
            assertEquals(renewed.getSerialNumber(), login.last().getSerialNumber(), "the server was shown the new certificate");
            assertTrue(who.contains("Zalogowano: " + renewed.getSerialNumber().toString(16)), who);
            for (X509Certificate presented : login.logins().subList(before, login.logins().size())) {
                assertFalse(presented.getSerialNumber().equals(s.oldCertificate.getSerialNumber()), "the old certificate was presented again");
            }
        }
    }

    private static String cli(Path home, PortalSession s, Path dir, String... args) {
        try {
            return ClientAuthLogin.cli(home, s.policy, dir.resolve("cli-state"), s.store.environment(), args);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
