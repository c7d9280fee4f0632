package org.cardbridge.testing;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import org.cardbridge.install.Nss;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

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
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * TLS client authentication in Debian's Chromium with the card, shared by the browser tests that check a
 * renewed certificate logs in (issue 16: {@code ClientAuthBrowserIT} through the page API, the demo's
 * {@code ClientAuthPortalIT} through the demo portal):
 * <ul>
 *   <li>{@link LoginServer}: a CEPiK-like web application, HTTPS on loopback requiring a client certificate
 *   from one issuing CA, recording every certificate presented and showing whom it let in;</li>
 *   <li>{@link #chromiumHome}: a HOME whose {@code ~/.pki/nssdb} Chromium uses, made as Chromium's first start
 *   makes it; {@link #cli} runs the built launcher there ({@code install --user --client-auth}, {@code doctor});</li>
 *   <li>{@link #autoSelect}: the profile preference Chromium's {@code AutoSelectCertificateForUrls} policy turns
 *   into (Debian's Chromium reads managed policy only from the machine-wide /etc/chromium/policies);</li>
 *   <li>{@link #logIn}: opens the login page, types the token's PIN into Chromium's own prompt with xdotool
 *   when it asks.</li>
 * </ul>
 */
public final class ClientAuthLogin {
    /** The title of Chromium's own PIN prompt for a token (CryptoModulePasswordDialogView). */
    public static final String CHROMIUM_PIN = "Unlock Security Device";
    private static final Duration DIALOG = Duration.ofSeconds(45);

    private ClientAuthLogin() {
    }

    /** {@code dir/home} with an empty NSS database in {@code .pki/nssdb}, as Chromium's first start makes it. */
    public static Path chromiumHome(Path dir) throws IOException, InterruptedException {
        Path home = Files.createDirectories(dir.resolve("home"));
        Path nssdb = Files.createDirectories(nssdb(home));
        run(List.of("certutil", "-N", "-d", "sql:" + nssdb, "--empty-password"));
        return home;
    }

    public static Path nssdb(Path home) {
        return home.resolve(".pki/nssdb");
    }

    /**
     * The profile preference the AutoSelectCertificateForUrls policy {@code {"pattern": origin, "filter":
     * {"ISSUER": {"CN": issuerCn}}}} turns into: content setting auto_select_certificate for that origin.
     */
    public static String autoSelect(String origin, String issuerCn) {
        return """
                {"profile": {"content_settings": {"exceptions": {"auto_select_certificate": {
                  "%s,*": {"setting": {"filters": [{"ISSUER": {"CN": "%s"}}]}}}}}}}
                """.formatted(origin, issuerCn);
    }

    /** The built launcher's command line, as the person runs it, in {@code home}, in English; its stdout. */
    public static String cli(Path home, Path policy, Path stateDir, Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ChromiumBrowser.launcher().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("XDG_CONFIG_HOME");
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().remove("LC_ALL");
        pb.environment().put("CARDBRIDGE_POLICY", policy.toString());
        pb.environment().put("CARDBRIDGE_STATE_DIR", stateDir.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(120, TimeUnit.SECONDS);
        return out;
    }

    /**
     * The nicknames ({@code token:label}) of the certificates with a private key ({@code u} trust: a user
     * certificate) NSS in {@code nssdb} lists from the token {@code tokenLabel}: what Chromium can offer for
     * logging in. CA certificates the card also holds are listed by NSS but never offered.
     */
    public static List<String> offered(Path nssdb, Map<String, String> env, String tokenLabel) throws Nss.NssException {
        List<String> out = new ArrayList<>();
        for (Nss.Listed l : new Nss().withEnvironment(env).certificates(nssdb)) {
            if (l.token().equals(tokenLabel) && l.trust().contains("u")) {
                out.add(l.nickname());
            }
        }
        return out;
    }

    /**
     * Leaves for {@code leaveTo}, then opens {@code server}'s page; types {@code pin} into Chromium's PIN
     * prompt whenever it asks; returns the page's text once the server let someone in. Screenshots
     * {@code screenshot-chromium-pin-prompt} (if asked) and {@code screenshot-logged-in}.
     */
    public static String logIn(WebDriver driver, Xvfb xvfb, LoginServer server, String leaveTo, String pin, String screenshot,
                               Duration timeout) {
        XDoTool xdo = xvfb.xdotool();
        driver.get(leaveTo); // leave the login page, if on it
        int before = server.logins().size();
        // Navigation after the script has returned: the page load waits for the PIN, and driver.get (or a
        // script navigating at once) would block the test with it.
        ((JavascriptExecutor) driver).executeScript("setTimeout(() => { window.location.href = arguments[0]; }, 200)", server.origin() + "/");
        long end = System.nanoTime() + timeout.toNanos();
        boolean prompted = false;
        while (server.logins().size() == before && System.nanoTime() < end) {
            String prompt = visibleWindow(xvfb, CHROMIUM_PIN);
            if (prompt != null) {
                xdo.awaitPainted(prompt, DIALOG);
                if (!prompted) {
                    xdo.screenshot(screenshot + "-chromium-pin-prompt");
                    prompted = true;
                }
                xdo.focus(prompt);
                xdo.key("ctrl+a");
                xdo.type(pin);
                xdo.pressReturn();
                xdo.awaitGone(prompt, Duration.ofSeconds(5));
            }
            sleep(200);
        }
        if (server.logins().size() == before) {
            throw new AssertionError("Chromium did not log in to " + server.origin() + " within " + timeout);
        }
        String text = null;
        while (System.nanoTime() < end) {
            Object t = ((JavascriptExecutor) driver).executeScript(
                    "return document.body && document.body.innerText.includes('Zalogowano') ? document.body.innerText : null");
            if (t != null) {
                text = t.toString();
                break;
            }
            sleep(200);
        }
        if (text == null) {
            throw new AssertionError("the login page did not show whom it let in within " + timeout);
        }
        xdo.screenshot(screenshot + "-logged-in");
        return text;
    }

    /** The id of a visible window whose title matches now, or null. */
    public static String visibleWindow(Xvfb xvfb, String title) {
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

    static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
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
     * The web application: HTTPS on 127.0.0.1 that requires a client certificate issued by {@code trusted}
     * (Chromium is told the CA's name in the handshake and offers only certificates under it), records every
     * certificate presented, and shows whom it let in ("Zalogowano: serial").
     */
    public static final class LoginServer implements AutoCloseable {
        private final HttpsServer server;
        private final List<X509Certificate> logins;

        private LoginServer(HttpsServer server, List<X509Certificate> logins) {
            this.server = server;
            this.logins = logins;
        }

        /** A server certificate for 127.0.0.1 from the test CA; clients from its issuing CA. */
        public static LoginServer start(TestCa ca, int port) throws Exception {
            KeyPair keys = TestCa.rsa(2048);
            X509Certificate cert = ca.issue(keys.getPublic(), "CN=127.0.0.1,O=CardBridge Test", 2);
            return start(keys, new X509Certificate[]{cert, ca.issuing()}, ca.issuing(), port, new CopyOnWriteArrayList<>());
        }

        /**
         * @param chain   the server's certificate and its CA (Chromium is told to ignore certificate errors)
         * @param logins  where the certificates presented are recorded (shared by a restarted server)
         */
        public static LoginServer start(KeyPair keys, X509Certificate[] chain, X509Certificate trusted, int port,
                                        List<X509Certificate> logins) throws Exception {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = "test".toCharArray();
            ks.setKeyEntry("server", keys.getPrivate(), pw, chain);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("issuing", trusted);
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
                    logins.add(peer);
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
            return new LoginServer(s, logins);
        }

        /** The same application again on the same port (a fresh TLS context: no session of an earlier login to resume). */
        public LoginServer restart(KeyPair keys, X509Certificate[] chain, X509Certificate trusted) throws Exception {
            int port = port();
            close();
            return start(keys, chain, trusted, port, logins);
        }

        public int port() {
            return server.getAddress().getPort();
        }

        public String origin() {
            return "https://127.0.0.1:" + port();
        }

        public List<X509Certificate> logins() {
            return List.copyOf(logins);
        }

        public X509Certificate last() {
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
