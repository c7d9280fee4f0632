package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.vcard.ExclusiveHolder;
import org.cardbridge.testing.vcard.VirtualCards;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A card another PC/SC client holds exclusively (SCardConnect with SCARD_SHARE_EXCLUSIVE, as vendor card managers
 * and signing applications do), on the virtual card through real OpenSC and a private pcscd: the host answers
 * TOKEN_BUSY with its advice, opens no window, and serves the same requests once the other program lets go.
 */
class CardBusyTest {
    /** See CardSwapTest: the fork's SoftHSM2 pool first, with time of its own. */
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
    void cardHeldExclusivelyByAnotherProgram_requestsAnswerTokenBusyWithoutAWindow_andWorkOnceItLetsGo() throws Exception {
        TokenFixture a = TokenFixture.withCertificate(TestToken.virtualCard());
        ScriptedUserInterface ui = new ScriptedUserInterface(a.token().pin());
        try (InProcessHost host = new InProcessHost(ui, a.token())) {
            String token = a.token().handle(host);
            String cert = SignTest.certificateHandle(host, a);
            String reader = VirtualCards.inProcess().pcscd().readerName(0);
            Map<String, Object> sign = Map.of("certificate", cert, "data", "AAAA", "format", "raw", "description", "zajęta karta");

            try (ExclusiveHolder other = grabbedOnInsertion(host, a.token().card().orElseThrow(), token, reader)) {
                int prompts = ui.pinPrompts().size();
                int confirmations = ui.confirmations().size();
                for (HostException e : List.of(
                        assertThrows(HostException.class, () -> host.call("listTokens", "{}")),
                        assertThrows(HostException.class, () -> host.call("listCertificates", Map.of("token", token))),
                        assertThrows(HostException.class, () -> host.call("sign", sign)))) {
                    assertEquals(ErrorCode.TOKEN_BUSY, e.code(), e.getMessage());
                    assertTrue(e.getMessage().contains("another program is using the card"), e.getMessage());
                    assertTrue(e.getMessage().contains("close it"), e.getMessage());
                    assertEquals(List.of(reader), e.details().get("readers"));
                }
                assertEquals(prompts, ui.pinPrompts().size(), "no PIN asked for a card another program holds");
                assertEquals(confirmations, ui.confirmations().size(), "no window for a request that cannot succeed");
            }

            // OpenSC keeps "no token" for a second after a failed connect: the person's retry comes later than that.
            waitListed(host, token);
            assertEquals(1, host.call("listCertificates", Map.of("token", token)).path("certificates").size());
            assertTrue(host.call("sign", sign).path("signature").asText().length() > 100);
        }
    }

    /** One card held by another program, one free in the other reader: the free card is listed and works. */
    @Test
    void oneOfTwoCardsHeldByAnotherProgram_theFreeOneIsListedAndWorks_theHeldOneIsTokenBusy() throws Exception {
        TokenFixture a = TokenFixture.withCertificate(TestToken.virtualCard(0));
        TokenFixture b = TokenFixture.withCertificate(TestToken.virtualCard(1));
        VirtualCards.Card cardB = b.token().card().orElseThrow();
        ScriptedUserInterface ui = new ScriptedUserInterface(a.token().pin());
        try (InProcessHost host = new InProcessHost(ui, a.token())) {
            String tokenA = a.token().handle(host);
            String tokenB = b.token().handle(host);
            try (ExclusiveHolder other = grabbedOnInsertion(host, a.token().card().orElseThrow(), tokenA,
                    a.token().card().orElseThrow().readerName())) {
                assertTrue(listed(host, tokenB), "the free card is listed, not hidden behind TOKEN_BUSY");
                assertEquals(1, host.call("listCertificates", Map.of("token", tokenB)).path("certificates").size());
                HostException busy = assertThrows(HostException.class, () -> host.call("listCertificates", Map.of("token", tokenA)));
                assertEquals(ErrorCode.TOKEN_BUSY, busy.code(), busy.getMessage());
                assertEquals(List.of(a.token().card().orElseThrow().readerName()), busy.details().get("readers"));
            }
        } finally {
            // Later tests of this fork expect reader 1 empty.
            cardB.reader().remove();
        }
    }

    /**
     * The other program takes the card as it goes in, before the host's OpenSC connects to it (once OpenSC
     * holds a shared connection, an exclusive one is refused to the other program instead).
     */
    static ExclusiveHolder grabbedOnInsertion(InProcessHost host, VirtualCards.Card card, String token, String reader)
            throws Exception {
        card.reader().remove();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (listed(host, token)) {
            assertTrue(System.nanoTime() < deadline, "OpenSC did not see the card go");
            Thread.sleep(100);
        }
        card.reader().insert();
        return ExclusiveHolder.hold(reader);
    }

    static void waitListed(InProcessHost host, String token) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!listed(host, token)) {
            assertTrue(System.nanoTime() < deadline, "the card let go is not listed again");
            Thread.sleep(200);
        }
    }

    private static boolean listed(InProcessHost host, String token) {
        for (JsonNode t : host.call("listTokens", "{}").path("tokens")) {
            if (token.equals(t.path("token").asText())) {
                return true;
            }
        }
        return false;
    }
}
