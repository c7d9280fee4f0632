package org.cardbridge.demo;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/** Real keys, CSRs, certificates and CMS signatures made with Bouncy Castle, as a card and a host would. */
final class Pki {
    static final X500Name SUBJECT = new X500Name("C=PL,O=CardBridge Demo,CN=Jan Kowalski");

    private Pki() {
    }

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    static KeyPair rsa(int bits) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(bits);
        return g.generateKeyPair();
    }

    static String sigAlg(PrivateKey k) {
        return k.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    }

    static SubjectPublicKeyInfo spki(PublicKey k) {
        return SubjectPublicKeyInfo.getInstance(k.getEncoded());
    }

    /** A certificate of {@code ca} for {@code key}, valid until {@code daysLeft} days after {@code now}. */
    static X509Certificate old(RenewalService ca, KeyPair key, X500Name subject, Instant now, long daysLeft) {
        Instant notAfter = now.plus(Duration.ofDays(daysLeft));
        return ca.issueInitial(subject, spki(key.getPublic()), notAfter.minus(Duration.ofDays(365)), notAfter);
    }

    /** A PKCS#10 request naming {@code subject} and {@code key}, signed by {@code signer} (the key's own, for a proper POP). */
    static byte[] csr(X500Name subject, PublicKey key, PrivateKey signer) throws Exception {
        ContentSigner s = new JcaContentSignerBuilder(sigAlg(signer)).build(signer);
        return new JcaPKCS10CertificationRequestBuilder(subject, key).build(s).getEncoded();
    }

    static byte[] csr(KeyPair key) throws Exception {
        return csr(SUBJECT, key.getPublic(), key.getPrivate());
    }

    /** A CMS SignedData over {@code data} with signed attributes and the signer's certificate, as the host's sign(format:"cms") makes. */
    static byte[] cms(byte[] data, PrivateKey key, X509Certificate cert, boolean detached) throws Exception {
        CMSSignedDataGenerator g = new CMSSignedDataGenerator();
        g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder(sigAlg(key)).build(key), cert));
        g.addCertificates(new JcaCertStore(List.of(cert)));
        return g.generate(new CMSProcessableByteArray(data), !detached).getEncoded();
    }

    /** A self-signed certificate: a stranger's, or a forgery claiming another issuer name and serial. */
    static X509Certificate selfMade(KeyPair key, X500Name issuer, X500Name subject, BigInteger serial, Instant from, Instant to) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(issuer, serial,
                Date.from(from), Date.from(to), subject, key.getPublic())
                .build(new JcaContentSignerBuilder(sigAlg(key.getPrivate())).build(key.getPrivate())));
    }
}
