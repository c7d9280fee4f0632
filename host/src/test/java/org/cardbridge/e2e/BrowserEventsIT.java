package org.cardbridge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.testing.Browser;
import org.cardbridge.testing.InEachBrowser;
import org.cardbridge.testing.PageApi;
import org.cardbridge.testing.TestPages;
import org.cardbridge.testing.vcard.AtrCard;
import org.cardbridge.testing.vcard.Pcscd;
import org.cardbridge.testing.vcard.VpcdCard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ArgumentsSource;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A card coming and going reaches the page as events: page {@code on(...)} → extension → host's
 * {@code subscribe} → reader watcher on a private pcscd whose vpcd reader gets a virtual card; the class once in
 * Debian's Chromium and once in firefox-esr.
 */
@ParameterizedClass(name = "{0}")
@ArgumentsSource(InEachBrowser.Kinds.class)
class BrowserEventsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** In the shipped ATR map (YubiKey → ykcs11). */
    private static final String KNOWN_ATR = "3BFD1300008131FE158073C021C057597562694B657940";
    /** Valid ISO 7816-3 structure, historical bytes "CBunknown", in no map. */
    private static final String UNKNOWN_ATR = "3B8980014342756E6B6E6F776E61";

    @TempDir
    static Path dir;
    static Pcscd pcscd;
    static TestPages pages;
    static Browser browser;
    /** This invocation's browser (start() takes it too, to set up the class's one browser). */
    @Parameter
    Browser.Kind kind;

    @BeforeParameterizedClassInvocation
    static void start(Browser.Kind kind) throws Exception {
        kind.requireInstalled();
        Path dir = java.nio.file.Files.createDirectories(BrowserEventsIT.dir.resolve(kind.id()));
        assumeTrue(Pcscd.available(), "pcscd and vsmartcard-vpcd are not installed");
        pcscd = Pcscd.start();
        pages = TestPages.http();
        Path policy = TestPages.writePolicy(dir, pages.origin("localhost"), "read");
        browser = kind.start(java.util.Map.of(
                "CARDBRIDGE_POLICY", policy.toString(),
                "CARDBRIDGE_STATE_DIR", dir.resolve("state").toString(),
                Pcscd.SOCKET_ENV, pcscd.socket().toString()), "en-GB");
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (pages != null) {
            pages.close();
        }
        if (pcscd != null) {
            pcscd.close();
        }
    }

    @Test
    void on_cardInsertedThenRemoved_pageReceivesTokenInsertedAndTokenRemoved() throws Exception {
        browser.driver().get(pages.url("localhost"));
        PageApi api = new PageApi(browser.driver());
        String reader = pcscd.readerName(0);
        PageApi.Outcome subscribed = api.script("""
                for (const name of ["tokenInserted", "tokenRemoved", "readerAdded"]) {
                  await window.cardbridge.on(name, (data) => window.cbEvents.push({ name, data }));
                }
                return true;
                """);
        assertTrue(subscribed.ok().asBoolean(), subscribed.toString());
        api.await("return window.cbEvents.some(e => e.name === 'readerAdded' && e.data.reader === '" + reader + "')", WAIT);

        try (VpcdCard card = new VpcdCard(pcscd.port(0), AtrCard.of(KNOWN_ATR))) {
            card.insert();
            JsonNode inserted = api.await("return window.cbEvents.find(e => e.name === 'tokenInserted' && e.data.reader === '"
                    + reader + "')", WAIT);
            assertEquals(KNOWN_ATR, inserted.path("data").path("atr").asText(), inserted.toString());
            assertTrue(inserted.path("data").path("moduleMatched").asBoolean(), inserted.toString());

            card.remove();
            JsonNode removed = api.await("return window.cbEvents.find(e => e.name === 'tokenRemoved' && e.data.reader === '"
                    + reader + "')", WAIT);
            assertEquals(reader, removed.path("data").path("reader").asText());
        }
    }

    @Test
    void popup_unknownCardInserted_offersAReadyMadeReportWithTheAtr() throws Exception {
        // The extension's own card watch (its READ-only host session) sees the card; the popup shows it.
        try (VpcdCard card = new VpcdCard(pcscd.port(1), AtrCard.of(UNKNOWN_ATR))) {
            card.insert();
            browser.driver().get(browser.extensionPage("popup/popup.html"));
            PageApi api = new PageApi(browser.driver());
            String report = api.await("const t = document.querySelector('#unknown textarea'); return t && t.value", WAIT).asText();
            assertTrue(report.contains(UNKNOWN_ATR) && report.contains(pcscd.readerName(1)), report);
        }
    }
}
