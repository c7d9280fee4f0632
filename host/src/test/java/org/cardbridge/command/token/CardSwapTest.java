package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.testing.SoftHsm2;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.cardbridge.token.AtrModuleMap;
import org.cardbridge.watch.ReaderEvent;
import org.cardbridge.watch.ReaderWatcher;
import org.cardbridge.watch.TokenSlotSource;

import java.security.Signature;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.Base64;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a connection keeps about a card (its session, its login, the handles it gave out) never serves another
 * card, nor the same card after it was out of the reader. On the virtual OpenSC card, really swapped: one
 * card is taken out of reader 0 and another, with its own key and certificate, put in the same reader while
 * the connection stays open and logged in to the first.
 */
class CardSwapTest {
    /**
     * InProcessHost makes the fork's SoftHSM2 token pool first (240 tokens, one softhsm2-util run each): on a
     * loaded machine that alone can outlast a test's 120 s, so it is made here, once, with time of its own.
     */
    @BeforeAll
    @Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
    static void tokenPool() {
        if (VirtualCards.available()) {
            SoftHsm2.inProcess();
        }
    }

    @BeforeEach
    void virtualCard() {
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(VirtualCards.available(), "the OpenSC + virtual card backend (pcscd, vpcd, OpenSC) is needed under CI");
        }
        assumeTrue(VirtualCards.available(), "the OpenSC + virtual card backend");
    }

    @Test
    void cardSwappedInTheSameReader_theOldCardsHandlesAreNotFound_andTheNewCardAsksItsOwnPin() throws Exception {
        TokenFixture a = TokenFixture.withCertificate(TestToken.virtualCard());
        ScriptedUserInterface ui = new ScriptedUserInterface(a.token().pin());
        try (InProcessHost host = new InProcessHost(ui, a.token())) {
            String tokenA = a.token().handle(host);
            String certA = SignTest.certificateHandle(host, a);
            host.call("login", Map.of("token", tokenA));
            assertTrue(a.token().present(host).path("loggedIn").asBoolean());
            assertEquals(1, ui.pinPrompts().size());
            // A signature on the first card: the connection now keeps its certificate and key (handles included).
            host.call("sign", Map.of("certificate", certA, "data", "AAAA", "format", "raw", "description", "stara karta"));

            // The swap: claiming a new card takes the first out of reader 0 and puts the new one in.
            TokenFixture b = TokenFixture.withCertificate(TestToken.virtualCard());
            String tokenB = b.token().handle(host); // waits until OpenSC has seen the new card
            assertNotEquals(tokenA, tokenB, "another card, another handle");

            JsonNode tokens = host.call("listTokens", "{}").path("tokens");
            for (JsonNode t : tokens) {
                assertNotEquals(tokenA, t.path("token").asText(), "the card taken out is still listed: " + tokens);
            }
            JsonNode entryB = b.token().present(host);
            assertFalse(entryB.path("loggedIn").asBoolean(), "the new card is not logged in by the old card's login");

            // Everything handed out for the old card: not found, and no window, no PIN.
            int prompts = ui.pinPrompts().size();
            int confirmations = ui.confirmations().size();
            assertEquals(ErrorCode.TOKEN_NOT_FOUND, assertThrows(HostException.class,
                    () -> host.call("listCertificates", Map.of("token", tokenA))).code());
            HostException signA = assertThrows(HostException.class, () -> host.call("sign", Map.of("certificate", certA,
                    "data", "AAAA", "format", "raw", "description", "stara karta")));
            assertEquals(ErrorCode.TOKEN_NOT_FOUND, signA.code(), signA.getMessage());
            assertEquals(prompts, ui.pinPrompts().size(), "no PIN asked for a card that is not there");
            assertEquals(confirmations, ui.confirmations().size(), "no window for a request that cannot succeed");

            // The new card's certificates are its own, not the old card's.
            JsonNode certs = host.call("listCertificates", Map.of("token", tokenB)).path("certificates");
            assertEquals(1, certs.size(), certs.toString());
            assertArrayEquals(b.cert().getEncoded(), Base64.getDecoder().decode(certs.get(0).path("certificate").asText()));

            // Signing on the new card asks its PIN (the old login is not carried over) and signs with its key.
            byte[] data = "Wniosek o odnowienie".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            JsonNode signed = host.call("sign", Map.of("certificate", certs.get(0).path("handle").asText(),
                    "data", Base64.getEncoder().encodeToString(data), "format", "raw", "description", "nowa karta"));
            assertEquals(prompts + 1, ui.pinPrompts().size(), "the new card's PIN is asked");
            Signature verify = Signature.getInstance(signed.path("signatureAlgorithm").asText());
            verify.initVerify(b.cert().getPublicKey());
            verify.update(data);
            assertTrue(verify.verify(Base64.getDecoder().decode(signed.path("signature").asText())),
                    "signed by the new card's key");
            Signature byOld = Signature.getInstance(signed.path("signatureAlgorithm").asText());
            byOld.initVerify(a.cert().getPublicKey());
            byOld.update(data);
            assertFalse(byOld.verify(Base64.getDecoder().decode(signed.path("signature").asText())), "not by the old card's key");
        }
    }

    @Test
    void cardSwappedOutAndBack_theSameCardsLoginIsNotKept_itsPinIsAskedAgain() throws Exception {
        TokenFixture a = TokenFixture.withCertificate(TestToken.virtualCard());
        ScriptedUserInterface ui = new ScriptedUserInterface(a.token().pin());
        try (InProcessHost host = new InProcessHost(ui, a.token())) {
            String tokenA = a.token().handle(host);
            String certA = SignTest.certificateHandle(host, a);
            host.call("login", Map.of("token", tokenA));
            VirtualCards.Card card = a.token().card().orElseThrow();

            // Another card goes in and out of the same reader while the first is away.
            card.reader().remove();
            TokenFixture b = TokenFixture.withCertificate(TestToken.virtualCard());
            String tokenB = b.token().handle(host);
            host.call("login", Map.of("token", tokenB));
            b.token().card().orElseThrow().reader().remove();
            card.reader().insert();

            assertEquals(tokenA, a.token().handle(host), "the first card back has its handle again");
            assertFalse(a.token().present(host).path("loggedIn").asBoolean(), "its login ended when it was taken out");
            int prompts = ui.pinPrompts().size();
            JsonNode signed = host.call("sign", Map.of("certificate", certA, "data", "AAAA", "format", "raw",
                    "description", "karta wróciła"));
            assertTrue(signed.path("signature").asText().length() > 100);
            assertEquals(prompts + 1, ui.pinPrompts().size(), "the PIN is asked again for the card that came back");
            for (JsonNode t : host.call("listTokens", "{}").path("tokens")) {
                assertNotEquals(tokenB, t.path("token").asText(), "the second card, taken out, is not listed");
            }
        } finally {
            // The first card went back in behind the pool's back: out again, or the next claim finds reader 0 taken.
            a.token().card().orElseThrow().reader().remove();
        }
    }

    /**
     * Hot-plug as a subscribed page sees it: the reader watcher runs on the connection's own token manager (as
     * {@code subscribe} does), the swap is announced as the old card's removal and the new card's insertion,
     * each with its own handle, and the first request after the insertion event is served by the new card.
     */
    @Test
    void cardSwappedWhileWatched_eventsNameEachCard_andTheRequestAfterTheEventIsServedByTheNewCard() throws Exception {
        TokenFixture a = TokenFixture.withCertificate(TestToken.virtualCard());
        ScriptedUserInterface ui = new ScriptedUserInterface(a.token().pin());
        BlockingQueue<ReaderEvent> events = new LinkedBlockingQueue<>();
        String reader = VirtualCards.inProcess().pcscd().readerName(0);
        try (InProcessHost host = new InProcessHost(ui, a.token());
             ReaderWatcher watcher = ReaderWatcher.start(AtrModuleMap.current(), new TokenSlotSource(host.tokens()),
                     Duration.ofMillis(200), events::add)) {
            String tokenA = a.token().handle(host);
            host.call("login", Map.of("token", tokenA));
            ReaderEvent.TokenInserted first = (ReaderEvent.TokenInserted) await(events,
                    e -> e instanceof ReaderEvent.TokenInserted t && reader.equals(t.reader()));
            assertEquals(tokenA, first.token());

            TokenFixture b = TokenFixture.withCertificate(TestToken.virtualCard());
            ReaderEvent.TokenRemoved removed = (ReaderEvent.TokenRemoved) await(events,
                    e -> e instanceof ReaderEvent.TokenRemoved r && reader.equals(r.reader()));
            assertEquals(tokenA, removed.token(), "the removal names the card that was logged in");
            // pkcs15-init takes the new card out and puts it back while personalising it: the last insertion counts.
            ReaderEvent.TokenInserted inserted = (ReaderEvent.TokenInserted) await(events,
                    e -> e instanceof ReaderEvent.TokenInserted t && reader.equals(t.reader()) && t.token() != null
                            && !t.token().equals(tokenA));
            String tokenB = inserted.token();

            JsonNode certs = host.call("listCertificates", Map.of("token", tokenB)).path("certificates");
            assertEquals(1, certs.size(), certs.toString());
            assertArrayEquals(b.cert().getEncoded(), Base64.getDecoder().decode(certs.get(0).path("certificate").asText()));
            assertEquals(ErrorCode.TOKEN_NOT_FOUND, assertThrows(HostException.class,
                    () -> host.call("listCertificates", Map.of("token", tokenA))).code());
            JsonNode listed = b.token().present(host);
            assertEquals(tokenB, listed.path("token").asText());
            assertFalse(listed.path("loggedIn").asBoolean(), "the old card's login does not carry over to the new card");
        }
    }

    private static ReaderEvent await(BlockingQueue<ReaderEvent> events, Predicate<ReaderEvent> matching) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            ReaderEvent e = events.poll(100, TimeUnit.MILLISECONDS);
            if (e != null && matching.test(e)) {
                return e;
            }
        }
        throw new AssertionError("no matching event within 30 s");
    }
}
