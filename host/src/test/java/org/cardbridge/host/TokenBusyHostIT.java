package org.cardbridge.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.testing.vcard.ExclusiveHolder;
import org.cardbridge.testing.vcard.HostProcess;
import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.token.TokenManager;
import org.cardbridge.token.WrapperPkcs11;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The built host, started as Chrome starts it, with the only card held exclusively by another PC/SC client
 * before the host ever saw it: listTokens answers TOKEN_BUSY on stdout (the launcher's host wires the PC/SC
 * probe), and lists the card once the other program lets go.
 */
class TokenBusyHostIT {
    private static final String POPUP = "cardbridge:extension";
    private static final Duration WAIT = Duration.ofSeconds(30);

    /**
     * Holds the card as it goes in (pull, insert, connect exclusively at once). pcscd counts a handle against
     * an exclusive connection until its client disconnects, even after the card changed, and an earlier test
     * of this fork may have left OpenSC loaded in this JVM with a handle to the reader's card: OpenSC drops it
     * when it polls the empty reader, so it is polled once with the card out.
     */
    static ExclusiveHolder grabbed(VirtualCards.Card card) throws Exception {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            card.reader().remove();
            try (TokenManager here = new TokenManager(List.of(VirtualCards.MODULE), WrapperPkcs11::load)) {
                here.slots();
            }
            card.reader().insert();
            try {
                return ExclusiveHolder.hold(card.readerName());
            } catch (IllegalStateException e) {
                last = e;
                Thread.sleep(1100); // OpenSC polls a reader at most once a second
            }
        }
        throw last;
    }

    @Test
    void cardHeldByAnotherProgram_listTokensIsTokenBusy_thenTheCardOnceReleased(@TempDir Path state) throws Exception {
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(VirtualCards.available(), "the OpenSC + virtual card backend (pcscd, vpcd, OpenSC) is needed under CI");
        }
        assumeTrue(VirtualCards.available(), "the OpenSC + virtual card backend");
        VirtualCards cards = VirtualCards.inProcess();
        VirtualCards.Card card = cards.claim();
        try (HostProcess host = HostProcess.start(state, cards.environment())) {
            try (ExclusiveHolder other = grabbed(card)) {
                JsonNode error = host.call("listTokens", POPUP, Map.of(), WAIT).path("error");
                assertEquals("TOKEN_BUSY", error.path("code").asText(), error.toString());
                assertTrue(error.path("message").asText().contains("another program is using the card"), error.toString());
                assertEquals(card.readerName(), error.path("details").path("readers").path(0).asText(), error.toString());
            }
            // OpenSC keeps "no token" for a second after its failed connect.
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                JsonNode answer = host.call("listTokens", POPUP, Map.of(), WAIT);
                boolean listed = false;
                for (JsonNode t : answer.path("result").path("tokens")) {
                    listed |= card.readerName().equals(t.path("readerName").asText()) && !t.path("token").isNull();
                }
                if (listed) {
                    break;
                }
                assertTrue(System.nanoTime() < deadline, "the card let go is not listed: " + answer);
                Thread.sleep(200);
            }
        }
    }
}
