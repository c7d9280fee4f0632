package org.cardbridge.demo;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The renewal rules of the CA (after CenCert's online renewal and the CEPiK FAQ):
 * <ul>
 * <li>a one-time renewal code, spent by the accepted application;</li>
 * <li>only a still-valid certificate issued by this CA can be renewed online;</li>
 * <li>the application carries a CSR from a new key and is signed (CMS) with the old certificate's key;
 * the CA checks that signature over exactly the submitted bytes, the CSR's proof of possession and that
 * the subject is unchanged;</li>
 * <li>the new certificate is valid either at once or from the old one's expiry; in the second case it is
 * released on a later visit, found by its public key.</li>
 * </ul>
 * Every method answers with an {@link Answer}; nothing is changed unless the answer is a success.
 */
public final class RenewalService {
    public static final Duration CERTIFICATE_LIFETIME = Duration.ofDays(365);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Codes as a shop would e-mail them: unambiguous upper-case letters and digits. */
    private static final char[] CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();

    private final CertificateAuthority ca;
    private final DemoStore store;
    private final DemoClock clock;

    public RenewalService(CertificateAuthority ca, DemoStore store, DemoClock clock) {
        this.ca = ca;
        this.store = store;
        this.clock = clock;
    }

    public CertificateAuthority ca() {
        return ca;
    }

    /**
     * The first question of the portal, before anything touches the card: may this certificate be
     * renewed online, and (when {@code code} and {@code pok} are given) are the renewal code and the point of
     * service good? Asked before the card makes a new key, so a typo never costs one.
     */
    public Answer check(byte[] oldCertificate, String code, String pok) {
        Instant now = clock.now();
        X509Certificate old;
        try {
            old = Der.certificate(oldCertificate);
        } catch (IllegalArgumentException e) {
            return Answer.Refused.of(Refusal.CERTIFICATE_MALFORMED);
        }
        DemoStore.State s = store.read();
        Answer.Refused r = firstOf(checkOld(old, now), checkNotRenewed(s, old), code == null ? null : checkCode(s, code),
                pok == null ? null : checkPok(pok));
        if (r != null) {
            return r;
        }
        return new Answer.Eligible(old, old.getSubjectX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253),
                keyAlgorithm(old.getPublicKey()), old.getNotAfter().toInstant());
    }

    /**
     * Prepares the application document for a CSR made on the card. Checks what can be checked before
     * signing, so the user is not asked for a PIN for an application the CA would refuse; changes nothing.
     */
    public Answer draft(byte[] oldCertificate, String code, String pok, String validityText, byte[] csr, String lang) {
        code = Objects.requireNonNullElse(code, "").strip();
        pok = normalPok(pok);
        Answer first = check(oldCertificate, code, pok);
        if (!(first instanceof Answer.Eligible eligible)) {
            return first;
        }
        Validity validity = Validity.parse(validityText);
        if (validity == null) {
            return Answer.Refused.of(Refusal.VALIDITY_UNKNOWN);
        }
        X509Certificate old = eligible.certificate();
        Checked request = checkCsr(csr, old);
        if (request.refusal() != null) {
            return request.refusal();
        }
        String id = UUID.randomUUID().toString();
        Instant now = clock.now();
        List<String> statement = new ArrayList<>();
        statement.add(DemoTexts.get(lang, "application.title"));
        statement.add(DemoTexts.get(lang, "application.id", id));
        statement.add(DemoTexts.get(lang, "application.subject", eligible.subject()));
        statement.add(DemoTexts.get(lang, "application.old", old.getSerialNumber().toString(16), old.getNotAfter().toInstant()));
        statement.add(validity == Validity.NOW ? DemoTexts.get(lang, "application.validity.now")
                : DemoTexts.get(lang, "application.validity.afterExpiry", old.getNotAfter().toInstant()));
        statement.add(DemoTexts.get(lang, "application.key", keyAlgorithm(request.key()), Der.sha256Hex(request.key().getEncoded())));
        statement.add(DemoTexts.get(lang, "application.code", code));
        statement.add(DemoTexts.get(lang, "application.pok", pok));
        statement.add(DemoTexts.get(lang, "application.created", now));
        statement.add(DemoTexts.get(lang, "application.statement"));
        ApplicationDocument doc = new ApplicationDocument(id, now, code, pok, validity, oldCertificate, csr, statement);
        return new Answer.Draft(doc.encode(), doc.statement());
    }

    /**
     * Accepts a signed application: {@code document} exactly as signed and {@code signature} a CMS
     * SignedData over it (detached, or with exactly these bytes encapsulated). Every rule is checked
     * again here from the signed bytes alone; the draft step is a courtesy, not a trust anchor.
     */
    public Answer submit(byte[] document, byte[] signature) {
        ApplicationDocument doc;
        try {
            doc = ApplicationDocument.parse(document);
        } catch (IllegalArgumentException e) {
            return Answer.Refused.of(Refusal.DOCUMENT_MALFORMED);
        }
        X509Certificate old;
        try {
            old = Der.certificate(doc.oldCertificate());
        } catch (IllegalArgumentException e) {
            return Answer.Refused.of(Refusal.CERTIFICATE_MALFORMED);
        }
        Answer.Refused r = firstOf(checkOld(old, clock.now()), checkSignature(document, signature, old));
        if (r != null) {
            return r;
        }
        Checked request = checkCsr(doc.csr(), old);
        if (request.refusal() != null) {
            return request.refusal();
        }
        String oldId = Der.sha256Hex(doc.oldCertificate());
        String keyId = Der.sha256Hex(request.key().getEncoded());
        return store.update(s -> {
            Instant now = clock.now();
            Answer.Refused late = firstOf(checkOld(old, now), checkNotRenewed(s, old), checkCode(s, doc.code()),
                    checkPok(doc.pok()));
            if (late != null) {
                return new DemoStore.Change<>(s, late);
            }
            Instant notBefore = doc.validity() == Validity.NOW ? now : old.getNotAfter().toInstant().plusSeconds(1);
            X509Certificate issued = ca.issue(Der.subject(old), SubjectPublicKeyInfo.getInstance(request.key().getEncoded()),
                    notBefore, notBefore.plus(CERTIFICATE_LIFETIME));
            DemoStore.Application a = new DemoStore.Application(doc.id(), doc.validity().wire(), oldId, keyId,
                    now.toString(), notBefore.toString(), Der.b64(Der.encoded(issued)));
            DemoStore.Code c = s.codes().get(doc.code().strip());
            DemoStore.State next = s.withApplication(a).withCode(new DemoStore.Code(c.code(), c.createdAt(), now.toString(), doc.id()));
            Answer answer = doc.validity() == Validity.NOW ? new Answer.Issued(issued, ca.chain())
                    : new Answer.Scheduled(doc.id(), notBefore);
            return new DemoStore.Change<>(next, answer);
        });
    }

    /** A later visit: the certificate issued for this public key (SubjectPublicKeyInfo DER), if released yet. */
    public Answer lookup(byte[] publicKey) {
        String keyId = Der.sha256Hex(publicKey);
        Instant now = clock.now();
        return store.read().applications().values().stream()
                .filter(a -> a.publicKey().equals(keyId))
                .findFirst()
                .<Answer>map(a -> {
                    Instant from = Instant.parse(a.notBefore());
                    return now.isBefore(from) ? new Answer.Waiting(from)
                            : new Answer.Issued(Der.certificate(Der.unb64(a.certificate())), ca.chain());
                })
                .orElse(new Answer.NotFound());
    }

    /** A new one-time renewal code, as the CA's shop sells them. */
    public String newCode() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            b.append(CODE_ALPHABET[RANDOM.nextInt(CODE_ALPHABET.length)]);
        }
        String code = b.toString();
        store.update(s -> new DemoStore.Change<>(s.withCode(new DemoStore.Code(code, clock.now().toString(), null, null)), code));
        return code;
    }

    /**
     * The CEPiK manual path, the CA operator's side: a CSR received by e-mail (with a paper application
     * checked elsewhere) is certified for {@link #CERTIFICATE_LIFETIME} from now. Proof of possession and
     * key strength are still checked.
     */
    public Answer issueFromCsr(byte[] csr) {
        Checked request = checkCsr(csr, null);
        if (request.refusal() != null) {
            return request.refusal();
        }
        Instant now = clock.now();
        X509Certificate issued = ca.issue(request.subject(), SubjectPublicKeyInfo.getInstance(request.key().getEncoded()),
                now, now.plus(CERTIFICATE_LIFETIME));
        return new Answer.Issued(issued, ca.chain());
    }

    /**
     * The "old" certificate of the demo, as if bought last year: a certificate for {@code key} valid from
     * {@code notBefore} to {@code notAfter} (on the demo clock). Only the demo set-up calls this.
     */
    public X509Certificate issueInitial(X500Name subject, SubjectPublicKeyInfo key, Instant notBefore, Instant notAfter) {
        return ca.issue(subject, key, notBefore, notAfter);
    }

    // --- the rules -------------------------------------------------------------------------------------

    private Answer.Refused checkOld(X509Certificate old, Instant now) {
        if (!ca.issued(old)) {
            return Answer.Refused.of(Refusal.CERTIFICATE_NOT_OURS);
        }
        if (!now.isBefore(old.getNotAfter().toInstant())) {
            return Answer.Refused.of(Refusal.CERTIFICATE_EXPIRED, old.getNotAfter().toInstant());
        }
        if (now.isBefore(old.getNotBefore().toInstant())) {
            return Answer.Refused.of(Refusal.CERTIFICATE_NOT_YET_VALID, old.getNotBefore().toInstant());
        }
        return null;
    }

    private static Answer.Refused checkNotRenewed(DemoStore.State s, X509Certificate old) {
        String id = Der.sha256Hex(Der.encoded(old));
        return s.applications().values().stream().anyMatch(a -> a.oldCertificate().equals(id))
                ? Answer.Refused.of(Refusal.CERTIFICATE_ALREADY_RENEWED) : null;
    }

    /** The customer service points (POK) this CA knows; its online shop is ZETOSERWIS, as at CenCert. */
    static final java.util.Set<String> POINTS_OF_SERVICE = java.util.Set.of("ZETOSERWIS", "DEMO-POK");

    /** POK codes are compared without case or surrounding spaces, as people type them. */
    private static String normalPok(String pok) {
        return Objects.requireNonNullElse(pok, "").strip().toUpperCase(java.util.Locale.ROOT);
    }

    private static Answer.Refused checkPok(String pok) {
        return POINTS_OF_SERVICE.contains(normalPok(pok)) ? null : Answer.Refused.of(Refusal.POK_UNKNOWN);
    }

    private static Answer.Refused checkCode(DemoStore.State s, String code) {
        DemoStore.Code c = code == null ? null : s.codes().get(code.strip());
        if (c == null) {
            return Answer.Refused.of(Refusal.CODE_UNKNOWN);
        }
        return c.used() ? Answer.Refused.of(Refusal.CODE_USED) : null;
    }

    /** The CMS must have one signer, be made with the old certificate's key, and cover exactly {@code document}. */
    private static Answer.Refused checkSignature(byte[] document, byte[] signature, X509Certificate old) {
        try {
            CMSSignedData parsed = new CMSSignedData(signature);
            if (parsed.getSignedContent() != null) {
                Object inner = parsed.getSignedContent().getContent();
                if (!(inner instanceof byte[] b) || !Arrays.equals(b, document)) {
                    return Answer.Refused.of(Refusal.SIGNATURE_INVALID);
                }
            }
            CMSSignedData signed = new CMSSignedData(new CMSProcessableByteArray(document), signature);
            Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
            if (signers.size() != 1) {
                return Answer.Refused.of(Refusal.SIGNATURE_INVALID);
            }
            SignerInformation signer = signers.iterator().next();
            if (!signer.getSID().match(new X509CertificateHolder(old.getEncoded()))) {
                return Answer.Refused.of(Refusal.SIGNER_NOT_OLD_CERTIFICATE);
            }
            // Verified with the key alone: the certificate's validity is judged on the CA's clock above.
            boolean ok = signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(Der.BC).build(old.getPublicKey()));
            return ok ? null : Answer.Refused.of(Refusal.SIGNATURE_INVALID);
        } catch (CMSException | OperatorCreationException | IOException | CertificateEncodingException
                 | IllegalArgumentException | ClassCastException e) {
            return Answer.Refused.of(Refusal.SIGNATURE_INVALID);
        }
    }

    /** A parsed CSR (its key and subject) or why it is refused. */
    private record Checked(PublicKey key, X500Name subject, Answer.Refused refusal) {
    }

    /** Proof of possession, key strength, a new key and (when {@code old} is given) the same subject. */
    private static Checked checkCsr(byte[] der, X509Certificate old) {
        JcaPKCS10CertificationRequest csr;
        PublicKey key;
        try {
            csr = new JcaPKCS10CertificationRequest(der).setProvider(Der.BC);
            key = csr.getPublicKey();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return new Checked(null, null, Answer.Refused.of(Refusal.CSR_MALFORMED));
        }
        try {
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(Der.BC).build(key))) {
                return new Checked(null, null, Answer.Refused.of(Refusal.CSR_SIGNATURE_INVALID));
            }
        } catch (OperatorCreationException | PKCSException | RuntimeException e) {
            return new Checked(null, null, Answer.Refused.of(Refusal.CSR_SIGNATURE_INVALID));
        }
        String algorithm = keyAlgorithm(key);
        if (algorithm == null) {
            return new Checked(null, null, Answer.Refused.of(Refusal.KEY_WEAK, describe(key)));
        }
        if (csr.getSubject().getRDNs().length == 0) {
            return new Checked(null, null, Answer.Refused.of(Refusal.SUBJECT_CHANGED, "-", old == null ? "-" : old.getSubjectX500Principal().getName()));
        }
        if (old != null) {
            if (!X500Name.getInstance(BCStyle.INSTANCE, csr.getSubject()).equals(X500Name.getInstance(BCStyle.INSTANCE, Der.subject(old)))) {
                return new Checked(null, null, Answer.Refused.of(Refusal.SUBJECT_CHANGED,
                        csr.getSubject().toString(), Der.subject(old).toString()));
            }
            if (Arrays.equals(key.getEncoded(), old.getPublicKey().getEncoded())) {
                return new Checked(null, null, Answer.Refused.of(Refusal.KEY_REUSED));
            }
        }
        return new Checked(key, csr.getSubject(), null);
    }

    /** "RSA-2048", "EC-P256", ... in the host's algorithm names, or null for what this CA does not certify. */
    static String keyAlgorithm(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            return bits >= 2048 && bits <= 8192 ? "RSA-" + (bits + 7) / 8 * 8 : null;
        }
        if (key instanceof ECPublicKey ec) {
            return switch (ec.getParams().getCurve().getField().getFieldSize()) {
                case 256 -> "EC-P256";
                case 384 -> "EC-P384";
                default -> null;
            };
        }
        return null;
    }

    private static String describe(PublicKey key) {
        return key instanceof RSAPublicKey rsa ? "RSA-" + rsa.getModulus().bitLength() : key.getAlgorithm();
    }

    @SafeVarargs
    private static <T> T firstOf(T... items) {
        for (T t : items) {
            if (t != null) {
                return t;
            }
        }
        return null;
    }
}
