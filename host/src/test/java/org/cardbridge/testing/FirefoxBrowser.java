package org.cardbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.cardbridge.policy.ExtensionIds;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Debian's firefox-esr, headless, driven over its own Marionette protocol (there is no geckodriver
 * package): a fresh profile with Marionette on a free port, the extension installed as a temporary
 * add-on ({@code Addon:Install}), and the host manifest in {@code $HOME/.mozilla/native-messaging-hosts/}
 * of a throw-away HOME. The host inherits Firefox's environment.
 *
 * <p>Marionette frames are {@code <length>:<json>}; commands are {@code [0, id, name, params]} and answers
 * {@code [1, id, error, result]}.
 */
public final class FirefoxBrowser implements Browser {
    public static final String FIREFOX = "/usr/bin/firefox-esr";
    /**
     * The extension's internal UUID in the test profile ({@code extensions.webextensions.uuids}), so its pages
     * have a known address: {@code moz-extension://<this>/popup/popup.html}. Firefox picks a random one otherwise.
     */
    public static final String EXTENSION_UUID = "6c1e6a2e-0b6d-4c55-9a3e-ca7db41d9e00";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFS = """
            user_pref("marionette.port", 0);
            user_pref("browser.shell.checkDefaultBrowser", false);
            user_pref("datareporting.policy.dataSubmissionEnabled", false);
            user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
            user_pref("browser.startup.homepage_override.mstone", "ignore");
            user_pref("browser.aboutwelcome.enabled", false);
            user_pref("app.update.disabledForTesting", true);
            user_pref("network.captive-portal-service.enabled", false);
            user_pref("extensions.autoDisableScopes", 0);
            user_pref("extensions.webextensions.uuids", "{\\"%s\\": \\"%s\\"}");
            """.formatted(ExtensionIds.FIREFOX, EXTENSION_UUID);

    private final Path root;
    private final Process process;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private int nextId;
    private String sessionId;
    private JsonNode capabilities;
    private FirefoxWebDriver driver;

    public static boolean available() {
        return Files.isExecutable(Path.of(FIREFOX));
    }

    public FirefoxBrowser(Map<String, String> env) throws IOException, InterruptedException {
        this(env, null, List.of());
    }

    /**
     * {@code language} (e.g. {@code pl}, {@code en-GB}; null: Firefox's own) is the UI language Firefox
     * runs in, which the extension's texts follow; a language other than English needs Debian's langpack
     * ({@code firefox-esr-l10n-pl}, .ci/setup.sh installs it), else Firefox stays in English.
     */
    public FirefoxBrowser(Map<String, String> env, String language) throws IOException, InterruptedException {
        this(env, language, List.of());
    }

    /**
     * {@code loopbackNames} (e.g. {@code outside.example}) resolve to the loopback address
     * ({@code network.dns.localDomains}) and the session accepts the test servers' self-signed certificates.
     */
    public FirefoxBrowser(Map<String, String> env, String language, List<String> loopbackNames) throws IOException, InterruptedException {
        root = Files.createTempDirectory("cb-firefox-");
        Path profile = Files.createDirectories(root.resolve("profile"));
        Path home = Files.createDirectories(root.resolve("home"));
        Files.writeString(profile.resolve("user.js"), PREFS + (language == null ? "" : """
                user_pref("intl.locale.requested", "%s");
                user_pref("intl.accept_languages", "%s");
                """.formatted(language, language)) + (loopbackNames.isEmpty() ? "" : """
                user_pref("network.dns.localDomains", "%s");
                """.formatted(String.join(",", loopbackNames))));
        Path hosts = Files.createDirectories(home.resolve(".mozilla/native-messaging-hosts"));
        Files.writeString(hosts.resolve(ChromiumBrowser.HOST_NAME + ".json"), """
                {"name": "%s", "description": "CardBridge native-messaging host (test)", "path": "%s",
                 "type": "stdio", "allowed_extensions": ["%s"]}
                """.formatted(ChromiumBrowser.HOST_NAME, ChromiumBrowser.launcher(), ExtensionIds.FIREFOX));
        // -remote-allow-system-access: Marionette's chrome context, which only opening extension pages uses.
        ProcessBuilder pb = new ProcessBuilder(FIREFOX, "--marionette", "-remote-allow-system-access", "--headless", "--no-remote",
                "--profile", profile.toString(), "about:blank")
                .redirectErrorStream(true)
                .redirectOutput(root.resolve("firefox.log").toFile());
        pb.environment().putAll(env);
        pb.environment().put("HOME", home.toString());
        pb.environment().put("MOZ_HEADLESS", "1");
        process = pb.start();
        Path portFile = profile.resolve("MarionetteActivePort");
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
            if (System.nanoTime() > end || !process.isAlive()) {
                close();
                throw new IOException("Firefox did not open Marionette; see " + root.resolve("firefox.log"));
            }
            Thread.sleep(100);
        }
        socket = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(Files.readString(portFile).trim()));
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        JsonNode hello = read();
        if (hello.path("marionetteProtocol").asInt() != 3) {
            throw new IOException("unexpected Marionette greeting " + hello);
        }
        JsonNode session = command("WebDriver:NewSession", Map.of("capabilities", Map.of()));
        sessionId = session.path("sessionId").asText();
        capabilities = session.path("capabilities");
        if (!loopbackNames.isEmpty()) {
            // What WebDriver's acceptInsecureCerts does inside Firefox (this Marionette, spoken to directly,
            // leaves that capability false): the test servers' self-signed certificates pass.
            command("Marionette:SetContext", Map.of("value", "chrome"));
            try {
                command("WebDriver:ExecuteScript", Map.of("args", List.of(), "script", """
                        Cc["@mozilla.org/security/certoverride;1"].getService(Ci.nsICertOverrideService)
                          .setDisableAllSecurityChecksAndLetAttackersInterceptMyData(true);
                        """));
            } finally {
                command("Marionette:SetContext", Map.of("value", "content"));
            }
        }
        command("WebDriver:SetTimeouts", Map.of("script", 90_000));
    }

    @Override
    public Kind kind() {
        return Kind.FIREFOX;
    }

    /** Selenium's calls over this browser's Marionette session (see {@link FirefoxWebDriver}). */
    @Override
    public synchronized org.openqa.selenium.remote.RemoteWebDriver driver() {
        if (driver == null) {
            driver = new FirefoxWebDriver(this, sessionId, capabilities);
        }
        return driver;
    }

    /** The whole page, not only the part scrolled to (Marionette's full screenshot), as PNG bytes. */
    public byte[] fullPageScreenshot() throws IOException {
        return java.util.Base64.getDecoder().decode(
                command("WebDriver:TakeScreenshot", Map.of("full", true, "hash", false)).path("value").asText());
    }

    /** Installs the unpacked extension as a temporary add-on; returns its id. */
    public String installExtension(Path dir) throws IOException {
        return command("Addon:Install", Map.of("path", dir.toString(), "temporary", true)).path("value").asText();
    }

    public void navigate(String url) throws IOException {
        if (url.startsWith("moz-extension:")) {
            openExtensionPage(url);
            return;
        }
        command("WebDriver:Navigate", Map.of("url", url));
    }

    /**
     * Opens a page of the extension (e.g. the popup) in the tab. Marionette refuses to navigate content to a
     * {@code moz-extension:} URL, so the tab loads it from Firefox's own (chrome) context, as the toolbar
     * button's popup is loaded; then the test goes on in the page as usual.
     */
    private void openExtensionPage(String url) throws IOException {
        command("Marionette:SetContext", Map.of("value", "chrome"));
        try {
            command("WebDriver:ExecuteScript", Map.of("args", List.of(url), "script", """
                    const win = Services.wm.getMostRecentWindow("navigator:browser");
                    win.gBrowser.selectedBrowser.fixupAndLoadURIString(arguments[0],
                      { triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal() });
                    """));
        } finally {
            command("Marionette:SetContext", Map.of("value", "content"));
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            try {
                if (command("WebDriver:GetCurrentURL", Map.of()).path("value").asText().startsWith(url)
                        && "complete".equals(execute("return document.readyState").asText())) {
                    return;
                }
            } catch (IOException stillLoading) {
                // the document is being replaced
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        throw new IOException("Firefox did not open " + url);
    }

    /** Like {@link PageApi#call}: calls window.cardbridge[fn](...args) and returns {result} or {error}. */
    public JsonNode callApi(String fn, Object... args) throws IOException {
        String script = """
                const [fn, args, done] = arguments;
                const go = () => window.cardbridge[fn](...args).then(
                  (r) => done({ result: r === undefined ? null : r }),
                  (e) => done({ error: { name: e.name, code: e.code ?? null, message: e.message, details: e.details ?? null } }));
                const wait = () => (window.cardbridge ? go() : setTimeout(wait, 20));
                wait();
                """;
        return command("WebDriver:ExecuteAsyncScript", Map.of("script", script, "args", List.of(fn, List.of(args))))
                .path("value");
    }

    /** Runs a synchronous script in the page; returns its value. */
    public JsonNode execute(String script, Object... args) throws IOException {
        return command("WebDriver:ExecuteScript", Map.of("script", script, "args", List.of(args))).path("value");
    }

    /** Starts window.cardbridge[fn](...args) without waiting (to answer host dialogs meanwhile); see {@link #result}. */
    public String startApi(String fn, Object... args) throws IOException {
        String key = fn + "-" + System.nanoTime();
        execute("""
                const [key, fn, args] = arguments;
                window.cbResults = window.cbResults || {};
                window.cardbridge[fn](...args).then(
                  (r) => (window.cbResults[key] = { result: r === undefined ? null : r }),
                  (e) => (window.cbResults[key] = { error: { code: e.code ?? null, message: e.message, details: e.details ?? null } }));
                """, key, fn, List.of(args));
        return key;
    }

    /** Waits for how a call from {@link #startApi} ended: {result} or {error}. */
    public JsonNode result(String key, java.time.Duration timeout) throws IOException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            JsonNode v = execute("return (window.cbResults && window.cbResults[arguments[0]]) || null", key);
            if (v != null && !v.isNull()) {
                return v;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(key + " did not end within " + timeout);
    }

    public synchronized JsonNode command(String name, Object params) throws IOException {
        int id = ++nextId;
        byte[] body = JSON.writeValueAsBytes(List.of(0, id, name, params));
        out.write((body.length + ":").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        while (true) {
            JsonNode answer = read();
            if (answer instanceof ArrayNode a && a.size() == 4 && a.get(0).asInt() == 1 && a.get(1).asInt() == id) {
                if (!a.get(2).isNull()) {
                    throw new IOException(name + " failed: " + a.get(2));
                }
                return a.get(3);
            }
        }
    }

    private JsonNode read() throws IOException {
        int length = 0;
        int c;
        while ((c = in.read()) != ':') {
            if (c < '0' || c > '9') {
                throw new EOFException("Marionette stream ended or is malformed");
            }
            length = length * 10 + (c - '0');
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream(length);
        buf.write(in.readNBytes(length));
        if (buf.size() != length) {
            throw new EOFException("Marionette frame cut short");
        }
        return JSON.readTree(buf.toByteArray());
    }

    @Override
    public void close() {
        try {
            if (socket != null) {
                try {
                    command("Marionette:Quit", Map.of());
                } catch (IOException ignored) {
                    // Firefox closes the socket as it quits.
                }
                socket.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ChromiumBrowser.deleteTree(root);
        }
    }
}
