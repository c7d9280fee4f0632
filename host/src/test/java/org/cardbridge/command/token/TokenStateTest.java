package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.TestToken;
import org.cardbridge.token.Ck;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.TokenSession;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The token state a connection keeps (certificates, keys, token information; see {@code TokenSession}): used
 * by the next request, read again after the host's own writes, after a card event and when another program
 * changed the card behind the connection's back. PKCS#11 calls are counted through the fault-injecting
 * wrapper; SoftHSM2, since this is the host's own logic (CardSwapTest swaps real virtual cards).
 */
class TokenStateTest {
    private static final byte[] DATA = "Wniosek o odnowienie".getBytes(StandardCharsets.UTF_8);

    private static Map<String, Object> sign(String cert) {
        return Map.of("certificate", cert, "data", Base64.getEncoder().encodeToString(DATA), "format", "raw", "description", "wniosek");
    }

    private static long count(List<String> calls, String name) {
        return calls.stream().filter(name::equals).count();
    }

    private static void assertSignedBy(TokenFixture f, JsonNode signed) throws Exception {
        Signature v = Signature.getInstance(signed.path("signatureAlgorithm").asText());
        v.initVerify(f.cert().getPublicKey());
        v.update(DATA);
        assertTrue(v.verify(Base64.getDecoder().decode(signed.path("signature").asText())), "verifies with the card's certificate");
    }

    @Test
    void secondSign_readsNoCertificateOrKeyListFromTheCard_butStillChecksTheCardIsTheSame() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            String cert = SignTest.certificateHandle(host, f);
            host.call("sign", sign(cert)); // logs in: what was read before the login is read again, once
            host.call("sign", sign(cert));
            host.module().resetCalls();
            assertSignedBy(f, host.call("sign", sign(cert)));
            List<String> calls = host.module().calls();
            assertEquals(0, count(calls, "C_FindObjects"), "no object list read again: " + calls);
            assertEquals(2, count(calls, "C_GetAttributeValue"), "only the kept key's CKA_ID, once per check of the card (precheck, execute): " + calls);
            assertEquals(1, count(calls, "C_Sign"), calls.toString());
            // The per-request check that keeps a swapped card from being served the old card's state.
            assertTrue(count(calls, "C_GetSlotInfo") >= 1 && count(calls, "C_GetTokenInfo") >= 1
                    && count(calls, "C_GetSessionInfo") >= 1, calls.toString());
        }
    }

    @Test
    void theSessionsOwnWrites_dropWhatItRead() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            String token = f.token().handle(host);
            host.call("login", Map.of("token", token));
            TokenSession session = host.tokens().open(token);
            assertEquals(1, session.certificates().size());
            assertEquals(1, session.privateKeys().size());
            host.module().resetCalls();
            assertEquals(1, session.certificates().size());
            assertEquals(1, session.privateKeys().size());
            assertEquals(0, count(host.module().calls(), "C_FindObjects"), "kept: " + host.module().calls());

            // Our own write: a certificate object, then a new key pair; each is in the next listing.
            long written = session.createCertificate(TokenFixture.issue(f.keys()), new byte[]{0x09}, "druga", false);
            assertEquals(2, session.certificates().size(), "the certificate just written is listed");
            session.generateKeyPair(org.cardbridge.token.KeyAlgorithm.EC_P256, new byte[]{0x0A}, "nowy");
            assertEquals(2, session.privateKeys().size(), "the key just generated is listed");
            session.destroy(written, "removing the test certificate");
            assertEquals(1, session.certificates().size(), "the certificate just removed is gone");
            assertTrue(count(host.module().calls(), "C_FindObjects") >= 3, host.module().calls().toString());
        }
    }

    @Test
    void cardEvents_dropTheSession_andTheNextRequestReadsTheCardAgain() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            String cert = SignTest.certificateHandle(host, f);
            host.call("sign", sign(cert));

            // The card goes away in the middle of a signature (SoftHSM2 stands for it with CKR_DEVICE_REMOVED).
            host.module().failOn("C_Sign", 1, Ck.CKR_DEVICE_REMOVED, org.cardbridge.testing.FaultInjectingPkcs11.When.BEFORE);
            assertEquals(ErrorCode.TOKEN_REMOVED, assertThrows(HostException.class, () -> host.call("sign", sign(cert))).code());
            host.module().noFailure();
            host.module().resetCalls();
            int prompts = ui.pinPrompts().size();
            assertSignedBy(f, host.call("sign", sign(cert)));
            List<String> calls = host.module().calls();
            assertEquals(1, count(calls, "C_OpenSession"), "a new session: " + calls);
            assertTrue(count(calls, "C_FindObjects") >= 2, "certificates and keys read again: " + calls);
            assertEquals(prompts + 1, ui.pinPrompts().size(), "the login went with the card");

            // The per-request check fails once (the session handle reported invalid): the card is looked for again
            // and, found with its session still open, its objects are read again before it is used.
            host.call("sign", sign(cert));
            host.module().failOn("C_GetSessionInfo", 1, Ck.CKR_SESSION_HANDLE_INVALID, org.cardbridge.testing.FaultInjectingPkcs11.When.BEFORE);
            assertSignedBy(f, host.call("sign", sign(cert)));
            calls = host.module().calls();
            assertTrue(count(calls, "C_FindObjects") >= 2, "read again: " + calls);
        }
    }

    /** Another program (the extension's second host, the card's own software) deletes the key and certificate. */
    @Test
    void keyAndCertificateDeletedBehindOurBack_signIsKeyNotFound_readFromTheCardNotFromWhatWasKept_beforeAnyWindow() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            String cert = SignTest.certificateHandle(host, f);
            host.call("sign", sign(cert));
            otherSessionDestroys(host, f.token(), f.id(), Ck.CKO_PRIVATE_KEY, Ck.CKO_CERTIFICATE);

            int confirmations = ui.confirmations().size() + ui.approvals().size();
            host.module().resetCalls();
            HostException e = assertThrows(HostException.class, () -> host.call("sign", sign(cert)));
            assertEquals(ErrorCode.KEY_NOT_FOUND, e.code(), e.getMessage());
            assertTrue(count(host.module().calls(), "C_FindObjects") >= 1, "the card was read again: " + host.module().calls());
            assertEquals(confirmations, ui.confirmations().size() + ui.approvals().size(), "no window for it");
        }
    }

    /** Only the private key is deleted and put back by another program: the kept handle is dead, the key is not. */
    @Test
    void keyReplacedBehindOurBack_underANewHandle_isFoundAgain_andSigns() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            String cert = SignTest.certificateHandle(host, f);
            host.call("sign", sign(cert));
            otherSessionDestroys(host, f.token(), f.id(), Ck.CKO_PRIVATE_KEY, Ck.CKO_PUBLIC_KEY);
            f.token().importKey(f.keys(), null, f.id(), TokenFixture.LABEL); // in another process (the backend's tool)

            host.module().resetCalls();
            assertSignedBy(f, host.call("sign", sign(cert)));
            assertTrue(count(host.module().calls(), "C_FindObjects") >= 1, "the keys were read again: " + host.module().calls());
        }
    }

    /** A second session of the same module (not the host's), logged in through the host's login, destroys objects. */
    private static void otherSessionDestroys(InProcessHost host, TestToken token, byte[] id, long... classes) {
        Pkcs11 p11 = host.module();
        long other = p11.openSession(token.slotId());
        try {
            for (long cls : classes) {
                long[] found = p11.find(other, List.of(Pkcs11.Attr.of(Ck.CKA_CLASS, cls), Pkcs11.Attr.of(Ck.CKA_ID, id)));
                assertFalse(found.length == 0, "the object to delete is there");
                for (long h : found) {
                    p11.destroyObject(other, h);
                }
            }
        } finally {
            p11.closeSession(other);
        }
    }
}
