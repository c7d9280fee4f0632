package org.cardbridge.watch;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.testing.vcard.AtrCard;
import org.cardbridge.testing.vcard.HostProcess;
import org.cardbridge.testing.vcard.Pcscd;
import org.cardbridge.testing.vcard.VpcdCard;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The reader watcher end to end: the built host, started as Chrome starts it, subscribed from the
 * extension's popup origin, watching a private pcscd whose vpcd readers get virtual cards.
 */
class ReaderWatcherIT {
    private static final String POPUP = "cardbridge:extension";
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** In the shipped ATR map (YubiKey 5 NFC → Yubico's ykcs11). */
    private static final String KNOWN_ATR = "3BFD1300008131FE158073C021C057597562694B657940";
    /** Valid ISO 7816-3 structure, historical bytes "CBunknown", in no map. */
    private static final String UNKNOWN_ATR = "3B8980014342756E6B6E6F776E61";

    private static Pcscd pcscd;

    @BeforeAll
    static void startPcscd() throws Exception {
        assumeTrue(Pcscd.available(), "pcscd and vsmartcard-vpcd are not installed");
        pcscd = Pcscd.start();
    }

    @AfterAll
    static void stopPcscd() throws Exception {
        if (pcscd != null) {
            pcscd.close();
        }
    }

    @Test
    void subscribe_cardInsertedAndRemoved_reportsReadersAtrModuleAndRemoval(@TempDir Path state) throws Exception {
        try (HostProcess host = HostProcess.start(state, pcscd.clientEnv());
             VpcdCard card = new VpcdCard(pcscd.port(0), AtrCard.of(KNOWN_ATR))) {
            JsonNode answer = host.call("subscribe", POPUP, Map.of(), WAIT);
            assertTrue(answer.path("result").path("subscribed").asBoolean(), answer.toString());
            host.awaitEvent("readerAdded", d -> d.path("reader").asText().equals(pcscd.readerName(0)), WAIT);

            card.insert();
            JsonNode inserted = host.awaitEvent("tokenInserted", d -> d.path("reader").asText().equals(pcscd.readerName(0)), WAIT);
            assertEquals(KNOWN_ATR, inserted.path("atr").asText());
            assertTrue(inserted.path("moduleMatched").asBoolean());
            assertTrue(inserted.path("module").asText().contains("ykcs11"), inserted.toString());

            card.remove();
            JsonNode removed = host.awaitEvent("tokenRemoved", d -> true, WAIT);
            assertEquals(pcscd.readerName(0), removed.path("reader").asText());
        }
    }

    @Test
    void subscribe_unknownAtr_saysModuleNotMatchedAndKeepsTheAtr(@TempDir Path state) throws Exception {
        try (HostProcess host = HostProcess.start(state, pcscd.clientEnv());
             VpcdCard card = new VpcdCard(pcscd.port(1), AtrCard.of(UNKNOWN_ATR))) {
            host.call("subscribe", POPUP, Map.of(), WAIT);
            card.insert();
            JsonNode inserted = host.awaitEvent("tokenInserted", d -> d.path("reader").asText().equals(pcscd.readerName(1)), WAIT);
            assertEquals(UNKNOWN_ATR, inserted.path("atr").asText());
            assertFalse(inserted.path("moduleMatched").asBoolean());
            assertTrue(inserted.path("module").isMissingNode(), "no module for an unknown card: " + inserted);
        }
    }

    @Test
    void subscribe_cardAlreadyPresent_isReportedAtOnce_andUnsubscribeStopsEvents(@TempDir Path state) throws Exception {
        try (HostProcess host = HostProcess.start(state, pcscd.clientEnv());
             VpcdCard card = new VpcdCard(pcscd.port(0), AtrCard.of(KNOWN_ATR))) {
            card.insert();
            host.call("subscribe", POPUP, Map.of(), WAIT);
            host.awaitEvent("tokenInserted", d -> d.path("reader").asText().equals(pcscd.readerName(0)), WAIT);

            JsonNode off = host.call("unsubscribe", POPUP, Map.of(), WAIT);
            assertFalse(off.path("result").path("subscribed").asBoolean(true), off.toString());
            card.remove();
            // Subscribing again gives a fresh snapshot; nothing may have arrived in between.
            JsonNode on = host.call("subscribe", POPUP, Map.of(), WAIT);
            assertTrue(on.path("result").path("subscribed").asBoolean());
            host.awaitEvent("readerAdded", d -> d.path("reader").asText().equals(pcscd.readerName(1)), WAIT);
            List<String> between = eventsBetween(host.seen(), off, on);
            assertEquals(List.of(), between, "events after unsubscribe");
        }
    }

    @Test
    void pcscdRestarts_watcherReportsReadersGoneThenBack_andSeesNewCards(@TempDir Path state) throws Exception {
        try (HostProcess host = HostProcess.start(state, pcscd.clientEnv());
             VpcdCard card = new VpcdCard(pcscd.port(0), AtrCard.of(UNKNOWN_ATR))) {
            host.call("subscribe", POPUP, Map.of(), WAIT);
            host.awaitEvent("readerAdded", d -> d.path("reader").asText().equals(pcscd.readerName(0)), WAIT);

            pcscd.restart();
            host.awaitEvent("readerRemoved", d -> d.path("reader").asText().equals(pcscd.readerName(0)), WAIT);
            host.awaitEvent("readerAdded", d -> d.path("reader").asText().equals(pcscd.readerName(0)), WAIT);

            card.insert();
            JsonNode inserted = host.awaitEvent("tokenInserted", d -> d.path("reader").asText().equals(pcscd.readerName(0)), WAIT);
            assertEquals(UNKNOWN_ATR, inserted.path("atr").asText());
        }
    }

    private static List<String> eventsBetween(List<JsonNode> all, JsonNode from, JsonNode to) {
        int a = all.indexOf(from);
        int b = all.indexOf(to);
        return all.subList(a + 1, b).stream().filter(m -> m.has("event")).map(JsonNode::toString).toList();
    }
}
