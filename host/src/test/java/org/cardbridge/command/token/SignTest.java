package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sign, raw and CMS, verified independently with the JDK and Bouncy Castle, on every backend; the checks the
 * host makes before the card signs anything run once, on SoftHSM2.
 */
class SignTest {
    static List<TestToken.Backend> backends() {
        return TokenFixture.backends();
    }

    private static final byte[] APPLICATION = "Wniosek o odnowienie certyfikatu — Zażółć".getBytes(StandardCharsets.UTF_8);

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void signRaw_data_verifiesWithTheCertificate_afterOneConfirmationAndOnePin(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            String cert = certificateHandle(host, f);
            JsonNode r = host.call("sign", Map.of("certificate", cert, "data", b64(APPLICATION), "format", "raw",
                    "description", "Wniosek o odnowienie"));
            assertEquals("SHA256withRSA", r.path("signatureAlgorithm").asText());
            assertEquals("raw", r.path("format").asText());
            Signature v = Signature.getInstance("SHA256withRSA");
            v.initVerify(f.cert());
            v.update(APPLICATION);
            assertTrue(v.verify(Base64.getDecoder().decode(r.path("signature").asText())));
            assertEquals("action.sign", ui.confirmations().getFirst().action());
            assertTrue(ui.confirmations().getFirst().facts().contains("Document: Wniosek o odnowienie"));
            assertEquals(InProcessHost.ORIGIN, ui.confirmations().getFirst().origin());
            assertEquals(PlainWords.name(f.cert()), ui.pinPrompts().getFirst().certificate());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aSignatureTheCardGotWrong_isNeverReturned_rawOrCms(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            String cert = certificateHandle(host, f);
            host.module().corruptSignatures();
            for (String format : List.of("raw", "cms")) {
                HostException e = assertThrows(HostException.class, () -> host.call("sign", Map.of("certificate", cert,
                        "data", b64(APPLICATION), "format", format, "description", "Wniosek o odnowienie")), format);
                assertEquals(ErrorCode.INTERNAL_ERROR, e.code(), format);
                assertEquals("signatureDoesNotVerify", e.details().get("reason"), format);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void signRaw_hashSha384_verifies(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            byte[] hash = MessageDigest.getInstance("SHA-384").digest(APPLICATION);
            JsonNode r = host.call("sign", Map.of("certificate", certificateHandle(host, f), "hash", b64(hash),
                    "hashAlgorithm", "SHA-384", "format", "raw", "description", "d"));
            assertEquals("SHA384withRSA", r.path("signatureAlgorithm").asText());
            Signature v = Signature.getInstance("SHA384withRSA");
            v.initVerify(f.cert());
            v.update(APPLICATION);
            assertTrue(v.verify(Base64.getDecoder().decode(r.path("signature").asText())));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void signCms_detachedData_isCadesBes_verifiedByBouncyCastle(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            Instant before = Instant.now().minusSeconds(1);
            JsonNode r = host.call("sign", Map.of("certificate", certificateHandle(host, f), "data", b64(APPLICATION),
                    "format", "cms", "description", "Wniosek"));
            CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(APPLICATION), Base64.getDecoder().decode(r.path("signature").asText()));
            SignerInformation signer = verifyCms(cms, f);
            AttributeTable attrs = signer.getSignedAttributes();
            Time signingTime = Time.getInstance(attrs.get(CMSAttributes.signingTime).getAttrValues().getObjectAt(0));
            assertTrue(!signingTime.getDate().toInstant().isBefore(before.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
            Attribute scv2 = attrs.get(PKCSObjectIdentifiers.id_aa_signingCertificateV2);
            SigningCertificateV2 sc = SigningCertificateV2.getInstance(scv2.getAttrValues().getObjectAt(0));
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(f.cert().getEncoded()), sc.getCerts()[0].getCertHash());
            assertEquals(f.cert().getSerialNumber(), sc.getCerts()[0].getIssuerSerial().getSerial().getValue());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void signCms_attachedData_carriesTheContent(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            JsonNode r = host.call("sign", Map.of("certificate", certificateHandle(host, f), "data", b64(APPLICATION),
                    "format", "cms", "detached", false, "description", "Wniosek"));
            CMSSignedData cms = new CMSSignedData(Base64.getDecoder().decode(r.path("signature").asText()));
            assertArrayEquals(APPLICATION, (byte[]) cms.getSignedContent().getContent());
            verifyCms(cms, f);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void signBatch_cmsOverHashes_oneConfirmationOnePin_eachVerifies(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            List<byte[]> docs = List.of("a".getBytes(), "bb".getBytes(), "ccc".getBytes());
            List<String> hashes = docs.stream().map(d -> b64(sha256(d))).toList();
            JsonNode r = host.call("sign", Map.of("certificate", certificateHandle(host, f), "hashes", hashes,
                    "hashAlgorithm", "SHA-256", "format", "cms", "description", "Trzy dokumenty"));
            assertEquals(3, r.path("signatures").size());
            for (int i = 0; i < docs.size(); i++) {
                CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(docs.get(i)),
                        Base64.getDecoder().decode(r.path("signatures").get(i).asText()));
                verifyCms(cms, f);
            }
            assertEquals(1, ui.confirmations().size());
            assertEquals("action.signBatch", ui.confirmations().getFirst().action());
            assertEquals(1, ui.pinPrompts().size());
            // The login holds: a second signature asks no PIN.
            host.call("sign", Map.of("certificate", certificateHandle(host, f), "hashes", hashes, "format", "raw", "description", "x"));
            assertEquals(1, ui.pinPrompts().size());
        }
    }

    // ---- the host's own checks, before anything reaches the card: the backend does not matter ----

    @Test
    void sign_hashOfWrongLength_isInvalidArgument_beforeAnyDialog() {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(SoftHsm2.PIN);
        try (InProcessHost host = new InProcessHost(ui)) {
            String cert = certificateHandle(host, f);
            HostException e = assertThrows(HostException.class, () -> host.call("sign", Map.of("certificate", cert,
                    "hash", b64(new byte[20]), "hashAlgorithm", "SHA-256", "format", "raw", "description", "d")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertEquals("hash", e.details().get("field"));
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(HostException.class, () -> host.call("sign", Map.of(
                    "certificate", cert, "data", b64(APPLICATION), "hash", b64(sha256(APPLICATION)), "format", "raw",
                    "description", "d"))).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(HostException.class, () -> host.call("sign", Map.of(
                    "certificate", cert, "data", b64(APPLICATION), "format", "pdf", "description", "d"))).code());
            assertTrue(ui.confirmations().isEmpty() && ui.pinPrompts().isEmpty());
        }
    }

    @Test
    void sign_expiredCertificate_isCertificateExpired() {
        TokenFixture f = TokenFixture.withCertificate(TestToken.softHsm(), Instant.now().minus(Duration.ofDays(400)),
                Instant.now().minus(Duration.ofDays(1)));
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            assertEquals(ErrorCode.CERTIFICATE_EXPIRED, assertThrows(HostException.class, () -> host.call("sign", Map.of(
                    "certificate", certificateHandle(host, f), "data", b64(APPLICATION), "format", "raw", "description", "d"))).code());
        }
    }

    @Test
    void sign_unknownCertificateHandle_isKeyNotFound() {
        TokenFixture f = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            String handle = f.token().handle(host) + "~c00112233445566778899aabbccddeeff";
            assertEquals(ErrorCode.KEY_NOT_FOUND, assertThrows(HostException.class, () -> host.call("sign", Map.of(
                    "certificate", handle, "data", b64(APPLICATION), "format", "raw", "description", "d"))).code());
        }
    }

    /** SoftHSM2 only: VirtualCards keeps one card in reader 0 (two modules at once are TokenManager's tests). */
    @Test
    void twoTokensAtOnce_eachSignsWithItsOwnKey() throws Exception {
        TokenFixture a = TokenFixture.withCertificate();
        TokenFixture b = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(SoftHsm2.PIN);
        try (InProcessHost host = new InProcessHost(ui)) {
            String ha = certificateHandle(host, a);
            String hb = certificateHandle(host, b);
            for (TokenFixture f : List.of(a, b)) {
                JsonNode r = host.call("sign", Map.of("certificate", f == a ? ha : hb, "data", b64(APPLICATION), "format", "raw",
                        "description", "d"));
                Signature v = Signature.getInstance("SHA256withRSA");
                v.initVerify(f.cert());
                v.update(APPLICATION);
                assertTrue(v.verify(Base64.getDecoder().decode(r.path("signature").asText())));
            }
            assertEquals(List.of(a.token().label(), b.token().label()), ui.pinPrompts().stream().map(p -> p.tokenLabel()).toList());
        }
    }

    static SignerInformation verifyCms(CMSSignedData cms, TokenFixture f) throws Exception {
        SignerInformation signer = cms.getSignerInfos().getSigners().iterator().next();
        X509CertificateHolder included = (X509CertificateHolder) cms.getCertificates().getMatches(signer.getSID()).iterator().next();
        assertArrayEquals(f.cert().getEncoded(), included.getEncoded());
        assertTrue(signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(new BouncyCastleProvider()).build(f.cert())));
        return signer;
    }

    /**
     * A key with CKA_ALWAYS_AUTHENTICATE (qualified-signature keys often have it) needs C_Login as
     * CKU_CONTEXT_SPECIFIC before each signature. SoftHSM2 enforces it; OpenSC's virtual card cannot mark a key so.
     */
    @Test
    void sign_keyThatAsksForThePinEveryTime_getsItsOwnPinDialogPerSignature() throws Exception {
        TestToken token = TestToken.softHsm();
        java.security.KeyPair keys = org.cardbridge.testing.TestCa.rsa(2048);
        java.security.cert.X509Certificate cert = TokenFixture.issue(keys);
        writeAlwaysAuthenticateKey(token, keys, cert, "0c");
        TokenFixture f = new TokenFixture(token, TokenFixture.CA, keys, cert, new byte[]{0x0c});
        ScriptedUserInterface ui = new ScriptedUserInterface(token.pin());
        try (InProcessHost host = new InProcessHost(ui, token)) {
            String handle = certificateHandle(host, f);
            JsonNode r = host.call("sign", Map.of("certificate", handle, "data", b64(APPLICATION), "format", "raw",
                    "description", "Wniosek o odnowienie"));
            Signature v = Signature.getInstance("SHA256withRSA");
            v.initVerify(cert);
            v.update(APPLICATION);
            assertTrue(v.verify(Base64.getDecoder().decode(r.path("signature").asText())));
            assertEquals(List.of(org.cardbridge.ui.PinPrompt.Purpose.LOGIN, org.cardbridge.ui.PinPrompt.Purpose.SIGNATURE),
                    ui.pinPrompts().stream().map(org.cardbridge.ui.PinPrompt::purpose).toList());

            // Logged in already: a batch of three asks three times, once per signature, and nothing else.
            byte[] h = MessageDigest.getInstance("SHA-256").digest(APPLICATION);
            host.call("sign", Map.of("certificate", handle, "hashes", List.of(b64(h), b64(h), b64(h)), "format", "raw", "description", "3"));
            assertEquals(5, ui.pinPrompts().size());
            assertTrue(ui.pinPrompts().subList(2, 5).stream().allMatch(p -> p.purpose() == org.cardbridge.ui.PinPrompt.Purpose.SIGNATURE));

            // Logged in already, one signature: one window, the consent and that signature's PIN together.
            int before = ui.approvals().size();
            host.call("sign", Map.of("certificate", handle, "data", b64(APPLICATION), "format", "cms", "description", "jeden"));
            List<org.cardbridge.ui.Approval> shown = ui.approvals().subList(before, ui.approvals().size());
            assertEquals(1, shown.size(), "one window: " + shown);
            assertEquals("action.sign", shown.getFirst().action());
            assertEquals(org.cardbridge.ui.PinPrompt.Purpose.SIGNATURE, shown.getFirst().pin().purpose());
            assertTrue(shown.getFirst().document().contains(new String(APPLICATION, StandardCharsets.UTF_8).strip().lines().findFirst().orElseThrow()),
                    "what is signed is shown in that window");
            assertEquals(6, ui.pinPrompts().size());

            // A wrong signature PIN is PIN_INCORRECT, never retried; the next request signs.
            ui.thenPin("999999");
            HostException e = assertThrows(HostException.class, () -> host.call("sign", Map.of("certificate", handle,
                    "data", b64(APPLICATION), "format", "cms", "description", "d")));
            assertEquals(ErrorCode.PIN_INCORRECT, e.code());
            assertEquals(true, e.details().get("signaturePin"));
            assertEquals(7, ui.pinPrompts().size(), "not asked again");
            host.call("sign", Map.of("certificate", handle, "data", b64(APPLICATION), "format", "cms", "description", "d"));
        }
    }

    /** The key and its certificate written with pkcs11-tool, the key marked CKA_ALWAYS_AUTHENTICATE. */
    static void writeAlwaysAuthenticateKey(TestToken token, java.security.KeyPair keys, java.security.cert.X509Certificate cert,
                                           String idHex) throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("always-auth");
        java.nio.file.Path key = dir.resolve("key.der");
        java.nio.file.Files.write(key, keys.getPrivate().getEncoded());
        java.nio.file.Path crt = dir.resolve("cert.der");
        java.nio.file.Files.write(crt, cert.getEncoded());
        for (List<String> args : List.of(
                List.of("--write-object", key.toString(), "--type", "privkey", "--always-auth", "--sensitive"),
                List.of("--write-object", crt.toString(), "--type", "cert"))) {
            List<String> cmd = new java.util.ArrayList<>(List.of("pkcs11-tool", "--module", token.module(), "--slot",
                    Long.toString(token.slotId()), "--login", "--pin", token.pin(), "--id", idHex, "--label", "Kwalifikowany"));
            cmd.addAll(args);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out);
        }
    }

    /** Known to fail whatever the card does: refused before the user confirms or types a PIN. SoftHSM2: host logic. */
    @Test
    void sign_whatCannotSucceed_isRefusedBeforeAnyDialog() throws Exception {
        // A certificate of a key CardBridge does not sign with (RSA-1024).
        TestToken token = TestToken.softHsm();
        java.security.KeyPair small = org.cardbridge.testing.TestCa.rsa(1024);
        java.security.cert.X509Certificate smallCert = TokenFixture.issue(small);
        token.importKey(small, smallCert, new byte[]{0x0a}, "RSA-1024");
        TokenFixture f = new TokenFixture(token, TokenFixture.CA, small, smallCert, new byte[]{0x0a});
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(token.pin()), token)) {
            HostException e = assertThrows(HostException.class, () -> host.call("sign", Map.of("certificate", certificateHandle(host, f),
                    "data", b64(APPLICATION), "format", "raw", "description", "d")));
            assertEquals(ErrorCode.ALGORITHM_NOT_SUPPORTED, e.code());
            assertTrue(host.ui().confirmations().isEmpty());
            assertTrue(host.ui().pinPrompts().isEmpty());
        }
        // An attached CMS whose answer cannot fit the browsers' 1 MiB: the card would sign for nothing.
        TokenFixture g = TokenFixture.withCertificate();
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(g.token().pin()), g.token())) {
            byte[] data = new byte[800 * 1024];
            HostException e = assertThrows(HostException.class, () -> host.call("sign", Map.of("certificate", certificateHandle(host, g),
                    "data", b64(data), "format", "cms", "detached", false, "description", "d")));
            assertEquals(ErrorCode.MESSAGE_TOO_LARGE, e.code());
            assertEquals("detached", e.details().get("field"));
            assertTrue(host.ui().confirmations().isEmpty());
            // Detached, the same data is signed.
            host.call("sign", Map.of("certificate", certificateHandle(host, g), "data", b64(data), "format", "cms", "description", "d"));
            assertEquals(1, host.ui().confirmations().size());
        }
    }

    static String certificateHandle(InProcessHost host, TokenFixture f) {
        JsonNode certs = host.call("listCertificates", Map.of("token", f.token().handle(host))).path("certificates");
        for (JsonNode c : certs) {
            if (Arrays.equals(Base64.getDecoder().decode(c.path("certificate").asText()), encoded(f))) {
                return c.path("handle").asText();
            }
        }
        throw new AssertionError("certificate not listed");
    }

    private static byte[] encoded(TokenFixture f) {
        try {
            return f.cert().getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sha256(byte[] d) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(d);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }
}
