package org.cardbridge.token;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.vcard.Fault;
import org.cardbridge.testing.vcard.Tool;
import org.cardbridge.testing.vcard.VirtualCards;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The token layer on both backends: SoftHSM2 and OpenSC driving the virtual IsoApplet card through pcscd,
 * with the same steps; then what only a card does (pulled out mid-operation, PIN blocked and unblocked).
 */
class TokenBackendsIT {
    /** These keys have no CKA_ALWAYS_AUTHENTICATE: a signature PIN asked for would be a bug. */
    static final SignaturePin NO_SIGNATURE_PIN = sign -> {
        throw new AssertionError("a signature PIN was asked for a key that does not need one");
    };
    private static final TestCa CA = new TestCa("CardBridge Backends CA");
    private static final byte[] OLD_ID = {0x0A};
    private static final byte[] NEW_ID = {0x0B};

    static List<TestToken.Backend> backends() {
        return TestToken.backends();
    }

    private static TokenManager manager(TestToken t) {
        return new TokenManager(List.of(t.module()), WrapperPkcs11::load);
    }

    /** The token's handle, once the module shows it (a card just inserted takes a moment to appear). */
    private static String handleOf(TokenManager tokens, TestToken t) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        do {
            for (Pkcs11 p11 : tokens.modules()) {
                for (long slot : p11.slots()) {
                    try {
                        if (p11.slotInfo(slot).tokenPresent() && t.is(p11.tokenInfo(slot))) {
                            return Handles.token(p11.library(), p11.tokenInfo(slot));
                        }
                    } catch (Pkcs11Error e) {
                        // the card is still being read
                    }
                }
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("token of " + t.backend() + " not found");
    }

    private static byte[] pin(TestToken t) {
        return t.pin().getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void wrongPin_isPinIncorrect_andTheRightPinThenLogsIn(Supplier<TestToken> backend) throws Exception {
        TestToken t = backend.get();
        try (TokenManager tokens = manager(t)) {
            TokenSession s = tokens.open(handleOf(tokens, t));
            HostException wrong = assertThrows(HostException.class, () -> s.login("999999".getBytes(StandardCharsets.UTF_8)));
            assertEquals(ErrorCode.PIN_INCORRECT, wrong.code());
            assertFalse(s.loggedIn());
            s.login(pin(t));
            assertTrue(s.loggedIn());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void generatedRsaKey_signsAHash_thatItsPublicKeyVerifies(Supplier<TestToken> backend) throws Exception {
        TestToken t = backend.get();
        try (TokenManager tokens = manager(t)) {
            TokenSession s = tokens.open(handleOf(tokens, t));
            s.login(pin(t));
            TokenObjects.Key key = s.generateKeyPair(KeyAlgorithm.RSA_2048, NEW_ID, "Nowy klucz");
            assertEquals(KeyAlgorithm.RSA_2048, key.algorithm());
            byte[] data = "zażółć gęślą jaźń".getBytes(StandardCharsets.UTF_8);
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(data);
            SignatureScheme scheme = s.schemeFor(key, "SHA-256");
            byte[] sig = s.sign(key, scheme, hash, NO_SIGNATURE_PIN);
            Signature v = Signature.getInstance(scheme.jcaName());
            v.initVerify(key.publicKey());
            v.update(data);
            assertTrue(v.verify(sig), "signature of " + t.backend());
            assertTrue(s.privateKeys().stream().anyMatch(k -> Arrays.equals(k.id(), NEW_ID)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void importedKeyAndCertificate_areListed_andANewCertificateCanBeWrittenForANewKey(Supplier<TestToken> backend)
            throws Exception {
        TestToken t = backend.get();
        KeyPair old = TestCa.rsa(2048);
        X509Certificate oldCert = CA.issue(old.getPublic(), "CN=Jan Kowalski", 365);
        t.importKey(old, oldCert, OLD_ID, "Stary");
        try (TokenManager tokens = manager(t)) {
            TokenSession s = tokens.open(handleOf(tokens, t));
            s.login(pin(t));
            var certs = s.certificates();
            assertEquals(1, certs.size(), t.backend());
            assertArrayEquals(OLD_ID, certs.getFirst().id());
            assertArrayEquals(oldCert.getEncoded(), certs.getFirst().der());

            TokenObjects.Key fresh = s.generateKeyPair(KeyAlgorithm.RSA_2048, NEW_ID, "Nowy");
            X509Certificate newCert = CA.issue(fresh.publicKey(), "CN=Jan Kowalski", 365);
            long object = s.createCertificate(newCert, NEW_ID, "Nowy", false);
            assertArrayEquals(newCert.getEncoded(), s.certificateValue(object));
            assertEquals(2, s.certificates().size());
        }
    }

    // ---- only a card: hot-plug and PIN blocking -----------------------------------------------------

    private static VirtualCards.Card cardWithOldCertificate(TestToken t) throws Exception {
        KeyPair old = TestCa.rsa(2048);
        t.importKey(old, CA.issue(old.getPublic(), "CN=Jan Kowalski", 365), OLD_ID, "Stary");
        return t.card().orElseThrow();
    }

    /** After the card came back: a new request finds it (no host restart), the old certificate is whole. */
    private static void oldCertificateIntactAfterReinsertion(TokenManager tokens, TestToken t, VirtualCards.Card card)
            throws Exception {
        card.reader().fault(Fault.NONE);
        card.reader().insert();
        TokenSession again = tokens.open(handleOf(tokens, t));
        again.login(pin(t));
        var certs = again.certificates();
        assertEquals(1, certs.stream().filter(c -> Arrays.equals(c.id(), OLD_ID)).count());
        TokenObjects.Key oldKey = again.privateKeys().stream().filter(k -> Arrays.equals(k.id(), OLD_ID)).findFirst().orElseThrow();
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(new byte[] {1, 2, 3});
        Signature v = Signature.getInstance("SHA256withRSA");
        v.initVerify(certs.stream().filter(c -> Arrays.equals(c.id(), OLD_ID)).findFirst().orElseThrow().certificate());
        v.update(new byte[] {1, 2, 3});
        assertTrue(v.verify(again.sign(oldKey, again.schemeFor(oldKey, "SHA-256"), hash, NO_SIGNATURE_PIN)), "old key still signs");
    }

    @Test
    void cardPulledDuringKeyGeneration_isTokenRemoved_andTheOldCertificateSurvives() throws Exception {
        assumeTrue(VirtualCards.available(), "no virtual card backend");
        TestToken t = TestToken.virtualCard();
        VirtualCards.Card card = cardWithOldCertificate(t);
        try (TokenManager tokens = manager(t)) {
            TokenSession s = tokens.open(handleOf(tokens, t));
            s.login(pin(t));
            card.reader().fault(Fault.pullAt(Fault.ins(0x46), 1, true));
            HostException e = assertThrows(HostException.class, () -> s.generateKeyPair(KeyAlgorithm.RSA_2048, NEW_ID, "Nowy"));
            assertEquals(ErrorCode.TOKEN_REMOVED, e.code(), e.getMessage());
            oldCertificateIntactAfterReinsertion(tokens, t, card);
        }
    }

    @Test
    void cardPulledDuringCertificateWrite_isTokenRemoved_andTheOldCertificateSurvives() throws Exception {
        assumeTrue(VirtualCards.available(), "no virtual card backend");
        TestToken t = TestToken.virtualCard();
        VirtualCards.Card card = cardWithOldCertificate(t);
        try (TokenManager tokens = manager(t)) {
            TokenSession s = tokens.open(handleOf(tokens, t));
            s.login(pin(t));
            TokenObjects.Key fresh = s.generateKeyPair(KeyAlgorithm.RSA_2048, NEW_ID, "Nowy");
            X509Certificate newCert = CA.issue(fresh.publicKey(), "CN=Jan Kowalski", 365);
            // The second UPDATE BINARY of the write: the certificate file is half written when the card goes.
            card.reader().fault(Fault.pullAt(Fault.ins(0xD6), 2, true));
            HostException e = assertThrows(HostException.class, () -> s.createCertificate(newCert, NEW_ID, "Nowy", false));
            assertEquals(ErrorCode.TOKEN_REMOVED, e.code(), e.getMessage());
            oldCertificateIntactAfterReinsertion(tokens, t, card);
        }
    }

    @Test
    void cardPulledDuringSigning_isTokenRemoved_andSigningWorksAfterReinsertion() throws Exception {
        assumeTrue(VirtualCards.available(), "no virtual card backend");
        TestToken t = TestToken.virtualCard();
        VirtualCards.Card card = cardWithOldCertificate(t);
        try (TokenManager tokens = manager(t)) {
            TokenSession s = tokens.open(handleOf(tokens, t));
            s.login(pin(t));
            TokenObjects.Key oldKey = s.privateKeys().stream().filter(k -> Arrays.equals(k.id(), OLD_ID)).findFirst().orElseThrow();
            card.reader().fault(Fault.pullAt(Fault.ins(0x2A), 1, false));
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(new byte[] {1, 2, 3});
            HostException e = assertThrows(HostException.class, () -> s.sign(oldKey, s.schemeFor(oldKey, "SHA-256"), hash, NO_SIGNATURE_PIN));
            assertEquals(ErrorCode.TOKEN_REMOVED, e.code(), e.getMessage());
            oldCertificateIntactAfterReinsertion(tokens, t, card);
        }
    }

    @Test
    void cardAnswersAnErrorToSigning_isNotMistakenForRemoval() throws Exception {
        assumeTrue(VirtualCards.available(), "no virtual card backend");
        TestToken t = TestToken.virtualCard();
        VirtualCards.Card card = cardWithOldCertificate(t);
        try (TokenManager tokens = manager(t)) {
            TokenSession s = tokens.open(handleOf(tokens, t));
            s.login(pin(t));
            TokenObjects.Key oldKey = s.privateKeys().stream().filter(k -> Arrays.equals(k.id(), OLD_ID)).findFirst().orElseThrow();
            // "No precise diagnosis" from the card, which stays in the reader.
            card.reader().fault(c -> Fault.ins(0x2A).test(c) ? new Fault.Answer(new byte[] {0x6F, 0x00}) : new Fault.Pass());
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(new byte[] {1, 2, 3});
            HostException e = assertThrows(HostException.class, () -> s.sign(oldKey, s.schemeFor(oldKey, "SHA-256"), hash, NO_SIGNATURE_PIN));
            assertEquals(ErrorCode.INTERNAL_ERROR, e.code(), e.getMessage());
            card.reader().fault(Fault.NONE);
            assertTrue(s.sign(oldKey, s.schemeFor(oldKey, "SHA-256"), hash, NO_SIGNATURE_PIN).length > 0, "the same session signs again");
        }
    }

    @Test
    void threeWrongPins_arePinLocked_evenForTheRightPin_untilThePukUnblocks() throws Exception {
        assumeTrue(VirtualCards.available(), "no virtual card backend");
        TestToken t = TestToken.virtualCard();
        VirtualCards.Card card = t.card().orElseThrow();
        byte[] wrong = "999999".getBytes(StandardCharsets.UTF_8);
        try (TokenManager tokens = manager(t)) {
            TokenSession s = tokens.open(handleOf(tokens, t));
            assertEquals(ErrorCode.PIN_INCORRECT, assertThrows(HostException.class, () -> s.login(wrong)).code());
            assertEquals(2, card.card().pinTriesLeft());
            assertEquals(ErrorCode.PIN_INCORRECT, assertThrows(HostException.class, () -> s.login(wrong)).code());
            assertEquals(1, card.card().pinTriesLeft());
            assertEquals(ErrorCode.PIN_LOCKED, assertThrows(HostException.class, () -> s.login(wrong)).code());
            // Blocked: the right PIN is refused as PIN_LOCKED and not counted (no silent retry either).
            assertEquals(ErrorCode.PIN_LOCKED, assertThrows(HostException.class, () -> s.login(pin(t))).code());
            assertEquals(0, card.card().pinTriesLeft());
        }
        Tool.run(VirtualCards.inProcess().environment(), "pkcs15-tool", "--unblock-pin", "--puk", VirtualCards.PUK,
                "--new-pin", VirtualCards.PIN).ok();
        card.reinsert();
        try (TokenManager tokens = manager(t)) {
            TokenSession s = tokens.open(handleOf(tokens, t));
            s.login(pin(t));
            assertTrue(s.loggedIn());
        }
    }
}
