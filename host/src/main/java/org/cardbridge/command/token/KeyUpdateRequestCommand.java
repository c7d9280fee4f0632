package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.crmf.CRMFObjectIdentifiers;
import org.bouncycastle.asn1.crmf.CertId;
import org.bouncycastle.asn1.crmf.CertReqMessages;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.crmf.CRMFException;
import org.bouncycastle.cert.crmf.CertificateRequestMessage;
import org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder;
import org.bouncycastle.cert.crmf.Control;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.Handles;
import org.cardbridge.token.SignatureScheme;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;
import org.cardbridge.ui.Texts;

import javax.security.auth.x500.X500Principal;
import java.io.IOException;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * {@code createKeyUpdateRequest {key, certificate, subject?, extensions?, chain?, recipient?}}: a CMP key
 * update request ({@code kur}, RFC 4210/9480 as profiled by RFC 9483 section 4.1.3) for the pending key
 * {@code key}, authenticated by the current certificate {@code certificate} on the same card.
 *
 * <p>The CRMF template carries the new public key, the subject and extensions of the current certificate
 * (or {@code subject}/{@code extensions} as the page gives them, checked as {@code createCsr} checks them)
 * and the oldCertID control; the new key signs the proof of possession on the card. The PKIMessage is
 * protected by a signature of the current certificate's key, with that certificate (and {@code chain}) in
 * extraCerts, a fresh transactionID and senderNonce. The host keeps the transaction for
 * {@code acceptCmpResponse}; it never sends anything itself: the page relays the message to its CA.
 */
public final class KeyUpdateRequestCommand implements Command<KeyUpdateRequestCommand.Args, KeyUpdateRequestCommand.Result> {
    /** {@code subject} and {@code extensions} are null where the page left them to the current certificate. */
    public record Args(Handles.ObjectHandle key, String certificate, X500Name subject, CreateCsrCommand.Args extensions,
                       List<X509Certificate> chain, X500Name recipient) {
    }

    /** {@code message}: base64 DER of the PKIMessage to send to the CA's CMP endpoint. */
    public record Result(String message, String transactionId, String signatureAlgorithm) {
    }

    private static final String PENDING_ONLY = "the new key must be one without a certificate (a pending renewal key, from generateKeyPair)";
    /** The current certificate's extensions a renewal asks for again, when the page does not say. */
    private static final List<ASN1ObjectIdentifier> TEMPLATE_EXTENSIONS = List.of(Extension.keyUsage, Extension.extendedKeyUsage,
            Extension.subjectAlternativeName);
    private final TokenAccess access;
    private final CmpTransactions transactions;

    public KeyUpdateRequestCommand(TokenAccess access, CmpTransactions transactions) {
        this.access = access;
        this.transactions = transactions;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.ENROLL;
    }

    @Override
    public Args parse(Params params) {
        String certificate = params.text("certificate");
        Handles.ObjectHandle old = Handles.parseCertificate("certificate", certificate);
        // The key, subject and extensions are checked exactly as createCsr checks them, by createCsr's own parser.
        ObjectNode csr = JsonNodeFactory.instance.objectNode();
        csr.put("key", params.text("key"));
        JsonNode subject = params.node("subject");
        csr.set("subject", subject != null ? subject : JsonNodeFactory.instance.textNode("CN=template"));
        JsonNode extensions = params.node("extensions");
        if (extensions != null) {
            csr.set("extensions", extensions);
        }
        CreateCsrCommand.Args checked = new CreateCsrCommand(access).parse(new Params(csr));
        if (!checked.key().token().equals(old.token())) {
            throw HostException.invalidArgument("key", "the new key must be on the card of the current certificate");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (String text : params.textList("chain", false)) {
            chain.addAll(InstallCertificateCommand.parseCertificates(text));
        }
        X500Name recipient = null;
        String r = params.optText("recipient");
        if (r != null) {
            recipient = Subjects.parse("recipient", JsonNodeFactory.instance.textNode(r));
        }
        return new Args(checked.key(), certificate, subject != null ? checked.subject() : null,
                extensions != null ? checked : null, List.copyOf(chain), recipient);
    }

    @Override
    public Result execute(Args args, CommandContext context) {
        // ---- what can be known to fail is refused before any window ---------------------------------
        TokenSession session = access.session(args.key().token());
        TokenObjects.Certificate old = TokenAccess.certificate(session, args.certificate(), "certificate");
        X509Certificate oldCert = old.certificate();
        Instant now = Instant.now();
        if (now.isAfter(oldCert.getNotAfter().toInstant())) {
            throw new HostException(ErrorCode.CERTIFICATE_EXPIRED,
                    "the current certificate has expired: it can no longer authenticate a request for a new one",
                    Map.of("notAfter", oldCert.getNotAfter().toInstant().toString(), "field", "certificate"));
        }
        if (now.isBefore(oldCert.getNotBefore().toInstant())) {
            throw new HostException(ErrorCode.CERTIFICATE_NOT_YET_VALID, "the current certificate is not valid yet",
                    Map.of("notBefore", oldCert.getNotBefore().toInstant().toString(), "field", "certificate"));
        }
        if (SignCommand.algorithmOf(oldCert) == null) {
            throw new HostException(ErrorCode.ALGORITHM_NOT_SUPPORTED, "the current certificate's key is not one CardBridge signs with",
                    Map.of("supported", org.cardbridge.token.KeyAlgorithm.wireNames()));
        }
        TokenAccess.requireNoCertificate(session, args.key().keyId(), "key", PENDING_ONLY);
        session.publicKey(args.key().keyId())
                .ifPresent(TokenSession::requireNamedAlgorithm);
        if (!args.chain().isEmpty()) {
            List<X509Certificate> all = new ArrayList<>(List.of(oldCert));
            args.chain().stream().filter(c -> !c.equals(oldCert)).forEach(all::add);
            InstallCertificateCommand.chain(all); // CERTIFICATE_INVALID unless the chain is the current certificate's
        }
        X500Name subject = args.subject() != null ? args.subject()
                : X500Name.getInstance(oldCert.getSubjectX500Principal().getEncoded());
        X500Name recipient = args.recipient() != null ? args.recipient()
                : X500Name.getInstance(oldCert.getIssuerX500Principal().getEncoded());
        String oldSubject = TokenAccess.subject(oldCert);

        // ---- the user confirms, then logs in ---------------------------------------------------------
        Texts t = TokenAccess.texts(context);
        access.approve(session, context, "action.keyUpdateRequest", List.of(t.plain("fact.token", session.info().label()),
                t.plain("fact.keyUpdate", oldSubject),
                t.plain("fact.subject", new X500Principal(encoded(subject)).getName(X500Principal.RFC2253))), null, oldSubject);
        TokenAccess.requireNoCertificate(session, args.key().keyId(), "key", PENDING_ONLY); // private certificates show only now
        TokenObjects.Key newKey = TokenAccess.privateKey(session, args.key());
        TokenSession.requireNamedAlgorithm(newKey);
        PublicKey newPublic = session.publicKeyOf(newKey, session.publicKeys()).orElseThrow(() -> new HostException(
                ErrorCode.KEY_NOT_FOUND, "the card does not reveal this key's public key",
                Map.of("key", Handles.key(session.handle(), args.key().keyId()))));
        SignatureScheme newScheme = session.schemeFor(newKey, newKey.algorithm().defaultHash());

        // ---- the request, its proof of possession by the new key, its protection by the old one ------
        try {
            X509CertificateHolder oldHolder = new X509CertificateHolder(old.der());
            CertificateRequestMessageBuilder request = new CertificateRequestMessageBuilder(BigInteger.ZERO)
                    .setPublicKey(SubjectPublicKeyInfo.getInstance(newPublic.getEncoded()))
                    .setSubject(subject);
            Extensions extensions = args.extensions() != null ? CreateCsrCommand.requestedExtensions(args.extensions())
                    : templateExtensions(oldHolder);
            if (extensions != null) {
                for (ASN1ObjectIdentifier oid : extensions.getExtensionOIDs()) {
                    Extension e = extensions.getExtension(oid);
                    request.addExtension(oid, e.isCritical(), e.getParsedValue());
                }
            }
            request.addControl(oldCertId(oldHolder));
            request.setProofOfPossessionSigningKeySigner(new TokenContentSigner(session, newKey, newScheme, newPublic,
                    access.signaturePin(session, context, null)));
            CertificateRequestMessage built = request.build();
            if (!built.isValidSigningKeyPOP(new JcaContentVerifierProviderBuilder().setProvider(Crypto.BC).build(newPublic))) {
                throw new HostException(ErrorCode.INTERNAL_ERROR, "the card's proof of possession does not verify", Map.of());
            }
            byte[] transactionId = CmpMessages.random16();
            byte[] nonce = CmpMessages.random16();
            PKIBody body = new PKIBody(PKIBody.TYPE_KEY_UPDATE_REQ, new CertReqMessages(built.toASN1Structure()));
            CmpMessages.Signer signer = CmpMessages.oldKeyScheme(access, session, context, oldCert, old.id());
            List<X509Certificate> chain = args.chain().stream().filter(c -> !c.equals(oldCert)).toList();
            byte[] message = CmpMessages.protect(oldCert, chain, new GeneralName(recipient), transactionId, nonce, null, body, signer.signer());
            transactions.add(new CmpTransactions.Transaction(transactionId, session.handle(), args.certificate(), oldCert,
                    old.id(), newPublic, nonce));
            return new Result(Base64.getEncoder().encodeToString(message), HexFormat.of().formatHex(transactionId), signer.algorithm());
        } catch (IOException | CRMFException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new HostException(ErrorCode.INTERNAL_ERROR, "building the key update request failed: " + e.getMessage(), Map.of(), e);
        }
    }

    /** The current certificate's key usage, extended key usage and alternative names, or null when it has none. */
    private static Extensions templateExtensions(X509CertificateHolder old) {
        List<Extension> out = new ArrayList<>();
        for (ASN1ObjectIdentifier oid : TEMPLATE_EXTENSIONS) {
            Extension e = old.getExtension(oid);
            if (e != null) {
                out.add(e);
            }
        }
        return out.isEmpty() ? null : new Extensions(out.toArray(Extension[]::new));
    }

    /** RFC 4211 id-regCtrl-oldCertID: the issuer and serial of the certificate being updated. */
    private static Control oldCertId(X509CertificateHolder old) {
        CertId id = new CertId(new GeneralName(old.getIssuer()), old.getSerialNumber());
        return new Control() {
            @Override
            public ASN1ObjectIdentifier getType() {
                return CRMFObjectIdentifiers.id_regCtrl_oldCertID;
            }

            @Override
            public ASN1Encodable getValue() {
                return id;
            }
        };
    }

    private static byte[] encoded(X500Name name) {
        try {
            return name.getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
