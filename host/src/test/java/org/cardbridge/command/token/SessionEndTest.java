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
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.token.Ck;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.TokenManager;
import org.cardbridge.token.WrapperPkcs11;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The login lives as long as the browser's connection: end of input logs the card out. */
class SessionEndTest {

    @Test
    void endOfInput_logsTheCardOut() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        Policy policy = new Policy(List.of(new Policy.Entry(Origin.parse("https://ca.example.pl"), Set.of(OperationClass.READ),
                null, List.of())), List.of(), List.of(), Policy.DEFAULT_DIALOG_TIMEOUT, "INFO");
        TokenManager tokens = new TokenManager(List.of(SoftHsm2.MODULE), WrapperPkcs11::load);
        try (SessionHarness host = new SessionHarness(pending -> Operations.standard(pending, tokens), policy,
                new ScriptedUserInterface(SoftHsm2.PIN), stateDir, List.of(tokens), FrameReader.DEFAULT_MAX_INCOMING)) {
            host.send("{\"id\":\"1\",\"op\":\"listTokens\",\"origin\":\"https://ca.example.pl\",\"params\":{}}");
            String token = null;
            for (JsonNode t : host.answerTo("1").path("result").path("tokens")) {
                if (f.token().label().equals(t.path("label").asText())) {
                    token = t.path("token").asText();
                }
            }
            host.send("{\"id\":\"2\",\"op\":\"login\",\"origin\":\"https://ca.example.pl\",\"params\":{\"token\":\"" + token + "\"}}");
            assertTrue(host.answerTo("2").path("result").path("loggedIn").asBoolean());
            assertTrue(loggedIn(f), "PKCS#11 login is per application: a fresh session sees it");
            assertEquals(HostSession.EXIT_OK, host.closeInput());
        }
        assertEquals(false, loggedIn(f));
    }

    @TempDir
    Path stateDir;

    private static boolean loggedIn(TokenFixture f) throws Exception {
        Pkcs11 p11 = WrapperPkcs11.load(SoftHsm2.MODULE);
        long session = p11.openSession(f.token().slotId());
        try {
            long state = p11.sessionState(session);
            return state == Ck.CKS_RW_USER_FUNCTIONS || state == Ck.CKS_RO_USER_FUNCTIONS;
        } finally {
            p11.closeSession(session);
        }
    }
}
