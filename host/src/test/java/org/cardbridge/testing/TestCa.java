package org.cardbridge.testing;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test certification authority made with Bouncy Castle: a self-signed root and an intermediate, issuing
 * end-entity certificates for any public key (a key made on a token, or one made here for import).
 * Subjects are RFC 4514 strings and may hold Polish characters (UTF8String, as BC encodes by default).
 */
public final class TestCa {
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private final KeyPair rootKeys;
    private final X509Certificate root;
    private final KeyPair issuingKeys;
    private final X509Certificate issuing;

    public TestCa(String name) {
        try {
            rootKeys = rsa(2048);
            Instant now = Instant.now();
            root = build(rfc4514("CN=" + name + " Root,O=CardBridge Test"), rootKeys.getPublic(),
                    rfc4514("CN=" + name + " Root,O=CardBridge Test"), rootKeys, now.minus(Duration.ofDays(1)),
                    now.plus(Duration.ofDays(3650)), true, null);
            issuingKeys = rsa(2048);
            issuing = build(rfc4514("CN=" + name + " Issuing,O=CardBridge Test"), issuingKeys.getPublic(),
                    X500Name.getInstance(root.getSubjectX500Principal().getEncoded()), rootKeys,
                    now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(1825)), true, root);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public X509Certificate root() {
        return root;
    }

    public X509Certificate issuing() {
        return issuing;
    }

    /** An end-entity certificate valid from now minus one hour for {@code days} days. */
    public X509Certificate issue(PublicKey subjectKey, String subject, int days) {
        Instant now = Instant.now();
        return issue(subjectKey, subject, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(days)));
    }

    public X509Certificate issue(PublicKey subjectKey, String subject, Instant notBefore, Instant notAfter) {
        try {
            return build(rfc4514(subject), subjectKey,
                    X500Name.getInstance(issuing.getSubjectX500Principal().getEncoded()), issuingKeys,
                    notBefore, notAfter, false, issuing);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * An end-entity certificate with a chosen serial number: a CMP mock server (OpenSSL's) answers a key update
     * request only with a certificate whose issuer and serial are the old certificate's (its oldCertID).
     */
    public X509Certificate issue(PublicKey subjectKey, String subject, BigInteger serial, Instant notBefore, Instant notAfter) {
        try {
            return build(rfc4514(subject), subjectKey, X500Name.getInstance(issuing.getSubjectX500Principal().getEncoded()),
                    issuingKeys, notBefore, notAfter, false, issuing, serial);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The issuing CA's key pair, for tests that play the CA's part in a protocol (e.g. signing CMP answers). */
    public KeyPair issuingKeys() {
        return issuingKeys;
    }

    /**
     * An end-entity certificate the JDK refuses to parse, as a working certificate on a user's card may be:
     * its critical KeyUsage holds an INTEGER, not a BIT STRING. OpenSSL, and so pkcs11-tool, pkcs15-init and
     * OpenSC, read it (they decode an extension only when asked for it).
     */
    public byte[] issueUnreadable(PublicKey subjectKey, String subject, int days) {
        try {
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(issuing.getSubjectX500Principal().getEncoded()),
                    BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(days))), rfc4514(subject), subjectKey);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new ASN1Integer(KeyUsage.digitalSignature).getEncoded());
            byte[] der = b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuingKeys.getPrivate())).getEncoded();
            try {
                java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(der));
            } catch (java.security.cert.CertificateException refused) {
                return der;
            }
            throw new IllegalStateException("the JDK parses the certificate meant to be unreadable");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** An RFC 4514 string (most specific RDN first), encoded as Java does: UTF8String where not printable. */
    public static X500Name rfc4514(String subject) {
        return X500Name.getInstance(new javax.security.auth.x500.X500Principal(subject).getEncoded());
    }

    private static X509Certificate build(X500Name subject, PublicKey key, X500Name issuerName, KeyPair issuerKeys,
                                         Instant notBefore, Instant notAfter, boolean ca, X509Certificate issuerCert)
            throws Exception {
        return build(subject, key, issuerName, issuerKeys, notBefore, notAfter, ca, issuerCert, BigInteger.valueOf(SERIALS.incrementAndGet()));
    }

    private static X509Certificate build(X500Name subject, PublicKey key, X500Name issuerName, KeyPair issuerKeys,
                                         Instant notBefore, Instant notAfter, boolean ca, X509Certificate issuerCert,
                                         BigInteger serial) throws Exception {
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, serial,
                Date.from(notBefore), Date.from(notAfter), subject, key);
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        // The root allows the one intermediate below it (pathlen 1): OpenSSL, unlike the JDK, enforces it.
        b.addExtension(Extension.basicConstraints, true, ca ? new BasicConstraints(issuerCert == null ? 1 : 0) : new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, ca ? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)
                : new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
        if (issuerCert != null) {
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerCert));
        }
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    }

    public static KeyPair rsa(int bits) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(bits, new SecureRandom());
        return g.generateKeyPair();
    }

    public static KeyPair ec(String curve) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    public static String pem(X509Certificate cert) {
        try {
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(cert.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
