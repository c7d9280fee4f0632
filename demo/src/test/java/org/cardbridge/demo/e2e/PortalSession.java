package org.cardbridge.demo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.cardbridge.demo.DemoCa;
import org.cardbridge.demo.RenewalService;
import org.cardbridge.testing.Browser;
import org.cardbridge.testing.ChromiumBrowser;
import org.cardbridge.testing.FirefoxBrowser;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.WindowProbe;
import org.cardbridge.testing.Xvfb;
import org.cardbridge.testing.vcard.VirtualCards;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.remote.RemoteWebDriver;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One user at the demo portal: a fresh SoftHSM2 "card" holding a key and an "old" certificate of the demo
 * CA, Chromium with the real extension and the real host (which sees only this card and shows its dialogs
 * on the shared Xvfb), and a person answering those dialogs.
 */
final class PortalSession implements AutoCloseable {
    static final String SUBJECT = "C=PL,O=CardBridge Demo,CN=Jan Kowalski";
    static final String CARD_LABEL = "Karta demo Żółw";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The SoftHSM2 "card", or null when the session uses {@link #virtualCard}. */
    final SoftHsm2 store;
    /** The virtual OpenSC card in its reader, or null. */
    final VirtualCards.Card virtualCard;
    final X509Certificate oldCertificate;
    final KeyPair oldKey;
    final Browser browser;
    final HostDialogs dialogs;
    final String portal;
    final String origin;
    /** The host's policy file (the portal's origin, SoftHSM2's module). */
    Path policy;
    /** Serialises this test's WebDriver calls with those the dialog thread makes to look at the page. */
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    /** What the page's status line said each time a CardBridge window appeared. */
    final List<String> activityWhileWindowOpen = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * @param portalOrigin the origin the page is loaded from (the demo CA, or WireMock in front of it)
     * @param daysLeft     the old certificate's remaining validity on the CA's clock (negative: expired)
     */
    PortalSession(Path dir, Xvfb xvfb, DemoCa ca, String portalOrigin, long daysLeft) throws Exception {
        this(dir, xvfb, ca, portalOrigin, Duration.ofDays(daysLeft));
    }

    /** @param left the old certificate's remaining validity on the CA's clock (negative: expired) */
    PortalSession(Path dir, Xvfb xvfb, DemoCa ca, String portalOrigin, Duration left) throws Exception {
        this(Browser.Kind.CHROMIUM, dir, xvfb, ca, portalOrigin, left);
    }

    /**
     * @param card  a virtual OpenSC card (RSA-2048 old key) instead of a SoftHSM2 token, or null
     * @param probe reads the host's windows (attached to the host the browser starts), or null
     */
    PortalSession(Path dir, Xvfb xvfb, DemoCa ca, String portalOrigin, Duration left, VirtualCards.Card card, WindowProbe probe)
            throws Exception {
        this(Browser.Kind.CHROMIUM, dir, xvfb, ca, portalOrigin, left, card, probe, (session, b) -> { });
    }

    /** A virtual card and a window probe, with more settings of Chromium (e.g. the host's OPENSC_CONF). */
    PortalSession(Path dir, Xvfb xvfb, DemoCa ca, String portalOrigin, Duration left, VirtualCards.Card card, WindowProbe probe,
                  java.util.function.BiConsumer<PortalSession, ChromiumBrowser.Builder> chromium) throws Exception {
        this(Browser.Kind.CHROMIUM, dir, xvfb, ca, portalOrigin, left, card, probe, chromium);
    }

    /**
     * @param chromium more settings of the browser (a HOME with an NSS database, preferences) before it starts;
     *                 the session's card ({@link #store}, {@link #oldCertificate}) and {@link #policy} are ready
     */
    PortalSession(Path dir, Xvfb xvfb, DemoCa ca, String portalOrigin, Duration left,
                  java.util.function.BiConsumer<PortalSession, ChromiumBrowser.Builder> chromium) throws Exception {
        this(Browser.Kind.CHROMIUM, dir, xvfb, ca, portalOrigin, left, null, null, chromium);
    }

    /** @param kind the browser the person uses (Chromium, or firefox-esr: FirefoxMinimalPageIT) */
    PortalSession(Browser.Kind kind, Path dir, Xvfb xvfb, DemoCa ca, String portalOrigin, Duration left) throws Exception {
        this(kind, dir, xvfb, ca, portalOrigin, left, null, null, (session, b) -> { });
    }

    /** @param chromium applies to Chromium only (a Firefox session ignores it) */
    private PortalSession(Browser.Kind kind, Path dir, Xvfb xvfb, DemoCa ca, String portalOrigin, Duration left, VirtualCards.Card card, WindowProbe probe,
                          java.util.function.BiConsumer<PortalSession, ChromiumBrowser.Builder> chromium) throws Exception {
        origin = portalOrigin;
        virtualCard = card;
        Files.createDirectories(dir);
        KeyPairGenerator g = KeyPairGenerator.getInstance(card == null ? "EC" : "RSA");
        if (card == null) {
            g.initialize(new ECGenParameterSpec("secp256r1"));
        } else {
            g.initialize(2048); // what the IsoApplet card holds
        }
        oldKey = g.generateKeyPair();
        Instant notAfter = ca.clock().now().plus(left);
        oldCertificate = ca.renewals().issueInitial(new X500Name(SUBJECT), SubjectPublicKeyInfo.getInstance(oldKey.getPublic().getEncoded()),
                notAfter.minus(RenewalService.CERTIFICATE_LIFETIME), notAfter);
        Map<String, String> env = new java.util.HashMap<>();
        env.put("CARDBRIDGE_STATE_DIR", dir.resolve("host-state").toString());
        String module;
        if (card == null) {
            store = SoftHsm2.create(dir.resolve("softhsm"), List.of(CARD_LABEL));
            store.tokens().getFirst().importKey(oldKey, oldCertificate, new byte[]{0x01}, "Jan Kowalski 2025");
            env.putAll(store.environment());
            // The fork's pcscd (a virtual card another test uses) is not this person's: the host does not see it.
            env.put(org.cardbridge.testing.vcard.Pcscd.SOCKET_ENV, dir.resolve("no-pcscd.comm").toString());
            module = SoftHsm2.MODULE;
        } else {
            store = null;
            card.importKey(oldKey, oldCertificate, new byte[]{0x01}, "Jan Kowalski 2025");
            env.putAll(VirtualCards.inProcess().environment());
            module = VirtualCards.MODULE;
        }
        Path policy = dir.resolve("policy.json");
        Files.writeString(policy, JSON.writeValueAsString(Map.of(
                "origins", List.of(Map.of("origin", portalOrigin, "allow", List.of("read", "sign", "enroll"))),
                "modules", List.of(module),
                "dialogTimeoutSeconds", 60)));
        env.put("CARDBRIDGE_POLICY", policy.toString());
        if (probe != null) {
            env.put("JAVA_TOOL_OPTIONS", probe.javaToolOptions());
        }
        env.putAll(xvfb.environment());
        this.policy = policy;
        if (kind == Browser.Kind.CHROMIUM) {
            ChromiumBrowser.Builder b = ChromiumBrowser.builder();
            env.forEach(b::env);
            chromium.accept(this, b);
            browser = b.start();
        } else {
            browser = kind.start(env, "en-GB");
        }
        dialogs = new HostDialogs(xvfb, card == null ? SoftHsm2.PIN : card.pin());
        portal = portalOrigin + "/";
    }

    /** Chromium's driver, for what only Chromium has (CDP); {@link #web()} for what both browsers do. */
    ChromeDriver driver() {
        return (ChromeDriver) browser.driver();
    }

    RemoteWebDriver web() {
        return browser.driver();
    }

    /** Runs a script in the page (serialised with the dialog thread's look at the page). */
    Object js(String script, Object... args) {
        lock.lock();
        try {
            return ((JavascriptExecutor) web()).executeScript(script, args);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The extension's popup as the person would open it now, in a tab of its own beside the page (which stays
     * open and connected): waits up to 30 s for its text to satisfy {@code shows} (the card watch reads the card
     * again after the page wrote it), saves it as target/screenshots/NAME.png, closes it and returns to the page.
     * Returns the popup's whole text as last seen, for the caller's assertions; holds the page lock throughout, so
     * a host window's answerer never looks at the popup's tab.
     */
    String popup(String name, java.util.function.Predicate<String> shows) throws Exception {
        lock.lock();
        try {
            String page = web().getWindowHandle();
            web().switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
            try {
                web().get(browser.extensionPage("popup/popup.html"));
                String text = "";
                long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < end) {
                    Object v = js("return document.getElementById('host-ok') ? document.body.innerText : ''");
                    text = v == null ? "" : v.toString();
                    if (!text.isEmpty() && shows.test(text)) {
                        break;
                    }
                    sleep(200);
                }
                screenshot(name);
                return text;
            } finally {
                web().close();
                web().switchTo().window(page);
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code body[data-NAME]}, or "" */
    String bodyData(String name) {
        Object v = js("return (document.body && document.body.dataset[arguments[0]]) || ''", name);
        return v == null ? "" : v.toString();
    }

    /** The text of an element as the person sees it ("" when hidden or absent). */
    String visibleText(String id) {
        Object v = js("const e = document.getElementById(arguments[0]); return e && !e.hidden && e.offsetParent !== null ? e.innerText : ''", id);
        return v == null ? "" : v.toString();
    }

    /** The labels of the visible buttons. */
    List<String> buttons() {
        @SuppressWarnings("unchecked")
        List<String> b = (List<String>) js("return [...document.querySelectorAll('button')].filter((b) => !b.hidden && b.offsetParent !== null).map((b) => b.innerText)");
        return b;
    }

    /**
     * Every CardBridge window is answered as planned; the first that opens while the page's activity is
     * {@code waitingForYou:OP} is cancelled. Each window's moment is recorded with the page's status line.
     */
    void cancelWindowOf(String op) {
        answerWindowOf(op, HostDialogs.Answer.CANCEL, () -> { });
    }

    /**
     * Like {@link #cancelWindowOf}, but the first window of {@code op} gets {@code answer}, after {@code first}
     * has run (e.g. arranging a fault on the card while that window is open).
     */
    void answerWindowOf(String op, HostDialogs.Answer answer, Runnable first) {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean(op == null);
        dialogs.decideBy(() -> {
            String activity = "";
            try {
                // The page cannot be asked while this test itself waits in a script for the window (signCms):
                // then the window is not the page's, and is approved.
                if (lock.tryLock(1, java.util.concurrent.TimeUnit.SECONDS)) {
                    try {
                        activity = bodyData("activity");
                        activityWhileWindowOpen.add(visibleText("activity") + visibleText("status"));
                    } finally {
                        lock.unlock();
                    }
                }
            } catch (RuntimeException e) {
                activity = "";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!done.get() && activity.equals("waitingForYou:" + op)) {
                done.set(true);
                first.run();
                return answer;
            }
            return HostDialogs.Answer.APPROVE;
        });
    }

    /** Saves the whole page as the person sees it now (not only the scrolled-to part) as target/screenshots/NAME.png. */
    void screenshot(String name) throws java.io.IOException {
        byte[] png;
        lock.lock();
        try {
            if (browser instanceof FirefoxBrowser firefox) {
                png = firefox.fullPageScreenshot();
            } else {
            @SuppressWarnings("unchecked")
            List<Number> size = (List<Number>) ((JavascriptExecutor) driver()).executeScript(
                    "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]");
            Map<String, Object> shot = driver().executeCdpCommand("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true,
                    "clip", Map.of("x", 0, "y", 0, "width", size.get(0).intValue(), "height", size.get(1).intValue(), "scale", 1)));
            png = java.util.Base64.getDecoder().decode((String) shot.get("data"));
            }
        } finally {
            lock.unlock();
        }
        Files.createDirectories(org.cardbridge.testing.XDoTool.SCREENSHOTS);
        Files.write(org.cardbridge.testing.XDoTool.SCREENSHOTS.resolve(name + ".png"), png);
    }

    void open(String query) {
        web().get(portal + query);
        awaitState("ready", Duration.ofSeconds(20));
    }

    void click(String id) {
        web().findElement(By.id(id)).click();
    }

    void type(String id, String text) {
        WebElement e = web().findElement(By.id(id));
        e.clear();
        e.sendKeys(text);
    }

    String text(String id) {
        return web().findElement(By.id(id)).getText();
    }

    String messageCode() {
        return web().findElement(By.id("message")).getAttribute("data-code");
    }

    /** Waits for {@code body[data-state]} to become {@code state}; fails early, with the page's message, on "error". */
    void awaitState(String state, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        String now = null;
        while (System.nanoTime() < end) {
            now = bodyData("state");
            if (state.equals(now)) {
                return;
            }
            if ("error".equals(now) && !state.equals("error")) {
                throw new AssertionError("page shows an error instead of '" + state + "': [" + messageCode() + "] " + text("message")
                        + "\nlog:\n" + text("log"));
            }
            sleep(100);
        }
        throw new AssertionError("page state '" + now + "', expected '" + state + "'; log:\n" + text("log"));
    }

    /** The card as the page API reports it: {@code listCertificates} of the one token. */
    JsonNode card() throws Exception {
        Object raw;
        lock.lock();
        try {
            raw = ((JavascriptExecutor) web()).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import("/cardbridge/cardbridge.js").then(async (cb) => {
                  const { tokens } = await cb.listTokens();
                  done(JSON.stringify(await cb.listCertificates({ token: tokens.find((t) => t.present).token })));
                }).catch((e) => done(JSON.stringify({ error: e.code ?? String(e) })));
                """);
        } finally {
            lock.unlock();
        }
        JsonNode n = JSON.readTree((String) raw);
        if (n.has("error")) {
            throw new AssertionError("listCertificates failed: " + n);
        }
        return n;
    }

    /** Signs {@code data} (CMS, detached) with the certificate {@code handle} through the page API; the dialogs are answered. */
    byte[] signCms(String handle, byte[] data) {
        Object raw;
        lock.lock();
        try {
            raw = ((JavascriptExecutor) web()).executeAsyncScript("""
                const [handle, data, done] = arguments;
                import("/cardbridge/cardbridge.js").then(async (cb) => {
                  const r = await cb.sign({ certificate: handle, data, format: "cms", detached: true, description: "key check" });
                  done(r.signature);
                }).catch((e) => done("error:" + (e.code ?? String(e))));
                """, handle, java.util.Base64.getEncoder().encodeToString(data));
        } finally {
            lock.unlock();
        }
        String s = (String) raw;
        if (s.startsWith("error:")) {
            throw new AssertionError("sign failed: " + s);
        }
        return java.util.Base64.getDecoder().decode(s);
    }

    /** The end-entity certificates on the card. */
    List<JsonNode> userCertificates() throws Exception {
        List<JsonNode> out = new java.util.ArrayList<>();
        card().path("certificates").forEach(c -> {
            if (!c.path("isCa").asBoolean()) {
                out.add(c);
            }
        });
        return out;
    }

    /** The old certificate is still on the card, with its private key: the user can go on working. */
    void assertOldCertificateStillWorks() throws Exception {
        List<JsonNode> certs = userCertificates();
        assertEquals(1, certs.stream().filter(c -> new java.math.BigInteger(c.path("serialNumber").asText(), 16).equals(oldCertificate.getSerialNumber())
                && c.path("hasPrivateKey").asBoolean()).count(), "old certificate with its key on the card: " + certs);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            dialogs.close();
        } finally {
            browser.close();
        }
    }
}
