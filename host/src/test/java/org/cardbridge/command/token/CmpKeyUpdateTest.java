package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.cmp.CMPCertificate;
import org.bouncycastle.asn1.cmp.CertOrEncCert;
import org.bouncycastle.asn1.cmp.CertRepMessage;
import org.bouncycastle.asn1.cmp.CertResponse;
import org.bouncycastle.asn1.cmp.CertifiedKeyPair;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.bouncycastle.asn1.cmp.PKIStatusInfo;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.cert.cmp.ProtectedPKIMessageBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.params.provider.Arguments;
import java.math.BigInteger;
import java.util.Date;
import java.util.stream.Stream;
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
                assertEquals("SHA256withRSA", kur.path("signatureAlgorithm").asText());
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

    /** SoftHSM2 only (the virtual card generates RSA only): an EC P-384 new key's ECDSA proof of possession is accepted too. */
    @Test
    void keyUpdate_ecP384NewKey_isAcceptedByOpenSsl() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            String token = f.token().handle(host);
            JsonNode key = host.call("generateKeyPair", Map.of("token", token, "algorithm", "EC-P384", "label", "Klucz EC"));
            PublicKey pub = EnrolmentTest.publicKey(key.path("publicKey").asText());
            InstallCertificateTest.Renewal r = new InstallCertificateTest.Renewal(token, SignTest.certificateHandle(host, f), key, pub);
            try (OpenSslCmpServer ca = server("ec", f, renewedFor(f, pub))) {
                JsonNode kur = host.call("createKeyUpdateRequest", kurParams(r, f));
                byte[] kup = ca.post(der(kur.path("message")));
                JsonNode installed = host.call("acceptCmpResponse", Map.of("message", b64(kup),
                        "caCertificates", List.of(TestCa.pem(f.ca().issuing()))));
                assertTrue(installed.path("installation").path("replaced").asBoolean(), installed + "\n" + ca.log());
                byte[] pkiConf = ca.post(der(installed.path("certConf")));
                assertEquals(PKIBody.TYPE_CONFIRM, PKIMessage.getInstance(pkiConf).getBody().getType(), ca.log());
            }
        }
    }

    /**
     * Delayed delivery (RFC 9483 section 4.4) against OpenSSL's mock server told to make the client poll twice
     * ({@code -poll_count 2}): the kup says waiting → the host, after the person confirms, gives a pollReq signed
     * with the old key; the mock server verifies it and answers a pollRep (checkAfter), then the kup with the
     * certificate, which is installed and confirmed as without polling. Nothing is written while waiting.
     */
    @Test
    void waiting_theHostPollsWithPollReq_untilTheCaGivesTheCertificate_thenInstallsAndConfirms() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            InstallCertificateTest.Renewal r = InstallCertificateTest.startRenewal(host, f);
            try (OpenSslCmpServer ca = server("poll", f, renewedFor(f, r.publicKey()), "-poll_count", "2", "-check_after", "1")) {
                JsonNode kur = host.call("createKeyUpdateRequest", kurParams(r, f));
                Map<String, Object> trust = Map.of("caCertificates", List.of(TestCa.pem(f.ca().issuing())));
                String objects = f.token().objects();
                byte[] answer = ca.post(der(kur.path("message")));
                List<Integer> checkAfter = new ArrayList<>();
                JsonNode outcome = null;
                for (int i = 0; i < 5; i++) {
                    Map<String, Object> params = new java.util.HashMap<>(trust);
                    params.put("message", b64(answer));
                    outcome = host.call("acceptCmpResponse", params);
                    if (!outcome.path("waiting").asBoolean()) {
                        break;
                    }
                    assertEquals(kur.path("transactionId").asText(), outcome.path("transactionId").asText());
                    assertEquals("action.cmpPoll", ui.confirmations().getLast().action(), "the person confirmed the question");
                    assertEquals(objects, f.token().objects(), "nothing written while waiting");
                    checkAfter.add(outcome.path("checkAfter").isNumber() ? outcome.path("checkAfter").asInt() : null);
                    PKIMessage pollReq = PKIMessage.getInstance(der(outcome.path("pollReq")));
                    assertEquals(PKIBody.TYPE_POLL_REQ, pollReq.getBody().getType());
                    answer = ca.post(der(outcome.path("pollReq")));
                }
                // OpenSSL 3.0 counts the first answer as a poll: waiting (kup, no checkAfter), one pollRep (checkAfter 1), then the kup
                assertEquals(java.util.Arrays.asList(null, 1), checkAfter, ca.log());
                assertTrue(outcome.path("installation").path("replaced").asBoolean(), outcome + "\n" + ca.log());
                byte[] pkiConf = ca.post(der(outcome.path("certConf")));
                assertEquals(PKIBody.TYPE_CONFIRM, PKIMessage.getInstance(pkiConf).getBody().getType(), ca.log());
                Map<String, Object> closing = new java.util.HashMap<>(trust);
                closing.put("message", b64(pkiConf));
                assertTrue(host.call("acceptCmpResponse", closing).path("closed").asBoolean());
            }
        }
    }

    /**
     * removeOldKey: the old certificate's key signs the certConf and is then removed, so the card ends as a
     * non-CMP renewal with removeOldKey leaves it — the new certificate and its key, no key without a
     * certificate (which the renewal helper would take for a pending renewal key). The window said so.
     * Without it the old key stays, listed as a pending key.
     */
    @Test
    void removeOldKey_theCertConfIsSignedThenTheOldKeyIsGone_noPendingKeyLeft() throws Exception {
        for (boolean remove : List.of(true, false)) {
            TokenFixture f = TokenFixture.withCertificate();
            ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
            try (InProcessHost host = new InProcessHost(ui, f.token())) {
                InstallCertificateTest.Renewal r = InstallCertificateTest.startRenewal(host, f);
                try (OpenSslCmpServer ca = server("remove-" + remove, f, renewedFor(f, r.publicKey()))) {
                    JsonNode kur = host.call("createKeyUpdateRequest", kurParams(r, f));
                    byte[] kup = ca.post(der(kur.path("message")));
                    JsonNode installed = host.call("acceptCmpResponse", Map.of("message", b64(kup),
                            "caCertificates", List.of(TestCa.pem(f.ca().issuing())), "removeOldKey", remove));
                    assertEquals(remove, ui.confirmations().getLast().facts().stream().anyMatch(s -> s.contains("key is removed as well")),
                            ui.confirmations().getLast().facts().toString());
                    byte[] pkiConf = ca.post(der(installed.path("certConf")));
                    assertEquals(PKIBody.TYPE_CONFIRM, PKIMessage.getInstance(pkiConf).getBody().getType(), "the old key signed the certConf: " + ca.log());
                    assertTrue(host.call("acceptCmpResponse", Map.of("message", b64(pkiConf),
                            "caCertificates", List.of(TestCa.pem(f.ca().issuing())))).path("closed").asBoolean());

                    JsonNode listed = host.call("listCertificates", Map.of("token", r.tokenHandle()));
                    if (remove) {
                        assertFalse(installed.path("installation").path("oldKeyKept").asBoolean(true), installed.toString());
                        assertEquals(0, listed.path("pendingKeys").size(), "no key without a certificate: " + listed);
                    } else {
                        assertTrue(installed.path("installation").path("oldKeyKept").isMissingNode(), installed.toString());
                        assertEquals(1, listed.path("pendingKeys").size(), "the old key stays when not asked: " + listed);
                    }
                    assertEquals(1, listed.path("certificates").findValues("hasPrivateKey").stream().filter(JsonNode::asBoolean).count(),
                            listed.toString());
                }
            }
        }
    }

    /**
     * SoftHSM2 only: the failure is injected into the module's C_Sign (a card pulled at that moment is the
     * user's case; the card tests cover pulls elsewhere). The certificate is installed but the certConf is not
     * made; the same kup again writes nothing, asks to confirm, and gives a certConf the CA accepts.
     */
    @Test
    void certConfLost_theSameKupAgain_writesNothingTwice_andTheCaGetsItsCertConf() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            InstallCertificateTest.Renewal r = InstallCertificateTest.startRenewal(host, f);
            try (OpenSslCmpServer ca = server("retry", f, renewedFor(f, r.publicKey()))) {
                JsonNode kur = host.call("createKeyUpdateRequest", kurParams(r, f));
                byte[] kup = ca.post(der(kur.path("message")));
                Map<String, Object> answer = Map.of("message", b64(kup), "caCertificates", List.of(TestCa.pem(f.ca().issuing())));
                host.module().failOn("C_Sign", 1, org.cardbridge.token.Ck.CKR_DEVICE_REMOVED,
                        org.cardbridge.testing.FaultInjectingPkcs11.When.BEFORE);
                HostException lost = assertThrows(HostException.class, () -> host.call("acceptCmpResponse", answer));
                assertEquals(ErrorCode.TOKEN_REMOVED, lost.code(), lost.getMessage());
                host.module().noFailure();
                String objects = f.token().objects();

                JsonNode again = host.call("acceptCmpResponse", answer);
                assertEquals("action.cmpConfirm", ui.confirmations().getLast().action());
                assertEquals(objects, f.token().objects(), "nothing is written twice");
                assertTrue(again.path("installation").path("replaced").asBoolean(), again.toString());
                byte[] pkiConf = ca.post(der(again.path("certConf")));
                assertEquals(PKIBody.TYPE_CONFIRM, PKIMessage.getInstance(pkiConf).getBody().getType(), ca.log());
                assertTrue(host.call("acceptCmpResponse", Map.of("message", b64(pkiConf),
                        "caCertificates", List.of(TestCa.pem(f.ca().issuing())))).path("closed").asBoolean());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void keyUpdate_expiredOldCertificate_isRefusedBeforeAnyWindow(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get(), Instant.now().minus(Duration.ofDays(400)),
                Instant.now().minus(Duration.ofDays(1)));
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            InstallCertificateTest.Renewal r = InstallCertificateTest.startRenewal(host, f);
            int confirmations = ui.confirmations().size();
            int pins = ui.pinPrompts().size();
            HostException e = assertThrows(HostException.class, () -> host.call("createKeyUpdateRequest", kurParams(r, f)));
            assertEquals(ErrorCode.CERTIFICATE_EXPIRED, e.code());
            assertEquals(confirmations, ui.confirmations().size(), "no confirmation for a request that cannot succeed");
            assertEquals(pins, ui.pinPrompts().size(), "no PIN asked");
        }
    }

    /**
     * The CA's answers the host must refuse, each with the error it must give. (A kup saying waiting is no
     * longer refused: the host polls, see waiting_theHostPollsWithPollReq_….)
     */
    enum BadAnswer {
        UNTRUSTED_PROTECTION(ErrorCode.CMP_PROTECTION_INVALID),
        WRONG_TRANSACTION_ID(ErrorCode.CMP_TRANSACTION_MISMATCH),
        WRONG_NONCE(ErrorCode.CMP_TRANSACTION_MISMATCH),
        CERTIFICATE_FOR_ANOTHER_KEY(ErrorCode.CERTIFICATE_KEY_MISMATCH),
        REJECTION(ErrorCode.CMP_REJECTED),
        ERROR_MESSAGE(ErrorCode.CMP_REJECTED),
        GARBAGE_DER(ErrorCode.CMP_MESSAGE_INVALID),
        TRUNCATED(ErrorCode.CMP_MESSAGE_INVALID);

        final ErrorCode expected;

        BadAnswer(ErrorCode expected) {
            this.expected = expected;
        }
    }

    static Stream<Arguments> badAnswersOnEveryBackend() {
        return backends().stream().flatMap(b -> Stream.of(BadAnswer.values()).map(a -> Arguments.of(b, a)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("badAnswersOnEveryBackend")
    void badAnswer_isATypedError_withoutAWindow_andNothingIsWrittenToTheCard(Supplier<TestToken> backend, BadAnswer bad) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        ScriptedUserInterface ui = new ScriptedUserInterface(f.token().pin());
        try (InProcessHost host = new InProcessHost(ui, f.token())) {
            InstallCertificateTest.Renewal r = InstallCertificateTest.startRenewal(host, f);
            X509Certificate renewed = renewedFor(f, r.publicKey());
            X509Certificate rspCert = bad == BadAnswer.CERTIFICATE_FOR_ANOTHER_KEY
                    ? renewedFor(f, TestCa.rsa(2048).getPublic()) : renewed;
            String[] serverOptions = switch (bad) {
                case REJECTION -> new String[]{"-pkistatus", "2", "-failure", "2", "-statusstring", "Wniosek odrzucony przez operatora"};
                case ERROR_MESSAGE -> new String[]{"-send_error"};
                default -> new String[0];
            };
            try (OpenSslCmpServer ca = server("bad-" + bad, f, rspCert, serverOptions)) {
                JsonNode kur = host.call("createKeyUpdateRequest", kurParams(r, f));
                byte[] request = der(kur.path("message"));
                byte[] answer = switch (bad) {
                    case WRONG_TRANSACTION_ID -> crafted(request, CmpMessages.random16(), null, renewed);
                    case WRONG_NONCE -> crafted(request, null, CmpMessages.random16(), renewed);
                    case GARBAGE_DER -> "to nie jest wiadomość CMP".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    default -> ca.post(request);
                };
                if (bad == BadAnswer.TRUNCATED) {
                    answer = Arrays.copyOf(answer, answer.length / 2);
                }
                List<X509Certificate> trusted = bad == BadAnswer.UNTRUSTED_PROTECTION
                        ? List.of(new TestCa("Obcy urząd").issuing()) : List.of(f.ca().issuing());
                String objectsBefore = f.token().objects();
                int confirmations = ui.confirmations().size();
                byte[] relayed = answer;
                HostException e = assertThrows(HostException.class, () -> host.call("acceptCmpResponse", Map.of(
                        "message", b64(relayed), "caCertificates", trusted.stream().map(TestCa::pem).toList())));
                assertEquals(bad.expected, e.code(), e.getMessage() + "\n" + ca.log());
                if (bad == BadAnswer.REJECTION) {
                    assertEquals("rejection", e.details().get("status"));
                    assertEquals("Wniosek odrzucony przez operatora", e.details().get("statusText"));
                    assertEquals(List.of("badRequest"), e.details().get("failInfo"));
                }
                assertEquals(confirmations, ui.confirmations().size(), "no window for an answer that cannot be installed");
                assertEquals(objectsBefore, f.token().objects(), "nothing was written to the card");
                JsonNode listed = host.call("listCertificates", Map.of("token", r.tokenHandle()));
                assertEquals(1, listed.path("certificates").size(), listed.toString());
                assertEquals(r.oldCertificate(), listed.path("certificates").get(0).path("handle").asText());
            }
        }
    }

    /**
     * A kup made here, signed by the trusted CMP server key, answering {@code kur} but with another
     * transactionID or recipNonce where those are given: only the header is wrong.
     */
    static byte[] crafted(byte[] kur, byte[] transactionId, byte[] recipNonce, X509Certificate cert) throws Exception {
        PKIMessage request = PKIMessage.getInstance(kur);
        CertResponse response = new CertResponse(new org.bouncycastle.asn1.ASN1Integer(0), new PKIStatusInfo(PKIStatus.granted),
                new CertifiedKeyPair(new CertOrEncCert(new CMPCertificate(org.bouncycastle.asn1.x509.Certificate.getInstance(cert.getEncoded())))),
                null);
        ProtectedPKIMessageBuilder b = new ProtectedPKIMessageBuilder(
                new GeneralName(new X509CertificateHolder(serverCert.getEncoded()).getSubject()), request.getHeader().getSender())
                .setMessageTime(new Date())
                .setTransactionID(transactionId != null ? transactionId : request.getHeader().getTransactionID().getOctets())
                .setSenderNonce(CmpMessages.random16())
                .setRecipNonce(recipNonce != null ? recipNonce : request.getHeader().getSenderNonce().getOctets())
                .setBody(new PKIBody(PKIBody.TYPE_KEY_UPDATE_REP, new CertRepMessage(null, new CertResponse[]{response})))
                .addCMPCertificate(new X509CertificateHolder(serverCert.getEncoded()));
        return b.build(new JcaContentSignerBuilder("SHA256withRSA").build(serverKeys.getPrivate())).toASN1Structure().getEncoded("DER");
    }
}
