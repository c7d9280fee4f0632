package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.vcard.Fault;
import org.cardbridge.testing.vcard.VirtualCards;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A whole renewal through the host's commands, on SoftHSM2 and on OpenSC driving the virtual IsoApplet
 * card: listTokens → listCertificates → generateKeyPair → createCsr → installCertificate (replacing the
 * old one) → sign with the new certificate. Then, card only: the card pulled while the new certificate is
 * written leaves the old one whole, and the same host finishes the renewal after re-insertion.
 */
class RenewalBackendsIT {
    private static final TestCa CA = new TestCa("CardBridge Renewal CA");
    private static final String OLD_SUBJECT = "CN=Zażółć Gęślą Jaźń,O=Łódzka Spółka,C=PL";
    private static final String NEW_SUBJECT = "CN=Zażółć Gęślą Jaźń (odnowiony),O=Łódzka Spółka,C=PL";
    private static final byte[] DOC = "dokument do podpisu".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    static List<TestToken.Backend> backends() {
        return TestToken.backends();
    }

    /** The user's card: one key with a certificate from the CA. */
    private static X509Certificate currentCertificate(TestToken t) throws Exception {
        KeyPair keys = TestCa.rsa(2048);
        X509Certificate cert = CA.issue(keys.getPublic(), OLD_SUBJECT, 365);
        t.importKey(keys, cert, new byte[] {0x01, 0x02}, "Stary klucz");
        return cert;
    }

    private static String certificateHandle(InProcessHost host, String token, X509Certificate cert) throws Exception {
        for (JsonNode c : host.call("listCertificates", Map.of("token", token)).path("certificates")) {
            if (Arrays.equals(Base64.getDecoder().decode(c.path("certificate").asText()), cert.getEncoded())) {
                return c.path("handle").asText();
            }
        }
        throw new AssertionError("certificate not listed");
    }

    private static List<String> subjects(InProcessHost host, String token) {
        List<String> out = new ArrayList<>();
        host.call("listCertificates", Map.of("token", token)).path("certificates").forEach(c -> out.add(c.path("subject").asText()));
        return out;
    }

    private record NewKey(String handle, PublicKey publicKey) {
    }

    private static NewKey generateAndRequest(InProcessHost host, String token) throws Exception {
        JsonNode key = host.call("generateKeyPair", Map.of("token", token, "algorithm", "RSA-2048", "label", "Klucz 2026"));
        PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(
                new X509EncodedKeySpec(Base64.getDecoder().decode(key.path("publicKey").asText())));
        JsonNode csr = host.call("createCsr", Map.of("key", key.path("key").asText(), "subject", NEW_SUBJECT));
        assertTrue(csr.path("csr").asText().startsWith("-----BEGIN CERTIFICATE REQUEST-----"));
        return new NewKey(key.path("key").asText(), pub);
    }

    private static JsonNode install(InProcessHost host, X509Certificate issued, String replaces) {
        return host.call("installCertificate", Map.of("certificates",
                List.of(TestCa.pem(issued), TestCa.pem(CA.issuing()), TestCa.pem(CA.root())),
                "replaces", replaces, "removeOldKey", true));
    }

    private static void signsWith(InProcessHost host, String certificate, X509Certificate issued) throws Exception {
        JsonNode signed = host.call("sign", Map.of("certificate", certificate, "data", Base64.getEncoder().encodeToString(DOC),
                "format", "raw", "description", "dokument"));
        Signature v = Signature.getInstance("SHA256withRSA");
        v.initVerify(issued);
        v.update(DOC);
        assertTrue(v.verify(Base64.getDecoder().decode(signed.path("signature").asText())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void renewal_replacesTheCertificate_andTheNewOneSigns(Supplier<TestToken> backend) throws Exception {
        TestToken t = backend.get();
        X509Certificate old = currentCertificate(t);
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(t.pin()), List.of(t.module()))) {
            String token = t.handle(host);
            String oldHandle = certificateHandle(host, token, old);
            NewKey key = generateAndRequest(host, token);
            X509Certificate issued = CA.issue(key.publicKey(), NEW_SUBJECT, 700);

            JsonNode result = install(host, issued, oldHandle);
            assertTrue(result.path("replaced").asBoolean(), result.toString());
            List<String> subjects = subjects(host, token);
            assertTrue(subjects.contains(NEW_SUBJECT), subjects.toString());
            assertFalse(subjects.contains(OLD_SUBJECT), subjects.toString());
            signsWith(host, result.path("certificate").asText(), issued);
        }
    }

    @Test
    void cardPulledWhileTheNewCertificateIsWritten_keepsTheOldOne_andTheSameHostFinishesAfterReinsertion() throws Exception {
        assumeTrue(VirtualCards.available(), "no virtual card backend");
        TestToken t = TestToken.virtualCard();
        VirtualCards.Card card = t.card().orElseThrow();
        X509Certificate old = currentCertificate(t);
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(t.pin()), List.of(t.module()))) {
            String token = t.handle(host);
            String oldHandle = certificateHandle(host, token, old);
            NewKey key = generateAndRequest(host, token);
            X509Certificate issued = CA.issue(key.publicKey(), NEW_SUBJECT, 700);

            card.reader().fault(Fault.pullAt(Fault.ins(0xD6), 2, true));
            HostException pulled = assertThrows(HostException.class, () -> install(host, issued, oldHandle));
            assertEquals(ErrorCode.TOKEN_REMOVED, pulled.code(), pulled.getMessage());

            card.reader().fault(Fault.NONE);
            card.reader().insert();
            assertEquals(token, t.handle(host), "same card, same handle");
            assertTrue(subjects(host, token).contains(OLD_SUBJECT), "the old certificate survived the pull");
            signsWith(host, certificateHandle(host, token, old), old);

            JsonNode result = install(host, issued, oldHandle);
            assertTrue(result.path("replaced").asBoolean(), result.toString());
            assertFalse(subjects(host, token).contains(OLD_SUBJECT));
            signsWith(host, result.path("certificate").asText(), issued);
        }
    }
}
