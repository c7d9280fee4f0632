package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.ui.PinPrompt;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ListAndLoginTest {

    @Test
    void listTokens_softHsmToken_reportsUtf8LabelStateAndEveryAlgorithm() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            JsonNode token = find(host.call("listTokens", "{}"), f.token().label());
            assertTrue(token.path("present").asBoolean());
            assertEquals(f.token().slotId(), token.path("slotId").asLong());
            assertEquals("SoftHSM project", token.path("manufacturer").asText());
            assertTrue(token.path("loginRequired").asBoolean());
            assertFalse(token.path("loggedIn").asBoolean());
            assertFalse(token.path("pinPad").asBoolean());
            assertEquals("ok", token.path("pinState").asText());
            List<String> algorithms = new ArrayList<>();
            token.path("algorithms").forEach(a -> algorithms.add(a.asText()));
            assertEquals(List.of("RSA-2048", "RSA-3072", "RSA-4096", "EC-P256", "EC-P384"), algorithms);
            assertTrue(token.path("module").asText().endsWith("libsofthsm2.so"));
        }
    }

    @Test
    void tokenHandle_sameCardInANewConnection_isTheSame() {
        TokenFixture f = TokenFixture.withCertificate();
        String first;
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface())) {
            first = host.tokenHandle(f.token().label());
        }
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface())) {
            assertEquals(first, host.tokenHandle(f.token().label()));
        }
    }

    @Test
    void listCertificates_importedCertificate_allFieldsWithoutLogin() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface();
        try (InProcessHost host = new InProcessHost(ui)) {
            JsonNode result = host.call("listCertificates", Map.of("token", host.tokenHandle(f.token().label())));
            assertEquals(1, result.path("certificates").size());
            JsonNode c = result.path("certificates").get(0);
            assertEquals("CN=Zażółć Gęślą Jaźń,O=Łódzka Spółka,C=PL", c.path("subject").asText());
            assertEquals("Stary klucz ąę", c.path("label").asText());
            assertEquals("0102", c.path("keyId").asText());
            assertEquals(f.cert().getSerialNumber().toString(16), c.path("serialNumber").asText());
            assertEquals(f.cert().getNotAfter().toInstant().toString(), c.path("notAfter").asText());
            assertEquals(List.of("digitalSignature", "nonRepudiation"), texts(c.path("keyUsage")));
            assertTrue(c.path("hasPrivateKey").asBoolean());
            assertFalse(c.path("isCa").asBoolean());
            assertEquals(Base64.getEncoder().encodeToString(f.cert().getEncoded()), c.path("certificate").asText());
            assertTrue(c.path("handle").asText().startsWith(host.tokenHandle(f.token().label())));
            assertEquals(0, result.path("pendingKeys").size());
            assertTrue(ui.pinPrompts().isEmpty(), "reading certificates must not ask for the PIN");
        }
    }

    @Test
    void login_rightPin_holdsForTheConnection_untilLogout() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(SoftHsm2.PIN);
        try (InProcessHost host = new InProcessHost(ui)) {
            String token = host.tokenHandle(f.token().label());
            assertTrue(host.call("login", Map.of("token", token)).path("loggedIn").asBoolean());
            PinPrompt prompt = ui.pinPrompts().getFirst();
            assertEquals(InProcessHost.ORIGIN, prompt.origin());
            assertEquals(f.token().label(), prompt.tokenLabel());
            assertEquals(PinPrompt.Tries.NORMAL, prompt.tries());
            assertTrue(find(host.call("listTokens", "{}"), f.token().label()).path("loggedIn").asBoolean());
            host.call("login", Map.of("token", token));
            assertEquals(1, ui.pinPrompts().size(), "a held login must not ask again");
            assertFalse(host.call("logout", Map.of("token", token)).path("loggedIn").asBoolean());
            assertFalse(find(host.call("listTokens", "{}"), f.token().label()).path("loggedIn").asBoolean());
            host.call("login", Map.of("token", token));
            assertEquals(2, ui.pinPrompts().size());
        }
    }

    @Test
    void login_wrongPin_isPinIncorrect_andNotRetried() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface().thenPin("000000");
        try (InProcessHost host = new InProcessHost(ui)) {
            String token = host.tokenHandle(f.token().label());
            HostException e = assertThrows(HostException.class, () -> host.call("login", Map.of("token", token)));
            assertEquals(ErrorCode.PIN_INCORRECT, e.code());
            assertNotNull(e.details().get("pinState"));
            assertEquals(1, ui.pinPrompts().size(), "never retried by itself");
            assertFalse(find(host.call("listTokens", "{}"), f.token().label()).path("loggedIn").asBoolean());
        }
    }

    @Test
    void login_dialogCancelledOrTimedOut_isThatError() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface().thenPinFails(ErrorCode.USER_CANCELLED)
                .thenPinFails(ErrorCode.USER_TIMEOUT);
        try (InProcessHost host = new InProcessHost(ui)) {
            String token = host.tokenHandle(f.token().label());
            assertEquals(ErrorCode.USER_CANCELLED, assertThrows(HostException.class,
                    () -> host.call("login", Map.of("token", token))).code());
            assertEquals(ErrorCode.USER_TIMEOUT, assertThrows(HostException.class,
                    () -> host.call("login", Map.of("token", token))).code());
        }
    }

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
