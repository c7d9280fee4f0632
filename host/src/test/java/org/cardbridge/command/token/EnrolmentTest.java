package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestToken;
import org.cardbridge.token.Ck;
import org.cardbridge.token.Pkcs11;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import javax.security.auth.x500.X500Principal;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * generateKeyPair, createCsr and removeKey on every backend, checked with independent tools (the backend's
 * own listing tool, Bouncy Castle). Tests that need what only SoftHSM2 has say why.
 */
class EnrolmentTest {
    static List<TestToken.Backend> backends() {
        return TokenFixture.backends();
    }

    /** Each backend with each algorithm it generates. */
    static Stream<Arguments> everyAlgorithmOfEveryBackend() {
        return backends().stream().flatMap(b -> b.algorithms().stream().map(a -> Arguments.of(b, a)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("everyAlgorithmOfEveryBackend")
    void generateKeyPair_everyAlgorithmTheTokenOffers_makesAProtectedKeyAndItsCsrVerifies(Supplier<TestToken> backend,
            String algorithm) throws Exception {
        TestToken token = backend.get();
        ScriptedUserInterface ui = new ScriptedUserInterface(token.pin());
        try (InProcessHost host = new InProcessHost(ui, token)) {
            String handle = token.handle(host);
            JsonNode key = host.call("generateKeyPair", Map.of("token", handle, "algorithm", algorithm, "label", "Nowy klucz źdźbło"));
            assertEquals(algorithm, key.path("algorithm").asText());
            assertEquals("Nowy klucz źdźbło", key.path("label").asText());
            assertEquals(40, key.path("keyId").asText().length());
            assertEquals(List.of(Map.of("stage", "generatingKey", "algorithm", algorithm)), host.progress());
            PublicKey pub = publicKey(key.path("publicKey").asText());
            if (algorithm.startsWith("RSA")) {
                assertEquals(Integer.parseInt(algorithm.substring(4)), ((RSAPublicKey) pub).getModulus().bitLength());
            } else {
                assertEquals(algorithm.endsWith("256") ? 256 : 384, ((ECPublicKey) pub).getParams().getCurve().getField().getFieldSize());
            }
            assertEquals("action.generateKeyPair", ui.confirmations().getFirst().action());

            // An independent look at the card: label in UTF-8, the key marked sensitive and never extractable.
            assertTrue(token.keyIsProtected("Nowy klucz źdźbło"), token.objects());

            // The key is pending (no certificate yet) and signs a CSR that verifies.
            JsonNode pending = host.call("listCertificates", Map.of("token", handle)).path("pendingKeys");
            assertEquals(1, pending.size());
            // One name for a key's handle: generateKeyPair's `handle` is the pending key's `handle` (`key`, the 1.0 name, still equal).
            assertEquals(key.path("handle").asText(), pending.get(0).path("handle").asText());
            assertEquals(key.path("handle").asText(), key.path("key").asText());
            assertEquals(key.path("publicKey").asText(), pending.get(0).path("publicKey").asText());
            JsonNode csr = host.call("createCsr", Map.of("key", key.path("key").asText(), "subject", TokenFixture.SUBJECT));
            PKCS10CertificationRequest request = new PKCS10CertificationRequest(Base64.getDecoder().decode(csr.path("der").asText()));
            assertTrue(request.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(new BouncyCastleProvider()).build(pub)));
            assertEquals(algorithm.startsWith("RSA") ? "SHA256withRSA" : algorithm.equals("EC-P384") ? "SHA384withECDSA" : "SHA256withECDSA",
                    csr.path("signatureAlgorithm").asText());
            assertTrue(csr.path("csr").asText().startsWith("-----BEGIN CERTIFICATE REQUEST-----"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void createCsr_polishSubjectAndExtensions_areEncodedAsAsked(Supplier<TestToken> backend) throws Exception {
        TestToken token = backend.get();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(token.pin()), token)) {
            String handle = token.handle(host);
            JsonNode key = host.call("generateKeyPair", Map.of("token", handle, "algorithm", "RSA-2048", "label", "k"));
            JsonNode csr = host.call("createCsr", """
                    {"key": "%s",
                     "subject": [[{"type": "CN", "value": "Grzegorz Brzęczyszczykiewicz"}],
                                 [{"type": "serialNumber", "value": "PNOPL-80010112345"}],
                                 [{"type": "O", "value": "Chrząszczyżewoszyce, powiat Łękołody"}],
                                 [{"type": "C", "value": "PL"}]],
                     "extensions": {"keyUsage": ["digitalSignature", "nonRepudiation"],
                                    "extendedKeyUsage": ["emailProtection", "1.3.6.1.4.1.311.10.3.12"],
                                    "email": ["grzegorz@example.pl"]},
                     "challengePassword": "kod-odnowienia-123"}
                    """.formatted(key.path("key").asText()));
            PKCS10CertificationRequest request = new PKCS10CertificationRequest(Base64.getDecoder().decode(csr.path("der").asText()));
            X500Principal subject = new X500Principal(request.getSubject().getEncoded());
            assertEquals("CN=Grzegorz Brzęczyszczykiewicz,2.5.4.5=#1311504e4f504c2d3830303130313132333435,O=Chrząszczyżewoszyce\\, powiat Łękołody,C=PL",
                    subject.getName(X500Principal.RFC2253));
            RDN cn = request.getSubject().getRDNs(BCStyle.CN)[0];
            assertInstanceOf(DERUTF8String.class, cn.getFirst().getValue(), "Polish letters need UTF8String");
            Extensions ext = Extensions.getInstance(request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)[0]
                    .getAttrValues().getObjectAt(0));
            assertEquals(new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation), KeyUsage.fromExtensions(ext));
            assertTrue(GeneralNames.fromExtensions(ext, Extension.subjectAlternativeName).toString().contains("grzegorz@example.pl"));
            assertTrue(ext.getExtension(Extension.extendedKeyUsage) != null);
            ASN1Encodable challenge = request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_challengePassword)[0].getAttrValues().getObjectAt(0);
            assertEquals("kod-odnowienia-123", ((ASN1String) challenge).getString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void createCsr_rfc4514String_keepsItsOrderAndEscapes(Supplier<TestToken> backend) throws Exception {
        TestToken token = backend.get();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(token.pin()), token)) {
            JsonNode key = host.call("generateKeyPair", Map.of("token", token.handle(host), "algorithm", token.keyAlgorithm(), "label", "k"));
            String subject = "CN=Anna Żabińska+2.5.4.4=Żabińska,OU=Dział \\\"Płace\\\",O=Firma\\, S.A.,C=PL";
            JsonNode csr = host.call("createCsr", Map.of("key", key.path("key").asText(), "subject", subject));
            PKCS10CertificationRequest request = new PKCS10CertificationRequest(Base64.getDecoder().decode(csr.path("der").asText()));
            X500Principal parsed = new X500Principal(request.getSubject().getEncoded());
            assertEquals(new X500Principal(subject.replace("2.5.4.4=Żabińska", "SURNAME=Żabińska")), parsed);
        }
    }

    /**
     * SoftHSM2 only: with PKCS#1 v1.5 hidden, a card needs PSS, and the IsoApplet has none (it pads PKCS#1 v1.5
     * on the card and offers no raw RSA, so OpenSC cannot build PSS either).
     */
    @Test
    void createCsr_cardWithPssOnly_signsWithRsassaPss_verifiedByBouncyCastle() throws Exception {
        SoftHsm2.Token token = SoftHsm2.inProcess().claim();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            host.module().hideMechanisms(Ck.CKM_RSA_PKCS, Ck.CKM_SHA256_RSA_PKCS);
            JsonNode key = host.call("generateKeyPair", Map.of("token", host.tokenHandle(token.label()), "algorithm", "RSA-2048", "label", "pss"));
            JsonNode csr = host.call("createCsr", Map.of("key", key.path("key").asText(), "subject", "CN=PSS"));
            assertEquals("SHA256withRSAandMGF1", csr.path("signatureAlgorithm").asText());
            PKCS10CertificationRequest request = new PKCS10CertificationRequest(Base64.getDecoder().decode(csr.path("der").asText()));
            assertEquals(PKCSObjectIdentifiers.id_RSASSA_PSS, request.getSignatureAlgorithm().getAlgorithm());
            assertTrue(request.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(new BouncyCastleProvider())
                    .build(publicKey(key.path("publicKey").asText()))));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void generateKeyPair_algorithmTheCardLacks_isAlgorithmNotSupported_listingWhatItHas(Supplier<TestToken> backend) {
        TestToken token = backend.get();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(token.pin()), token)) {
            // A card without EC key generation (the IsoApplet card lacks it anyway).
            host.module().hideMechanisms(Ck.CKM_EC_KEY_PAIR_GEN);
            HostException e = assertThrows(HostException.class, () -> host.call("generateKeyPair",
                    Map.of("token", token.handle(host), "algorithm", "EC-P256", "label", "k")));
            assertEquals(ErrorCode.ALGORITHM_NOT_SUPPORTED, e.code());
            assertEquals(token.algorithms().stream().filter(a -> a.startsWith("RSA")).toList(), e.details().get("supported"));
            assertTrue(host.ui().confirmations().isEmpty());
        }
    }

    /**
     * {@code renews}: the new key's window says which certificate it renews, as the person knows it; a
     * certificate that is not on the card is KEY_NOT_FOUND with no window. SoftHSM2: host logic.
     */
    @Test
    void generateKeyPair_renews_windowNamesTheCertificate_unknownOneRefusedBeforeAnyWindow() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            String handle = f.token().handle(host);
            String certificate = host.call("listCertificates", Map.of("token", handle)).path("certificates").get(0).path("handle").asText();
            HostException e = assertThrows(HostException.class, () -> host.call("generateKeyPair", Map.of("token", handle,
                    "algorithm", "EC-P256", "label", "k", "renews", handle + "~c00112233445566778899aabbccddeeff")));
            assertEquals(ErrorCode.KEY_NOT_FOUND, e.code());
            assertTrue(host.ui().confirmations().isEmpty(), "no window for a request that cannot succeed");

            host.call("generateKeyPair", Map.of("token", handle, "algorithm", "EC-P256", "label", "Odnowienie", "renews", certificate));
            List<String> facts = host.ui().confirmations().getFirst().facts();
            assertTrue(facts.stream().anyMatch(x -> x.startsWith("To renew: Zażółć Gęślą Jaźń")), facts.toString());
        }
    }

    /** Refused while parsing, before any token is touched: the backend does not matter. */
    @Test
    void generateKeyPair_unknownAlgorithmOrBadLabel_isInvalidArgument() {
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            assertEquals("algorithm", assertThrows(HostException.class, () -> host.call("generateKeyPair",
                    Map.of("token", "t", "algorithm", "DSA-1024", "label", "k"))).details().get("field"));
            assertEquals("label", assertThrows(HostException.class, () -> host.call("generateKeyPair",
                    Map.of("token", "t", "algorithm", "RSA-2048", "label", "x".repeat(200)))).details().get("field"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void generateKeyPair_cardFull_isTokenFull_andLeavesNothing(Supplier<TestToken> backend) {
        TestToken token = backend.get();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(token.pin()), token)) {
            String handle = token.handle(host);
            host.call("login", Map.of("token", handle));
            // The card answers CKR_DEVICE_MEMORY to the generation itself.
            host.module().failOn("C_GenerateKeyPair", 1, Ck.CKR_DEVICE_MEMORY, org.cardbridge.testing.FaultInjectingPkcs11.When.BEFORE);
            HostException e = assertThrows(HostException.class, () -> host.call("generateKeyPair",
                    Map.of("token", handle, "algorithm", token.keyAlgorithm(), "label", "k")));
            assertEquals(ErrorCode.TOKEN_FULL, e.code());
            host.module().noFailure();
            assertEquals(0, host.call("listCertificates", Map.of("token", handle)).path("pendingKeys").size());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void generateKeyPair_userDeclines_isUserCancelled_andNothingIsMade(Supplier<TestToken> backend) {
        TestToken token = backend.get();
        ScriptedUserInterface ui = new ScriptedUserInterface(token.pin()).thenConfirm(false);
        try (InProcessHost host = new InProcessHost(ui, token)) {
            String handle = token.handle(host);
            assertEquals(ErrorCode.USER_CANCELLED, assertThrows(HostException.class, () -> host.call("generateKeyPair",
                    Map.of("token", handle, "algorithm", token.keyAlgorithm(), "label", "k"))).code());
            assertTrue(ui.pinPrompts().isEmpty());
            host.call("login", Map.of("token", handle));
            assertEquals(0, host.call("listCertificates", Map.of("token", handle)).path("pendingKeys").size());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void removeKey_pendingKey_isRemoved_butAKeyWithACertificateIsRefused(Supplier<TestToken> backend) {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        TestToken token = f.token();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(token.pin()), token)) {
            String handle = token.handle(host);
            JsonNode key = host.call("generateKeyPair", Map.of("token", handle, "algorithm", token.keyAlgorithm(), "label", "porzucony"));
            assertTrue(host.call("removeKey", Map.of("key", key.path("key").asText())).path("removed").asBoolean());
            assertEquals("action.removeKey", host.ui().confirmations().getLast().action());
            assertEquals(0, host.call("listCertificates", Map.of("token", handle)).path("pendingKeys").size());
            assertFalse(token.objects().contains("porzucony"), token.objects());

            String certifiedKey = handle + "~k0102";
            HostException e = assertThrows(HostException.class, () -> host.call("removeKey", Map.of("key", certifiedKey)));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertEquals(1, host.call("listCertificates", Map.of("token", handle)).path("certificates").size());
            assertEquals(ErrorCode.KEY_NOT_FOUND, assertThrows(HostException.class,
                    () -> host.call("removeKey", Map.of("key", handle + "~kabcdef"))).code());
        }
    }

    /**
     * A working certificate the host cannot read (the JDK refuses it; the backend's own tool lists it) still
     * makes its key one with a certificate: never offered as pending, never removed, never signing a CSR.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void keyWhoseCertificateTheHostCannotParse_isNotPending_andRemoveKeyAndCreateCsrRefuseIt(Supplier<TestToken> backend)
            throws Exception {
        TestToken token = backend.get();
        KeyPair keys = TestCa.rsa(2048);
        byte[] unreadable = TokenFixture.CA.issueUnreadable(keys.getPublic(), TokenFixture.SUBJECT, 30);
        byte[] id = {0x01, 0x02};
        // One label for both: pkcs15-init gives the card's key the label of the certificate stored for it.
        token.importKey(keys, null, id, "Klucz z certyfikatem");
        token.writeCertificate(unreadable, id, "Klucz z certyfikatem");
        assertTrue(token.objects().contains("Certificate"), "the backend's tool lists it: " + token.objects());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(token.pin()), token)) {
            String handle = token.handle(host);
            String key = handle + "~k0102";
            JsonNode listed = host.call("listCertificates", Map.of("token", handle));
            assertEquals(0, listed.path("pendingKeys").size(), listed.toString());

            HostException removal = assertThrows(HostException.class, () -> host.call("removeKey", Map.of("key", key)));
            assertEquals(ErrorCode.INVALID_ARGUMENT, removal.code());
            assertEquals("key", removal.details().get("field"));
            HostException csr = assertThrows(HostException.class, () -> host.call("createCsr",
                    Map.of("key", key, "subject", "CN=Przejęty klucz")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, csr.code());
            assertEquals("key", csr.details().get("field"));
            assertTrue(host.ui().confirmations().isEmpty());
            assertTrue(host.ui().pinPrompts().isEmpty());
            assertTrue(token.hasKey("Klucz z certyfikatem", true), token.objects());
            assertTrue(token.hasKey("Klucz z certyfikatem", false), token.objects());
        }
    }

    /** SoftHSM2 only: OpenSC's PKCS#15 framework refuses private certificates (CKR_TEMPLATE_INCONSISTENT). */
    @Test
    void removeKey_keyWhosePrivateCertificateShowsOnlyAfterLogin_isRefused_andStays() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = f.token().handle(host);
            JsonNode key = host.call("generateKeyPair", Map.of("token", handle, "algorithm", "EC-P256", "label", "z prywatnym"));
            writePrivateCertificate(host, f, key.path("keyId").asText());
            host.call("logout", Map.of("token", handle));
            HostException e = assertThrows(HostException.class, () -> host.call("removeKey", Map.of("key", key.path("key").asText())));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertEquals("key", e.details().get("field"));
            assertTrue(f.token().hasKey("z prywatnym", true), f.token().objects());
        }
    }

    /**
     * Writes a certificate with CKA_PRIVATE=true (invisible until login) under {@code keyIdHex}. pkcs11-tool
     * ignores --private for certificates, so it goes through the module while the host's login holds.
     */
    static void writePrivateCertificate(InProcessHost host, TokenFixture f, String keyIdHex) {
        Pkcs11 p11 = host.module();
        long s = p11.openSession(f.token().slotId());
        try {
            p11.createObject(s, List.of(Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_CERTIFICATE),
                    Pkcs11.Attr.of(Ck.CKA_CERTIFICATE_TYPE, Ck.CKC_X_509), Pkcs11.Attr.of(Ck.CKA_TOKEN, true),
                    Pkcs11.Attr.of(Ck.CKA_PRIVATE, true), Pkcs11.Attr.of(Ck.CKA_ID, java.util.HexFormat.of().parseHex(keyIdHex)),
                    Pkcs11.Attr.of(Ck.CKA_LABEL, "prywatny".getBytes(StandardCharsets.UTF_8)),
                    Pkcs11.Attr.of(Ck.CKA_SUBJECT, f.cert().getSubjectX500Principal().getEncoded()),
                    Pkcs11.Attr.of(Ck.CKA_VALUE, f.cert().getEncoded())));
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        } finally {
            p11.closeSession(s);
        }
    }

    /** SoftHSM2 only, as above: OpenSC refuses private certificates. */
    @Test
    void createCsr_forAKeyWhosePrivateCertificateShowsOnlyAfterLogin_isRefused() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = f.token().handle(host);
            JsonNode key = host.call("generateKeyPair", Map.of("token", handle, "algorithm", "EC-P256", "label", "ukryty"));
            writePrivateCertificate(host, f, key.path("keyId").asText());
            host.call("logout", Map.of("token", handle));
            HostException e = assertThrows(HostException.class, () -> host.call("createCsr",
                    Map.of("key", key.path("key").asText(), "subject", "CN=Ukryty certyfikat")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertEquals("key", e.details().get("field"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void removeKey_cardPulledBetweenTheTwoDeletes_neverLeavesALonePublicKey(Supplier<TestToken> backend) {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        TestToken token = f.token();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(token.pin()), token)) {
            String handle = token.handle(host);
            JsonNode key = host.call("generateKeyPair", Map.of("token", handle, "algorithm", token.keyAlgorithm(), "label", "przerwany"));
            host.module().failOn("C_DestroyObject", 2, Ck.CKR_DEVICE_REMOVED, org.cardbridge.testing.FaultInjectingPkcs11.When.BEFORE);
            assertThrows(HostException.class, () -> host.call("removeKey", Map.of("key", key.path("key").asText())));
            host.module().noFailure();
            assertFalse(token.hasKey("przerwany", false), "the public key goes first: " + token.objects());
            assertTrue(token.hasKey("przerwany", true), "the private key is still there: a retry removes it");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void createCsr_forAKeyThatHasACertificate_isRefusedBeforeAnyDialog(Supplier<TestToken> backend) {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            String handle = f.token().handle(host);
            HostException e = assertThrows(HostException.class, () -> host.call("createCsr",
                    Map.of("key", handle + "~k0102", "subject", "CN=Przejęty klucz")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertEquals("key", e.details().get("field"));
            assertTrue(host.ui().confirmations().isEmpty());
            assertTrue(host.ui().pinPrompts().isEmpty());
        }
    }

    /** SoftHSM2: what is checked is the host's own order (refuse first, then ask), not the token. */
    @Test
    void createCsr_whatCannotSucceed_isRefusedBeforeAnyDialog() throws Exception {
        TestToken token = TestToken.softHsm();
        // A pending key of a kind CardBridge does not sign with (RSA-1024): no certificate, so "pending".
        token.importKey(org.cardbridge.testing.TestCa.rsa(1024), null, new byte[]{0x0b}, "RSA-1024");
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(token.pin()), token)) {
            String handle = token.handle(host);
            HostException e = assertThrows(HostException.class, () -> host.call("createCsr",
                    Map.of("key", handle + "~k0b", "subject", "CN=Mały klucz")));
            assertEquals(ErrorCode.ALGORITHM_NOT_SUPPORTED, e.code());
            // An OID Bouncy Castle cannot encode (second arc 40 under arc 1) is bad input, not an internal error.
            HostException oid = assertThrows(HostException.class, () -> host.call("createCsr",
                    Map.of("key", handle + "~k0b", "subject", "CN=x", "extensions", Map.of("extendedKeyUsage", List.of("1.40")))));
            assertEquals(ErrorCode.INVALID_ARGUMENT, oid.code());
            assertEquals("extensions.extendedKeyUsage", oid.details().get("field"));
            assertTrue(host.ui().confirmations().isEmpty());
            assertTrue(host.ui().pinPrompts().isEmpty());
        }
    }

    /** Refused while parsing the handle: the backend does not matter. */
    @Test
    void keyHandle_withNonAsciiDigits_isInvalidArgument_notAnInternalError() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = f.token().handle(host);
            // Arabic-Indic and fullwidth digits: Character.digit takes them as hex digits, HexFormat does not.
            for (String bad : List.of("\u0661\u0662", "\uff10\uff11")) {
                HostException e = assertThrows(HostException.class, () -> host.call("removeKey", Map.of("key", handle + "~k" + bad)));
                assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), bad);
            }
        }
    }

    static PublicKey publicKey(String base64) throws Exception {
        byte[] der = Base64.getDecoder().decode(base64);
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        } catch (java.security.spec.InvalidKeySpecException e) {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        }
    }
}
