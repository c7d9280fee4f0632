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
import org.cardbridge.token.Ck;
import org.cardbridge.token.Pkcs11;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.security.auth.x500.X500Principal;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** generateKeyPair, createCsr and removeKey against SoftHSM2, checked with independent tools (pkcs11-tool, BC). */
class EnrolmentTest {

    @ParameterizedTest
    @ValueSource(strings = {"RSA-2048", "RSA-3072", "RSA-4096", "EC-P256", "EC-P384"})
    void generateKeyPair_everyAlgorithmSoftHsmOffers_makesAProtectedKeyAndItsCsrVerifies(String algorithm) throws Exception {
        SoftHsm2.Token token = SoftHsm2.inProcess().claim();
        ScriptedUserInterface ui = new ScriptedUserInterface(SoftHsm2.PIN);
        try (InProcessHost host = new InProcessHost(ui)) {
            String handle = host.tokenHandle(token.label());
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
            String objects = pkcs11Tool(token, "--list-objects");
            assertTrue(objects.contains("Nowy klucz źdźbło"), objects);
            assertTrue(objects.contains("never extractable"), objects);
            assertTrue(objects.contains("sensitive"), objects);

            // The key is pending (no certificate yet) and signs a CSR that verifies.
            JsonNode pending = host.call("listCertificates", Map.of("token", handle)).path("pendingKeys");
            assertEquals(1, pending.size());
            assertEquals(key.path("key").asText(), pending.get(0).path("handle").asText());
            assertEquals(key.path("publicKey").asText(), pending.get(0).path("publicKey").asText());
            JsonNode csr = host.call("createCsr", Map.of("key", key.path("key").asText(), "subject", TokenFixture.SUBJECT));
            PKCS10CertificationRequest request = new PKCS10CertificationRequest(Base64.getDecoder().decode(csr.path("der").asText()));
            assertTrue(request.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(new BouncyCastleProvider()).build(pub)));
            assertEquals(algorithm.startsWith("RSA") ? "SHA256withRSA" : algorithm.equals("EC-P384") ? "SHA384withECDSA" : "SHA256withECDSA",
                    csr.path("signatureAlgorithm").asText());
            assertTrue(csr.path("csr").asText().startsWith("-----BEGIN CERTIFICATE REQUEST-----"));
        }
    }

    @Test
    void createCsr_polishSubjectAndExtensions_areEncodedAsAsked() throws Exception {
        SoftHsm2.Token token = SoftHsm2.inProcess().claim();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = host.tokenHandle(token.label());
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

    @Test
    void createCsr_rfc4514String_keepsItsOrderAndEscapes() throws Exception {
        SoftHsm2.Token token = SoftHsm2.inProcess().claim();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            JsonNode key = host.call("generateKeyPair", Map.of("token", host.tokenHandle(token.label()), "algorithm", "EC-P256", "label", "k"));
            String subject = "CN=Anna Żabińska+2.5.4.4=Żabińska,OU=Dział \\\"Płace\\\",O=Firma\\, S.A.,C=PL";
            JsonNode csr = host.call("createCsr", Map.of("key", key.path("key").asText(), "subject", subject));
            PKCS10CertificationRequest request = new PKCS10CertificationRequest(Base64.getDecoder().decode(csr.path("der").asText()));
            X500Principal parsed = new X500Principal(request.getSubject().getEncoded());
            assertEquals(new X500Principal(subject.replace("2.5.4.4=Żabińska", "SURNAME=Żabińska")), parsed);
        }
    }

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

    @Test
    void generateKeyPair_algorithmTheCardLacks_isAlgorithmNotSupported_listingWhatItHas() {
        SoftHsm2.Token token = SoftHsm2.inProcess().claim();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            host.module().hideMechanisms(Ck.CKM_EC_KEY_PAIR_GEN);
            HostException e = assertThrows(HostException.class, () -> host.call("generateKeyPair",
                    Map.of("token", host.tokenHandle(token.label()), "algorithm", "EC-P256", "label", "k")));
            assertEquals(ErrorCode.ALGORITHM_NOT_SUPPORTED, e.code());
            assertEquals(List.of("RSA-2048", "RSA-3072", "RSA-4096"), e.details().get("supported"));
            assertTrue(host.ui().confirmations().isEmpty());
        }
    }

    @Test
    void generateKeyPair_unknownAlgorithmOrBadLabel_isInvalidArgument() {
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            assertEquals("algorithm", assertThrows(HostException.class, () -> host.call("generateKeyPair",
                    Map.of("token", "t", "algorithm", "DSA-1024", "label", "k"))).details().get("field"));
            assertEquals("label", assertThrows(HostException.class, () -> host.call("generateKeyPair",
                    Map.of("token", "t", "algorithm", "RSA-2048", "label", "x".repeat(200)))).details().get("field"));
        }
    }

    @Test
    void generateKeyPair_cardFull_isTokenFull_andLeavesNothing() {
        SoftHsm2.Token token = SoftHsm2.inProcess().claim();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = host.tokenHandle(token.label());
            host.call("login", Map.of("token", handle));
            // The card answers CKR_DEVICE_MEMORY to the generation itself.
            host.module().failOn("C_GenerateKeyPair", 1, Ck.CKR_DEVICE_MEMORY, org.cardbridge.testing.FaultInjectingPkcs11.When.BEFORE);
            HostException e = assertThrows(HostException.class, () -> host.call("generateKeyPair",
                    Map.of("token", handle, "algorithm", "EC-P256", "label", "k")));
            assertEquals(ErrorCode.TOKEN_FULL, e.code());
            host.module().noFailure();
            assertEquals(0, host.call("listCertificates", Map.of("token", handle)).path("pendingKeys").size());
        }
    }

    @Test
    void generateKeyPair_userDeclines_isUserCancelled_andNothingIsMade() {
        SoftHsm2.Token token = SoftHsm2.inProcess().claim();
        ScriptedUserInterface ui = new ScriptedUserInterface(SoftHsm2.PIN).thenConfirm(false);
        try (InProcessHost host = new InProcessHost(ui)) {
            String handle = host.tokenHandle(token.label());
            assertEquals(ErrorCode.USER_CANCELLED, assertThrows(HostException.class, () -> host.call("generateKeyPair",
                    Map.of("token", handle, "algorithm", "EC-P256", "label", "k"))).code());
            assertTrue(ui.pinPrompts().isEmpty());
            host.call("login", Map.of("token", handle));
            assertEquals(0, host.call("listCertificates", Map.of("token", handle)).path("pendingKeys").size());
        }
    }

    @Test
    void removeKey_pendingKey_isRemoved_butAKeyWithACertificateIsRefused() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = host.tokenHandle(f.token().label());
            JsonNode key = host.call("generateKeyPair", Map.of("token", handle, "algorithm", "EC-P256", "label", "porzucony"));
            assertTrue(host.call("removeKey", Map.of("key", key.path("key").asText())).path("removed").asBoolean());
            assertEquals("action.removeKey", host.ui().confirmations().getLast().action());
            assertEquals(0, host.call("listCertificates", Map.of("token", handle)).path("pendingKeys").size());
            assertFalse(pkcs11Tool(f.token(), "--list-objects").contains("porzucony"));

            String certifiedKey = handle + "~k0102";
            HostException e = assertThrows(HostException.class, () -> host.call("removeKey", Map.of("key", certifiedKey)));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertEquals(1, host.call("listCertificates", Map.of("token", handle)).path("certificates").size());
            assertEquals(ErrorCode.KEY_NOT_FOUND, assertThrows(HostException.class,
                    () -> host.call("removeKey", Map.of("key", handle + "~kabcdef"))).code());
        }
    }

    @Test
    void removeKey_keyWhosePrivateCertificateShowsOnlyAfterLogin_isRefused_andStays() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = host.tokenHandle(f.token().label());
            JsonNode key = host.call("generateKeyPair", Map.of("token", handle, "algorithm", "EC-P256", "label", "z prywatnym"));
            writePrivateCertificate(host, f, key.path("keyId").asText());
            host.call("logout", Map.of("token", handle));
            HostException e = assertThrows(HostException.class, () -> host.call("removeKey", Map.of("key", key.path("key").asText())));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertEquals("key", e.details().get("field"));
            assertTrue(pkcs11Tool(f.token(), "--list-objects", "--type", "privkey").contains("z prywatnym"));
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

    @Test
    void createCsr_forAKeyWhosePrivateCertificateShowsOnlyAfterLogin_isRefused() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = host.tokenHandle(f.token().label());
            JsonNode key = host.call("generateKeyPair", Map.of("token", handle, "algorithm", "EC-P256", "label", "ukryty"));
            writePrivateCertificate(host, f, key.path("keyId").asText());
            host.call("logout", Map.of("token", handle));
            HostException e = assertThrows(HostException.class, () -> host.call("createCsr",
                    Map.of("key", key.path("key").asText(), "subject", "CN=Ukryty certyfikat")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertEquals("key", e.details().get("field"));
        }
    }

    @Test
    void removeKey_cardPulledBetweenTheTwoDeletes_neverLeavesALonePublicKey() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = host.tokenHandle(f.token().label());
            JsonNode key = host.call("generateKeyPair", Map.of("token", handle, "algorithm", "EC-P256", "label", "przerwany"));
            host.module().failOn("C_DestroyObject", 2, Ck.CKR_DEVICE_REMOVED, org.cardbridge.testing.FaultInjectingPkcs11.When.BEFORE);
            assertThrows(HostException.class, () -> host.call("removeKey", Map.of("key", key.path("key").asText())));
            host.module().noFailure();
            assertFalse(pkcs11Tool(f.token(), "--list-objects", "--type", "pubkey").contains("przerwany"),
                    "the public key goes first");
            assertTrue(pkcs11Tool(f.token(), "--list-objects", "--type", "privkey").contains("przerwany"),
                    "the private key is still there: a retry removes it");
        }
    }

    @Test
    void createCsr_forAKeyThatHasACertificate_isRefusedBeforeAnyDialog() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = host.tokenHandle(f.token().label());
            HostException e = assertThrows(HostException.class, () -> host.call("createCsr",
                    Map.of("key", handle + "~k0102", "subject", "CN=Przejęty klucz")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertEquals("key", e.details().get("field"));
            assertTrue(host.ui().confirmations().isEmpty());
            assertTrue(host.ui().pinPrompts().isEmpty());
        }
    }

    @Test
    void keyHandle_withNonAsciiDigits_isInvalidArgument_notAnInternalError() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = host.tokenHandle(f.token().label());
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

    static String pkcs11Tool(SoftHsm2.Token token, String... args) {
        try {
            List<String> cmd = new java.util.ArrayList<>(List.of("pkcs11-tool", "--module", SoftHsm2.MODULE, "--slot",
                    Long.toString(token.slotId()), "--login", "--pin", token.pin()));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
