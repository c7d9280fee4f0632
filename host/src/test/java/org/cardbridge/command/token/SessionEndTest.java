package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.host.HostSession;
import org.cardbridge.host.Operations;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.policy.Origin;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.FrameReader;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.SessionHarness;
import org.cardbridge.testing.TestToken;
import org.cardbridge.token.Ck;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.TokenManager;
import org.cardbridge.token.WrapperPkcs11;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The login lives as long as the browser's connection: end of input logs the card out (every backend). */
class SessionEndTest {
    static List<TestToken.Backend> backends() {
        return TokenFixture.backends();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void endOfInput_logsTheCardOut(Supplier<TestToken> backend) throws Exception {
        TestToken t = TokenFixture.withCertificate(backend.get()).token();
        long slot = t.slotId(); // also waits for a card just inserted to show
        Policy policy = new Policy(List.of(new Policy.Entry(Origin.parse("https://ca.example.pl"), Set.of(OperationClass.READ),
                null, List.of())), List.of(), List.of(), Policy.DEFAULT_DIALOG_TIMEOUT, "INFO");
        TokenManager tokens = new TokenManager(List.of(t.module()), WrapperPkcs11::load);
        try (SessionHarness host = new SessionHarness(pending -> Operations.standard(pending, tokens), policy,
                new ScriptedUserInterface(t.pin()), stateDir, List.of(tokens), FrameReader.DEFAULT_MAX_INCOMING)) {
            host.send("{\"id\":\"1\",\"op\":\"listTokens\",\"origin\":\"https://ca.example.pl\",\"params\":{}}");
            String token = null;
            for (JsonNode tok : host.answerTo("1").path("result").path("tokens")) {
                if (t.label().equals(tok.path("label").asText())) {
                    token = tok.path("token").asText();
                }
            }
            assertNotNull(token, "listTokens shows the " + t.backend() + " token");
            host.send("{\"id\":\"2\",\"op\":\"login\",\"origin\":\"https://ca.example.pl\",\"params\":{\"token\":\"" + token + "\"}}");
            assertTrue(host.answerTo("2").path("result").path("loggedIn").asBoolean());
            assertTrue(loggedIn(t, slot), "PKCS#11 login is per application: a fresh session sees it");
            assertEquals(HostSession.EXIT_OK, host.closeInput());
        }
        assertEquals(false, loggedIn(t, slot));
    }

    /** A card pulled before the connection ends must not keep the other cards logged in. */
    @org.junit.jupiter.api.Test
    void endOfConnection_oneCardGone_theOthersAreStillLoggedOut() throws Exception {
        TokenFixture a = TokenFixture.withCertificate();
        TokenFixture b = TokenFixture.withCertificate();
        org.cardbridge.testing.InProcessHost host = new org.cardbridge.testing.InProcessHost(new ScriptedUserInterface(a.token().pin()));
        for (TokenFixture f : List.of(a, b)) {
            host.call("login", java.util.Map.of("token", f.token().handle(host)));
        }
        assertTrue(loggedIn(b.token(), b.token().slotId()));
        // The first session's card is gone when the connection ends: its session removes itself.
        host.module().failOn("C_GetSessionInfo", 1, Ck.CKR_DEVICE_REMOVED, org.cardbridge.testing.FaultInjectingPkcs11.When.BEFORE);
        host.close();
        assertEquals(false, loggedIn(b.token(), b.token().slotId()), "the other card was logged out");
    }

    @TempDir
    Path stateDir;

    private static boolean loggedIn(TestToken t, long slot) throws Exception {
        Pkcs11 p11 = WrapperPkcs11.load(t.module());
        long session = p11.openSession(slot);
        try {
            long state = p11.sessionState(session);
            return state == Ck.CKS_RW_USER_FUNCTIONS || state == Ck.CKS_RO_USER_FUNCTIONS;
        } finally {
            p11.closeSession(session);
        }
    }
}
