package org.cardbridge.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.cmp.CMPCertificate;
import org.bouncycastle.asn1.cmp.CertOrEncCert;
import org.bouncycastle.asn1.cmp.CertRepMessage;
import org.bouncycastle.asn1.cmp.CertResponse;
import org.bouncycastle.asn1.cmp.CertifiedKeyPair;
import org.bouncycastle.asn1.cmp.ErrorMsgContent;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIFailureInfo;
import org.bouncycastle.asn1.cmp.PKIFreeText;
import org.bouncycastle.asn1.cmp.PKIHeader;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.bouncycastle.asn1.cmp.PKIStatusInfo;
import org.bouncycastle.asn1.crmf.CRMFObjectIdentifiers;
import org.bouncycastle.asn1.crmf.CertId;
import org.bouncycastle.asn1.crmf.CertReqMessages;
import org.bouncycastle.asn1.crmf.CertReqMsg;
import org.bouncycastle.asn1.crmf.CertTemplate;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.cmp.CertificateConfirmationContent;
import org.bouncycastle.cert.cmp.CertificateStatus;
import org.bouncycastle.cert.cmp.GeneralPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessageBuilder;
import org.bouncycastle.cert.crmf.CertificateRequestMessage;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The demo CA's CMP endpoint ({@code POST /cmp}, {@code application/pkixcmp}): renewal by key update request
 * (RFC 4210/9480, Lightweight CMP Profile RFC 9483 section 4.1.3), built on Bouncy Castle's CMP and CRMF
 * classes. What it accepts:
 * <ul>
 *   <li>{@code kur}, signature-protected by a valid certificate this CA issued (the one being renewed; in
 *   extraCerts first), whose oldCertID (if present) names that certificate, with a proof of possession signed
 *   by the new key. The new certificate keeps the old subject and is valid for a year.</li>
 *   <li>{@code certConf} of that transaction (same protection, recipNonce = the kup's senderNonce, the
 *   certificate's hash) → {@code pkiConf}.</li>
 * </ul>
 * Anything else is answered by a protected {@code error} message saying why. Answers are signed by the CA's
 * CMP signer, a key made at start with a certificate from the issuing CA (extraCerts: it and the issuing CA).
 */
public final class CmpEndpoint implements HttpHandler {
    private static final Logger LOG = Logger.getLogger(CmpEndpoint.class.getName());
    private static final int MAX_BODY = 256 * 1024;
    private static final int MAX_TRANSACTIONS = 100;
    static final X500Name SIGNER_NAME = new X500Name("C=PL,O=CardBridge Demo,CN=CardBridge Demo CMP");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CertificateAuthority ca;
    private final DemoClock clock;
    private final KeyPair signerKeys;
    private final X509Certificate signer;
    /** transactionID (hex) → the certificate issued and the kup's senderNonce, until certConf. */
    private final Map<String, Issued> open = new LinkedHashMap<>();

    private record Issued(X509Certificate certificate, byte[] nonce) {
    }

    /** A refusal: the failure bit (PKIFailureInfo) and a text for the error message. */
    private static final class Refusal extends Exception {
        final int failInfo;

        Refusal(int failInfo, String text) {
            super(text);
            this.failInfo = failInfo;
        }
    }

    public CmpEndpoint(CertificateAuthority ca, DemoClock clock) {
        this.ca = ca;
        this.clock = clock;
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            signerKeys = g.generateKeyPair();
            Instant now = clock.now();
            signer = ca.issue(SIGNER_NAME, SubjectPublicKeyInfo.getInstance(signerKeys.getPublic().getEncoded()),
                    now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(365)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot make the CMP signer", e);
        }
    }

    /** The certificate the CA's CMP answers are signed with. */
    public X509Certificate signer() {
        return signer;
    }

    @Override
    public void handle(HttpExchange x) throws IOException {
        try (x) {
            if (!x.getRequestMethod().equals("POST")) {
                x.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body;
            try (InputStream in = x.getRequestBody()) {
                body = in.readNBytes(MAX_BODY + 1);
            }
            if (body.length > MAX_BODY) {
                x.sendResponseHeaders(413, -1);
                return;
            }
            byte[] answer = answer(body);
            x.getResponseHeaders().set("Content-Type", "application/pkixcmp");
            x.sendResponseHeaders(200, answer.length);
            x.getResponseBody().write(answer);
        }
    }

    /** The answer to one DER PKIMessage: kup, pkiConf or a protected error message. */
    byte[] answer(byte[] der) {
        PKIMessage request;
        try {
            request = PKIMessage.getInstance(der);
            request.getHeader().getTransactionID();
        } catch (RuntimeException e) {
            return respond(null, PKIBody.TYPE_ERROR, error(PKIFailureInfo.badDataFormat, "not a CMP message"));
        }
        PKIHeader header = request.getHeader();
        try {
            X509Certificate sender = verify(new GeneralPKIMessage(request));
            return switch (request.getBody().getType()) {
                case PKIBody.TYPE_KEY_UPDATE_REQ -> keyUpdate(header, request.getBody(), sender);
                case PKIBody.TYPE_CERT_CONFIRM -> confirm(header, request.getBody());
                default -> throw new Refusal(PKIFailureInfo.badRequest, "this CA renews by key update request (kur) only");
            };
        } catch (Refusal r) {
            LOG.info("CMP request refused: " + r.getMessage());
            return respond(header, PKIBody.TYPE_ERROR, error(r.failInfo, r.getMessage()));
        } catch (RuntimeException e) {
            LOG.info("CMP request does not parse: " + e);
            return respond(header, PKIBody.TYPE_ERROR, error(PKIFailureInfo.badDataFormat, "the CMP message does not parse"));
        }
    }

    /** The certificate whose key signed the request: a valid one this CA issued, named as the sender. */
    private X509Certificate verify(GeneralPKIMessage message) throws Refusal {
        if (!message.hasProtection()) {
            throw new Refusal(PKIFailureInfo.badMessageCheck, "the request is not protected");
        }
        ProtectedPKIMessage p = new ProtectedPKIMessage(message);
        if (p.hasPasswordBasedMacProtection()) {
            throw new Refusal(PKIFailureInfo.wrongIntegrity, "this CA takes signature-protected requests only");
        }
        X509CertificateHolder[] certs = p.getCertificates();
        if (certs.length == 0) {
            throw new Refusal(PKIFailureInfo.signerNotTrusted, "the request carries no certificate in extraCerts");
        }
        try {
            X509Certificate cert = Der.certificate(certs[0].getEncoded());
            Instant now = clock.now();
            if (!ca.issued(cert) || now.isBefore(cert.getNotBefore().toInstant()) || now.isAfter(cert.getNotAfter().toInstant())) {
                throw new Refusal(PKIFailureInfo.signerNotTrusted, "the request is not signed with a valid certificate of this CA");
            }
            if (!message.getHeader().getSender().equals(new GeneralName(certs[0].getSubject()))) {
                throw new Refusal(PKIFailureInfo.badMessageCheck, "the sender is not the signing certificate's subject");
            }
            if (!p.verify(new JcaContentVerifierProviderBuilder().setProvider(Der.BC).build(certs[0]))) {
                throw new Refusal(PKIFailureInfo.badMessageCheck, "the request's signature does not verify");
            }
            return cert;
        } catch (IOException | org.bouncycastle.cert.cmp.CMPException | org.bouncycastle.operator.OperatorCreationException
                 | java.security.cert.CertificateException e) {
            throw new Refusal(PKIFailureInfo.badMessageCheck, "the request's protection cannot be checked");
        }
    }

    private byte[] keyUpdate(PKIHeader header, PKIBody body, X509Certificate old) throws Refusal {
        CertReqMsg[] msgs = CertReqMessages.getInstance(body.getContent()).toCertReqMsgArray();
        if (msgs.length != 1) {
            throw new Refusal(PKIFailureInfo.badRequest, "one certificate request per message");
        }
        CertificateRequestMessage crm = new CertificateRequestMessage(msgs[0]);
        var control = crm.getControl(CRMFObjectIdentifiers.id_regCtrl_oldCertID);
        if (control != null) {
            CertId id = CertId.getInstance(control.getValue());
            if (!id.getSerialNumber().getValue().equals(old.getSerialNumber())
                    || !id.getIssuer().equals(new GeneralName(X500Name.getInstance(old.getIssuerX500Principal().getEncoded())))) {
                throw new Refusal(PKIFailureInfo.badCertId, "oldCertID does not name the certificate that signed the request");
            }
        }
        CertTemplate template = crm.getCertTemplate();
        X500Name oldSubject = X500Name.getInstance(old.getSubjectX500Principal().getEncoded());
        if (template.getSubject() != null && !template.getSubject().equals(oldSubject)) {
            throw new Refusal(PKIFailureInfo.badCertTemplate, "a renewal keeps the subject of the certificate it renews");
        }
        SubjectPublicKeyInfo key = template.getPublicKey();
        if (key == null) {
            throw new Refusal(PKIFailureInfo.badCertTemplate, "the template has no public key");
        }
        if (Arrays.equals(encoded(key), old.getPublicKey().getEncoded())) {
            throw new Refusal(PKIFailureInfo.badCertTemplate, "a key update needs a new key");
        }
        try {
            if (!crm.hasProofOfPossession() || !crm.isValidSigningKeyPOP(new JcaContentVerifierProviderBuilder().setProvider(Der.BC)
                    .build(org.bouncycastle.jce.provider.BouncyCastleProvider.getPublicKey(key)))) {
                throw new Refusal(PKIFailureInfo.badPOP, "the proof of possession does not verify with the new key");
            }
        } catch (org.bouncycastle.cert.crmf.CRMFException | org.bouncycastle.operator.OperatorCreationException
                 | IOException | RuntimeException e) {
            throw new Refusal(PKIFailureInfo.badPOP, "the proof of possession cannot be checked");
        }
        Instant now = clock.now();
        X509Certificate issued = ca.issue(oldSubject, key, now.minus(Duration.ofMinutes(5)), now.plus(RenewalService.CERTIFICATE_LIFETIME));
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        synchronized (open) {
            open.put(hex(header.getTransactionID()), new Issued(issued, nonce));
            while (open.size() > MAX_TRANSACTIONS) {
                open.remove(open.keySet().iterator().next());
            }
        }
        LOG.info("CMP: issued " + issued.getSerialNumber().toString(16) + " renewing " + old.getSerialNumber().toString(16));
        CertResponse response = new CertResponse(crm.getCertReqId(), new PKIStatusInfo(PKIStatus.granted),
                new CertifiedKeyPair(new CertOrEncCert(cmp(issued))), null);
        return respond(header, nonce, PKIBody.TYPE_KEY_UPDATE_REP, new CertRepMessage(new CMPCertificate[]{cmp(ca.root())},
                new CertResponse[]{response}));
    }

    private byte[] confirm(PKIHeader header, PKIBody body) throws Refusal {
        Issued issued;
        synchronized (open) {
            issued = open.get(hex(header.getTransactionID()));
        }
        if (issued == null) {
            throw new Refusal(PKIFailureInfo.badRequest, "no open transaction with this id");
        }
        if (header.getRecipNonce() == null || !Arrays.equals(header.getRecipNonce().getOctets(), issued.nonce())) {
            throw new Refusal(PKIFailureInfo.badRecipientNonce, "the certConf does not answer this CA's kup");
        }
        CertificateConfirmationContent content = new CertificateConfirmationContent(
                org.bouncycastle.asn1.cmp.CertConfirmContent.getInstance(body.getContent()));
        CertificateStatus[] statuses = content.getStatusMessages();
        try {
            if (statuses.length != 1 || !statuses[0].isVerified(new X509CertificateHolder(issued.certificate().getEncoded()),
                    new JcaDigestCalculatorProviderBuilder().setProvider(Der.BC).build())) {
                throw new Refusal(PKIFailureInfo.badCertId, "the certConf's hash is not that of the certificate issued");
            }
        } catch (IOException | java.security.cert.CertificateEncodingException | org.bouncycastle.cert.cmp.CMPException
                 | org.bouncycastle.operator.OperatorCreationException e) {
            throw new Refusal(PKIFailureInfo.badCertId, "the certConf cannot be checked");
        }
        synchronized (open) {
            open.remove(hex(header.getTransactionID()));
        }
        return respond(header, PKIBody.TYPE_CONFIRM, DERNull.INSTANCE);
    }

    private static ErrorMsgContent error(int failInfo, String text) {
        return new ErrorMsgContent(new PKIStatusInfo(PKIStatus.rejection, new PKIFreeText(text), new PKIFailureInfo(failInfo)));
    }

    private byte[] respond(PKIHeader request, int type, org.bouncycastle.asn1.ASN1Encodable content) {
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        return respond(request, nonce, type, content);
    }

    /** A signed answer to {@code request} (null when it did not parse): same transactionID, its senderNonce as recipNonce. */
    private byte[] respond(PKIHeader request, byte[] nonce, int type, org.bouncycastle.asn1.ASN1Encodable content) {
        try {
            GeneralName recipient = request != null ? request.getSender() : new GeneralName(new X500Name(new org.bouncycastle.asn1.x500.RDN[0]));
            ProtectedPKIMessageBuilder b = new ProtectedPKIMessageBuilder(new GeneralName(SIGNER_NAME), recipient)
                    .setMessageTime(Date.from(clock.now()))
                    .setSenderNonce(nonce)
                    .setSenderKID(new JcaX509ExtensionUtils().createSubjectKeyIdentifier(signer.getPublicKey()).getKeyIdentifier())
                    .setBody(new PKIBody(type, content))
                    .addCMPCertificate(new X509CertificateHolder(signer.getEncoded()))
                    .addCMPCertificate(new X509CertificateHolder(ca.issuing().getEncoded()));
            if (request != null && request.getTransactionID() != null) {
                b.setTransactionID(request.getTransactionID().getOctets());
            }
            if (request != null && request.getSenderNonce() != null) {
                b.setRecipNonce(request.getSenderNonce().getOctets());
            }
            return b.build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(Der.BC).build(signerKeys.getPrivate()))
                    .toASN1Structure().getEncoded("DER");
        } catch (IOException | java.security.GeneralSecurityException | org.bouncycastle.cert.cmp.CMPException
                 | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("cannot sign the CMP answer", e);
        }
    }

    private static CMPCertificate cmp(X509Certificate c) {
        try {
            return new CMPCertificate(Certificate.getInstance(c.getEncoded()));
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] encoded(SubjectPublicKeyInfo key) {
        try {
            return key.getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(ASN1OctetString s) {
        return s == null ? "" : HexFormat.of().formatHex(s.getOctets());
    }
}
