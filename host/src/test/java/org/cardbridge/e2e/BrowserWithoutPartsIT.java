package org.cardbridge.e2e;

import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.testing.Browser;
import org.cardbridge.testing.ChromiumBrowser;
import org.cardbridge.testing.InEachBrowser;
import org.cardbridge.testing.PageApi;
import org.cardbridge.testing.TestPages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a page learns when a part is missing: the extension (EXTENSION_UNAVAILABLE) or the host (NATIVE_UNAVAILABLE).
 * The card reader service missing is checked in both browsers; the first two tests still run in Chromium only
 * (FirefoxBrowser has no "without the extension / without the host manifest" set-up yet).
 */
class BrowserWithoutPartsIT {
    @TempDir
    static Path dir;
    static TestPages pages;

    @BeforeAll
    static void start() {
        pages = TestPages.http();
    }

    @AfterAll
    static void stop() {
        pages.close();
    }

    @Test
    void status_noExtensionInstalled_rejectsExtensionUnavailableWithinAboutASecond() {
        try (ChromiumBrowser browser = ChromiumBrowser.builder().withoutExtension().start()) {
            browser.driver().get(pages.url("localhost"));
            long started = System.nanoTime();
            PageApi.Outcome s = new PageApi(browser.driver()).call("status");
            long ms = (System.nanoTime() - started) / 1_000_000;
            assertEquals("EXTENSION_UNAVAILABLE", s.code(), s.toString());
            assertEquals("CardBridgeError", s.error().path("name").asText());
            assertTrue(ms >= 900, "waited for the extension's ack: " + ms + " ms");
        }
    }

    @Test
    void status_extensionWithoutHostManifest_rejectsNativeUnavailableSayingWhatToDo() throws Exception {
        // Only the profile's manifest directory is under the test's control; a system-wide one would find a host.
        assertFalse(Files.exists(Path.of("/etc/chromium/native-messaging-hosts/" + ChromiumBrowser.HOST_NAME + ".json")),
                "a system-wide host manifest exists on this machine; this test needs none");
        Path policy = TestPages.writePolicy(dir, pages.origin("localhost"), "read");
        try (ChromiumBrowser browser = ChromiumBrowser.builder().withoutHostManifest()
                .env("CARDBRIDGE_POLICY", policy.toString()).start()) {
            browser.driver().get(pages.url("localhost"));
            PageApi.Outcome s = new PageApi(browser.driver()).call("status");
            assertEquals("NATIVE_UNAVAILABLE", s.code(), s.toString());
            assertEquals("cardbridge-host doctor", s.error().path("details").path("check").asText(), s.toString());
            assertTrue(s.error().path("details").path("reason").asText().contains("not found"), s.toString());

            assertTrue(s.error().path("details").path("install").isNull(), "no made-up download page: " + s);

            // The popup tells the person, in plain words, what is missing and where it comes from: no terminal
            // command, no placeholder link (none is configured in the extension's managed storage here).
            browser.driver().get("chrome-extension://" + ExtensionIds.CHROME + "/popup/popup.html");
            String text = new PageApi(browser.driver()).await(
                    "const e = document.getElementById('host-missing'); return e && e.innerText", Duration.ofSeconds(20)).asText();
            browser.screenshot("popup-host-missing");
            assertTrue(text.startsWith("One part of CardBridge is missing on this computer"), text);
            assertTrue(text.contains("The program is not installed, or it cannot start."), text);
            assertTrue(text.contains("Get the CardBridge program from your certification authority's website"), text);
            assertTrue(text.contains("After installing it, click Refresh."), text);
            assertFalse(text.contains("doctor") || text.contains("terminal") || text.contains("cardbridge.org"), text);
            assertEquals(0L, ((Number) ((org.openqa.selenium.JavascriptExecutor) browser.driver()).executeScript(
                    "return document.querySelectorAll('#host-missing a').length")).longValue(), "no link when none is configured");
            // The browser's own words stay for whoever helps, behind "details".
            String details = String.valueOf(((org.openqa.selenium.JavascriptExecutor) browser.driver()).executeScript(
                    "return document.querySelector('#host-missing details').textContent"));
            assertTrue(details.contains("not found"), details);
        }
    }

    @InEachBrowser
    void popup_hostInstalledButNoCardReaderService_saysSoInPlainWordsWithDoctorsWordsBehindDetails(Browser.Kind kind) throws Exception {
        // pcscd is "down": the host (and OpenSC in it) look for it at a socket nobody listens on.
        Path d = Files.createDirectories(dir.resolve("no-pcscd-" + kind.id()));
        Path policy = TestPages.writePolicy(d, pages.origin("localhost"), "read");
        try (Browser browser = kind.start(java.util.Map.of(
                "CARDBRIDGE_POLICY", policy.toString(),
                "CARDBRIDGE_STATE_DIR", d.resolve("state-pcsc").toString(),
                org.cardbridge.testing.vcard.Pcscd.SOCKET_ENV, d.resolve("no-pcscd.comm").toString()), "en-GB")) {
            browser.driver().get(browser.extensionPage("popup/popup.html"));
            String text = new PageApi(browser.driver()).await(
                    "const e = document.getElementById('problem'); return e && e.innerText", Duration.ofSeconds(40)).asText();
            browser.screenshot("popup-no-pcscd");
            assertTrue(text.startsWith("The card reader service of this computer is not running"), text);
            assertTrue(text.contains("Ask whoever looks after your computer to install and start it; then click Refresh."), text);
            String details = String.valueOf(((org.openqa.selenium.JavascriptExecutor) browser.driver()).executeScript(
                    "return document.querySelector('#problem details').textContent"));
            assertTrue(details.contains("pcscd is not reachable"), details);
        }
    }
}
