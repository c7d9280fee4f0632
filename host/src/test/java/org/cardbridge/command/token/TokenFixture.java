package org.cardbridge.command.token;

import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;

/** A claimed SoftHSM2 token holding one imported key with a certificate from the test CA: the user's current card. */
record TokenFixture(SoftHsm2.Token token, TestCa ca, KeyPair keys, X509Certificate cert, byte[] id) {
    static final String SUBJECT = "CN=Zażółć Gęślą Jaźń,O=Łódzka Spółka,C=PL";
    static final TestCa CA = new TestCa("CardBridge Test CA");

    static TokenFixture withCertificate() {
        return withCertificate(Instant.now().minusSeconds(3600), Instant.now().plusSeconds(30L * 86400));
    }

    static TokenFixture withCertificate(Instant notBefore, Instant notAfter) {
        try {
            SoftHsm2.Token token = SoftHsm2.inProcess().claim();
            KeyPair keys = TestCa.rsa(2048);
            X509Certificate cert = CA.issue(keys.getPublic(), SUBJECT, notBefore, notAfter);
            byte[] id = {0x01, 0x02};
            token.importKey(keys, cert, id, "Stary klucz ąę");
            return new TokenFixture(token, CA, keys, cert, id);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
