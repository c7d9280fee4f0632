package org.cardbridge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.testing.Browser;
import org.cardbridge.testing.ClientAuthLogin;
import org.cardbridge.testing.HostDialogs;
import org.cardbridge.testing.InEachBrowser;
import org.cardbridge.testing.PageApi;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestPages;
import org.cardbridge.testing.WindowProbe;
import org.cardbridge.testing.WindowTextAgent;
import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;
import org.cardbridge.testing.vcard.Tool;
import org.cardbridge.testing.vcard.VirtualCards;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;

import javax.security.auth.x500.X500Principal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The popup as a person sees it, in Debian's Chromium and firefox-esr (each test in both) with the real extension, the host it starts and a
 * SoftHSM2 card: a normal certificate, one expiring soon (with the CA's renewal link from the policy's
 * {@code renewalUrl} and {@code issuers}), a renewal whose successor is on the card but not valid yet
 * ("ready from"), and one whose successor is valid (the finish offer). Time is moved by the certificates'
 * own dates (made by {@link TestCa}), not by a clock seam. Each state gets a fresh card and browser; the
 * popup page is opened as a tab and its screenshot saved in target/screenshots (name-chromium.png, name-firefox.png).
 */
class BrowserPopupIT {
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final String SUBJECT = "CN=Zażółć Gęślą,O=Firma Testowa,C=PL";

    @TempDir
    static Path dir;
    static TestCa ca;
    static TestPages pages;

    @BeforeAll
    static void start() {
        ca = new TestCa("CardBridge popup CA");
        pages = TestPages.http();
    }

    @AfterAll
    static void stop() {
        if (pages != null) {
            pages.close();
        }
    }

    /** A card (its own SoftHSM2 store) holding each certificate with its own key, and a browser on it. */
    private static Browser browserWithCard(Browser.Kind kind, String name, String language, List<Instant[]> validities) throws Exception {
        kind.requireInstalled();
        return kind.start(card(kind, name, validities).env(), language);
    }

    /** A card's folder, its policy and the environment that reaches the host (the card's store, the policy). */
    private record Card(Path dir, Path policy, Map<String, String> env) {
    }

    private static Card card(Browser.Kind kind, String name, List<Instant[]> validities) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name + "-" + kind.id()));
        SoftHsm2 store = SoftHsm2.create(d.resolve("softhsm"), List.of("Karta " + name));
        byte id = 1;
        for (Instant[] v : validities) {
            KeyPair keys = TestCa.rsa(2048);
            X509Certificate cert = ca.issue(keys.getPublic(), SUBJECT, v[0], v[1]);
            store.tokens().getFirst().importKey(keys, cert, new byte[]{id}, "podpis " + id);
            id++;
        }
        String issuer = ca.issuing().getSubjectX500Principal().getName(X500Principal.RFC2253);
        Path policy = d.resolve("policy.json");
        Files.writeString(policy, """
                {"origins": [{"origin": "%s", "allow": ["read"], "renewalUrl": "%s/renew", "issuers": ["%s"]}],
                 "modules": ["%s"]}
                """.formatted(pages.origin("localhost"), pages.origin("localhost"), issuer, SoftHsm2.MODULE));
        Map<String, String> env = new HashMap<>(Map.of(
                "CARDBRIDGE_POLICY", policy.toString(),
                "CARDBRIDGE_STATE_DIR", d.resolve("state").toString(),
                // This card alone: the fork's private pcscd may hold a virtual card another test left in
                // its reader, and OpenSC, always a candidate module, would list it as a second card.
                "PCSCLITE_CSOCK_NAME", d.resolve("no-pcscd.comm").toString()));
        env.putAll(store.environment());
        return new Card(d, policy, env);
    }

    private static Instant days(long n) {
        return Instant.now().plus(Duration.ofDays(n));
    }

    private static String date(Instant when, Locale locale) {
        return DateTimeFormatter.ofPattern("d MMM yyyy", locale).withZone(ZoneId.systemDefault()).format(when);
    }

    /** Opens the popup and waits until it has listed the card; returns the text of the whole popup. */
    private static String openPopup(Browser browser) {
        browser.driver().get(browser.extensionPage("popup/popup.html"));
        return new PageApi(browser.driver()).await(
                "const c = document.getElementById('cards'); return c && c.textContent.includes('Gęślą') && document.body.innerText",
                WAIT).asText();
    }

    private static String visible(Browser browser, String id) {
        Object text = ((JavascriptExecutor) browser.driver()).executeScript(
                "const e = document.getElementById(arguments[0]); return e && !e.hidden ? e.innerText : null", id);
        return text == null ? null : text.toString();
    }

    // The promise form of the action API: Chrome's chrome.* and Firefox's browser.* both have it.
    private static String badge(Browser browser) {
        return String.valueOf(((JavascriptExecutor) browser.driver()).executeAsyncScript(
                "const done = arguments[0]; (globalThis.browser ?? chrome).action.getBadgeText({}).then(done);"));
    }

    private static String badgeTitle(Browser browser) {
        return String.valueOf(((JavascriptExecutor) browser.driver()).executeAsyncScript(
                "const done = arguments[0]; (globalThis.browser ?? chrome).action.getTitle({}).then(done);"));
    }

    @InEachBrowser
    void popup_validCertificate_namesItAsAPersonKnowsItWithoutWarning(Browser.Kind kind) throws Exception {
        Instant until = days(400);
        try (Browser browser = browserWithCard(kind, "normal", "en-GB", List.<Instant[]>of(new Instant[]{days(-30), until}))) {
            String text = openPopup(browser);
            browser.screenshot("popup-normal");
            assertTrue(text.contains("Zażółć Gęślą, issued by CardBridge Test — valid until " + date(until, Locale.UK)), text);
            assertFalse(text.contains("CN="), "no raw DN in what the person reads: " + text);
            assertEquals(null, visible(browser, "expiring"));
            assertEquals(null, visible(browser, "scheduled"));
            assertEquals(null, visible(browser, "finish"));
            assertEquals("1", badge(browser));
        }
    }

    @InEachBrowser
    void popup_certificateExpiringIn30Days_warnsAndLinksTheCasRenewalPage(Browser.Kind kind) throws Exception {
        Instant until = days(30);
        try (Browser browser = browserWithCard(kind, "expiring", "en-GB", List.<Instant[]>of(new Instant[]{days(-300), until}))) {
            openPopup(browser);
            String warning = new PageApi(browser.driver()).await(
                    "const e = document.getElementById('expiring'); return e && !e.hidden && e.innerText", WAIT).asText();
            browser.screenshot("popup-expiring-renew-link");
            assertTrue(warning.contains("A certificate on your card expires soon"), warning);
            assertTrue(warning.contains("Your certificate for Zażółć Gęślą (issued by CardBridge Test) expires on "
                    + date(until, Locale.UK) + ". Renew it before then."), warning);
            JsonNode link = new PageApi(browser.driver()).await("""
                    const a = document.querySelector('#expiring a');
                    return a && { text: a.textContent, href: a.href };
                    """, WAIT);
            assertEquals("Renew at your certification authority", link.path("text").asText());
            assertEquals(pages.origin("localhost") + "/renew", link.path("href").asText());
            assertEquals("!", badge(browser));
        }
    }

    @InEachBrowser
    void popup_successorNotValidYet_saysReadyFromItsDateAndNeverRenew(Browser.Kind kind) throws Exception {
        Instant oldUntil = days(30);
        try (Browser browser = browserWithCard(kind, "scheduled", "en-GB",
                List.of(new Instant[]{days(-300), oldUntil}, new Instant[]{oldUntil, days(760)}))) {
            String text = openPopup(browser);
            String soon = new PageApi(browser.driver()).await(
                    "const e = document.getElementById('scheduled'); return e && !e.hidden && e.innerText", WAIT).asText();
            browser.screenshot("popup-successor-ready-from");
            String from = date(oldUntil, Locale.UK);
            assertTrue(soon.contains("New certificate ready from " + from), soon);
            assertTrue(soon.contains("You do not need to renew again or buy another renewal code."), soon);
            assertEquals(null, visible(browser, "expiring"), "no 'expires soon… renew it' beside a successor");
            assertFalse(text.toLowerCase(Locale.ROOT).contains("renew it"), text);
            assertTrue(text.contains("valid from " + from), text);
            assertEquals("1", badge(browser), "a card count, not a warning");
            assertEquals("CardBridge: new certificate ready from " + from, badgeTitle(browser));
        }
    }

    @InEachBrowser
    void popup_successorNotValidYet_inPolish(Browser.Kind kind) throws Exception {
        Instant oldUntil = days(30);
        try (Browser browser = browserWithCard(kind, "scheduled-pl", "pl",
                List.of(new Instant[]{days(-300), oldUntil}, new Instant[]{oldUntil, days(760)}))) {
            openPopup(browser);
            String soon = new PageApi(browser.driver()).await(
                    "const e = document.getElementById('scheduled'); return e && !e.hidden && e.innerText", WAIT).asText();
            browser.screenshot("popup-successor-ready-from-pl");
            assertTrue(soon.startsWith("Nowy certyfikat gotowy od " + date(oldUntil, Locale.forLanguageTag("pl"))), soon);
            assertTrue(soon.contains("Nie musisz odnawiać go ponownie"), soon);
        }
    }

    @InEachBrowser
    void popup_successorValidNow_offersToFinishTheRenewalAtTheCa(Browser.Kind kind) throws Exception {
        Instant since = days(-1);
        try (Browser browser = browserWithCard(kind, "finish", "en-GB",
                List.of(new Instant[]{days(-400), since}, new Instant[]{since, days(700)}))) {
            openPopup(browser);
            String finish = new PageApi(browser.driver()).await(
                    "const e = document.getElementById('finish'); return e && !e.hidden && e.innerText", WAIT).asText();
            browser.screenshot("popup-successor-due-finish");
            assertTrue(finish.startsWith("Finish your renewal"), finish);
            assertTrue(finish.contains("The new certificate for Zażółć Gęślą has been valid since " + date(since, Locale.UK)), finish);
            assertTrue(finish.contains("You do not need a new renewal code."), finish);
            JsonNode link = new PageApi(browser.driver()).await(
                    "const a = document.querySelector('#finish a'); return a && { text: a.textContent, href: a.href };", WAIT);
            assertEquals("Finish the renewal at CardBridge Test", link.path("text").asText());
            assertEquals(pages.origin("localhost") + "/renew", link.path("href").asText());
            assertEquals(null, visible(browser, "expiring"));
            assertEquals("!", badge(browser));
        }
    }

    /**
     * Issue 16: whether this browser can use the card to log in to web sites. Chromium with its own HOME whose
     * {@code ~/.pki/nssdb} (as its first start makes it) lacks the card's module: the popup says the browser
     * cannot use the card for that yet. Then the administrator's command, {@code install --user --client-auth}
     * of the built launcher in that HOME, and Refresh: the popup says the card can be used. (Chromium only:
     * Firefox's profile database is the test layer's own; its check is the same code, ClientAuthIT.)
     */
    @Test
    void popup_chromium_saysWhetherThisBrowserCanUseTheCardToLogIn_beforeAndAfterTheModuleIsRegistered() throws Exception {
        Browser.Kind kind = Browser.Kind.CHROMIUM;
        kind.requireInstalled();
        Card card = card(kind, "login", List.<Instant[]>of(new Instant[]{days(-30), days(400)}));
        Path home = ClientAuthLogin.chromiumHome(card.dir());
        Map<String, String> env = new HashMap<>(card.env());
        env.put("HOME", home.toString());
        try (Browser browser = kind.start(env, "en-GB")) {
            openPopup(browser);
            PageApi api = new PageApi(browser.driver());
            String login = "const e = document.querySelector('#cards [data-login]'); return e && (e.dataset.login + ': ' + e.innerText)";
            String before = api.await(login, WAIT).asText();
            browser.screenshot("popup-login-not-registered");
            assertTrue(before.startsWith("notUsable: This browser cannot use the card to log in to websites yet."), before);

            String installed = ClientAuthLogin.cli(home, card.policy(), card.dir().resolve("state"), card.env(),
                    "install", "--user", "--client-auth");
            assertTrue(installed.contains("the card is now available for logging in to web sites"), installed);
            browser.driver().findElement(org.openqa.selenium.By.id("refresh")).click();
            String after = api.await("const e = document.querySelector('#cards [data-login=\"usable\"]'); return e && e.innerText", WAIT)
                    .asText();
            browser.screenshot("popup-login-usable");
            assertEquals("You can use this card to log in to websites in this browser.", after.strip());
        }
    }

    @Test
    void popup_chromium_cardNotRegisteredForLogin_inPolish() throws Exception {
        Browser.Kind kind = Browser.Kind.CHROMIUM;
        kind.requireInstalled();
        Card card = card(kind, "login-pl", List.<Instant[]>of(new Instant[]{days(-30), days(400)}));
        Map<String, String> env = new HashMap<>(card.env());
        env.put("HOME", ClientAuthLogin.chromiumHome(card.dir()).toString());
        try (Browser browser = kind.start(env, "pl")) {
            browser.driver().get(browser.extensionPage("popup/popup.html"));
            String line = new PageApi(browser.driver()).await(
                    "const e = document.querySelector('#cards [data-login=\"notUsable\"]'); return e && e.innerText", WAIT).asText();
            browser.screenshot("popup-login-not-registered-pl");
            assertTrue(line.startsWith("Ta przeglądarka nie może jeszcze używać karty do logowania się na stronach internetowych."), line);
            assertTrue(line.contains("Szczegóły dla osoby, która opiekuje się komputerem"), line);
        }
    }

    /**
     * Issue 15: the person changes the PIN of their own card from the popup, with no CA page. "Change PIN" → the
     * popup points to the host's window → that window says "You asked CardBridge to change the PIN of <card>"
     * (no origin the person never saw) → current PIN and the new one twice, typed there → the popup says the PIN
     * was changed → the new PIN opens the card and the old one no longer does. English in one browser, Polish in
     * the other, so both sets of words are read by a test.
     */
    @InEachBrowser
    void popup_changePin_inTheHostsWindow_thenThePopupSaysSo_andTheNewPinOpensTheCard(Browser.Kind kind) throws Exception {
        kind.requireInstalled();
        boolean polish = kind == Browser.Kind.FIREFOX;
        Card card = card(kind, "pin", List.<Instant[]>of(new Instant[]{days(-30), days(400)}));
        WindowProbe probe = new WindowProbe(card.dir().resolve("windows"));
        Duration dialog = Duration.ofSeconds(30);
        String newPin = "573920";
        try (Xvfb xvfb = Xvfb.start()) {
            Map<String, String> env = new HashMap<>(card.env());
            env.putAll(xvfb.environment());
            env.put("JAVA_TOOL_OPTIONS", probe.javaToolOptions());
            try (Browser browser = kind.start(env, polish ? "pl" : "en-GB")) {
                openPopup(browser);
                PageApi api = new PageApi(browser.driver());
                String offered = api.await("const b = document.querySelector('#cards .pin button'); return b && b.textContent", WAIT).asText();
                browser.screenshot("popup-pin-change-offered");
                assertEquals(polish ? "Zmień PIN" : "Change PIN", offered);
                // Clicked where it is at this moment: the popup redraws the card list on each reading of the card.
                ((JavascriptExecutor) browser.driver()).executeScript("document.querySelector('#cards .pin button').click()");

                String running = api.await("const e = document.querySelector('[data-pin-status=\"running\"]'); return e && e.innerText", WAIT).asText();
                assertTrue(running.startsWith(polish ? "Dokończ w okienku CardBridge" : "Continue in the CardBridge window that has opened"), running);
                WindowTextAgent.Seen asked = probe.await(w -> w.name().equals("cardbridge-pinchange"), dialog, "the PIN change window");
                assertTrue(asked.text().contains(polish ? "W CardBridge wybrano zmianę PIN-u karty Karta pin."
                        : "You asked CardBridge to change the PIN of Karta pin."), asked.text());
                assertFalse(asked.text().contains("cardbridge:extension"), "no origin the person never saw: " + asked.text());
                browser.screenshot("popup-pin-change-running");

                XDoTool xdo = xvfb.xdotool();
                String window = xdo.waitForWindow(HostDialogs.TITLE, dialog);
                xdo.screenshot("popup-pin-change-window-" + kind.id());
                HostDialogs.typeChange(xdo, window, SoftHsm2.PIN, newPin, newPin, dialog);
                assertTrue(xdo.awaitGone(window, dialog), "the window closes once the card took the new PIN");

                String done = api.await("const e = document.querySelector('[data-pin-status=\"done\"]'); return e && e.innerText", WAIT).asText();
                browser.screenshot("popup-pin-changed");
                assertEquals(polish ? "PIN został zmieniony. Od teraz używaj nowego PIN-u." : "The PIN was changed. From now on, use the new PIN.",
                        done.strip());
                assertEquals(polish ? "Zmień PIN" : "Change PIN",
                        api.await("const b = document.querySelector('#cards .pin button'); return b && b.textContent", WAIT).asText(),
                        "offered again once the card was read anew");
            }
        }
        assertTrue(opensWith(card, newPin), "the new PIN opens the card");
        assertFalse(opensWith(card, SoftHsm2.PIN), "the old PIN no longer does");
    }

    /**
     * Issue 15 on real OpenSC (the virtual card, opensc.conf set to unblock with the PUK): the PIN was blocked by
     * another program. A fresh OpenSC process cannot tell a blocked PIN until a PIN is tried, so the popup first
     * offers "Change PIN"; the person types the current PIN, the window says the PIN is blocked; the popup then
     * says so and offers "Unblock PIN"; the PUK and a new PIN in the host's window unblock it, and the popup says
     * so. English in Chromium, Polish in Firefox.
     */
    @InEachBrowser
    void popup_virtualCard_blockedPin_foundWhenChanging_thenUnblockedWithThePuk(Browser.Kind kind) throws Exception {
        kind.requireInstalled();
        if (System.getenv("CI") == null) {
            org.junit.jupiter.api.Assumptions.assumeTrue(VirtualCards.available(), "pcscd, vpcd or OpenSC missing");
        }
        assertTrue(VirtualCards.available(), "under CI the virtual OpenSC card must be available");
        boolean polish = kind == Browser.Kind.FIREFOX;
        Path d = Files.createDirectories(dir.resolve("vcard-unblock-" + kind.id()));
        VirtualCards.Card card = VirtualCards.inProcess().claim();
        KeyPair keys = TestCa.rsa(2048);
        card.importKey(keys, ca.issue(keys.getPublic(), SUBJECT, days(-30), days(400)), new byte[]{1}, "podpis");
        Map<String, String> cardEnv = VirtualCards.inProcess().environment();
        for (int i = 0; i < 3; i++) {
            Tool.run(cardEnv, "pkcs11-tool", "--module", VirtualCards.MODULE, "--login", "--pin", "999999", "-O");
        }
        assertEquals(0, card.card().pinTriesLeft());
        Path conf = Files.writeString(d.resolve("opensc-unblock.conf"), """
                app default {
                    framework pkcs15 {
                    }
                }
                app opensc-pkcs11 {
                    pkcs11 {
                        user_pin_unblock_style = set_pin_in_unlogged_session;
                    }
                }
                """);
        Path policy = Files.writeString(d.resolve("policy.json"), """
                {"origins": [], "modules": ["%s"]}
                """.formatted(VirtualCards.MODULE));
        WindowProbe probe = new WindowProbe(d.resolve("windows"));
        Duration dialog = Duration.ofSeconds(30);
        String newPin = "573920";
        String pinPart = "const e = document.querySelector('#cards .pin'); return e && e.innerText";
        String button = "const b = document.querySelector('#cards .pin button'); return b && b.textContent";
        String click = "document.querySelector('#cards .pin button').click()";
        try (Xvfb xvfb = Xvfb.start()) {
            Map<String, String> env = new HashMap<>(cardEnv);
            env.putAll(Map.of("CARDBRIDGE_POLICY", policy.toString(), "CARDBRIDGE_STATE_DIR", d.resolve("state").toString(),
                    "OPENSC_CONF", conf.toString(), "JAVA_TOOL_OPTIONS", probe.javaToolOptions()));
            env.putAll(xvfb.environment());
            XDoTool xdo = xvfb.xdotool();
            try (Browser browser = kind.start(env, polish ? "pl" : "en-GB")) {
                openPopup(browser);
                PageApi api = new PageApi(browser.driver());
                assertEquals(polish ? "Zmień PIN" : "Change PIN", api.await(button, WAIT).asText(),
                        "a fresh OpenSC cannot tell the PIN is blocked yet");
                ((JavascriptExecutor) browser.driver()).executeScript(click);
                String changeWindow = xdo.waitForWindow(HostDialogs.TITLE, dialog);
                WindowTextAgent.Seen asked = probe.await(w -> w.name().equals("cardbridge-pinchange"), dialog, "the PIN change window");
                HostDialogs.typeChange(xdo, changeWindow, card.pin(), newPin, newPin, dialog);
                WindowTextAgent.Seen said = probe.await(w -> w.id().equals(asked.id()) && String.valueOf(w.get("message")).startsWith(
                        polish ? "PIN został zablokowany" : "The PIN is now blocked"), dialog, "saying the PIN is blocked");
                assertTrue(said.get("message").contains(polish ? "kliknij ikonę CardBridge na pasku narzędzi przeglądarki, a potem „Odblokuj PIN”"
                        : "click the CardBridge icon in the browser's toolbar, then \"Unblock PIN\""), said.get("message"));
                xdo.screenshot("popup-vcard-change-finds-blocked-" + kind.id());
                xdo.focus(changeWindow);
                xdo.key("Escape");
                assertTrue(xdo.awaitGone(changeWindow, dialog));

                String blocked = api.await("const e = document.querySelector('#cards .pin'); "
                        + "return e && e.querySelector('[data-pin-error=\"PIN_LOCKED\"]') && e.querySelector('button') && e.innerText", WAIT).asText();
                // Read again through a new host, which still cannot tell; the popup keeps what the window found.
                api.await("const s = document.querySelector('#cards .card strong'); return s && s.textContent.includes('"
                        + (polish ? "PIN zablokowany" : "PIN locked") + "')", WAIT);
                browser.screenshot("popup-vcard-pin-blocked");
                assertTrue(blocked.startsWith(polish ? "PIN jest zablokowany. Odblokuj go kodem PUK z koperty z kartą."
                        : "The PIN is blocked. Unblock it with the PUK from your card's envelope."), blocked);
                assertEquals(polish ? "Odblokuj PIN" : "Unblock PIN", api.await(button, WAIT).asText());
                assertEquals(3, card.card().pukTriesLeft(), "the current PIN was never taken for a PUK");

                ((JavascriptExecutor) browser.driver()).executeScript(click);
                String unblockWindow = xdo.waitForWindow(HostDialogs.TITLE, dialog);
                WindowTextAgent.Seen puk = probe.await(w -> w.name().equals("cardbridge-pinchange") && !w.id().equals(asked.id()), dialog,
                        "the unblock window");
                assertTrue(puk.text().contains(polish ? "W CardBridge wybrano odblokowanie PIN-u karty " + card.label()
                        : "You asked CardBridge to unblock the PIN of " + card.label()), puk.text());
                xdo.awaitPainted(unblockWindow, dialog);
                xdo.screenshot("popup-vcard-unblock-window-" + kind.id());
                HostDialogs.typeChange(xdo, unblockWindow, VirtualCards.PUK, newPin, newPin, dialog);
                assertTrue(xdo.awaitGone(unblockWindow, dialog));
                String done = api.await("const e = document.querySelector('[data-pin-status=\"done\"]'); return e && e.innerText", WAIT).asText();
                browser.screenshot("popup-vcard-pin-unblocked");
                assertEquals(polish ? "PIN został odblokowany. Od teraz używaj nowego PIN-u, który ustawiono."
                        : "The PIN was unblocked. From now on, use the new PIN you chose.", done.strip());
                assertEquals(3, card.card().pinTriesLeft());
                assertEquals(3, card.card().pukTriesLeft());
                assertFalse(api.await(pinPart, WAIT).asText().contains(polish ? "zbyt wielu" : "too many"), "no longer said to be blocked");
            }
        } finally {
            card.reader().remove(); // no card left in the fork's reader for the next test's browser
        }
    }

    /** Whether {@code pin} logs in to the card, asked of its module by OpenSC's pkcs11-tool (another program). */
    private static boolean opensWith(Card card, String pin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("pkcs11-tool", "--module", SoftHsm2.MODULE, "--login", "--pin", pin, "--list-objects")
                .redirectErrorStream(true);
        pb.environment().putAll(card.env());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        int code = p.waitFor();
        assertTrue(code == 0 || out.contains("CKR_PIN_INCORRECT"), "pkcs11-tool failed otherwise: " + out);
        return code == 0;
    }

    @InEachBrowser
    void watch_startsWithTheBrowser_hostAskedBeforeAnyPageOrPopupIsOpen(Browser.Kind kind) throws Exception {
        Path state = dir.resolve("startup-" + kind.id()).resolve("state");
        try (Browser browser = browserWithCard(kind, "startup", "en-GB", List.<Instant[]>of(new Instant[]{days(-300), days(20)}))) {
            // Nothing opened: the only thing that can start the host is the extension's card watch.
            long end = System.nanoTime() + WAIT.toNanos();
            String log = "";
            while (System.nanoTime() < end && !log.contains("serving")) {
                Thread.sleep(200);
                log = readLogs(state);
            }
            assertTrue(log.contains("serving"), "no host started by the watch; log: " + log);
            String url = browser.driver().getCurrentUrl();
            assertFalse(url.startsWith("http") || url.contains("-extension:"), "no page was opened: " + url);
        }
    }

    private static String readLogs(Path state) throws Exception {
        if (!Files.isDirectory(state)) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        try (Stream<Path> files = Files.walk(state)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                out.append(Files.readString(p));
            }
        }
        return out.toString();
    }
}
