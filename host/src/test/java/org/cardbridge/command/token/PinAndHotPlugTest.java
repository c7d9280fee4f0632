package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.FaultInjectingPkcs11;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.token.Ck;
import org.cardbridge.ui.PinPrompt;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PIN states and the PIN-pad path (SoftHSM2 never locks a PIN and has no PIN-pad, so the token flags are
 * set through the module seam), and a card pulled mid-operation.
 */
class PinAndHotPlugTest {

    @Test
    void fewTriesLeft_thePromptWarns_andListTokensSaysCountLow() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(SoftHsm2.PIN);
        try (InProcessHost host = new InProcessHost(ui)) {
            host.module().addTokenFlags(Ck.CKF_USER_PIN_COUNT_LOW);
            String token = host.tokenHandle(f.token().label());
            assertEquals("countLow", ListAndLoginTest.find(host.call("listTokens", "{}"), f.token().label()).path("pinState").asText());
            host.call("login", Map.of("token", token));
            assertEquals(PinPrompt.Tries.COUNT_LOW, ui.pinPrompts().getFirst().tries());
        }
    }

    @Test
    void finalTry_thePromptSaysSo() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(SoftHsm2.PIN);
        try (InProcessHost host = new InProcessHost(ui)) {
            host.module().addTokenFlags(Ck.CKF_USER_PIN_FINAL_TRY);
            host.call("login", Map.of("token", host.tokenHandle(f.token().label())));
            assertEquals(PinPrompt.Tries.FINAL_TRY, ui.pinPrompts().getFirst().tries());
        }
    }

    @Test
    void lockedPin_isPinLocked_withoutAskingThePin() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(SoftHsm2.PIN);
        try (InProcessHost host = new InProcessHost(ui)) {
            host.module().addTokenFlags(Ck.CKF_USER_PIN_LOCKED);
            String token = host.tokenHandle(f.token().label());
            assertEquals("locked", ListAndLoginTest.find(host.call("listTokens", "{}"), f.token().label()).path("pinState").asText());
            HostException e = assertThrows(HostException.class, () -> host.call("login", Map.of("token", token)));
            assertEquals(ErrorCode.PIN_LOCKED, e.code());
            assertEquals("locked", e.details().get("pinState"));
            assertTrue(ui.pinPrompts().isEmpty());
        }
    }

    @Test
    void cardSaysPinLocked_onLogin_isPinLocked() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String token = host.tokenHandle(f.token().label());
            host.module().failOn("C_Login", 1, Ck.CKR_PIN_LOCKED, FaultInjectingPkcs11.When.BEFORE);
            assertEquals(ErrorCode.PIN_LOCKED, assertThrows(HostException.class, () -> host.call("login", Map.of("token", token))).code());
        }
    }

    @Test
    void pinPadReader_showsTheNotice_andNeverAsksThePinOnScreen() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(SoftHsm2.PIN);
        try (InProcessHost host = new InProcessHost(ui)) {
            host.module().simulatePinPad(SoftHsm2.PIN);
            String token = host.tokenHandle(f.token().label());
            assertTrue(ListAndLoginTest.find(host.call("listTokens", "{}"), f.token().label()).path("pinPad").asBoolean());
            assertTrue(host.call("login", Map.of("token", token)).path("loggedIn").asBoolean());
            assertEquals(1, ui.pinPadNotices().size());
            assertEquals(InProcessHost.ORIGIN, ui.pinPadNotices().getFirst().origin());
            assertTrue(ui.pinPrompts().isEmpty());
        }
    }

    @Test
    void pinPadReader_wrongPinOnTheReader_isPinIncorrect_notASilentLogin() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(SoftHsm2.PIN);
        try (InProcessHost host = new InProcessHost(ui)) {
            host.module().simulatePinPad(SoftHsm2.PIN);
            String token = host.tokenHandle(f.token().label());
            host.module().failOn("C_Login", 1, Ck.CKR_PIN_INCORRECT, FaultInjectingPkcs11.When.BEFORE);
            assertEquals(ErrorCode.PIN_INCORRECT, assertThrows(HostException.class, () -> host.call("login", Map.of("token", token))).code());
            assertEquals(1, ui.pinPadNotices().size());
            assertTrue(ui.pinPrompts().isEmpty(), "never falls back to an on-screen PIN");
            assertFalse(ListAndLoginTest.find(host.call("listTokens", "{}"), f.token().label()).path("loggedIn").asBoolean());
        }
    }

    @Test
    void cardPulledMidOperation_isTokenRemoved_andTheCardIsFoundAgainAfterwards() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String token = host.tokenHandle(f.token().label());
            host.call("login", Map.of("token", token));
            String cert = SignTest.certificateHandle(host, f);
            host.module().failOn("C_Sign", 1, Ck.CKR_DEVICE_REMOVED, FaultInjectingPkcs11.When.BEFORE);
            HostException e = assertThrows(HostException.class, () -> host.call("sign", Map.of("certificate", cert,
                    "data", "AAAA", "format", "raw", "description", "d")));
            assertEquals(ErrorCode.TOKEN_REMOVED, e.code());
            host.module().noFailure();
            // "Reinserted": the same handle works again on a fresh session, with a fresh login.
            JsonNode again = host.call("sign", Map.of("certificate", cert, "data", "AAAA", "format", "raw", "description", "d"));
            assertTrue(again.path("signature").asText().length() > 100);
            assertEquals(2, host.ui().pinPrompts().size(), "the pulled card lost its login, so the PIN is asked again");
        }
    }

    @Test
    void cardGoneWhenListing_isTokenRemoved_andListingWorksAgain() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String token = host.tokenHandle(f.token().label());
            host.call("listCertificates", Map.of("token", token));
            host.module().failOn("C_FindObjects", 1, Ck.CKR_TOKEN_NOT_PRESENT, FaultInjectingPkcs11.When.BEFORE);
            assertEquals(ErrorCode.TOKEN_REMOVED, assertThrows(HostException.class,
                    () -> host.call("listCertificates", Map.of("token", token))).code());
            host.module().noFailure();
            assertEquals(1, host.call("listCertificates", Map.of("token", token)).path("certificates").size());
        }
    }
}
