package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
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
import org.junit.jupiter.params.provider.MethodSource;

import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
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
 * installCertificate on every backend: checks before writing, the replace order, deferred install, CA
 * certificates, bundles. "Nothing is written" is checked with the backend's own listing tool.
 */
class InstallCertificateTest {
    static List<TestToken.Backend> backends() {
        return TokenFixture.backends();
    }

    private static final byte[] DOC = "dokument".getBytes();

    /** A renewal up to the CA's answer: new key on the card, CSR, certificate issued for the CSR's key. */
    record Renewal(String tokenHandle, String oldCertificate, JsonNode newKey, PublicKey publicKey) {
        X509Certificate issue(Instant notBefore, Instant notAfter) {
            return TokenFixture.CA.issue(publicKey, "CN=Zażółć Gęślą Jaźń (odnowiony),O=Łódzka Spółka,C=PL", notBefore, notAfter);
        }

        X509Certificate issue() {
            return issue(Instant.now().minus(Duration.ofMinutes(5)), Instant.now().plus(Duration.ofDays(700)));
        }
    }

    static Renewal startRenewal(InProcessHost host, TokenFixture f) throws Exception {
        String token = f.token().handle(host);
        String old = SignTest.certificateHandle(host, f);
        JsonNode key = host.call("generateKeyPair", Map.of("token", token, "algorithm", "RSA-2048", "label", "Klucz 2026 ł"));
        return new Renewal(token, old, key, EnrolmentTest.publicKey(key.path("publicKey").asText()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void renewal_replacesOldCertificate_inOrderWriteVerifyRemove_andTheNewOneSigns(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            Renewal r = startRenewal(host, f);
            X509Certificate issued = r.issue();
            host.module().resetCalls();
            JsonNode result = host.call("installCertificate", Map.of("certificates",
                    List.of(TestCa.pem(issued), TestCa.pem(f.ca().issuing()), TestCa.pem(f.ca().root())),
                    "replaces", r.oldCertificate(), "removeOldKey", true));
            assertTrue(result.path("replaced").asBoolean());
            assertEquals(r.newKey().path("keyId").asText(), result.path("keyId").asText());
            assertTrue(result.path("oldKeyKept").isBoolean() && !result.path("oldKeyKept").booleanValue(), result.toString());
            assertEquals(2, result.path("caCertificates").size());
            result.path("caCertificates").forEach(ca -> assertTrue(ca.path("written").asBoolean(), ca.toString()));
            assertEquals("action.replaceCertificate", ui.confirmations().getLast().action());

            // Order: the new certificate is written and read back before anything is destroyed.
            List<String> calls = host.module().calls();
            int write = calls.indexOf("C_CreateObject");
            int readBack = calls.subList(write, calls.size()).indexOf("C_GetAttributeValue") + write;
            int firstDestroy = calls.indexOf("C_DestroyObject");
            assertTrue(write >= 0 && write < readBack && readBack < firstDestroy, calls.toString());

            JsonNode listed = host.call("listCertificates", Map.of("token", r.tokenHandle()));
            List<String> subjects = new ArrayList<>();
            listed.path("certificates").forEach(c -> subjects.add(c.path("subject").asText()));
            assertFalse(subjects.contains(TokenFixture.SUBJECT), "the old certificate is gone: " + subjects);
            assertTrue(subjects.contains("CN=Zażółć Gęślą Jaźń (odnowiony),O=Łódzka Spółka,C=PL"));
            assertEquals(0, listed.path("pendingKeys").size(), "the old key was removed and the new one has its certificate");
            assertFalse(f.token().objects().contains("Stary klucz"));

            JsonNode signed = host.call("sign", Map.of("certificate", result.path("certificate").asText(),
                    "data", SignTest.b64(DOC), "format", "raw", "description", "d"));
            Signature v = Signature.getInstance("SHA256withRSA");
            v.initVerify(issued);
            v.update(DOC);
            assertTrue(v.verify(Base64.getDecoder().decode(signed.path("signature").asText())));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void pkcs7Bundle_withoutReplaces_isInstalledBesideTheOld(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            Renewal r = startRenewal(host, f);
            X509Certificate issued = r.issue();
            CMSSignedDataGenerator g = new CMSSignedDataGenerator();
            g.addCertificates(new JcaCertStore(List.of(f.ca().root(), issued, f.ca().issuing())));
            byte[] p7 = g.generate(new CMSProcessableByteArray(new byte[0]), false).getEncoded();
            String pem = "-----BEGIN PKCS7-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(p7) + "\n-----END PKCS7-----\n";
            JsonNode result = host.call("installCertificate", Map.of("certificates", pem));
            assertFalse(result.path("replaced").asBoolean());
            JsonNode listed = host.call("listCertificates", Map.of("token", r.tokenHandle())).path("certificates");
            assertEquals(4, listed.size(), "old + new + two CA certificates");
            long cas = 0;
            for (JsonNode c : listed) {
                cas += c.path("isCa").asBoolean() ? 1 : 0;
            }
            assertEquals(2, cas);
            // Installing the same bundle again writes nothing new and says the CA certificates were there.
            JsonNode again = host.call("installCertificate", Map.of("certificates", Base64.getEncoder().encodeToString(p7)));
            again.path("caCertificates").forEach(ca -> assertEquals("alreadyOnToken", ca.path("reason").asText()));
            assertEquals(4, host.call("listCertificates", Map.of("token", r.tokenHandle())).path("certificates").size());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void certificateForAnotherKey_isKeyMismatch_andNothingIsWritten(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            Renewal r = startRenewal(host, f);
            String before = f.token().objects();
            X509Certificate foreign = TokenFixture.CA.issue(TestCa.rsa(2048).getPublic(), "CN=Ktoś inny", 30);
            HostException e = assertThrows(HostException.class, () -> host.call("installCertificate", Map.of(
                    "certificates", List.of(TestCa.pem(foreign), TestCa.pem(f.ca().issuing())), "replaces", r.oldCertificate())));
            assertEquals(ErrorCode.CERTIFICATE_KEY_MISMATCH, e.code());
            assertEquals(before, f.token().objects());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void badInput_garbageExpiredBrokenChain_areRefusedAndNothingIsWritten(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            Renewal r = startRenewal(host, f);
            int confirmations = ui.confirmations().size();
            String before = f.token().objects();
            assertEquals(ErrorCode.CERTIFICATE_INVALID, assertThrows(HostException.class, () -> host.call("installCertificate",
                    Map.of("certificates", List.of("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")))).code());
            assertEquals(ErrorCode.CERTIFICATE_INVALID, assertThrows(HostException.class, () -> host.call("installCertificate",
                    Map.of("certificates", "to nie jest certyfikat"))).code());
            X509Certificate expired = r.issue(Instant.now().minus(Duration.ofDays(30)), Instant.now().minus(Duration.ofDays(1)));
            assertEquals(ErrorCode.CERTIFICATE_EXPIRED, assertThrows(HostException.class, () -> host.call("installCertificate",
                    Map.of("certificates", List.of(TestCa.pem(expired)), "replaces", r.oldCertificate()))).code());
            TestCa other = new TestCa("Inne CA");
            X509Certificate good = r.issue();
            // The issuing CA certificate given does not fit: a different CA with the same name signed it.
            TestCa impostor = new TestCa("CardBridge Test CA");
            HostException chain = assertThrows(HostException.class, () -> host.call("installCertificate",
                    Map.of("certificates", List.of(TestCa.pem(good), TestCa.pem(impostor.issuing())))));
            assertEquals(ErrorCode.CERTIFICATE_INVALID, chain.code());
            assertEquals(ErrorCode.CERTIFICATE_INVALID, assertThrows(HostException.class, () -> host.call("installCertificate",
                    Map.of("certificates", List.of(TestCa.pem(good), TestCa.pem(other.root()))))).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(HostException.class, () -> host.call("installCertificate",
                    Map.of("certificates", List.of(TestCa.pem(good)), "removeOldKey", true))).code());
            assertEquals(before, f.token().objects());
            assertEquals(confirmations, ui.confirmations().size(), "refused before asking the user");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void notYetValid_neverReplaces_isStoredBeside_whenAllowed_andCompletesLater(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            Renewal r = startRenewal(host, f);
            X509Certificate future = r.issue(Instant.now().plus(Duration.ofDays(20)), Instant.now().plus(Duration.ofDays(750)));
            HostException e = assertThrows(HostException.class, () -> host.call("installCertificate", Map.of(
                    "certificates", List.of(TestCa.pem(future)), "replaces", r.oldCertificate())));
            assertEquals(ErrorCode.CERTIFICATE_NOT_YET_VALID, e.code());

            JsonNode result = host.call("installCertificate", Map.of("certificates", List.of(TestCa.pem(future)),
                    "replaces", r.oldCertificate(), "removeOldKey", true, "allowNotYetValid", true));
            assertFalse(result.path("replaced").asBoolean());
            JsonNode listed = host.call("listCertificates", Map.of("token", r.tokenHandle()));
            assertEquals(2, listed.path("certificates").size(), "old and deferred certificate side by side");
            assertEquals(0, listed.path("pendingKeys").size());
            // The old certificate still signs.
            JsonNode signed = host.call("sign", Map.of("certificate", r.oldCertificate(), "data", SignTest.b64(DOC),
                    "format", "raw", "description", "d"));
            Signature v = Signature.getInstance("SHA256withRSA");
            v.initVerify(f.cert());
            v.update(DOC);
            assertTrue(v.verify(Base64.getDecoder().decode(signed.path("signature").asText())));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void alreadyInstalled_thenReplaces_completesTheReplacementWithoutWritingTwice(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            Renewal r = startRenewal(host, f);
            X509Certificate issued = r.issue();
            host.call("installCertificate", Map.of("certificates", List.of(TestCa.pem(issued))));
            JsonNode result = host.call("installCertificate", Map.of("certificates", List.of(TestCa.pem(issued)),
                    "replaces", r.oldCertificate()));
            assertTrue(result.path("replaced").asBoolean());
            JsonNode listed = host.call("listCertificates", Map.of("token", r.tokenHandle()));
            assertEquals(1, listed.path("certificates").size());
            assertEquals(1, listed.path("pendingKeys").size(), "removeOldKey was not asked: the old key stays, now pending");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void cardRefusingCaCertificates_installsTheEndEntity_andSaysWhichWereNotWritten(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            Renewal r = startRenewal(host, f);
            X509Certificate issued = r.issue();
            // The first C_CreateObject is the end-entity certificate; the card refuses the next one (a CA certificate).
            host.module().failOn("C_CreateObject", 2, org.cardbridge.token.Ck.CKR_TEMPLATE_INCONSISTENT,
                    org.cardbridge.testing.FaultInjectingPkcs11.When.BEFORE);
            JsonNode result = host.call("installCertificate", Map.of("certificates",
                    List.of(TestCa.pem(issued), TestCa.pem(f.ca().issuing()), TestCa.pem(f.ca().root())),
                    "replaces", r.oldCertificate()));
            host.module().noFailure();
            assertTrue(result.path("replaced").asBoolean());
            JsonNode cas = result.path("caCertificates");
            assertFalse(cas.get(0).path("written").asBoolean());
            assertEquals("CKR_TEMPLATE_INCONSISTENT", cas.get(0).path("reason").asText());
            assertTrue(cas.get(1).path("written").asBoolean());
            assertFalse(cas.get(1).has("reason"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void writeProtectedCard_isTokenReadOnly_andTheOldCertificateStays(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(f.token().pin()), f.token())) {
            Renewal r = startRenewal(host, f);
            X509Certificate issued = r.issue();
            host.module().failOn("C_CreateObject", 1, org.cardbridge.token.Ck.CKR_TOKEN_WRITE_PROTECTED,
                    org.cardbridge.testing.FaultInjectingPkcs11.When.BEFORE);
            HostException e = assertThrows(HostException.class, () -> host.call("installCertificate", Map.of(
                    "certificates", List.of(TestCa.pem(issued)), "replaces", r.oldCertificate(), "removeOldKey", true)));
            host.module().noFailure();
            assertEquals(ErrorCode.TOKEN_READ_ONLY, e.code());
            JsonNode listed = host.call("listCertificates", Map.of("token", r.tokenHandle()));
            assertEquals(1, listed.path("certificates").size());
            assertEquals(TokenFixture.SUBJECT, listed.path("certificates").get(0).path("subject").asText());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void publicKeyOnlyMatch_withNoPrivateKeyAfterLogin_isKeyMismatch_andNothingIsWrittenOrRemoved(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            Renewal r = startRenewal(host, f);
            X509Certificate issued = r.issue();
            // Only the public key object of the new key is left: before login it looks like the key a card hides.
            deletePrivateKey(host, f.token(), java.util.HexFormat.of().parseHex(r.newKey().path("keyId").asText()));
            host.call("logout", Map.of("token", r.tokenHandle()));
            String before = f.token().objects();
            HostException e = assertThrows(HostException.class, () -> host.call("installCertificate", Map.of(
                    "certificates", List.of(TestCa.pem(issued)), "replaces", r.oldCertificate(), "removeOldKey", true)));
            assertEquals(ErrorCode.CERTIFICATE_KEY_MISMATCH, e.code());
            assertEquals(before, f.token().objects());
        }
    }

    /** Deletes a private key behind the host's back, through the module itself (the host's login holds for it). */
    private static void deletePrivateKey(InProcessHost host, TestToken token, byte[] id) {
        Pkcs11 p11 = host.module();
        long session = p11.openSession(token.slotId());
        try {
            for (long key : p11.find(session, List.of(Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_PRIVATE_KEY), Pkcs11.Attr.of(Ck.CKA_ID, id)))) {
                p11.destroyObject(session, key);
            }
        } finally {
            p11.closeSession(session);
        }
    }

    /** SoftHSM2 only: OpenSC refuses a second certificate with an existing CKA_ID ("Non unique object ID"). */
    @Test
    void removeOldKey_keepsAKeyAnotherCertificateStillUses_andSaysSo() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        // A second certificate on the old key (same CKA_ID), e.g. an authentication certificate beside the signing one.
        X509Certificate second = f.ca().issue(f.keys().getPublic(), "CN=Zażółć Gęślą Jaźń (uwierzytelnianie),C=PL", 30);
        f.token().writeCertificate(second, f.id(), "Drugi certyfikat");
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            Renewal r = startRenewal(host, f);
            JsonNode certificates = host.call("listCertificates", Map.of("token", r.tokenHandle())).path("certificates");
            String secondHandle = null;
            for (JsonNode c : certificates) {
                if (c.path("subject").asText().contains("uwierzytelnianie")) {
                    secondHandle = c.path("handle").asText();
                }
            }
            JsonNode result = host.call("installCertificate", Map.of("certificates", List.of(TestCa.pem(r.issue())),
                    "replaces", r.oldCertificate(), "removeOldKey", true));
            assertTrue(result.path("replaced").asBoolean());
            assertTrue(result.path("oldKeyKept").asBoolean(), result.toString());
            assertEquals("usedByAnotherCertificate", result.path("oldKeyKeptReason").asText());
            // The other certificate still has its key and signs.
            JsonNode signed = host.call("sign", Map.of("certificate", secondHandle, "data", SignTest.b64(DOC),
                    "format", "raw", "description", "d"));
            Signature v = Signature.getInstance("SHA256withRSA");
            v.initVerify(second);
            v.update(DOC);
            assertTrue(v.verify(Base64.getDecoder().decode(signed.path("signature").asText())));
        }
    }

    /**
     * The same when the other certificate is one the host cannot read (the JDK refuses it): it still needs
     * the key. SoftHSM2 only, as above.
     */
    @Test
    void removeOldKey_keepsAKeyWhoseOtherCertificateTheHostCannotParse() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        byte[] unreadable = f.ca().issueUnreadable(f.keys().getPublic(), "CN=Zażółć Gęślą Jaźń (uwierzytelnianie),C=PL", 30);
        f.token().writeCertificate(unreadable, f.id(), "Certyfikat nieczytelny");
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(SoftHsm2.PIN))) {
            Renewal r = startRenewal(host, f);
            JsonNode result = host.call("installCertificate", Map.of("certificates", List.of(TestCa.pem(r.issue())),
                    "replaces", r.oldCertificate(), "removeOldKey", true));
            assertTrue(result.path("replaced").asBoolean());
            assertTrue(result.path("oldKeyKept").asBoolean(), result.toString());
            assertEquals("usedByAnotherCertificate", result.path("oldKeyKeptReason").asText());
            assertTrue(f.token().hasKey(TokenFixture.LABEL, true), "the old key stays: " + f.token().objects());
            assertTrue(f.token().objects().contains("Certyfikat nieczytelny"), f.token().objects());
        }
    }
}
