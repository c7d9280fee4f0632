package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.FaultInjectingPkcs11;
import org.cardbridge.testing.InProcessHost;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestToken;
import org.cardbridge.token.Ck;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.Pkcs11Error;
import org.cardbridge.token.WrapperPkcs11;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The card never ends without a working certificate: the whole renewal path (generate key, CSR, sign the
 * application with the old certificate, install the new certificate replacing the old one and its key)
 * runs once per PKCS#11 call it makes, with that call failing — before it reaches the card, or after the
 * card did it and the answer was lost. After every run the card must hold a valid certificate whose key
 * signs (checked by signing and verifying), and the host must keep working.
 *
 * <p>SoftHSM2 runs all three kinds of failure. The card (a few hundred runs of on-card key generation
 * would cost minutes) runs the one where it differs most from SoftHSM2: the card did the step, the answer
 * was lost, and OpenSC's view of the card and the card itself may disagree afterwards.
 */
class RenewalFaultInjectionTest {
    private static final byte[] DOC = "sprawdzenie".getBytes(StandardCharsets.UTF_8);

    static Stream<Arguments> failures() {
        List<Arguments> out = new ArrayList<>();
        for (TestToken.Backend b : TestToken.backends()) {
            out.add(Arguments.of(b, FaultInjectingPkcs11.When.AFTER, "CKR_DEVICE_REMOVED"));
            if (b.name().equals("SoftHSM2")) {
                out.add(Arguments.of(b, FaultInjectingPkcs11.When.BEFORE, "CKR_DEVICE_REMOVED"));
                out.add(Arguments.of(b, FaultInjectingPkcs11.When.BEFORE, "CKR_FUNCTION_FAILED"));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1} with {2}")
    @MethodSource("failures")
    void renewal_failingAtEveryCall_alwaysLeavesAUsableCertificate(Supplier<TestToken> backend, FaultInjectingPkcs11.When when,
            String ckrName) throws Exception {
        long ckr = ckrName.equals("CKR_DEVICE_REMOVED") ? Ck.CKR_DEVICE_REMOVED : Ck.CKR_FUNCTION_FAILED;
        TestToken token = backend.get();
        KeyPair oldKeys = TestCa.rsa(2048);
        X509Certificate oldCert = TokenFixture.CA.issue(oldKeys.getPublic(), TokenFixture.SUBJECT, 30);
        int completedRuns = 0;
        int failedRuns = 0;
        // One connection for all runs, as a long-lived page would have; a second one only looks at the card.
        try (InProcessHost host = new InProcessHost(new ScriptedUserInterface(token.pin()), token);
             InProcessHost checker = new InProcessHost(new ScriptedUserInterface(token.pin()), token)) {
            String tokenHandle = token.handle(host);
            for (int n = 1; n < 1000; n++) {
                reset(token, oldKeys, oldCert);
                String oldHandle = certificateHandle(host, tokenHandle, oldCert);
                host.call("login", Map.of("token", tokenHandle));
                host.module().failAt(n, ckr, when);
                boolean completed = renew(host, tokenHandle, oldHandle, token.keyAlgorithm());
                boolean faultHappened = host.module().failed();
                host.module().noFailure();
                // The host keeps working on the same connection (a pulled card is found again).
                host.call("listCertificates", Map.of("token", tokenHandle));

                String state = usableCertificates(checker, tokenHandle);
                assertFalse(state.isEmpty(), "no usable certificate after failing call " + n + " (" + when + ")");
                if (!faultHappened) {
                    assertTrue(completed);
                    assertTrue(state.contains("odnowiony") && !state.contains("(stary)"),
                            "a renewal without faults ends with only the new certificate: " + state);
                    completedRuns++;
                    break;
                }
                failedRuns++;
            }
        }
        assertEquals(1, completedRuns, "the loop must reach a run without faults");
        assertTrue(failedRuns > 20, "the renewal path makes many calls; only " + failedRuns + " were failed");
    }

    /** The renewal as a CA page drives it; true when every step succeeded. */
    private static boolean renew(InProcessHost host, String tokenHandle, String oldHandle, String algorithm) throws Exception {
        try {
            JsonNode key = host.call("generateKeyPair", Map.of("token", tokenHandle, "algorithm", algorithm, "label", "Nowy"));
            JsonNode csr = host.call("createCsr", Map.of("key", key.path("key").asText(), "subject", "CN=Renewal"));
            host.call("sign", Map.of("certificate", oldHandle, "data", Base64.getEncoder().encodeToString(csr.path("der").asText()
                    .getBytes(StandardCharsets.US_ASCII)), "format", "cms", "description", "Wniosek o odnowienie"));
            X509Certificate issued = TokenFixture.CA.issue(EnrolmentTest.publicKey(key.path("publicKey").asText()),
                    "CN=Zażółć Gęślą Jaźń (odnowiony)", 700);
            host.call("installCertificate", Map.of("certificates", List.of(TestCa.pem(issued)), "replaces", oldHandle,
                    "removeOldKey", true));
            return true;
        } catch (HostException e) {
            return false;
        }
    }

    /**
     * Subjects of the certificates on the card that are valid now and whose key signs data that verifies
     * with the certificate, seen by a fresh connection without faults; "(stary)" marks the old one.
     */
    private static String usableCertificates(InProcessHost host, String tokenHandle) throws Exception {
        List<String> usable = new ArrayList<>();
        {
            host.call("login", Map.of("token", tokenHandle));
            for (JsonNode c : host.call("listCertificates", Map.of("token", tokenHandle)).path("certificates")) {
                X509Certificate x = org.cardbridge.token.TokenSession.parseCertificate(Base64.getDecoder().decode(c.path("certificate").asText()));
                if (!c.path("hasPrivateKey").asBoolean() || Instant.now().isAfter(x.getNotAfter().toInstant())) {
                    continue;
                }
                try {
                    JsonNode s = host.call("sign", Map.of("certificate", c.path("handle").asText(),
                            "data", Base64.getEncoder().encodeToString(DOC), "format", "raw", "description", "check"));
                    Signature v = Signature.getInstance(s.path("signatureAlgorithm").asText());
                    v.initVerify(x);
                    v.update(DOC);
                    if (v.verify(Base64.getDecoder().decode(s.path("signature").asText()))) {
                        usable.add(c.path("subject").asText() + (c.path("subject").asText().equals(TokenFixture.SUBJECT) ? " (stary)" : ""));
                    }
                } catch (HostException e) {
                    // not usable
                }
            }
        }
        return String.join("; ", usable);
    }

    /**
     * Empties the token and puts the old key and certificate back, as the user's card was before the renewal,
     * through the module itself (not through the host under test).
     */
    private static void reset(TestToken token, KeyPair oldKeys, X509Certificate oldCert) throws Exception {
        Pkcs11 p11 = WrapperPkcs11.load(token.module());
        long session = p11.openSession(token.slotId());
        try {
            try {
                p11.login(session, token.pin().getBytes(StandardCharsets.UTF_8));
            } catch (Pkcs11Error e) {
                if (e.ckr() != Ck.CKR_USER_ALREADY_LOGGED_IN) {
                    throw e;
                }
            }
            for (long cls : new long[] {Ck.CKO_CERTIFICATE, Ck.CKO_PUBLIC_KEY, Ck.CKO_PRIVATE_KEY}) {
                for (long object : p11.find(session, List.of(Pkcs11.Attr.of(Ck.CKA_CLASS, cls)))) {
                    p11.destroyObject(session, object);
                }
            }
            // Put the old objects back through PKCS#11 itself: hundreds of runs, so no tool processes here.
            RSAPrivateCrtKey k = (RSAPrivateCrtKey) oldKeys.getPrivate();
            byte[] id = {0x0A};
            byte[] label = "Stary".getBytes(StandardCharsets.UTF_8);
            p11.createObject(session, List.of(Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_PRIVATE_KEY), Pkcs11.Attr.of(Ck.CKA_KEY_TYPE, Ck.CKK_RSA),
                    Pkcs11.Attr.of(Ck.CKA_TOKEN, true), Pkcs11.Attr.of(Ck.CKA_PRIVATE, true), Pkcs11.Attr.of(Ck.CKA_SENSITIVE, true),
                    Pkcs11.Attr.of(Ck.CKA_SIGN, true), Pkcs11.Attr.of(Ck.CKA_ID, id), Pkcs11.Attr.of(Ck.CKA_LABEL, label),
                    Pkcs11.Attr.of(Ck.CKA_MODULUS, unsigned(k.getModulus())), Pkcs11.Attr.of(Ck.CKA_PUBLIC_EXPONENT, unsigned(k.getPublicExponent())),
                    Pkcs11.Attr.of(0x123, unsigned(k.getPrivateExponent())), Pkcs11.Attr.of(0x124, unsigned(k.getPrimeP())),
                    Pkcs11.Attr.of(0x125, unsigned(k.getPrimeQ())), Pkcs11.Attr.of(0x126, unsigned(k.getPrimeExponentP())),
                    Pkcs11.Attr.of(0x127, unsigned(k.getPrimeExponentQ())), Pkcs11.Attr.of(0x128, unsigned(k.getCrtCoefficient()))));
            if (p11.find(session, List.of(Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_PUBLIC_KEY), Pkcs11.Attr.of(Ck.CKA_ID, id))).length == 0) {
                // OpenSC stores the public key with the private one; SoftHSM2 needs it as its own object.
                p11.createObject(session, List.of(Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_PUBLIC_KEY), Pkcs11.Attr.of(Ck.CKA_KEY_TYPE, Ck.CKK_RSA),
                        Pkcs11.Attr.of(Ck.CKA_TOKEN, true), Pkcs11.Attr.of(Ck.CKA_VERIFY, true), Pkcs11.Attr.of(Ck.CKA_ID, id),
                        Pkcs11.Attr.of(Ck.CKA_LABEL, label), Pkcs11.Attr.of(Ck.CKA_MODULUS, unsigned(k.getModulus())),
                        Pkcs11.Attr.of(Ck.CKA_PUBLIC_EXPONENT, unsigned(k.getPublicExponent()))));
            }
            p11.createObject(session, List.of(Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_CERTIFICATE), Pkcs11.Attr.of(Ck.CKA_CERTIFICATE_TYPE, Ck.CKC_X_509),
                    Pkcs11.Attr.of(Ck.CKA_TOKEN, true), Pkcs11.Attr.of(Ck.CKA_ID, id), Pkcs11.Attr.of(Ck.CKA_LABEL, label),
                    Pkcs11.Attr.of(Ck.CKA_SUBJECT, oldCert.getSubjectX500Principal().getEncoded()), Pkcs11.Attr.of(Ck.CKA_VALUE, oldCert.getEncoded())));
            p11.logout(session);
        } finally {
            p11.closeSession(session);
        }
    }

    private static byte[] unsigned(BigInteger n) {
        byte[] b = n.toByteArray();
        return b[0] == 0 && b.length > 1 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b;
    }

    private static String certificateHandle(InProcessHost host, String tokenHandle, X509Certificate cert) throws Exception {
        for (JsonNode c : host.call("listCertificates", Map.of("token", tokenHandle)).path("certificates")) {
            if (c.path("certificate").asText().equals(Base64.getEncoder().encodeToString(cert.getEncoded()))) {
                return c.path("handle").asText();
            }
        }
        fail("old certificate not on the card");
        return null;
    }
}
