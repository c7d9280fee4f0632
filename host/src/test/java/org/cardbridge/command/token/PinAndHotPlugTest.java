package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.FaultInjectingPkcs11;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.token.Ck;
import org.cardbridge.ui.PinPrompt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * PIN states and the PIN-pad path, and a card pulled mid-operation. The PIN-state and PIN-pad tests set the
 * token's flags through the module seam and run on SoftHSM2 only: they test how the host reads flags, which
 * no backend sets on demand; the virtual card's real counter (count low, final try, locked, unblocked) is
 * PinCardIT's. The hot-plug tests run on every backend: the card is really pulled out, SoftHSM2 (which
 * cannot be) fails the call.
 */
class PinAndHotPlugTest {
    static List<TestToken.Backend> backends() {
        return TokenFixture.backends();
    }

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

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void cardPulledMidOperation_isTokenRemoved_andTheCardIsFoundAgainAfterwards(Supplier<TestToken> backend) {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        TestToken t = f.token();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(t.pin()), t)) {
            String token = t.handle(host);
            host.call("login", Map.of("token", token));
            String cert = SignTest.certificateHandle(host, f);
            t.pullAt(host, "C_Sign", 0x2A);
            HostException e = assertThrows(HostException.class, () -> host.call("sign", Map.of("certificate", cert,
                    "data", "AAAA", "format", "raw", "description", "d")));
            assertEquals(ErrorCode.TOKEN_REMOVED, e.code(), e.getMessage());
            t.putBack(host);
            assertEquals(token, t.handle(host), "the card back in the reader has the same handle");
            // The same certificate handle works again on a fresh session, with a fresh login.
            JsonNode again = host.call("sign", Map.of("certificate", cert, "data", "AAAA", "format", "raw", "description", "d"));
            assertTrue(again.path("signature").asText().length() > 100);
            assertEquals(2, host.ui().pinPrompts().size(), "the pulled card lost its login, so the PIN is asked again");
        }
    }

    /**
     * SoftHSM2's listing fails mid-call (removed during the operation: TOKEN_REMOVED). The card is out before
     * the request comes, so no present card has the handle (TOKEN_NOT_FOUND) — once the slot has been polled:
     * OpenSC looks at a slot at most once a second and lists from its cache until then.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void cardGoneWhenListing_isReported_andListingWorksAgain(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        TestToken t = f.token();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(t.pin()), t)) {
            String token = t.handle(host);
            host.call("listCertificates", Map.of("token", token));
            if (t.card().isPresent()) {
                t.card().get().reader().remove();
            } else {
                host.module().failOn("C_FindObjects", 1, Ck.CKR_TOKEN_NOT_PRESENT, FaultInjectingPkcs11.When.BEFORE);
            }
            HostException e = listingFails(host, token);
            assertEquals(t.card().isPresent() ? ErrorCode.TOKEN_NOT_FOUND : ErrorCode.TOKEN_REMOVED, e.code(), e.getMessage());
            t.putBack(host);
            assertEquals(token, t.handle(host));
            assertEquals(1, host.call("listCertificates", Map.of("token", token)).path("certificates").size());
        }
    }

    /**
     * Card only: SoftHSM2 cannot be pulled, and the fault seam cannot stand in for what this is about. OpenSC
     * answers session calls from its cache until something asks the slot; asking the slot is what makes it
     * see the card changed and close the card's sessions. So the host must ask the slot before it trusts a
     * session it kept, or the first request after the card came back runs on a dead session.
     */
    @Test
    void cardPulledAndPutBackBetweenRequests_theNextRequestWorks() throws Exception {
        assumeTrue(VirtualCards.available(), "the OpenSC + virtual card backend");
        TokenFixture f = TokenFixture.withCertificate(TestToken.virtualCard());
        TestToken t = f.token();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(t.pin()), t)) {
            String token = t.handle(host);
            host.call("login", Map.of("token", token));
            t.card().orElseThrow().reinsert();
            Thread.sleep(1500); // OpenSC looks at a slot at most once a second
            assertEquals(1, host.call("listCertificates", Map.of("token", token)).path("certificates").size());
            assertFalse(t.present(host).path("loggedIn").asBoolean(), "the card lost its login when it was pulled");
        }
    }

    /** The error listCertificates ends with, within 5 s (a pulled card shows once its slot is polled). */
    private static HostException listingFails(InProcessHost host, String token) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            try {
                host.call("listCertificates", Map.of("token", token));
            } catch (HostException e) {
                return e;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("listCertificates still answers for a card that is not there");
            }
            Thread.sleep(100);
        }
    }
}
