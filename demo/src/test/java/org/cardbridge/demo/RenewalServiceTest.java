package org.cardbridge.demo;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RenewalServiceTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path dir;
    DemoCa demo;
    RenewalService ca;
    KeyPair oldKey;
    X509Certificate old;

    @BeforeEach
    void setUp() throws Exception {
        demo = DemoCa.open(dir, Clock.fixed(T0, ZoneOffset.UTC));
        ca = demo.renewals();
        oldKey = Pki.ec();
        old = Pki.old(ca, oldKey, Pki.SUBJECT, T0, 30);
    }

    /** Draft + sign with the old key + submit: what the portal does. */
    Answer renew(KeyPair newKey, String code, Validity validity) throws Exception {
        Answer.Draft d = assertInstanceOf(Answer.Draft.class,
                ca.draft(old.getEncoded(), code, "ZETOSERWIS", validity.wire(), Pki.csr(newKey), "en"));
        return ca.submit(d.document(), Pki.cms(d.document(), oldKey.getPrivate(), old, true));
    }

    static void assertRefused(Refusal expected, Answer a) {
        Answer.Refused r = assertInstanceOf(Answer.Refused.class, a, () -> "expected refusal " + expected + " but got " + a);
        assertEquals(expected, r.reason());
    }

    @Test
    void check_validCertificateAndUnusedCode_eligibleWithSubjectAndKeyAlgorithm() throws Exception {
        Answer.Eligible e = assertInstanceOf(Answer.Eligible.class, ca.check(old.getEncoded(), ca.newCode(), null));
        assertEquals("CN=Jan Kowalski,O=CardBridge Demo,C=PL", e.subject());
        assertEquals("EC-P256", e.keyAlgorithm());
        assertEquals(old.getNotAfter().toInstant(), e.notAfter());
    }

    @Test
    void check_expiredCertificate_refusedWithTheSeedsExplanationInBothLanguages() throws Exception {
        X509Certificate expired = Pki.old(ca, oldKey, Pki.SUBJECT, T0, -1);
        Answer.Refused r = assertInstanceOf(Answer.Refused.class, ca.check(expired.getEncoded(), ca.newCode(), null));
        assertEquals(Refusal.CERTIFICATE_EXPIRED, r.reason());
        assertTrue(DemoTexts.refusal("pl", r).contains("tylko wtedy, gdy poprzedni certyfikat jest jeszcze ważny"));
        assertTrue(DemoTexts.refusal("en", r).contains("only be renewed online while it is still valid"));
        assertTrue(DemoTexts.refusal("en", r).contains(expired.getNotAfter().toInstant().toString().substring(0, 10)));
    }

    @Test
    void check_certificateOfLookalikeCaWithTheSameNames_refusedNotOurs() throws Exception {
        RenewalService stranger = new RenewalService(CertificateAuthority.create(T0), demo.store(), demo.clock());
        X509Certificate foreign = Pki.old(stranger, oldKey, Pki.SUBJECT, T0, 30);
        assertEquals(old.getIssuerX500Principal(), foreign.getIssuerX500Principal());
        assertRefused(Refusal.CERTIFICATE_NOT_OURS, ca.check(foreign.getEncoded(), null, null));
    }

    @Test
    void check_garbageCertificate_refusedMalformed() throws Exception {
        assertRefused(Refusal.CERTIFICATE_MALFORMED, ca.check(new byte[]{0x30, 0x03, 1, 2, 3}, null, null));
    }

    @Test
    void pointOfService_mustBeOneOfTheCas_atCheckDraftAndSubmit() throws Exception {
        assertRefused(Refusal.POK_UNKNOWN, ca.check(old.getEncoded(), ca.newCode(), "NOWHERE"));
        assertRefused(Refusal.POK_UNKNOWN, ca.draft(old.getEncoded(), ca.newCode(), "", "now", Pki.csr(Pki.ec()), "en"));
        assertInstanceOf(Answer.Eligible.class, ca.check(old.getEncoded(), ca.newCode(), " zetoserwis "), "typed as people type it");
        Answer.Draft d = assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), ca.newCode(), "zetoserwis", "now", Pki.csr(Pki.ec()), "pl"));
        assertTrue(d.statement().contains("Punkt obsługi klienta (POK): ZETOSERWIS"), d.statement().toString());
        assertEquals("ZETOSERWIS", ApplicationDocument.parse(d.document()).pok(), "the signed application carries it");
        // A document the CA never drafted, signed with the right key, still names an unknown point of service.
        byte[] forged = new ApplicationDocument("x-3", T0, ca.newCode(), "NOWHERE", Validity.NOW, old.getEncoded(),
                Pki.csr(Pki.ec()), java.util.List.of("hand-made")).encode();
        assertRefused(Refusal.POK_UNKNOWN, ca.submit(forged, Pki.cms(forged, oldKey.getPrivate(), old, true)));
    }

    @Test
    void check_unknownCode_refused() throws Exception {
        assertRefused(Refusal.CODE_UNKNOWN, ca.check(old.getEncoded(), "NOSUCHCODE", null));
    }

    @Test
    void submit_immediate_issuesCertificateForTheNewKeyWithTheSameSubjectAndSpendsTheCode() throws Exception {
        KeyPair newKey = Pki.ec();
        String code = ca.newCode();
        Answer.Issued issued = assertInstanceOf(Answer.Issued.class, renew(newKey, code, Validity.NOW));
        X509Certificate c = issued.certificate();
        assertArrayEquals(newKey.getPublic().getEncoded(), c.getPublicKey().getEncoded());
        assertEquals(old.getSubjectX500Principal(), c.getSubjectX500Principal());
        assertEquals(T0, c.getNotBefore().toInstant());
        assertEquals(T0.plus(RenewalService.CERTIFICATE_LIFETIME), c.getNotAfter().toInstant());
        c.verify(issued.chain().get(0).getPublicKey());
        issued.chain().get(0).verify(issued.chain().get(1).getPublicKey());
        assertTrue(ca.ca().issued(c));
        assertTrue(demo.store().read().codes().get(code).used());
        // one valid certificate per person: the renewed one cannot be renewed again
        assertRefused(Refusal.CERTIFICATE_ALREADY_RENEWED, ca.check(old.getEncoded(), ca.newCode(), null));
    }

    @Test
    void submit_rsa2048Keys_issued() throws Exception {
        oldKey = Pki.rsa(2048);
        old = Pki.old(ca, oldKey, Pki.SUBJECT, T0, 30);
        KeyPair newKey = Pki.rsa(2048);
        Answer.Issued issued = assertInstanceOf(Answer.Issued.class, renew(newKey, ca.newCode(), Validity.NOW));
        assertArrayEquals(newKey.getPublic().getEncoded(), issued.certificate().getPublicKey().getEncoded());
        assertEquals("RSA-2048", RenewalService.keyAlgorithm(issued.certificate().getPublicKey()));
    }

    @Test
    void submit_codeAlreadySpentByAnotherRenewal_refusedCodeUsed() throws Exception {
        String code = ca.newCode();
        assertInstanceOf(Answer.Issued.class, renew(Pki.ec(), code, Validity.NOW));
        // a second person (another valid certificate) tries the same code
        oldKey = Pki.ec();
        old = Pki.old(ca, oldKey, new X500Name("C=PL,O=CardBridge Demo,CN=Anna Nowak"), T0, 30);
        assertRefused(Refusal.CODE_USED, ca.check(old.getEncoded(), code, null));
        KeyPair annaKey = Pki.ec();
        byte[] csr = Pki.csr(new X500Name("C=PL,O=CardBridge Demo,CN=Anna Nowak"), annaKey.getPublic(), annaKey.getPrivate());
        assertRefused(Refusal.CODE_USED, ca.draft(old.getEncoded(), code, "ZETOSERWIS", "now", csr, "en"));
        // nor can a hand-made application signed with Anna's valid certificate spend it
        byte[] doc = new ApplicationDocument("x-2", T0, code, "ZETOSERWIS", Validity.NOW, old.getEncoded(), csr, java.util.List.of("hand-made")).encode();
        assertRefused(Refusal.CODE_USED, ca.submit(doc, Pki.cms(doc, oldKey.getPrivate(), old, true)));
    }

    @Test
    void submit_sameSignedApplicationTwice_secondRefused() throws Exception {
        Answer.Draft d = assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", Pki.csr(Pki.ec()), "en"));
        byte[] sig = Pki.cms(d.document(), oldKey.getPrivate(), old, true);
        assertInstanceOf(Answer.Issued.class, ca.submit(d.document(), sig));
        assertRefused(Refusal.CERTIFICATE_ALREADY_RENEWED, ca.submit(d.document(), sig));
    }

    @Test
    void submit_documentChangedAfterSigning_refusedSignatureInvalid() throws Exception {
        String code = ca.newCode();
        Answer.Draft d = assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), code, "ZETOSERWIS", "now", Pki.csr(Pki.ec()), "en"));
        byte[] sig = Pki.cms(d.document(), oldKey.getPrivate(), old, true);
        byte[] changed = new String(d.document(), StandardCharsets.UTF_8)
                .replace("\"validity\" : \"now\"", "\"validity\" : \"afterExpiry\"").getBytes(StandardCharsets.UTF_8);
        assertFalse(java.util.Arrays.equals(changed, d.document()));
        assertRefused(Refusal.SIGNATURE_INVALID, ca.submit(changed, sig));
        assertFalse(demo.store().read().codes().get(code).used(), "a refused application spends nothing");
    }

    @Test
    void submit_attachedSignatureOverOtherBytes_refusedSignatureInvalid() throws Exception {
        Answer.Draft d = assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", Pki.csr(Pki.ec()), "en"));
        Answer.Draft other = assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", Pki.csr(Pki.ec()), "en"));
        byte[] sigOverOther = Pki.cms(other.document(), oldKey.getPrivate(), old, false);
        assertRefused(Refusal.SIGNATURE_INVALID, ca.submit(d.document(), sigOverOther));
        // the same attached signature with its own content is fine
        assertInstanceOf(Answer.Issued.class, ca.submit(other.document(), sigOverOther));
    }

    @Test
    void submit_signedByAnotherCertificate_refusedSignerNotOld() throws Exception {
        KeyPair stranger = Pki.ec();
        X509Certificate strangerCert = Pki.old(ca, stranger, Pki.SUBJECT, T0, 30);
        Answer.Draft d = assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", Pki.csr(Pki.ec()), "en"));
        assertRefused(Refusal.SIGNER_NOT_OLD_CERTIFICATE, ca.submit(d.document(), Pki.cms(d.document(), stranger.getPrivate(), strangerCert, true)));
    }

    @Test
    void submit_forgedSignerClaimingTheOldCertificatesIssuerAndSerial_refusedSignatureInvalid() throws Exception {
        KeyPair forger = Pki.ec();
        X509Certificate forged = Pki.selfMade(forger, Der.subject(ca.ca().issuing()), Pki.SUBJECT, old.getSerialNumber(),
                T0.minus(Duration.ofDays(1)), T0.plus(Duration.ofDays(30)));
        Answer.Draft d = assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", Pki.csr(Pki.ec()), "en"));
        assertRefused(Refusal.SIGNATURE_INVALID, ca.submit(d.document(), Pki.cms(d.document(), forger.getPrivate(), forged, true)));
    }

    @Test
    void submit_garbageSignatureOrDocument_refused() throws Exception {
        Answer.Draft d = assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", Pki.csr(Pki.ec()), "en"));
        assertRefused(Refusal.SIGNATURE_INVALID, ca.submit(d.document(), new byte[]{0x30, 0x00}));
        assertRefused(Refusal.DOCUMENT_MALFORMED, ca.submit("{\"type\":\"x\"}".getBytes(StandardCharsets.UTF_8), new byte[]{0x30, 0x00}));
    }

    @Test
    void draft_csrWithoutProofOfPossession_refused() throws Exception {
        KeyPair claimed = Pki.ec();
        byte[] csr = Pki.csr(Pki.SUBJECT, claimed.getPublic(), Pki.ec().getPrivate());
        assertRefused(Refusal.CSR_SIGNATURE_INVALID, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", csr, "en"));
        assertRefused(Refusal.CSR_MALFORMED, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", new byte[]{1, 2, 3}, "en"));
    }

    @Test
    void submit_csrWithoutProofOfPossessionInASignedApplication_refused() throws Exception {
        // a client that skips the draft step must meet the same rule at submission
        KeyPair claimed = Pki.ec();
        byte[] badCsr = Pki.csr(Pki.SUBJECT, claimed.getPublic(), Pki.ec().getPrivate());
        String code = ca.newCode();
        byte[] doc = new ApplicationDocument("x-1", T0, code, "ZETOSERWIS", Validity.NOW, old.getEncoded(), badCsr, java.util.List.of("hand-made")).encode();
        assertRefused(Refusal.CSR_SIGNATURE_INVALID, ca.submit(doc, Pki.cms(doc, oldKey.getPrivate(), old, true)));
        assertFalse(demo.store().read().codes().get(code).used());
    }

    @Test
    void draft_subjectChanged_refused() throws Exception {
        KeyPair k = Pki.ec();
        byte[] csr = Pki.csr(new X500Name("C=PL,O=CardBridge Demo,CN=Jan Nowak"), k.getPublic(), k.getPrivate());
        Answer.Refused r = assertInstanceOf(Answer.Refused.class, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", csr, "en"));
        assertEquals(Refusal.SUBJECT_CHANGED, r.reason());
        assertTrue(DemoTexts.refusal("en", r).contains("Jan Nowak"));
    }

    @Test
    void draft_sameSubjectInOtherCaseAndSpacing_accepted() throws Exception {
        KeyPair k = Pki.ec();
        byte[] csr = Pki.csr(new X500Name("C=pl,O=CardBridge Demo,CN=jan  kowalski"), k.getPublic(), k.getPrivate());
        assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", csr, "en"));
    }

    @Test
    void draft_sameSubjectWithRdnsInReverseOrder_acceptedAndCertificateKeepsTheOldOrder() throws Exception {
        // a CSR built from the RFC 4514 string by a library that does not reverse it
        KeyPair k = Pki.ec();
        byte[] csr = Pki.csr(new X500Name("CN=Jan Kowalski,O=CardBridge Demo,C=PL"), k.getPublic(), k.getPrivate());
        Answer.Draft d = assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", csr, "en"));
        Answer.Issued i = assertInstanceOf(Answer.Issued.class, ca.submit(d.document(), Pki.cms(d.document(), oldKey.getPrivate(), old, true)));
        assertArrayEquals(old.getSubjectX500Principal().getEncoded(), i.certificate().getSubjectX500Principal().getEncoded());
    }

    @Test
    void draft_oldKeyReused_refused() throws Exception {
        assertRefused(Refusal.KEY_REUSED, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", Pki.csr(oldKey), "en"));
    }

    @Test
    void draft_rsa1024Key_refusedWeak() throws Exception {
        assertRefused(Refusal.KEY_WEAK, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", Pki.csr(Pki.rsa(1024)), "en"));
    }

    @Test
    void draft_unknownValidity_refusedAndCodeNotSpent() throws Exception {
        String code = ca.newCode();
        assertRefused(Refusal.VALIDITY_UNKNOWN, ca.draft(old.getEncoded(), code, "ZETOSERWIS", "tomorrow", Pki.csr(Pki.ec()), "en"));
        assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), code, "ZETOSERWIS", "now", Pki.csr(Pki.ec()), "pl"));
        assertFalse(demo.store().read().codes().get(code).used(), "a draft spends nothing");
    }

    @Test
    void submit_oldCertificateExpiredBetweenDraftAndSubmission_refusedExpired() throws Exception {
        Answer.Draft d = assertInstanceOf(Answer.Draft.class, ca.draft(old.getEncoded(), ca.newCode(), "ZETOSERWIS", "now", Pki.csr(Pki.ec()), "en"));
        byte[] sig = Pki.cms(d.document(), oldKey.getPrivate(), old, true);
        demo.clock().advance(Duration.ofDays(31));
        assertRefused(Refusal.CERTIFICATE_EXPIRED, ca.submit(d.document(), sig));
    }

    @Test
    void submit_deferred_scheduledFromOldExpiryAndReleasedOnlyWhenTheClockGetsThere() throws Exception {
        KeyPair newKey = Pki.ec();
        Answer.Scheduled s = assertInstanceOf(Answer.Scheduled.class, renew(newKey, ca.newCode(), Validity.AFTER_EXPIRY));
        Instant from = old.getNotAfter().toInstant().plusSeconds(1);
        assertEquals(from, s.availableFrom());
        assertEquals(from, assertInstanceOf(Answer.Waiting.class, ca.lookup(newKey.getPublic().getEncoded())).availableFrom());

        demo.clock().advance(Duration.ofDays(31));
        Answer.Issued i = assertInstanceOf(Answer.Issued.class, ca.lookup(newKey.getPublic().getEncoded()));
        assertEquals(from, i.certificate().getNotBefore().toInstant());
        assertArrayEquals(newKey.getPublic().getEncoded(), i.certificate().getPublicKey().getEncoded());
        assertEquals(old.getSubjectX500Principal(), i.certificate().getSubjectX500Principal());
        // the old certificate is now expired: the seeds' rule still stops a new online renewal
        assertRefused(Refusal.CERTIFICATE_EXPIRED, ca.check(old.getEncoded(), ca.newCode(), null));
    }

    @Test
    void lookup_unknownKey_notFound() throws Exception {
        assertInstanceOf(Answer.NotFound.class, ca.lookup(Pki.ec().getPublic().getEncoded()));
    }

    @Test
    void restart_keepsCaKeysClockCodesAndApplications() throws Exception {
        KeyPair newKey = Pki.ec();
        String spent = ca.newCode();
        assertInstanceOf(Answer.Scheduled.class, renew(newKey, spent, Validity.AFTER_EXPIRY));
        String fresh = ca.newCode();
        demo.clock().advance(Duration.ofDays(40));

        DemoCa again = DemoCa.open(dir, Clock.fixed(T0, ZoneOffset.UTC));
        assertArrayEquals(ca.ca().issuing().getEncoded(), again.renewals().ca().issuing().getEncoded());
        assertEquals(T0.plus(Duration.ofDays(40)), again.clock().now());
        assertTrue(again.store().read().codes().get(spent).used());
        assertFalse(again.store().read().codes().get(fresh).used());
        assertInstanceOf(Answer.Issued.class, again.renewals().lookup(newKey.getPublic().getEncoded()));
    }

    @Test
    void issueFromCsr_manualPath_certifiesTheCsrsKeyAndSubjectFromNow() throws Exception {
        KeyPair k = Pki.ec();
        X500Name subject = new X500Name("CN=SKP 1234,O=Stacja Kontroli Pojazdow,C=PL");
        Answer.Issued i = assertInstanceOf(Answer.Issued.class, ca.issueFromCsr(Pki.csr(subject, k.getPublic(), k.getPrivate())));
        assertArrayEquals(k.getPublic().getEncoded(), i.certificate().getPublicKey().getEncoded());
        assertEquals(subject, Der.subject(i.certificate()));
        assertEquals(T0, i.certificate().getNotBefore().toInstant());
        assertTrue(i.certificate().getExtensionValue(Extension.authorityKeyIdentifier.getId()) != null);
        assertRefused(Refusal.CSR_SIGNATURE_INVALID, ca.issueFromCsr(Pki.csr(subject, k.getPublic(), Pki.ec().getPrivate())));
    }
}
