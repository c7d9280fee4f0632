package org.cardbridge.watch;

import org.cardbridge.platform.Os;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.vcard.IsoAppletCard;
import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.token.AtrModuleMap;
import org.cardbridge.token.Handles;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.TokenManager;
import org.cardbridge.token.WrapperPkcs11;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The watcher with the token layer as its slot source, in this JVM: PC/SC (javax.smartcardio) and OpenSC
 * both on the fork's private pcscd, SoftHSM2 beside them. A card's events carry its token handle (the
 * same handle listTokens gives); a SoftHSM2 token, which no reader holds, gets events from slot polling.
 */
class ReaderWatcherTokensIT {
    @Test
    void cardInReader_eventCarriesTokenHandleAndModule_softHsmTokenComesFromSlotPolling() throws Exception {
        assumeTrue(VirtualCards.available(), "no virtual card backend");
        SoftHsm2.Token soft = SoftHsm2.inProcess().claim();
        VirtualCards.Card card = VirtualCards.inProcess().claim();
        BlockingQueue<ReaderEvent> events = new LinkedBlockingQueue<>();
        try (TokenManager tokens = new TokenManager(List.of(VirtualCards.MODULE, SoftHsm2.MODULE), WrapperPkcs11::load);
             ReaderWatcher w = ReaderWatcher.start(AtrModuleMap.load(Os.current()), new TokenSlotSource(tokens),
                     Duration.ofMillis(200), events::add)) {
            String cardHandle = handle(tokens, VirtualCards.MODULE, i -> i.serial().strip().equalsIgnoreCase(card.serial()));
            String softHandle = handle(tokens, SoftHsm2.MODULE, i -> i.label().strip().equals(soft.label()));

            var inserted = await(events, e -> e instanceof ReaderEvent.TokenInserted t
                    && t.reader().equals(VirtualCards.inProcess().pcscd().readerName(0)));
            var cardEvent = (ReaderEvent.TokenInserted) inserted;
            assertEquals(cardHandle, cardEvent.token());
            assertEquals(VirtualCards.MODULE, cardEvent.module());
            assertEquals(IsoAppletCard.DEFAULT_ATR, cardEvent.atr());
            assertTrue(cardEvent.moduleMatched(), "OpenSC serves the card although its ATR is in no map");

            var softEvent = (ReaderEvent.TokenInserted) await(events,
                    e -> e instanceof ReaderEvent.TokenInserted t && softHandle.equals(t.token()));
            assertEquals(SoftHsm2.MODULE, softEvent.module());

            card.reader().remove();
            var removed = (ReaderEvent.TokenRemoved) await(events, e -> e instanceof ReaderEvent.TokenRemoved r
                    && r.reader().equals(VirtualCards.inProcess().pcscd().readerName(0)));
            assertEquals(cardHandle, removed.token());
            card.reader().insert();
            var back = (ReaderEvent.TokenInserted) await(events, e -> e instanceof ReaderEvent.TokenInserted t
                    && t.reader().equals(VirtualCards.inProcess().pcscd().readerName(0)));
            assertEquals(cardHandle, back.token(), "same card, same handle after re-insertion");
        }
    }

    private static String handle(TokenManager tokens, String module, Predicate<Pkcs11.TokenInfo> which) {
        for (Pkcs11 p11 : tokens.modules()) {
            if (!p11.library().equals(module)) {
                continue;
            }
            for (long slot : p11.slots()) {
                if (p11.slotInfo(slot).tokenPresent() && which.test(p11.tokenInfo(slot))) {
                    return Handles.token(p11.library(), p11.tokenInfo(slot));
                }
            }
        }
        throw new AssertionError("no token in " + module);
    }

    private static ReaderEvent await(BlockingQueue<ReaderEvent> events, Predicate<ReaderEvent> matching) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            ReaderEvent e = events.poll(100, TimeUnit.MILLISECONDS);
            if (e != null && matching.test(e)) {
                return e;
            }
        }
        throw new AssertionError("no matching event within 15 s");
    }
}
