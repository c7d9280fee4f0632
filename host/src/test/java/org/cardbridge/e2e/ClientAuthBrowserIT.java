package org.cardbridge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.install.Nss;
import org.cardbridge.testing.ChromiumBrowser;
import org.cardbridge.testing.ClientAuthLogin;
import org.cardbridge.testing.ClientAuthLogin.LoginServer;
import org.cardbridge.testing.HostDialogs;
import org.cardbridge.testing.PageApi;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestPages;
import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16's must-show: the renewed certificate is the one a browser logs in with. A CEPiK-like web
 * application (a JDK HTTPS server on loopback, started and stopped here) requires a TLS client certificate
 * from the test CA and shows whom it let in. Debian's Chromium, with a window on Xvfb and its own HOME,
 * has the card's PKCS#11 module in that HOME's NSS database ({@code ~/.pki/nssdb}), exactly where
 * Chromium on Linux looks, put there by {@code cardbridge-host install --user --client-auth}; doctor's
 * client-authentication line is checked before (the old certificate, due for renewal) and after (the
 * newest certificate offered).
 *
 * <p>Before the renewal Chromium logs in with the OLD certificate; then the same Chromium renews the
 * certificate on the card through the page API (the extension and the real host: generateKeyPair,
 * createCsr, installCertificate replacing the old one, each confirmed in the host's own dialogs, the PIN
 * typed into the host's PIN dialog); the same check through the demo portal, as a person renews, is the
 * demo's {@code ClientAuthPortalIT} (both share {@link ClientAuthLogin}); after it Chromium logs in with the NEW certificate, and NSS (what Chromium offers)
 * no longer lists the old one. The renewal removes the old key too ({@code removeOldKey}, as CEPiK's
 * one-certificate rule asks): with the old key left on the card, Chromium kept presenting the old
 * certificate it had chosen for this site earlier in the session, to the same site after the renewal
 * (seen in this test before removeOldKey was added; Chromium keeps the chosen certificate per site for
 * the browser session) — see docs/install.md.
 *
 * <p>The certificate choice is automated as Chromium's {@code AutoSelectCertificateForUrls} policy does it:
 * the policy fills the content setting {@code auto_select_certificate}; Debian's Chromium reads managed
 * policy only from {@code /etc/chromium/policies} (machine-wide, shared with every other test running on
 * the machine, and no command-line switch moves it), so the test puts the same setting, with the policy's
 * pattern and filter, in its own profile's preferences. The token's PIN is typed into Chromium's own
 * "Unlock Security Device" prompt with xdotool whenever it asks. Screenshots: target/screenshots/clientauth-*.
 */
class ClientAuthBrowserIT {
    private static final Duration DIALOG = Duration.ofSeconds(45);
    private static final Duration CALL = Duration.ofSeconds(90);
    private static final String TOKEN_LABEL = "Karta CEPiK Łódź";
    private static final String SUBJECT = "CN=Operator Stacji Kontroli,O=CardBridge Test,C=PL";
    private static final String HOST_DIALOG = "^" + HostDialogs.TITLE + "$";

    @TempDir
    static Path dir;
    static Xvfb xvfb;
    static XDoTool xdo;
    static TestCa ca;
    static SoftHsm2 store;
    static LoginServer server;
    static TestPages pages;
    static ChromiumBrowser browser;
    static PageApi api;
    static Path nssdb;
    static Path home;
    static Path policy;

    @BeforeAll
    static void start() throws Exception {
        xvfb = Xvfb.start();
        xdo = xvfb.xdotool();
        ca = new TestCa("CardBridge clientauth CA");
        store = SoftHsm2.create(dir.resolve("softhsm"), List.of(TOKEN_LABEL));
        server = LoginServer.start(ca, 0);
        pages = TestPages.http();

        home = ClientAuthLogin.chromiumHome(dir); // ~/.pki/nssdb as Chromium's first start makes it
        nssdb = ClientAuthLogin.nssdb(home);
        policy = TestPages.writePolicy(dir, pages.origin("localhost"), List.of(SoftHsm2.MODULE), "read", "sign", "enroll");
        // The card's module (the policy's: SoftHSM2) registered for client authentication the way a person does it.
        String installed = cli("install", "--user", "--client-auth");
        assertTrue(installed.contains("the card is now available for logging in to web sites (" + SoftHsm2.MODULE + " in " + nssdb),
                installed);

        ChromiumBrowser.Builder b = ChromiumBrowser.builder().headed()
                .preferences(ClientAuthLogin.autoSelect(server.origin(), "CardBridge clientauth CA Issuing"))
                .env("HOME", home.toString())
                .env("CARDBRIDGE_POLICY", policy.toString())
                .env("CARDBRIDGE_STATE_DIR", dir.resolve("state").toString())
                .arg("--ignore-certificate-errors")
                .arg("--window-size=1200,900");
        store.environment().forEach(b::env);
        xvfb.environment().forEach(b::env);
        browser = b.start();
        api = new PageApi(browser.driver());
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (server != null) {
            server.close();
        }
        if (pages != null) {
            pages.close();
        }
        if (xvfb != null) {
            xvfb.close();
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void renewedCertificate_chromiumLogsInWithTheNewOne_andNoLongerOffersTheOld() throws Exception {
        KeyPair oldKeys = TestCa.rsa(2048);
        X509Certificate oldCert = ca.issue(oldKeys.getPublic(), SUBJECT, 20);
        store.tokens().getFirst().importKey(oldKeys, oldCert, new byte[]{0x0c, 0x0e, 0x01}, "SSL CEPiK");
        assertEquals(List.of(TOKEN_LABEL + ":SSL CEPiK"), offered(), "NSS offers the old certificate from the card");
        JsonNode due = doctorLine("doctor.clientAuth.expiresSoon");
        assertTrue(due.path("message").asText().contains("number " + oldCert.getSerialNumber().toString(16)), due.toString());

        // 1. Before the renewal: Chromium logs in with the OLD certificate.
        String who = logIn("clientauth-1-old");
        assertEquals(oldCert.getSerialNumber(), server.last().getSerialNumber(), "the server was shown the old certificate");
        assertTrue(who.contains("Zalogowano: " + oldCert.getSerialNumber().toString(16)), who);

        // 2. The renewal, by the same Chromium through the extension and the host.
        X509Certificate newCert = renew(oldCert);

        // 3. After it: the new certificate logs in; the old one is no longer offered.
        List<String> offeredAfter = offered();
        assertEquals(1, offeredAfter.size(), "one certificate offered after the renewal: " + offeredAfter);
        assertFalse(offeredAfter.contains(TOKEN_LABEL + ":SSL CEPiK"), "the old certificate is not offered: " + offeredAfter);
        JsonNode now = doctorLine("doctor.clientAuth.offersNewest");
        assertTrue(now.path("message").asText().contains("number " + newCert.getSerialNumber().toString(16)), now.toString());
        server.close();
        server = LoginServer.start(ca, server.port()); // the same address, no TLS session of the old login to resume
        int before = server.logins().size();
        who = logIn("clientauth-3-new");
        assertEquals(newCert.getSerialNumber(), server.last().getSerialNumber(), "the server was shown the new certificate");
        assertTrue(who.contains("Zalogowano: " + newCert.getSerialNumber().toString(16)), who);
        for (X509Certificate presented : server.logins().subList(before, server.logins().size())) {
            assertFalse(presented.getSerialNumber().equals(oldCert.getSerialNumber()), "the old certificate was presented again");
        }
    }

    /** Opens the login page, types the PIN into Chromium's prompt if it asks; returns the page's text. */
    static String logIn(String screenshot) {
        return ClientAuthLogin.logIn(browser.driver(), xvfb, server, pages.url("localhost"), SoftHsm2.PIN, screenshot, CALL);
    }

    /** generateKeyPair → createCsr → the CA issues → installCertificate replacing the old one. */
    static X509Certificate renew(X509Certificate oldCert) throws Exception {
        browser.driver().get(pages.url("localhost"));
        String token = null;
        for (JsonNode t : api.call("listTokens").ok().path("tokens")) {
            if (TOKEN_LABEL.equals(t.path("label").asText())) {
                token = t.path("token").asText();
            }
        }
        assertTrue(token != null, "the token in listTokens");
        String oldHandle = null;
        for (JsonNode c : api.call("listCertificates", Map.of("token", token)).ok().path("certificates")) {
            if (c.path("serialNumber").asText().equalsIgnoreCase(oldCert.getSerialNumber().toString(16))) {
                oldHandle = c.path("handle").asText();
            }
        }
        assertTrue(oldHandle != null, "the old certificate in listCertificates");

        String key = api.start("login", Map.of("token", token));
        String pinDialog = waitForWindow(HOST_DIALOG);
        xdo.awaitPainted(pinDialog, DIALOG);
        xdo.screenshot("clientauth-2-renewal-host-pin");
        for (int attempt = 0; attempt < 5 && xdo.isVisible(pinDialog); attempt++) {
            xdo.focus(pinDialog);
            xdo.key("ctrl+a");
            xdo.type(SoftHsm2.PIN);
            xdo.pressReturn();
            xdo.awaitGone(pinDialog, Duration.ofSeconds(3));
        }
        assertTrue(api.result(key, CALL).ok().path("loggedIn").asBoolean(), "the host logged in to the card");

        key = api.start("generateKeyPair", Map.of("token", token, "algorithm", "RSA-2048", "label", "SSL CEPiK 2027"));
        JsonNode newKey = answeringHostDialogs(key, "clientauth-2-renewal-host-dialog").ok();
        key = api.start("createCsr", Map.of("key", newKey.path("key").asText(), "subject", SUBJECT));
        answeringHostDialogs(key, null).ok();
        PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(
                new X509EncodedKeySpec(Base64.getDecoder().decode(newKey.path("publicKey").asText())));
        X509Certificate issued = ca.issue(pub, SUBJECT, 365);
        key = api.start("installCertificate", Map.of("certificates", List.of(TestCa.pem(issued)), "replaces", oldHandle,
                "removeOldKey", true));
        JsonNode installed = answeringHostDialogs(key, null).ok();
        assertTrue(installed.path("replaced").asBoolean(), installed.toString());
        // The page is told this browser will offer the new certificate for login (the module is in ~/.pki/nssdb).
        assertTrue(installed.path("usableForLogin").isBoolean() && installed.path("usableForLogin").asBoolean(), installed.toString());
        return issued;
    }

    /** Answers the host's PIN dialog (the PIN) and confirmations (Confirm) until the call has ended. */
    static PageApi.Outcome answeringHostDialogs(String key, String screenshot) {
        long end = System.nanoTime() + CALL.toNanos();
        boolean shot = false;
        while (System.nanoTime() < end) {
            JsonNode done = api.await("return (window.cbResults && window.cbResults['" + key + "']) || 'pending'", DIALOG);
            if (!done.isTextual()) {
                return api.result(key, DIALOG);
            }
            String window = visibleWindow(HOST_DIALOG);
            if (window != null) {
                xdo.awaitPainted(window, DIALOG);
                if (screenshot != null && !shot) {
                    xdo.screenshot(screenshot);
                    shot = true;
                }
                HostDialogs.confirm(xdo, window, DIALOG, null);
            }
            sleep(100);
        }
        throw new AssertionError(key + " did not end within " + CALL);
    }

    /** doctor's line about Chromium's database with that code (doctor --json of the real launcher, the test's HOME). */
    static JsonNode doctorLine(String code) throws Exception {
        JsonNode report = org.cardbridge.protocol.Json.mapper().readTree(cli("doctor", "--json"));
        for (JsonNode f : report.path("findings")) {
            if (f.path("subject").asText().equals("nss:" + nssdb) && f.path("code").asText().equals(code)) {
                return f;
            }
        }
        throw new AssertionError("no " + code + " for " + nssdb + " in " + report);
    }

    /** The built launcher's command line, as the person runs it, in the test's HOME, in English. */
    static String cli(String... args) throws IOException, InterruptedException {
        return ClientAuthLogin.cli(home, policy, dir.resolve("cli-state"), store.environment(), args);
    }

    /** What NSS in Chromium's HOME lists from the card: the certificates Chromium can offer. */
    static List<String> offered() throws Nss.NssException {
        return ClientAuthLogin.offered(nssdb, store.environment(), TOKEN_LABEL);
    }

    private static String waitForWindow(String title) {
        long end = System.nanoTime() + DIALOG.toNanos();
        while (System.nanoTime() < end) {
            String w = visibleWindow(title);
            if (w != null) {
                return w;
            }
            sleep(100);
        }
        throw new AssertionError("no window titled " + title + " within " + DIALOG);
    }

    private static String visibleWindow(String title) {
        return ClientAuthLogin.visibleWindow(xvfb, title);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
