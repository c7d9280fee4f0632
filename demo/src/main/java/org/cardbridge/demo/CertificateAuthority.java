package org.cardbridge.demo;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * A two-level CA: a self-signed root and an issuing CA that signs end-entity certificates. Keys are
 * EC P-256 (fast to make, and as honest as RSA for what the demo shows). The CA only signs; what may be
 * signed is decided by {@link RenewalService}.
 */
public final class CertificateAuthority {
    public static final X500Name ROOT_NAME = new X500Name("C=PL,O=CardBridge Demo,CN=CardBridge Demo Root CA");
    public static final X500Name ISSUING_NAME = new X500Name("C=PL,O=CardBridge Demo,CN=CardBridge Demo Issuing CA");
    private static final String SIG = "SHA256withECDSA";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PrivateKey rootKey;
    private final X509Certificate root;
    private final PrivateKey issuingKey;
    private final X509Certificate issuing;

    private CertificateAuthority(PrivateKey rootKey, X509Certificate root, PrivateKey issuingKey, X509Certificate issuing) {
        this.rootKey = rootKey;
        this.root = root;
        this.issuingKey = issuingKey;
        this.issuing = issuing;
    }

    /** Makes a new root and issuing CA, valid from a little before {@code now} for 20 and 10 years. */
    public static CertificateAuthority create(Instant now) {
        try {
            KeyPair rk = ecKey();
            KeyPair ik = ecKey();
            Instant from = now.minus(Duration.ofDays(800));
            X509Certificate root = caCertificate(ROOT_NAME, rk.getPublic(), ROOT_NAME, rk.getPublic(), rk.getPrivate(),
                    from, now.plus(Duration.ofDays(20 * 365)), 1);
            X509Certificate issuing = caCertificate(ISSUING_NAME, ik.getPublic(), ROOT_NAME, rk.getPublic(), rk.getPrivate(),
                    from, now.plus(Duration.ofDays(10 * 365)), 0);
            return new CertificateAuthority(rk.getPrivate(), root, ik.getPrivate(), issuing);
        } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
            throw new IllegalStateException("cannot create the demo CA", e);
        }
    }

    public static CertificateAuthority restore(DemoStore.CaMaterial m) {
        try {
            KeyFactory kf = KeyFactory.getInstance("EC");
            return new CertificateAuthority(
                    kf.generatePrivate(new PKCS8EncodedKeySpec(Der.unb64(m.rootKey()))),
                    Der.certificate(Der.unb64(m.rootCertificate())),
                    kf.generatePrivate(new PKCS8EncodedKeySpec(Der.unb64(m.issuingKey()))),
                    Der.certificate(Der.unb64(m.issuingCertificate())));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the demo CA keys in the store are unreadable", e);
        }
    }

    public DemoStore.CaMaterial material() {
        return new DemoStore.CaMaterial(Der.b64(rootKey.getEncoded()), Der.b64(Der.encoded(root)),
                Der.b64(issuingKey.getEncoded()), Der.b64(Der.encoded(issuing)));
    }

    public X509Certificate root() {
        return root;
    }

    public X509Certificate issuing() {
        return issuing;
    }

    /** The chain a user installs next to their certificate: issuing CA first, then the root. */
    public List<X509Certificate> chain() {
        return List.of(issuing, root);
    }

    /** True when {@code c} names our issuing CA as issuer and its signature verifies with the issuing CA's key. */
    public boolean issued(X509Certificate c) {
        if (!c.getIssuerX500Principal().equals(issuing.getSubjectX500Principal())) {
            return false;
        }
        try {
            c.verify(issuing.getPublicKey(), Der.BC);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Signs an end-entity certificate for a person's key (digital signature, client and e-mail protection). */
    public X509Certificate issue(X500Name subject, SubjectPublicKeyInfo key, Instant notBefore, Instant notAfter) {
        try {
            X509v3CertificateBuilder b = new X509v3CertificateBuilder(Der.subject(issuing), serial(),
                    Date.from(notBefore), Date.from(notAfter), subject, key);
            JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[]{KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_emailProtection}));
            b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(key));
            b.addExtension(Extension.authorityKeyIdentifier, false, u.createAuthorityKeyIdentifier(issuing));
            return new JcaX509CertificateConverter().setProvider(Der.BC)
                    .getCertificate(b.build(new JcaContentSignerBuilder(SIG).setProvider(Der.BC).build(issuingKey)));
        } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
            throw new IllegalStateException("cannot sign a certificate", e);
        }
    }

    private static X509Certificate caCertificate(X500Name subject, PublicKey key, X500Name issuer, PublicKey issuerKey,
                                                 PrivateKey signer, Instant from, Instant to, int pathLen)
            throws GeneralSecurityException, OperatorCreationException, CertificateException, java.io.IOException {
        JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial(), Date.from(from), Date.from(to), subject, key);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLen));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(key));
        b.addExtension(Extension.authorityKeyIdentifier, false, u.createAuthorityKeyIdentifier(issuerKey));
        return new JcaX509CertificateConverter().setProvider(Der.BC)
                .getCertificate(b.build(new JcaContentSignerBuilder(SIG).setProvider(Der.BC).build(signer)));
    }

    private static KeyPair ecKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** 128 random bits, positive: unpredictable serials as the CA/B baseline asks. */
    private static BigInteger serial() {
        return new BigInteger(1, bytes16());
    }

    private static byte[] bytes16() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        b[0] &= 0x7f;
        return b;
    }
}
