package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.vcard.Tool;
import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.ui.PinPrompt;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The login command against a card whose PIN really counts and blocks (OpenSC + virtual IsoApplet card, 3
 * tries): each wrong PIN costs exactly one dialog and one try; after the first the host says "count low"
 * (OpenSC cannot: it never learns the counter's maximum), after the second "final try" (OpenSC read 63C1),
 * the third blocks the PIN; the right PIN is then PIN_LOCKED without a dialog and without reaching the
 * card; after the PUK unblocks it the same host logs in and the state is "ok" again.
 */
class PinCardIT {
    @Test
    void wrongPins_countLow_finalTry_locked_withOneDialogEach_andThePukUnblocks() throws Exception {
        assumeTrue(VirtualCards.available(), "no virtual card backend");
        TestToken t = TestToken.virtualCard();
        VirtualCards.Card card = t.card().orElseThrow();
        ScriptedUserInterface ui = new ScriptedUserInterface(t.pin()).thenPin("999999").thenPin("999999").thenPin("999999");
        try (InProcessHost host = new InProcessHost(ui, t)) {
            String token = t.handle(host);
            assertEquals("ok", t.present(host).path("pinState").asText());
            List<String> after = List.of("countLow", "finalTry", "locked");
            List<PinPrompt.Tries> prompted = List.of(PinPrompt.Tries.NORMAL, PinPrompt.Tries.COUNT_LOW, PinPrompt.Tries.FINAL_TRY);
            for (int attempt = 1; attempt <= 3; attempt++) {
                HostException e = assertThrows(HostException.class, () -> host.call("login", Map.of("token", token)));
                assertEquals(attempt < 3 ? ErrorCode.PIN_INCORRECT : ErrorCode.PIN_LOCKED, e.code(), "attempt " + attempt);
                assertEquals(after.get(attempt - 1), e.details().get("pinState"), "attempt " + attempt);
                assertEquals(attempt, ui.pinPrompts().size(), "one dialog per login, never a silent retry");
                assertEquals(prompted.get(attempt - 1), ui.pinPrompts().getLast().tries(), "the dialog of attempt " + attempt);
                assertEquals(3 - attempt, card.card().pinTriesLeft());
                assertEquals(after.get(attempt - 1), t.present(host).path("pinState").asText(), "listTokens after attempt " + attempt);
            }
            // Blocked: the right PIN is not asked for and never reaches the card's counter.
            HostException locked = assertThrows(HostException.class, () -> host.call("login", Map.of("token", token)));
            assertEquals(ErrorCode.PIN_LOCKED, locked.code());
            assertEquals(3, ui.pinPrompts().size());
            assertEquals(0, card.card().pinTriesLeft());

            Tool.run(VirtualCards.inProcess().environment(), "pkcs15-tool", "--unblock-pin", "--puk", VirtualCards.PUK,
                    "--new-pin", VirtualCards.PIN).ok();
            card.reinsert();
            assertEquals(token, t.handle(host), "same card, same handle");
            JsonNode in = host.call("login", Map.of("token", token));
            assertTrue(in.path("loggedIn").asBoolean());
            assertEquals(4, ui.pinPrompts().size());
            assertEquals(3, card.card().pinTriesLeft());
            assertEquals("ok", t.present(host).path("pinState").asText(), "a successful login ends \"count low\"");
        }
    }
}
