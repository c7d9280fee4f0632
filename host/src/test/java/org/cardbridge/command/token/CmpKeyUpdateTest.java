package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.crmf.CertReqMessages;
import org.bouncycastle.asn1.crmf.CertReqMsg;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.cmp.ProtectedPKIMessage;
import org.bouncycastle.cert.crmf.CertificateRequestMessage;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.OpenSslCmpServer;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Renewal over CMP's key update request, checked against OpenSSL's independent CMP implementation: the
 * mock server ({@code openssl cmp -port}) plays the CA, the test plays the page that relays the messages.
 * The server verifies the host's kur (protection by the old certificate against {@code -srv_trusted}, the
 * proof of possession, oldCertID against its {@code -rsp_cert}); the host verifies and installs the kup
 * and its certConf is accepted (pkiConf back).
 */
class CmpKeyUpdateTest {
    static final String RENEWED = "CN=Zażółć Gęślą Jaźń,O=Łódzka Spółka,C=PL";
    static KeyPair serverKeys;
    static X509Certificate serverCert;

    static List<TestToken.Backend> backends() {
        return TokenFixture.backends();
    }

    @BeforeAll
    static void cmpServerIdentity() throws Exception {
        OpenSslCmpServer.requireAvailable();
        serverKeys = TestCa.rsa(2048);
        serverCert = TokenFixture.CA.issue(serverKeys.getPublic(), "CN=CardBridge Test CMP Server,O=CardBridge Test", 2);
    }

    /** The CA's answer for the key on the card: issuer and serial of the old certificate (the mock server's oldCertID check). */
    static X509Certificate renewedFor(TokenFixture f, PublicKey newKey) {
        return f.ca().issue(newKey, RENEWED, f.cert().getSerialNumber(), Instant.now().minus(Duration.ofMinutes(5)),
                Instant.now().plus(Duration.ofDays(700)));
    }

    /** A mock server answering kur with {@code rspCert}, trusting the test CA's root for the requests' protection. */
    static OpenSslCmpServer server(String name, TokenFixture f, X509Certificate rspCert, String... more) throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "cmp")).resolve(name + "-" + System.nanoTime());
        Files.createDirectories(dir);
        List<String> options = new ArrayList<>(List.of(
                "-srv_trusted", OpenSslCmpServer.write(dir.resolve("trusted.pem"), TestCa.pem(f.ca().root())).toString(),
                "-rsp_cert", OpenSslCmpServer.write(dir.resolve("rsp-cert.pem"), TestCa.pem(rspCert)).toString(),
                "-rsp_extracerts", OpenSslCmpServer.write(dir.resolve("rsp-extra.pem"), TestCa.pem(f.ca().issuing())).toString(),
                "-rsp_capubs", dir.resolve("trusted.pem").toString()));
        options.addAll(List.of(more));
        return OpenSslCmpServer.start(dir, serverCert, serverKeys, options);
    }

    static Map<String, Object> kurParams(InstallCertificateTest.Renewal r, TokenFixture f) {
        return Map.of("key", r.newKey().path("key").asText(), "certificate", r.oldCertificate(),
                "chain", List.of(TestCa.pem(f.ca().issuing()), TestCa.pem(f.ca().root())));
    }

    static String b64(byte[] der) {
        return Base64.getEncoder().encodeToString(der);
    }

    static byte[] der(JsonNode text) {
        return Base64.getDecoder().decode(text.asText());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void keyUpdate_acceptedByOpenSslMockServer_installsTheCertificate_andTheCertConfIsAccepted(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            InstallCertificateTest.Renewal r = InstallCertificateTest.startRenewal(host, f);
            X509Certificate renewed = renewedFor(f, r.publicKey());
            try (OpenSslCmpServer ca = server("interop", f, renewed)) {
                int before = ui.confirmations().size();
                JsonNode kur = host.call("createKeyUpdateRequest", kurParams(r, f));
                assertEquals(32, kur.path("transactionId").asText().length());
                assertEquals("SHA256WITHRSA", kur.path("signatureAlgorithm").asText().toUpperCase());
                // The person was told, in plain words, that the old certificate vouches for a request for a new one.
                var confirmation = ui.confirmations().get(before);
                assertEquals("action.keyUpdateRequest", confirmation.action());
                assertTrue(confirmation.facts().stream().anyMatch(s -> s.contains("Your current certificate " + TokenFixture.SUBJECT)
                        && s.contains("request for a new certificate")), confirmation.facts().toString());

                // An independent look at what the host built (Bouncy Castle's parser, not the host's code).
                PKIMessage request = PKIMessage.getInstance(der(kur.path("message")));
                assertEquals(PKIBody.TYPE_KEY_UPDATE_REQ, request.getBody().getType());
                assertTrue(new ProtectedPKIMessage(new org.bouncycastle.cert.cmp.GeneralPKIMessage(request))
                        .verify(new JcaContentVerifierProviderBuilder().setProvider(new BouncyCastleProvider()).build(f.cert())),
                        "protected by the old certificate's key");
                CertReqMsg msg = CertReqMessages.getInstance(request.getBody().getContent()).toCertReqMsgArray()[0];
                CertificateRequestMessage crm = new CertificateRequestMessage(msg);
                assertTrue(crm.isValidSigningKeyPOP(new JcaContentVerifierProviderBuilder().setProvider(new BouncyCastleProvider())
                        .build(r.publicKey())), "proof of possession by the new key");
                assertEquals(new X509CertificateHolder(f.cert().getEncoded()).getSubject(), crm.getCertTemplate().getSubject());
                assertNotNull(crm.getCertTemplate().getExtensions().getExtension(Extension.keyUsage), "key usage from the old certificate");

                // The page relays the kur; OpenSSL's CA verifies it and answers with a kup.
                byte[] kup = ca.post(der(kur.path("message")));
                JsonNode installed = host.call("acceptCmpResponse", Map.of("message", b64(kup),
                        "caCertificates", List.of(TestCa.pem(f.ca().issuing()))));
                assertEquals(kur.path("transactionId").asText(), installed.path("transactionId").asText());
                assertTrue(installed.path("installation").path("replaced").asBoolean(), installed.toString());
                assertEquals(r.newKey().path("keyId").asText(), installed.path("installation").path("keyId").asText());
                var installConfirmation = ui.confirmations().getLast();
                assertEquals("action.replaceCertificate", installConfirmation.action());
                assertTrue(installConfirmation.facts().stream().anyMatch(s -> s.contains("signs a confirmation")),
                        installConfirmation.facts().toString());

                // The certConf the page sends next is accepted: OpenSSL answers pkiConf, which closes the transaction.
                byte[] pkiConf = ca.post(der(installed.path("certConf")));
                assertEquals(PKIBody.TYPE_CONFIRM, PKIMessage.getInstance(pkiConf).getBody().getType(), ca.log());
                JsonNode closed = host.call("acceptCmpResponse", Map.of("message", b64(pkiConf),
                        "caCertificates", List.of(TestCa.pem(f.ca().issuing()))));
                assertTrue(closed.path("closed").asBoolean(), closed.toString());

                // On the card: the renewed certificate, the old one gone; the new one signs.
                JsonNode listed = host.call("listCertificates", Map.of("token", r.tokenHandle()));
                List<String> ders = new ArrayList<>();
                listed.path("certificates").forEach(c -> ders.add(c.path("handle").asText()));
                assertTrue(ders.contains(installed.path("installation").path("certificate").asText()), listed.toString());
                assertFalse(ders.contains(r.oldCertificate()), "the old certificate was replaced: " + listed);
                JsonNode signed = host.call("sign", Map.of("certificate", installed.path("installation").path("certificate").asText(),
                        "data", SignTest.b64("dokument".getBytes()), "format", "raw", "description", "d"));
                Signature v = Signature.getInstance("SHA256withRSA");
                v.initVerify(renewed);
                v.update("dokument".getBytes());
                assertTrue(v.verify(Base64.getDecoder().decode(signed.path("signature").asText())));
                assertFalse(ca.log().contains("CMP error"), ca.log());
            }
        }
    }
}
