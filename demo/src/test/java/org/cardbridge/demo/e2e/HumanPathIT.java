package org.cardbridge.demo.e2e;

import org.cardbridge.demo.DemoCa;
import org.cardbridge.demo.DemoServer;
import org.cardbridge.testing.ChromiumBrowser;
import org.cardbridge.testing.WindowProbe;
import org.cardbridge.testing.WindowTextAgent;
import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;
import org.cardbridge.testing.vcard.Fault;
import org.cardbridge.testing.vcard.VirtualCards;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.JavascriptExecutor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The human path through the minimal CA page ({@code /minimal/}) where a person slips: a wrong PIN typed
 * in the CardBridge window, the card pulled out of its reader while the new certificate is written, and a
 * computer without the CardBridge program. Chromium with the real extension and the real host; what the
 * page says and what the host's window says are asserted at each step, and each state is saved under
 * target/screenshots/human-*.png (the page) and the host window's screenshots beside them.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class HumanPathIT {
    static final Duration WINDOW = Duration.ofSeconds(60);
    @RegisterExtension
    static final DemoPortalFixture portal = new DemoPortalFixture();
    static Xvfb xvfb;
    DemoCa ca;
    DemoServer server;

    @BeforeEach
    void fixture() {
        xvfb = portal.xvfb();
        ca = portal.ca();
        server = portal.server();
    }

    static String name(TestInfo info) {
        return info.getTestMethod().orElseThrow().getName();
    }

    String origin() {
        return "http://localhost:" + server.port();
    }

    int applications() {
        return ca.store().read().applications().size();
    }

    /**
     * A wrong PIN typed in the first CardBridge window of a renewal (new key: consent and PIN together): the
     * same window stays open and says so in the page's language, the page keeps saying it waits for the
     * person there (no error, nothing to click again), and the right PIN typed in that window carries the
     * renewal on to the end. The page in Polish and in English: its windows speak the same language.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pl", "en"})
    void wrongPinThenRightPin_sameWindowSaysWrongPin_pageKeepsWaiting_renewalCompletes(String lang, TestInfo info) throws Exception {
        boolean pl = lang.equals("pl");
        Path home = portal.dir();
        WindowProbe probe = new WindowProbe(home.resolve("probe"));
        try (PortalSession s = new PortalSession(home, xvfb, ca, origin(), Duration.ofDays(30), null, probe)) {
            XDoTool xdo = xvfb.xdotool();
            s.answerWindowOf("generateKeyPair", HostDialogs.Answer.LEAVE, () -> { });
            MinimalPageIT.open(s, lang);
            MinimalPageIT.await(s, "eligible", false);
            // The popup speaks the browser's language (English here), whatever the page's.
            String before = s.popup("human-pin-0-popup-" + lang, t -> t.contains(EXPIRING));
            assertTrue(before.contains(EXPIRING), "before the renewal the popup asks to renew:\n" + before);
            MinimalPageIT.typeCode(s, ca.renewals().newCode());
            s.click("renew");

            String window = xdo.waitForWindow(org.cardbridge.testing.HostDialogs.TITLE, WINDOW);
            WindowTextAgent.Seen asked = probe.await(w -> w.name().equals("cardbridge-confirm"), WINDOW, "asking for the new key");
            String text = asked.text();
            assertTrue(text.contains(s.origin), text);
            assertTrue(text.contains("PIN"), "consent and PIN in one window: " + text);
            assertEquals(pl, !(text.contains("Confirm") || text.contains("Cancel")), "the window speaks the page's language (" + lang + "): " + text);
            String waiting = pl ? "Czekamy na Ciebie w okienku CardBridge…" : "Waiting for you in the CardBridge window…";
            assertEquals(waiting, s.visibleText("activity"));
            assertEquals("", s.visibleText("error"));
            xdo.awaitPainted(window, WINDOW);
            xdo.screenshot("human-pin-1-window-" + lang);
            s.screenshot("human-pin-1-page-" + lang);

            org.cardbridge.testing.HostDialogs.typePinOnce(xdo, window, "999999", WINDOW);
            WindowTextAgent.Seen wrong = probe.await(w -> w.id().equals(asked.id())
                            && String.valueOf(w.get("message")).startsWith(pl ? "Błędny PIN" : "Wrong PIN"), WINDOW, "saying the PIN was wrong");
            // SoftHSM2 gives no count; after one wrong PIN it raises CKF_USER_PIN_COUNT_LOW: "few tries", honestly.
            assertEquals(pl ? "Błędny PIN. Zostało niewiele prób do zablokowania PIN-u (karta nie podaje, ile). Wpisz go ponownie uważnie."
                    : "Wrong PIN. Only a few tries are left before the PIN is blocked (the card does not say how many). Type it again carefully.",
                    wrong.get("message"));
            assertFalse(wrong.enabled("confirm"), "the field is empty again: Confirm waits for the next PIN");
            assertTrue(xdo.isVisible(window), "the same window stays open");
            xdo.screenshot("human-pin-2-wrong-window-" + lang);
            // The page: still waiting for the person in that window, no error, no button to press again.
            assertEquals(waiting, s.visibleText("activity"));
            assertEquals("", s.visibleText("error"));
            assertEquals("eligible", s.bodyData("state"));
            s.screenshot("human-pin-2-wrong-page-" + lang);

            org.cardbridge.testing.HostDialogs.typePinOnce(xdo, window, org.cardbridge.testing.SoftHsm2.PIN, WINDOW);
            assertTrue(xdo.awaitGone(window, WINDOW), "the right PIN closes the window");
            MinimalPageIT.await(s, "drafted", false);
            assertEquals(pl ? "Przeczytaj wniosek i podpisz go obecnym certyfikatem."
                    : "Read your application, then sign it with your current certificate.", s.visibleText("status"));
            assertEquals("", s.visibleText("error"));
            assertEquals(pl ? List.of("Podpisz i wyślij", "Zrezygnuj z odnowienia") : List.of("Sign and send", "Cancel the renewal"), s.buttons());
            s.screenshot("human-pin-3-drafted-" + lang);
            assertEquals(1, s.card().path("pendingKeys").size(), "one key, made once");
            // The key is on the card, the application not yet sent: the popup says the renewal has started and
            // not to buy another code, never "renew".
            String drafted = s.popup("human-pin-3-drafted-popup-" + lang, t -> t.contains(STARTED));
            assertTrue(drafted.contains(STARTED) && drafted.contains("Do not buy a new renewal code."), drafted);
            assertFalse(drafted.contains(EXPIRING), drafted);

            s.click("submit");
            MinimalPageIT.await(s, "done", false);
            assertEquals(pl ? "Gotowe: nowy certyfikat jest na karcie." : "Done: your new certificate is on the card.", s.visibleText("status"));
            s.screenshot("human-pin-4-done-" + lang);
            MinimalPageIT.assertOnlyTheNewCertificate(s);
            assertEquals(1, applications());
            assertPopupShowsOnlyTheNewCertificate(s, "human-pin-5-done-popup-" + lang);
            assertEquals(1, probe.seen().stream().filter(w -> w.id().equals(asked.id())).count(), "the retry happened in the same window");
        }
    }

    /**
     * The card is pulled out of its reader while the issued certificate is being written (the virtual
     * OpenSC card, its first UPDATE BINARY of the installation): the page says what happened and what to do
     * — the new certificate is kept by the CA, the current one still works — and once the card is back,
     * "Install the certificate" finishes without a second signature, code or application.
     */
    @Test
    void cardPulledDuringInstall_pageSaysPutItBack_nothingLost_afterReinsertingInstallFinishes_noSecondApplication(TestInfo info)
            throws Exception {
        boolean available = VirtualCards.available();
        if (System.getenv("CI") == null) {
            assumeTrue(available, "pcscd, vpcd or OpenSC missing (or no PC/SC socket for this fork)");
        }
        assertTrue(available, "under CI the virtual OpenSC card must be available");
        VirtualCards.Card card = VirtualCards.inProcess().claim();
        try (PortalSession s = new PortalSession(portal.dir(), xvfb, ca, origin(), Duration.ofDays(30), card, null)) {
            AtomicReference<Boolean> armed = new AtomicReference<>(false);
            // The install window opens; the card will be pulled at the installation's first write to it.
            s.answerWindowOf("installCertificate", HostDialogs.Answer.APPROVE, () -> {
                card.reader().fault(Fault.pullAt(Fault.ins(0xD6), 1, false));
                armed.set(true);
            });
            MinimalPageIT.open(s, "en");
            MinimalPageIT.await(s, "eligible", false);
            MinimalPageIT.typeCode(s, ca.renewals().newCode());
            s.click("renew");
            MinimalPageIT.await(s, "drafted", false);
            s.click("submit");
            MinimalPageIT.await(s, "issued", true);
            assertTrue(armed.get(), "the card was pulled during the installation");
            assertFalse(card.reader().inserted(), "the card is out of its reader");
            assertEquals("The card was taken out while the certificate was being written. Nothing is lost: the CA keeps your new certificate"
                    + " and your current certificate still works. Put the card back, then press the button below.", s.visibleText("error"));
            assertEquals("The CA has issued your new certificate. It is not on the card yet; your current certificate works. Install it now.",
                    s.visibleText("status"));
            assertEquals(List.of("Install the certificate"), s.buttons());
            s.screenshot("human-pulled-1-en");
            assertEquals(1, applications());
            String out = s.popup("human-pulled-1-popup-en", t -> t.contains("No card inserted."));
            assertTrue(out.contains("No card inserted."), "the popup sees the card is out:\n" + out);

            card.reader().fault(Fault.NONE);
            card.reader().insert();
            s.click("install");
            MinimalPageIT.await(s, "done", false);
            assertEquals("Done: your new certificate is on the card.", s.visibleText("status"));
            s.screenshot("human-pulled-2-done-en");
            MinimalPageIT.assertOnlyTheNewCertificate(s);
            assertEquals(1, applications(), "no second application, no second code");
            // OpenSC reads a card's objects once per process: the popup shows the written card only because the
            // card watch reads it again through a new host after the page's write.
            assertPopupShowsOnlyTheNewCertificate(s, "human-pulled-3-done-popup-en");
        } finally {
            card.reader().fault(Fault.NONE);
            card.reader().remove(); // no card left in the fork's reader for the next test's browser
        }
    }

    /**
     * The PIN blocked by three wrong PINs in the new key's window (the virtual OpenSC card's real counter), and
     * fixed on the CA's page itself: the full demo portal says what happened and offers "Unblock the PIN"; the
     * PUK and the new PIN go into CardBridge's window (OpenSC set to unblock with the PUK through the opensc.conf
     * the host reads); then "Renew" again finishes with the new PIN — one key, one application, one certificate.
     * The new PIN is the card's old one again, so the later windows are answered as in the other tests.
     */
    @Test
    void pinBlockedByThreeWrongPins_portalOffersUnblock_pukInTheHostWindow_thenTheRenewalFinishes(TestInfo info) throws Exception {
        boolean available = VirtualCards.available();
        if (System.getenv("CI") == null) {
            assumeTrue(available, "pcscd, vpcd or OpenSC missing (or no PC/SC socket for this fork)");
        }
        assertTrue(available, "under CI the virtual OpenSC card must be available");
        Path home = portal.dir();
        Path conf = Files.writeString(Files.createDirectories(home).resolve("opensc-unblock.conf"), """
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
        WindowProbe probe = new WindowProbe(home.resolve("probe-unblock"));
        VirtualCards.Card card = VirtualCards.inProcess().claim();
        try (PortalSession s = new PortalSession(home, xvfb, ca, origin(), Duration.ofDays(30), card, probe,
                (session, b) -> b.env("OPENSC_CONF", conf.toString()))) {
            XDoTool xdo = xvfb.xdotool();
            // The first two windows are the test's own (the key window with three wrong PINs, the unblock window);
            // every later one is answered as a person with the right PIN would.
            java.util.concurrent.atomic.AtomicInteger windows = new java.util.concurrent.atomic.AtomicInteger();
            s.dialogs.decideBy(() -> windows.getAndIncrement() < 2 ? HostDialogs.Answer.LEAVE : HostDialogs.Answer.APPROVE);
            s.open("?lang=en");
            s.click("read-card");
            s.awaitState("form", WINDOW);
            s.type("code", ca.renewals().newCode());
            s.click("renew");

            String window = xdo.waitForWindow(org.cardbridge.testing.HostDialogs.TITLE, WINDOW);
            WindowTextAgent.Seen asked = probe.await(w -> w.name().equals("cardbridge-confirm"), WINDOW, "asking for the new key");
            for (String wrong : List.of("999999", "999998", "999997")) {
                org.cardbridge.testing.HostDialogs.typePinOnce(xdo, window, wrong, WINDOW);
                if (!wrong.equals("999997")) {
                    probe.await(w -> w.id().equals(asked.id()) && String.valueOf(w.get("message")).startsWith("Wrong PIN"), WINDOW, "wrong PIN");
                }
            }
            probe.await(w -> w.id().equals(asked.id()) && String.valueOf(w.get("message")).startsWith("The PIN is now blocked"), WINDOW,
                    "the PIN is blocked");
            assertEquals(0, card.card().pinTriesLeft());
            xdo.focus(window);
            xdo.key("Escape");
            assertTrue(xdo.awaitGone(window, WINDOW));

            s.awaitState("error", WINDOW);
            assertEquals("PIN_LOCKED", s.messageCode());
            assertTrue(s.text("message").startsWith("The PIN is blocked after too many wrong tries. Unblock it with the PUK (from your"
                    + " card's envelope) and set a new PIN in the CardBridge window."), s.text("message"));
            assertEquals("Unblock the PIN", s.text("unblock-pin"));
            assertEquals(0, s.card().path("pendingKeys").size(), "no key was made");
            s.screenshot("human-unblock-1-locked-en");
            // The popup says the same of the person's own card and offers the unblock there too (issue 15).
            String popup = s.popup("human-unblock-1-locked-en-popup", t -> t.contains("Unblock PIN"));
            assertTrue(popup.contains("PIN locked") && popup.contains("The PIN is blocked after too many wrong tries. You can unblock it"
                    + " with the PUK") && popup.contains("Unblock PIN"), popup);

            s.click("unblock-pin");
            String unblock = xdo.waitForWindow(org.cardbridge.testing.HostDialogs.TITLE, WINDOW);
            WindowTextAgent.Seen puk = probe.await(w -> w.name().equals("cardbridge-pinchange"), WINDOW, "asking for the PUK");
            assertTrue(puk.text().contains("PUK") && puk.text().contains(s.origin), puk.text());
            assertTrue(puk.text().contains("the unblocking code from your card's envelope"), "one apostrophe, as written: " + puk.text());
            xdo.awaitPainted(unblock, WINDOW);
            xdo.screenshot("human-unblock-2-window-en");
            org.cardbridge.testing.HostDialogs.typeChange(xdo, unblock, VirtualCards.PUK, card.pin(), card.pin(), WINDOW);
            assertTrue(xdo.awaitGone(unblock, WINDOW));
            long end = System.nanoTime() + WINDOW.toNanos();
            while (!"PIN_UNBLOCKED".equals(s.messageCode()) && System.nanoTime() < end) {
                PortalSession.sleep(200);
            }
            assertEquals("The PIN is unblocked. Renew the certificate again, now with the new PIN.", s.text("message"));
            assertEquals(3, card.card().pinTriesLeft());
            s.screenshot("human-unblock-3-unblocked-en");

            s.click("renew");
            s.awaitState("application", WINDOW);
            s.click("sign-submit");
            s.awaitState("done", Duration.ofSeconds(120));
            s.screenshot("human-unblock-4-done-en");
            assertEquals(1, applications(), "one application");
            assertEquals(1, s.userCertificates().size(), "one certificate of the person left on the card");
        } finally {
            card.reader().remove(); // no card left in the fork's reader for the next test's browser
        }
    }

    /**
     * No CardBridge program on this computer, and the administrator configured where to get it (the
     * extension's managed storage, by browser policy): the page names the problem in the person's language
     * and links there — the administrator's link wins over the page's own.
     */
    @Test
    void hostMissing_managedInstallLink_pageShowsItInPolishAndEnglish(TestInfo info) throws Exception {
        String extensionId = org.cardbridge.policy.ExtensionIds.CHROME;
        String managed = """
                {"3rdparty": {"extensions": {"%s": {"installUrl": "https://it.example.pl/cardbridge", "installText": "Program CardBridge z działu IT"}}}}
                """.formatted(extensionId);
        try (ChromiumBrowser browser = ChromiumBrowser.builder().withoutHostManifest().managedPolicy(managed).start()) {
            browser.driver().get(origin() + "/minimal/?lang=en");
            Object status = ((JavascriptExecutor) browser.driver()).executeAsyncScript("""
                    const done = arguments[arguments.length - 1];
                    import("/cardbridge/cardbridge.js").then((cb) => cb.status())
                      .then((r) => done("answered: " + JSON.stringify(r)), (e) => done(e.code + " " + JSON.stringify(e.details)));
                    """);
            // What the extension says, before the page's words: the administrator's link, from its managed storage.
            if (!String.valueOf(status).startsWith("NATIVE_UNAVAILABLE") || !String.valueOf(status).contains("\"install\":\"https://it.example.pl/cardbridge\"")) {
                browser.driver().get("chrome-extension://" + extensionId + "/popup/popup.html");
                Object seen = ((JavascriptExecutor) browser.driver()).executeAsyncScript("""
                        const done = arguments[arguments.length - 1];
                        chrome.storage.managed.get(null).then((m) => done(JSON.stringify(m)), (e) => done("error " + e));
                        """);
                throw new AssertionError("the extension did not take the managed link: " + status + "\nits managed storage: " + seen);
            }
            for (String lang : List.of("pl", "en")) {
                browser.driver().get(origin() + "/minimal/?lang=" + lang);
                String error = awaitText(browser, "error");
                if (lang.equals("pl")) {
                    assertEquals("Program CardBridge nie jest zainstalowany na tym komputerze. Program CardBridge z działu IT", error);
                } else {
                    assertEquals("The CardBridge program is not installed on this computer. Program CardBridge z działu IT", error);
                }
                Object href = ((JavascriptExecutor) browser.driver()).executeScript("return document.querySelector('#error a').href");
                assertEquals("https://it.example.pl/cardbridge", href);
                screenshot(browser, "human-host-missing-" + lang);
            }
        }
    }

    static final String EXPIRING = "A certificate on your card expires soon";
    static final String STARTED = "Your renewal has started";

    /**
     * The popup after a finished renewal: one certificate of the person (beside the CA certificates written with
     * it), valid about a year more, nothing left to do.
     */
    static void assertPopupShowsOnlyTheNewCertificate(PortalSession s, String screenshot) throws Exception {
        java.util.function.Predicate<String> done = t -> !t.contains(EXPIRING) && !t.contains(STARTED)
                && t.split("Jan Kowalski", -1).length == 2;
        String text = s.popup(screenshot, done);
        assertTrue(done.test(text), "the popup shows the renewed card: one certificate, no renewal to do:\n" + text);
        assertTrue(text.contains("Jan Kowalski"), text);
        java.util.regex.Matcher left = java.util.regex.Pattern.compile("Jan Kowalski, .* \\((\\d+) days left\\)").matcher(text);
        assertTrue(left.find() && Integer.parseInt(left.group(1)) > 300, "the new certificate's validity:\n" + text);
    }

    static String awaitText(ChromiumBrowser browser, String id) {
        long end = System.nanoTime() + WINDOW.toNanos();
        while (System.nanoTime() < end) {
            Object v = ((JavascriptExecutor) browser.driver()).executeScript(
                    "const e = document.getElementById(arguments[0]); return e && !e.hidden ? e.innerText : ''", id);
            if (v != null && !v.toString().isEmpty()) {
                return v.toString();
            }
            PortalSession.sleep(100);
        }
        throw new AssertionError("#" + id + " stayed empty");
    }

    static void screenshot(ChromiumBrowser browser, String name) throws Exception {
        Files.createDirectories(XDoTool.SCREENSHOTS);
        Files.write(XDoTool.SCREENSHOTS.resolve(name + ".png"), browser.driver().getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
    }
}
