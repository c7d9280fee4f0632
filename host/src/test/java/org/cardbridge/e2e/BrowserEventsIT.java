package org.cardbridge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.testing.ChromiumBrowser;
import org.cardbridge.testing.PageApi;
import org.cardbridge.testing.TestPages;
import org.cardbridge.testing.vcard.AtrCard;
import org.cardbridge.testing.vcard.Pcscd;
import org.cardbridge.testing.vcard.VpcdCard;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A card coming and going reaches the page as events: page {@code on(...)} → extension → host's
 * {@code subscribe} → reader watcher on a private pcscd whose vpcd reader gets a virtual card.
 */
class BrowserEventsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** In the shipped ATR map (NXP JCOP 2.4.1 → OpenSC). */
    private static final String KNOWN_ATR = "3BF81300008131FE454A434F5076323431B7";

    @TempDir
    static Path dir;
    static Pcscd pcscd;
    static TestPages pages;
    static ChromiumBrowser browser;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Pcscd.available(), "pcscd and vsmartcard-vpcd are not installed");
        pcscd = Pcscd.start();
        pages = TestPages.http();
        Path policy = TestPages.writePolicy(dir, pages.origin("localhost"), "read");
        browser = ChromiumBrowser.builder()
                .env("CARDBRIDGE_POLICY", policy.toString())
                .env("CARDBRIDGE_STATE_DIR", dir.resolve("state").toString())
                .env(Pcscd.SOCKET_ENV, pcscd.socket().toString())
                .start();
    }

    @AfterAll
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
}
