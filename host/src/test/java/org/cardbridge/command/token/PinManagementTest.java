package org.cardbridge.command.token;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.token.Ck;
import org.cardbridge.ui.PinChange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * changePin and unblockPin on real modules (SoftHSM2, and OpenSC with the virtual IsoApplet card where the fork
 * has one): C_SetPIN and C_InitPIN go through the java.lang.foreign binding on the module the JDK's wrapper
 * loaded. The window is the scripted one, which applies the same checks as the Swing window
 * ({@link PinChange#problem}); TokenDialogsIT-style tests of the real window are not written yet.
 */
class PinManagementTest {
    static final String NEW_PIN = "24681357";

    static List<TestToken.Backend> backends() {
        return TokenFixture.backends();
    }

    private static HostException fails(InProcessHost host, String op, String token) {
        return assertThrows(HostException.class, () -> host.call(op, Map.of("token", token)));
    }

    /** Logs in with {@code pin} in a fresh window; the host's own login of the connection ended first. */
    private static void login(InProcessHost host, ScriptedUserInterface ui, String token, String pin) {
        host.call("logout", Map.of("token", token));
        ui.thenPin(pin);
        host.call("login", Map.of("token", token));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void changePin_theOldPinFails_andTheNewLogsIn(TestToken.Backend backend) {
        TestToken t = backend.get();
        ScriptedUserInterface ui = new ScriptedUserInterface().thenPinChange(t.pin(), NEW_PIN, NEW_PIN);
        try (InProcessHost host = new InProcessHost(ui, t)) {
            String token = t.handle(host);
            assertTrue(host.call("changePin", Map.of("token", token)).path("changed").asBoolean());
            PinChange window = ui.pinChangeWindows().getFirst();
            assertEquals(PinChange.Kind.CHANGE, window.kind());
            assertEquals(InProcessHost.ORIGIN, window.origin());
            assertTrue(window.minLength() > 0, "the card's ulMinPinLen reaches the window");
            assertTrue(host.module().calls().contains("C_SetPIN"));

            host.call("logout", Map.of("token", token));
            ui.thenPin(t.pin());
            assertEquals(ErrorCode.PIN_INCORRECT, fails(host, "login", token).code());
            ui.thenPin(NEW_PIN);
            assertTrue(host.call("login", Map.of("token", token)).path("loggedIn").asBoolean());
            assertFalse(String.join("\n", host.messages()).contains(NEW_PIN), "no PIN in any request or result");

            // Back to the card's PIN, so the token serves the next test as before.
            ui.thenPinChange(NEW_PIN, t.pin(), t.pin());
            host.call("changePin", Map.of("token", token));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void wrongCurrentPin_theSameWindowSaysSo_andTheNextTryChangesIt(TestToken.Backend backend) {
        TestToken t = backend.get();
        ScriptedUserInterface ui = new ScriptedUserInterface()
                .thenPinChange("99999999", NEW_PIN, NEW_PIN)
                .thenPinChange(t.pin(), NEW_PIN, NEW_PIN);
        try (InProcessHost host = new InProcessHost(ui, t)) {
            String token = t.handle(host);
            host.call("changePin", Map.of("token", token));
            assertEquals(1, ui.pinChangeWindows().size(), "one window for both tries");
            assertEquals(List.of("PIN_INCORRECT"), ui.pinChangeMessages());
            login(host, ui, token, NEW_PIN);
            ui.thenPinChange(NEW_PIN, t.pin(), t.pin());
            host.call("changePin", Map.of("token", token));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void wrongCurrentPin_thenCancel_changesNothing(TestToken.Backend backend) {
        TestToken t = backend.get();
        ScriptedUserInterface ui = new ScriptedUserInterface().thenPinChange("99999999", NEW_PIN, NEW_PIN);
        try (InProcessHost host = new InProcessHost(ui, t)) {
            String token = t.handle(host);
            assertEquals(ErrorCode.USER_CANCELLED, fails(host, "changePin", token).code());
            login(host, ui, token, t.pin());
        }
    }

    @Test
    void mismatchOrTooShortOrTooLong_refusedInTheWindow_nothingSentToTheCard() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface()
                .thenPinChange(SoftHsm2.PIN, NEW_PIN, NEW_PIN + "0")
                .thenPinChange(SoftHsm2.PIN, "12", "12")
                .thenPinChange(SoftHsm2.PIN, "1".repeat(300), "1".repeat(300));
        try (InProcessHost host = new InProcessHost(ui)) {
            String token = host.tokenHandle(f.token().label());
            host.module().resetCalls();
            assertEquals(ErrorCode.USER_CANCELLED, fails(host, "changePin", token).code());
            assertEquals(List.of("pinChange.mismatch", "pinChange.tooShort", "pinChange.tooLong"), ui.pinChangeMessages());
            assertFalse(host.module().calls().contains("C_SetPIN"), "nothing reached the card: " + host.module().calls());
            PinChange window = ui.pinChangeWindows().getFirst();
            assertEquals(4, window.minLength(), "SoftHSM2's ulMinPinLen");
            assertEquals(255, window.maxLength(), "SoftHSM2's ulMaxPinLen");
            login(host, ui, token, SoftHsm2.PIN);
        }
    }

    @Test
    void unblockPin_withTheSoPin_setsTheNewPin_onSoftHsm2() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface()
                .thenPinChange("87654321", NEW_PIN, NEW_PIN) // a wrong SO PIN: the window says so
                .thenPinChange(SoftHsm2.SO_PIN, NEW_PIN, NEW_PIN);
        try (InProcessHost host = new InProcessHost(ui)) {
            String token = host.tokenHandle(f.token().label());
            ui.thenPin(SoftHsm2.PIN);
            host.call("login", Map.of("token", token)); // a login of the connection is ended by the unblock
            assertTrue(host.call("unblockPin", Map.of("token", token)).path("unblocked").asBoolean());
            assertEquals(List.of("PIN_INCORRECT"), ui.pinChangeMessages());
            assertEquals(PinChange.Kind.UNBLOCK, ui.pinChangeWindows().getFirst().kind());
            assertTrue(host.module().calls().contains("C_InitPIN"));
            ui.thenPin(SoftHsm2.PIN);
            assertEquals(ErrorCode.PIN_INCORRECT, fails(host, "login", token).code());
            ui.thenPin(NEW_PIN);
            assertTrue(host.call("login", Map.of("token", token)).path("loggedIn").asBoolean());
            ui.thenPinChange(NEW_PIN, SoftHsm2.PIN, SoftHsm2.PIN);
            host.call("changePin", Map.of("token", token));
        }
    }

    @Test
    void lockedPin_changePinIsPinLocked_unblockPinStillOpensItsWindow() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface();
        try (InProcessHost host = new InProcessHost(ui)) {
            String token = host.tokenHandle(f.token().label());
            host.module().addTokenFlags(Ck.CKF_USER_PIN_LOCKED);
            HostException e = fails(host, "changePin", token);
            assertEquals(ErrorCode.PIN_LOCKED, e.code());
            assertTrue(e.getMessage().contains("unblockPin"), e.getMessage());
            assertTrue(ui.pinChangeWindows().isEmpty(), "no window for a change that cannot succeed");
            assertEquals(ErrorCode.USER_CANCELLED, fails(host, "unblockPin", token).code()); // the script cancels it
            assertEquals(1, ui.pinChangeWindows().size());
        }
    }

    @Test
    void lockedPuk_unblockPinIsPukLocked_withoutAWindow() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface();
        try (InProcessHost host = new InProcessHost(ui)) {
            String token = host.tokenHandle(f.token().label());
            host.module().addTokenFlags(Ck.CKF_USER_PIN_LOCKED | Ck.CKF_SO_PIN_LOCKED);
            assertEquals(ErrorCode.PUK_LOCKED, fails(host, "unblockPin", token).code());
            assertTrue(ui.pinChangeWindows().isEmpty());
            assertTrue(ui.pinPrompts().isEmpty());
        }
    }

    @Test
    void unknownOrMissingToken_isAnError_withZeroWindows() {
        ScriptedUserInterface ui = new ScriptedUserInterface(SoftHsm2.PIN);
        try (InProcessHost host = new InProcessHost(ui)) {
            for (String op : List.of("changePin", "unblockPin")) {
                HostException unknown = fails(host, op, "tok-0000000000000000");
                assertTrue(unknown.code() == ErrorCode.TOKEN_NOT_FOUND || unknown.code() == ErrorCode.INVALID_ARGUMENT, op + ": " + unknown.code());
                assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(HostException.class, () -> host.call(op, Map.of())).code());
            }
            assertTrue(ui.pinChangeWindows().isEmpty());
            assertTrue(ui.pinPrompts().isEmpty());
            assertTrue(ui.confirmations().isEmpty());
        }
    }

    /**
     * A PIN-pad reader (simulated over SoftHSM2, which has none): the host shows the notice to follow the reader,
     * opens no window with PIN fields, and passes no PIN; the reader's answers change and unblock the PIN.
     */
    @Test
    void pinPadReader_changeAndUnblock_showTheNotice_andNoPinWindow() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface();
        try (InProcessHost host = new InProcessHost(ui)) {
            String token = host.tokenHandle(f.token().label());
            host.module().simulatePinPad(SoftHsm2.PIN);
            host.module().simulatePinPadChange(NEW_PIN, SoftHsm2.SO_PIN);
            assertTrue(host.call("changePin", Map.of("token", token)).path("changed").asBoolean());
            assertEquals(1, ui.pinPadNotices().size());
            assertEquals(org.cardbridge.ui.PinPrompt.Purpose.CHANGE, ui.pinPadNotices().getFirst().purpose());
            host.module().simulatePinPad(NEW_PIN);
            assertTrue(host.call("login", Map.of("token", token)).path("loggedIn").asBoolean(), "the reader's new PIN took");
            host.module().simulatePinPadChange(SoftHsm2.PIN, SoftHsm2.SO_PIN);
            assertTrue(host.call("unblockPin", Map.of("token", token)).path("unblocked").asBoolean());
            assertEquals(org.cardbridge.ui.PinPrompt.Purpose.UNBLOCK, ui.pinPadNotices().getLast().purpose());
            assertTrue(ui.pinChangeWindows().isEmpty(), "no PIN fields on the screen");
            assertTrue(ui.pinPrompts().isEmpty());
            host.module().simulatePinPad(SoftHsm2.PIN);
            assertTrue(host.call("login", Map.of("token", token)).path("loggedIn").asBoolean(), "the reader's new PIN took");
        }
    }

    /**
     * OpenSC with its default configuration ({@code user_pin_unblock_style = none}) cannot unblock: the host goes
     * OpenSC's way for a blocked PIN (C_SetPIN with the PUK in a session that is not logged in), which without
     * that setting OpenSC takes as a PIN change and the blocked PIN refuses; the host answers
     * PIN_CHANGE_NOT_SUPPORTED, the PIN still blocked, the PUK's tries untouched — before any window, from the
     * opensc.conf OpenSC reads (token.OpenScConf). With
     * {@code set_pin_in_unlogged_session} the same call unblocks: PinWindowsIT runs a host with that opensc.conf
     * (this JVM's module read the system's configuration when it was initialised).
     */
    @Test
    void virtualCard_lockedByWrongPins_unblockWithDefaultOpensc_isNotSupported_andThePinStaysBlocked() {
        org.junit.jupiter.api.Assumptions.assumeTrue(VirtualCards.available() || "true".equals(System.getenv("CI")),
                "no virtual card backend");
        TestToken t = TestToken.virtualCard();
        VirtualCards.Card card = t.card().orElseThrow();
        ScriptedUserInterface ui = new ScriptedUserInterface().thenPin("999999").thenPin("999999").thenPin("999999")
                .thenPinChange(VirtualCards.PUK, NEW_PIN, NEW_PIN);
        try (InProcessHost host = new InProcessHost(ui, t)) {
            String token = t.handle(host);
            for (int i = 0; i < 3; i++) {
                fails(host, "login", token);
            }
            assertEquals(0, card.card().pinTriesLeft());
            assertEquals(ErrorCode.PIN_LOCKED, fails(host, "changePin", token).code());
            HostException e = fails(host, "unblockPin", token);
            assertEquals(ErrorCode.PIN_CHANGE_NOT_SUPPORTED, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("user_pin_unblock_style = none"), e.getMessage());
            assertEquals(List.of(), ui.pinChangeWindows(), "refused before the window: the person never types the PUK in vain");
            assertEquals(0, card.card().pinTriesLeft());
            assertEquals(3, card.card().pukTriesLeft(), "the PUK never reached the card");
        }
    }
}
