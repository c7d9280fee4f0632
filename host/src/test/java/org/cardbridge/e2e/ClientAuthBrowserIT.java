package org.cardbridge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import org.cardbridge.install.Nss;
import org.cardbridge.testing.ChromiumBrowser;
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

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * typed into the host's PIN dialog) — not through the demo portal, which is another module (demo/) and
 * another helper's; after it Chromium logs in with the NEW certificate, and NSS (what Chromium offers)
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
    /** The title of Chromium's own PIN prompt for a token (CryptoModulePasswordDialogView). */
    private static final String CHROMIUM_PIN = "Unlock Security Device";

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

        home = Files.createDirectories(dir.resolve("home"));
        nssdb = Files.createDirectories(home.resolve(".pki/nssdb"));
        run(List.of("certutil", "-N", "-d", "sql:" + nssdb, "--empty-password"), Map.of()); // as Chromium's first start makes it
        policy = TestPages.writePolicy(dir, pages.origin("localhost"), List.of(SoftHsm2.MODULE), "read", "sign", "enroll");
        // The card's module (the policy's: SoftHSM2) registered for client authentication the way a person does it.
        String installed = cli("install", "--user", "--client-auth");
        assertTrue(installed.contains("the card is now available for logging in to web sites (" + SoftHsm2.MODULE + " in " + nssdb),
                installed);

        ChromiumBrowser.Builder b = ChromiumBrowser.builder().headed()
                .preferences(autoSelect(server.origin(), "CardBridge clientauth CA Issuing"))
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

    /**
     * The profile preference the AutoSelectCertificateForUrls policy {@code {"pattern": origin, "filter":
     * {"ISSUER": {"CN": issuerCn}}}} turns into: content setting auto_select_certificate for that origin.
     */
    static String autoSelect(String origin, String issuerCn) {
        return """
                {"profile": {"content_settings": {"exceptions": {"auto_select_certificate": {
                  "%s,*": {"setting": {"filters": [{"ISSUER": {"CN": "%s"}}]}}}}}}}
                """.formatted(origin, issuerCn);
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
        browser.driver().get(pages.url("localhost")); // leave the login page, if on it
        int before = server.logins().size();
        // Navigation after the script has returned: the page load waits for the PIN, and driver.get (or a
        // script navigating at once) would block the test with it.
        browser.driver().executeScript("setTimeout(() => { window.location.href = arguments[0]; }, 200)", server.origin() + "/");
        long end = System.nanoTime() + CALL.toNanos();
        boolean prompted = false;
        while (server.logins().size() == before && System.nanoTime() < end) {
            String prompt = visibleWindow(CHROMIUM_PIN);
            if (prompt != null) {
                xdo.awaitPainted(prompt, DIALOG);
                if (!prompted) {
                    xdo.screenshot(screenshot + "-chromium-pin-prompt");
                    prompted = true;
                }
                xdo.focus(prompt);
                xdo.key("ctrl+a");
                xdo.type(SoftHsm2.PIN);
                xdo.pressReturn();
                xdo.awaitGone(prompt, Duration.ofSeconds(5));
            }
            sleep(200);
        }
        assertTrue(server.logins().size() > before, "Chromium did not log in to " + server.origin() + " within " + CALL);
        JsonNode text = api.await("return document.body && document.body.innerText.includes('Zalogowano') && document.body.innerText",
                CALL);
        xdo.screenshot(screenshot + "-logged-in");
        return text.asText();
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
        List<String> cmd = new ArrayList<>(List.of(ChromiumBrowser.launcher().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("XDG_CONFIG_HOME");
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().remove("LC_ALL");
        pb.environment().put("CARDBRIDGE_POLICY", policy.toString());
        pb.environment().put("CARDBRIDGE_STATE_DIR", dir.resolve("cli-state").toString());
        pb.environment().putAll(store.environment());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(120, TimeUnit.SECONDS);
        return out;
    }

    /** What NSS in Chromium's HOME lists from the card: the certificates Chromium can offer. */
    static List<String> offered() throws Nss.NssException {
        List<String> out = new ArrayList<>();
        for (Nss.Listed l : new Nss().withEnvironment(store.environment()).certificates(nssdb)) {
            if (l.token().equals(TOKEN_LABEL)) {
                out.add(l.nickname());
            }
        }
        return out;
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

    /** The id of a visible window whose title matches now, or null. */
    private static String visibleWindow(String title) {
        try {
            ProcessBuilder pb = new ProcessBuilder("xdotool", "search", "--onlyvisible", "--name", title).redirectErrorStream(true);
            pb.environment().put("DISPLAY", xvfb.name());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 && !out.isEmpty() ? out.lines().reduce((a, b) -> b).orElseThrow() : null;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static void run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(command + ": " + out);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The web application: HTTPS on 127.0.0.1 that requires a client certificate issued by the test CA
     * (Chromium is told the CA's name in the handshake and offers only certificates under it), records
     * every certificate presented, and shows whom it let in.
     */
    static final class LoginServer implements AutoCloseable {
        private final HttpsServer server;
        private final List<X509Certificate> logins;

        private LoginServer(HttpsServer server, List<X509Certificate> logins) {
            this.server = server;
            this.logins = logins;
        }

        static List<X509Certificate> shared = new CopyOnWriteArrayList<>();

        static LoginServer start(TestCa ca, int port) throws Exception {
            KeyPair keys = TestCa.rsa(2048);
            X509Certificate cert = ca.issue(keys.getPublic(), "CN=127.0.0.1,O=CardBridge Test", 2);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = "test".toCharArray();
            ks.setKeyEntry("server", keys.getPrivate(), pw, new Certificate[]{cert, ca.issuing()});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("issuing", ca.issuing());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
            s.setHttpsConfigurator(new HttpsConfigurator(ctx) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters p = ctx.getDefaultSSLParameters();
                    p.setNeedClientAuth(true);
                    params.setSSLParameters(p);
                }
            });
            s.createContext("/", ex -> {
                byte[] body;
                try {
                    X509Certificate peer = (X509Certificate) ((HttpsExchange) ex).getSSLSession().getPeerCertificates()[0];
                    shared.add(peer);
                    body = ("<!doctype html><html><head><meta charset=utf-8><title>CEPiK (test)</title></head><body>"
                            + "<h1>Zalogowano: " + peer.getSerialNumber().toString(16) + "</h1><p>"
                            + peer.getSubjectX500Principal().getName() + ", ważny do " + peer.getNotAfter().toInstant()
                            + "</p></body></html>").getBytes(StandardCharsets.UTF_8);
                } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                    body = "no client certificate".getBytes(StandardCharsets.UTF_8);
                }
                ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                ex.getResponseHeaders().set("Connection", "close");
                ex.sendResponseHeaders(200, body.length);
                try (var out = ex.getResponseBody()) {
                    out.write(body);
                }
            });
            s.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "login-server");
                t.setDaemon(true);
                return t;
            }));
            s.start();
            return new LoginServer(s, shared);
        }

        int port() {
            return server.getAddress().getPort();
        }

        String origin() {
            return "https://127.0.0.1:" + port();
        }

        List<X509Certificate> logins() {
            return List.copyOf(logins);
        }

        X509Certificate last() {
            return logins.getLast();
        }

        @Override
        public void close() {
            server.stop(0);
            if (server.getExecutor() instanceof java.util.concurrent.ExecutorService e) {
                e.shutdownNow();
            }
        }
    }
}
