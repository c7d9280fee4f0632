package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.TestToken;
import org.cardbridge.ui.PinPrompt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * listTokens, listCertificates, login and logout on every backend (SoftHSM2 and OpenSC + virtual card);
 * the last tests are refused before any token is touched and run once.
 */
class ListAndLoginTest {
    static List<TestToken.Backend> backends() {
        return TokenFixture.backends();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void listTokens_reportsUtf8LabelStateAndEveryAlgorithm(Supplier<TestToken> backend) {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        TestToken t = f.token();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(t.pin()), t)) {
            JsonNode token = t.present(host);
            assertEquals(t.label(), token.path("label").asText());
            assertEquals(t.slotId(), token.path("slotId").asLong());
            assertEquals(t.manufacturer(), token.path("manufacturer").asText());
            assertTrue(token.path("loginRequired").asBoolean());
            assertFalse(token.path("loggedIn").asBoolean());
            assertFalse(token.path("pinPad").asBoolean());
            assertEquals("ok", token.path("pinState").asText());
            assertEquals(t.algorithms(), texts(token.path("algorithms")));
            assertEquals(t.module(), token.path("module").asText());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void tokenHandle_sameCardInANewConnection_isTheSame(Supplier<TestToken> backend) {
        TestToken t = TokenFixture.withCertificate(backend.get()).token();
        String first;
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(), t)) {
            first = t.handle(host);
        }
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(), t)) {
            assertEquals(first, t.handle(host));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void listCertificates_importedCertificate_allFieldsWithoutLogin(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        ScriptedUserInterface ui = new ScriptedUserInterface();
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            String handle = f.token().handle(host);
            JsonNode result = host.call("listCertificates", Map.of("token", handle));
            assertEquals(1, result.path("certificates").size());
            JsonNode c = result.path("certificates").get(0);
            assertEquals("CN=Zażółć Gęślą Jaźń,O=Łódzka Spółka,C=PL", c.path("subject").asText());
            assertEquals(TokenFixture.LABEL, c.path("label").asText());
            assertEquals("0102", c.path("keyId").asText());
            assertEquals(f.cert().getSerialNumber().toString(16), c.path("serialNumber").asText());
            assertEquals(f.cert().getNotAfter().toInstant().toString(), c.path("notAfter").asText());
            assertEquals(List.of("digitalSignature", "nonRepudiation"), texts(c.path("keyUsage")));
            assertTrue(c.path("hasPrivateKey").asBoolean());
            assertFalse(c.path("isCa").asBoolean());
            assertEquals(Base64.getEncoder().encodeToString(f.cert().getEncoded()), c.path("certificate").asText());
            assertTrue(c.path("handle").asText().startsWith(handle));
            assertEquals(0, result.path("pendingKeys").size());
            assertTrue(ui.pinPrompts().isEmpty(), "reading certificates must not ask for the PIN");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void login_rightPin_holdsForTheConnection_untilLogout(Supplier<TestToken> backend) {
        TestToken t = TokenFixture.withCertificate(backend.get()).token();
        ScriptedUserInterface ui = new ScriptedUserInterface(t.pin());
        try (InProcessHost host = new InProcessHost(ui, t)) {
            String token = t.handle(host);
            assertTrue(host.call("login", Map.of("token", token)).path("loggedIn").asBoolean());
            PinPrompt prompt = ui.pinPrompts().getFirst();
            assertEquals(InProcessHost.ORIGIN, prompt.origin());
            assertEquals(t.label(), prompt.tokenLabel());
            assertEquals(PinPrompt.Tries.NORMAL, prompt.tries());
            assertTrue(t.present(host).path("loggedIn").asBoolean());
            host.call("login", Map.of("token", token));
            assertEquals(1, ui.pinPrompts().size(), "a held login must not ask again");
            assertFalse(host.call("logout", Map.of("token", token)).path("loggedIn").asBoolean());
            assertFalse(t.present(host).path("loggedIn").asBoolean());
            host.call("login", Map.of("token", token));
            assertEquals(2, ui.pinPrompts().size());
        }
    }

    /**
     * After a wrong PIN the PIN state is "count low" until a successful login, on both backends: SoftHSM2
     * raises CKF_USER_PIN_COUNT_LOW itself; OpenSC never does for the card (it does not know the counter's
     * maximum), so the host keeps what the card answered.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void login_wrongPin_isPinIncorrect_notRetried_andCountLowUntilTheRightPin(Supplier<TestToken> backend) {
        TestToken t = TokenFixture.withCertificate(backend.get()).token();
        ScriptedUserInterface ui = new ScriptedUserInterface().thenPin("000000").thenPin(t.pin());
        try (InProcessHost host = new InProcessHost(ui, t)) {
            String token = t.handle(host);
            HostException e = assertThrows(HostException.class, () -> host.call("login", Map.of("token", token)));
            assertEquals(ErrorCode.PIN_INCORRECT, e.code());
            assertEquals("countLow", e.details().get("pinState"));
            assertEquals(1, ui.pinPrompts().size(), "never retried by itself");
            JsonNode listed = t.present(host);
            assertFalse(listed.path("loggedIn").asBoolean());
            assertEquals("countLow", listed.path("pinState").asText());

            assertTrue(host.call("login", Map.of("token", token)).path("loggedIn").asBoolean());
            assertEquals(PinPrompt.Tries.COUNT_LOW, ui.pinPrompts().getLast().tries(), "the next dialog warns");
            assertEquals("ok", t.present(host).path("pinState").asText());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void login_dialogCancelledOrTimedOut_isThatError_andNoTryIsSpent(Supplier<TestToken> backend) {
        TestToken t = TokenFixture.withCertificate(backend.get()).token();
        ScriptedUserInterface ui = new ScriptedUserInterface().thenPinFails(ErrorCode.USER_CANCELLED)
                .thenPinFails(ErrorCode.USER_TIMEOUT);
        try (InProcessHost host = new InProcessHost(ui, t)) {
            String token = t.handle(host);
            assertEquals(ErrorCode.USER_CANCELLED, assertThrows(HostException.class,
                    () -> host.call("login", Map.of("token", token))).code());
            assertEquals(ErrorCode.USER_TIMEOUT, assertThrows(HostException.class,
                    () -> host.call("login", Map.of("token", token))).code());
            t.card().ifPresent(c -> assertEquals(3, c.card().pinTriesLeft(), "nothing reached the card"));
        }
    }

    // ---- refused before any token is touched: the backend does not matter ----

    @Test
    void unknownToken_isTokenNotFound() {
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface())) {
            HostException e = assertThrows(HostException.class, () -> host.call("listCertificates", Map.of("token", "tNoSuchCard")));
            assertEquals(ErrorCode.TOKEN_NOT_FOUND, e.code());
        }
    }

    @Test
    void missingModules_isModuleNotFound_listingThePathsTried() {
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(), List.of("/nonexistent/opensc-pkcs11.so",
                "/nonexistent/libccgraphitep11.so"))) {
            HostException e = assertThrows(HostException.class, () -> host.call("listTokens", "{}"));
            assertEquals(ErrorCode.MODULE_NOT_FOUND, e.code());
            String tried = e.details().get("tried").toString();
            assertTrue(tried.contains("/nonexistent/opensc-pkcs11.so") && tried.contains("/nonexistent/libccgraphitep11.so"), tried);
        }
    }

    @Test
    void unknownParameter_isInvalidArgument() {
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface())) {
            HostException e = assertThrows(HostException.class, () -> host.call("listCertificates",
                    Map.of("token", "x", "tokne", "y")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        }
    }

    /** The listTokens entry labelled so (SoftHSM2 tokens of this JVM have unique labels). */
    static JsonNode find(JsonNode listTokens, String label) {
        for (JsonNode t : listTokens.path("tokens")) {
            if (label.equals(t.path("label").asText())) {
                return t;
            }
        }
        throw new AssertionError("no token " + label + " in " + listTokens);
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(a -> out.add(a.asText()));
        return out;
    }
}
