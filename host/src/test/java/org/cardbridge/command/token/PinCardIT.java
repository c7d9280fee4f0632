package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.vcard.Tool;
import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.token.Pkcs11;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The login command against a card whose PIN really blocks (OpenSC + virtual IsoApplet card): each wrong
 * PIN costs exactly one dialog and one try, the third blocks the PIN, the right PIN is then PIN_LOCKED
 * without being sent again, and after the PUK unblocks it the same host logs in.
 */
class PinCardIT {
    @Test
    void threeWrongPins_block_withOneDialogEach_andThePukUnblocks() throws Exception {
        assumeTrue(VirtualCards.available(), "no virtual card backend");
        TestToken t = TestToken.virtualCard();
        VirtualCards.Card card = t.card().orElseThrow();
        ScriptedUserInterface ui = new ScriptedUserInterface(t.pin()).thenPin("999999").thenPin("999999").thenPin("999999");
        try (InProcessHost host = new InProcessHost(ui, List.of(t.module()))) {
            String token = tokenHandle(host, t);
            for (int attempt = 1; attempt <= 3; attempt++) {
                HostException e = assertThrows(HostException.class, () -> host.call("login", Map.of("token", token)));
                assertEquals(attempt < 3 ? ErrorCode.PIN_INCORRECT : ErrorCode.PIN_LOCKED, e.code(), "attempt " + attempt);
                assertEquals(attempt, ui.pinPrompts().size(), "one dialog per login, never a silent retry");
                assertEquals(3 - attempt, card.card().pinTriesLeft());
            }
            // Blocked: the right PIN is refused and does not reach the card's counter.
            HostException locked = assertThrows(HostException.class, () -> host.call("login", Map.of("token", token)));
            assertEquals(ErrorCode.PIN_LOCKED, locked.code());
            assertEquals(0, card.card().pinTriesLeft());

            Tool.run(VirtualCards.inProcess().environment(), "pkcs15-tool", "--unblock-pin", "--puk", VirtualCards.PUK,
                    "--new-pin", VirtualCards.PIN).ok();
            card.reinsert();
            JsonNode in = host.call("login", Map.of("token", tokenHandle(host, t)));
            assertTrue(in.path("loggedIn").asBoolean());
            assertEquals(3, card.card().pinTriesLeft());
        }
    }

    private static String tokenHandle(InProcessHost host, TestToken t) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        do {
            for (JsonNode tok : host.call("listTokens", "{}").path("tokens")) {
                if (tok.path("present").asBoolean() && t.is(new Pkcs11.TokenInfo(tok.path("label").asText(),
                        tok.path("manufacturer").asText(), tok.path("model").asText(), tok.path("serial").asText(), 0))) {
                    return tok.path("token").asText();
                }
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("listTokens does not show the card");
    }
}
