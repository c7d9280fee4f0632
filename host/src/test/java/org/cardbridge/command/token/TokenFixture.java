package org.cardbridge.command.token;

import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestToken;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/** A fresh token of one backend holding one imported key with a certificate from the test CA: the user's current card. */
record TokenFixture(TestToken token, TestCa ca, KeyPair keys, X509Certificate cert, byte[] id) {
    static final String SUBJECT = "CN=Zażółć Gęślą Jaźń,O=Łódzka Spółka,C=PL";
    static final String LABEL = "Stary klucz ąę";
    static final TestCa CA = new TestCa("CardBridge Test CA");

    /** For {@code @MethodSource}: the token-operation tests run on every backend. */
    static List<TestToken.Backend> backends() {
        return TestToken.backends();
    }

    /** A certificate from the test CA for {@code keys}, valid from a minute ago for a day. */
    static X509Certificate issue(KeyPair keys) {
        return CA.issue(keys.getPublic(), SUBJECT, Instant.now().minusSeconds(60), Instant.now().plusSeconds(86400));
    }

    /** On SoftHSM2, for tests that are about the host's own logic, not about what a token does. */
    static TokenFixture withCertificate() {
        return withCertificate(TestToken.softHsm());
    }

    static TokenFixture withCertificate(TestToken token) {
        return withCertificate(token, Instant.now().minusSeconds(3600), Instant.now().plusSeconds(30L * 86400));
    }

    static TokenFixture withCertificate(TestToken token, Instant notBefore, Instant notAfter) {
        try {
            KeyPair keys = TestCa.rsa(2048);
            X509Certificate cert = CA.issue(keys.getPublic(), SUBJECT, notBefore, notAfter);
            byte[] id = {0x01, 0x02};
            token.importKey(keys, cert, id, LABEL);
            return new TokenFixture(token, CA, keys, cert, id);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
