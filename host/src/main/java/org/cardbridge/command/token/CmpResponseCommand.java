package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.asn1.cmp.CMPCertificate;
import org.bouncycastle.asn1.cmp.CertRepMessage;
import org.bouncycastle.asn1.cmp.CertResponse;
import org.bouncycastle.asn1.cmp.ErrorMsgContent;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIHeader;
import org.bouncycastle.asn1.cmp.PollRepContent;
import org.bouncycastle.asn1.cmp.PollReqContent;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.cmp.CertificateConfirmationContent;
import org.bouncycastle.cert.cmp.CertificateConfirmationContentBuilder;
import org.bouncycastle.cert.cmp.GeneralPKIMessage;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.Handles;
import org.cardbridge.ui.Texts;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code acceptCmpResponse {message, caCertificates, allowNotYetValid?, removeOldKey?}}: the CA's answer to a
 * {@code createKeyUpdateRequest}, relayed by the page as base64 DER.
 *
 * <p>A key update response ({@code kup}): its signature protection must verify with one of
 * {@code caCertificates} (or a certificate in its extraCerts they issued), its transactionID name a
 * transaction of this connection and its recipNonce return the request's senderNonce; the certificate must
 * be for the key the request was for. Then it is installed exactly as {@code installCertificate} installs
 * (replacing the current certificate, with the CA certificates the answer carries) and the answer holds the
 * {@code certConf} for the page to send, signed by the current certificate's key. A {@code pkiConf}
 * (checked the same way) closes the transaction. A kup saying waiting, or a pollRep, gives a pollReq to send
 * later (RFC 9483 section 4.4), after one confirmation, writing nothing. An {@code error} body or status
 * rejection end in CMP_REJECTED and change nothing. Every check runs before any window.
 */
public final class CmpResponseCommand implements Command<CmpResponseCommand.Args, CmpResponseCommand.Outcome> {
    public record Args(GeneralPKIMessage message, List<X509Certificate> caCertificates, boolean allowNotYetValid,
                       boolean removeOldKey) {
    }

    /** What an accepted CMP message led to. */
    public sealed interface Outcome permits Installed, Closed, Waiting {
    }

    /**
     * The CA asked to wait (a kup with status waiting, or a pollRep): {@code pollReq} (base64 DER, signed with
     * the current certificate's key after the person confirmed it) is for the page to send when {@code
     * checkAfter} seconds (null: the CA gave none) have passed; the CA answers it with the kup or another pollRep.
     */
    public record Waiting(String transactionId, boolean waiting, Integer checkAfter, String pollReq) implements Outcome {
    }

    /** A kup: the certificate installed; {@code certConf} (base64 DER) is for the page to send to the CA. */
    public record Installed(String transactionId, InstallCertificateCommand.Result installation, String certConf) implements Outcome {
    }

    /** A pkiConf: the CA took the confirmation; the transaction is over. */
    public record Closed(String transactionId, boolean closed) implements Outcome {
    }

    private final TokenAccess access;
    private final CmpTransactions transactions;

    public CmpResponseCommand(TokenAccess access, CmpTransactions transactions) {
        this.access = access;
        this.transactions = transactions;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.ENROLL;
    }

    @Override
    public Args parse(Params params) {
        GeneralPKIMessage message = CmpMessages.parse("message", params.text("message"));
        int type = message.getBody().getType();
        if (type != PKIBody.TYPE_KEY_UPDATE_REP && type != PKIBody.TYPE_CONFIRM && type != PKIBody.TYPE_ERROR
                && type != PKIBody.TYPE_POLL_REP) {
            throw CmpMessages.invalid("message", "expected a key update response (kup), pollRep, pkiConf or error, got body type " + type);
        }
        JsonNode node = params.node("caCertificates");
        List<String> texts = node != null && node.isTextual() ? List.of(node.textValue()) : params.textList("caCertificates", true);
        if (texts.isEmpty()) {
            throw HostException.invalidArgument("caCertificates", "name at least one CA certificate");
        }
        List<X509Certificate> trusted = new ArrayList<>();
        for (String text : texts) {
            trusted.addAll(InstallCertificateCommand.parseCertificates(text));
        }
        return new Args(message, List.copyOf(trusted), params.bool("allowNotYetValid", false), params.bool("removeOldKey", false));
    }

    @Override
    public Outcome execute(Args args, CommandContext context) {
        GeneralPKIMessage message = args.message();
        PKIHeader header = message.getHeader();
        CmpTransactions.Transaction t = transactions.find(CmpMessages.octets(header.getTransactionID()));
        PKIBody body = message.getBody();
        if (body.getType() == PKIBody.TYPE_ERROR) {
            // An error may come unprotected (RFC 9483 section 3.6.4); a protected one must verify.
            if (message.hasProtection()) {
                CmpMessages.verifyProtection(message, args.caCertificates());
            }
            HostException e = CmpMessages.statusError(ErrorMsgContent.getInstance(body.getContent()).getPKIStatusInfo(), "error message");
            throw new HostException(e.code(), e.getMessage(), withProtected(e.details(), message.hasProtection()));
        }
        CmpMessages.verifyProtection(message, args.caCertificates());
        boolean confirmation = body.getType() == PKIBody.TYPE_CONFIRM;
        CmpMessages.checkNonce(header, t, confirmation);
        if (confirmation) {
            if (t.state != CmpTransactions.State.CONFIRMED) {
                throw CmpMessages.invalid("message", "a pkiConf before the host confirmed the certificate");
            }
            transactions.close(t);
            return new Closed(t.idHex(), true);
        }
        if (body.getType() == PKIBody.TYPE_POLL_REP) {
            if (t.state == CmpTransactions.State.CONFIRMED) {
                throw CmpMessages.invalid("message", "a pollRep after the certificate was confirmed");
            }
            return poll(t, header, checkAfter(body), context);
        }
        if (t.state == CmpTransactions.State.CONFIRMED) {
            return (Installed) t.confirmed; // the same answer again (the page lost ours): nothing is written twice
        }
        if (waiting(body)) {
            return poll(t, header, null, context);
        }
        X509Certificate issued = issuedCertificate(body);
        if (!Arrays.equals(issued.getPublicKey().getEncoded(), t.newKey.getEncoded())) {
            throw new HostException(ErrorCode.CERTIFICATE_KEY_MISMATCH,
                    "the CA's certificate is not for the key the request was made with", Map.of("field", "message"));
        }
        CertRepMessage rep = CertRepMessage.getInstance(body.getContent());
        List<X509Certificate> pool = new ArrayList<>(args.caCertificates());
        for (CMPCertificate c : Optional.ofNullable(rep.getCaPubs()).orElse(new CMPCertificate[0])) {
            pool.add(certificate(c));
        }
        for (CMPCertificate c : Optional.ofNullable(message.toASN1Structure().getExtraCerts()).orElse(new CMPCertificate[0])) {
            pool.add(certificate(c));
        }
        List<X509Certificate> chain = issuerChain(issued, pool);

        // ---- install with installCertificate's own checks and order, then confirm to the CA ---------------
        InstallCertificateCommand.Result installed = installedBefore(t, issued, context);
        if (installed == null) {
            Texts texts = TokenAccess.texts(context);
            // The old key signs the certConf after the installation, so installCertificate keeps it; the person is
            // told in the same window that it goes right after that (removeOldKey), as installCertificate says.
            List<String> facts = args.removeOldKey() ? List.of(texts.plain("fact.cmpConfirm"), texts.plain("fact.removeOldKey"))
                    : List.of(texts.plain("fact.cmpConfirm"));
            InstallCertificateCommand install = new InstallCertificateCommand(access);
            InstallCertificateCommand.Args installArgs = new InstallCertificateCommand.Args(chain, t.oldHandle, false, args.allowNotYetValid());
            install.precheck(installArgs);
            installed = install.install(installArgs, context, facts);
        }
        byte[] certConf = certConf(t, header, issued, context);
        if (args.removeOldKey()) {
            installed = withOldKeyRemoved(installed, t);
        }
        Installed outcome = new Installed(t.idHex(), installed, Base64.getEncoder().encodeToString(certConf));
        t.state = CmpTransactions.State.CONFIRMED;
        t.confirmed = outcome;
        return outcome;
    }

    /**
     * When an earlier try with this answer already replaced the old certificate but gave no certConf (the card
     * was pulled while signing it), the certificate is not written again: the person confirms that the CA is
     * told it arrived, and the certConf is made. Null when the installation is still to be done.
     */
    private InstallCertificateCommand.Result installedBefore(CmpTransactions.Transaction t, X509Certificate issued,
                                                             CommandContext context) {
        var session = access.freshSession(t.token);
        byte[] der = CmpMessages.der(issued);
        var onCard = session.certificates();
        var present = onCard.stream().filter(c -> Arrays.equals(c.der(), der)).findFirst();
        boolean oldGone = onCard.stream().noneMatch(c -> Handles.certificate(session.handle(), c.der()).equals(t.oldHandle));
        if (present.isEmpty() || !oldGone) {
            return null;
        }
        Texts texts = TokenAccess.texts(context);
        access.approve(session, context, "action.cmpConfirm", List.of(texts.plain("fact.token", session.info().label()),
                texts.plain("fact.newCertificate", PlainWords.certificate(issued, texts, context.lang())),
                texts.plain("fact.cmpConfirm")), null, TokenAccess.subject(t.oldCertificate));
        return new InstallCertificateCommand.Result(Handles.certificate(session.handle(), der),
                java.util.HexFormat.of().formatHex(present.get().id()), true, List.of(), null, null, null);
    }

    /**
     * {@code removeOldKey}: once the certConf is signed, the old certificate's key (its certificate already
     * replaced) is removed like installCertificate removes it — unless another certificate on the card still
     * uses it or it shares the new key's id — so no key without a certificate is left to look like a pending
     * renewal key. The same answer again gives the certConf kept in the transaction: the key is not needed.
     */
    private InstallCertificateCommand.Result withOldKeyRemoved(InstallCertificateCommand.Result installed, CmpTransactions.Transaction t) {
        if (!installed.replaced()) {
            return installed;
        }
        var session = access.freshSession(t.token);
        byte[] oldId = t.oldKeyId;
        String kept = null;
        if (oldId.length == 0) {
            kept = "noKeyId";
        } else if (installed.keyId() != null && Arrays.equals(oldId, java.util.HexFormat.of().parseHex(installed.keyId()))) {
            kept = "usedByNewCertificate";
        } else if (session.hasCertificate(oldId)) {
            kept = "usedByAnotherCertificate";
        } else {
            // Public key first, as removeKey does: a card pulled in between never keeps a lone public key.
            for (var k : session.publicKeys()) {
                if (Arrays.equals(k.id(), oldId)) {
                    session.destroy(k.handle(), "removing the old public key");
                }
            }
            for (var k : session.privateKeys()) {
                if (Arrays.equals(k.id(), oldId)) {
                    session.destroy(k.handle(), "removing the old key");
                }
            }
        }
        return new InstallCertificateCommand.Result(installed.certificate(), installed.keyId(), installed.replaced(),
                installed.caCertificates(), kept != null, kept, installed.usableForLogin());
    }

    private byte[] certConf(CmpTransactions.Transaction t, PKIHeader kup, X509Certificate issued, CommandContext context) {
        try {
            CertificateConfirmationContent content = new CertificateConfirmationContentBuilder()
                    .addAcceptedCertificate(new X509CertificateHolder(issued.getEncoded()), BigInteger.ZERO)
                    .build(new JcaDigestCalculatorProviderBuilder().setProvider(Crypto.BC).build());
            var session = access.session(t.token);
            var signer = CmpMessages.oldKeySigner(access, session, context, t.oldCertificate, t.oldKeyId);
            byte[] nonce = CmpMessages.random16();
            byte[] out = CmpMessages.protect(t.oldCertificate, List.of(), kup.getSender(), t.id, nonce,
                    CmpMessages.octets(kup.getSenderNonce()), new PKIBody(PKIBody.TYPE_CERT_CONFIRM, content.toASN1Structure()), signer);
            t.confirmNonce = nonce;
            return out;
        } catch (java.io.IOException | GeneralSecurityException | org.bouncycastle.cert.cmp.CMPException
                 | org.bouncycastle.operator.OperatorCreationException e) {
            throw new HostException(ErrorCode.INTERNAL_ERROR, "building the certificate confirmation failed: " + e.getMessage(), Map.of(), e);
        }
    }

    /**
     * RFC 9483 section 4.4 (delayed delivery): the pollReq for certReqId 0 that asks the CA again, protected like
     * the request by the current certificate's key, after one confirmation (and the PIN, if the card needs it
     * now). Its senderNonce is what the CA's next answer must return.
     */
    private Waiting poll(CmpTransactions.Transaction t, PKIHeader answer, Integer checkAfter, CommandContext context) {
        var session = access.session(t.token);
        Texts texts = TokenAccess.texts(context);
        access.approve(session, context, "action.cmpPoll", List.of(texts.plain("fact.token", session.info().label()),
                texts.plain("fact.cmpPoll")), null, TokenAccess.subject(t.oldCertificate));
        try {
            var signer = CmpMessages.oldKeySigner(access, session, context, t.oldCertificate, t.oldKeyId);
            byte[] nonce = CmpMessages.random16();
            PollReqContent content = new PollReqContent(new org.bouncycastle.asn1.ASN1Integer(0));
            byte[] out = CmpMessages.protect(t.oldCertificate, List.of(), answer.getSender(), t.id, nonce,
                    CmpMessages.octets(answer.getSenderNonce()), new PKIBody(PKIBody.TYPE_POLL_REQ, content), signer);
            t.pollNonce = nonce;
            return new Waiting(t.idHex(), true, checkAfter, Base64.getEncoder().encodeToString(out));
        } catch (RuntimeException e) {
            if (e instanceof HostException) {
                throw e;
            }
            throw new HostException(ErrorCode.INTERNAL_ERROR, "building the poll request failed: " + e.getMessage(), Map.of(), e);
        }
    }

    /** A kup whose one response has status waiting (3): the certificate comes later, by polling. */
    private static boolean waiting(PKIBody body) {
        try {
            CertResponse[] responses = CertRepMessage.getInstance(body.getContent()).getResponse();
            return responses.length == 1 && responses[0].getStatus().getStatus().intValue() == 3;
        } catch (RuntimeException e) {
            return false; // issuedCertificate says what is wrong with it
        }
    }

    /** checkAfter (seconds) of a pollRep for certReqId 0. */
    private static Integer checkAfter(PKIBody body) {
        try {
            PollRepContent rep = PollRepContent.getInstance(body.getContent());
            if (rep.size() != 1 || !BigInteger.ZERO.equals(rep.getCertReqId(0).getValue())) {
                throw CmpMessages.invalid("message", "the pollRep must answer the one request (certReqId 0)");
            }
            return rep.getCheckAfter(0).intValueExact();
        } catch (ArithmeticException | IllegalArgumentException | ClassCastException e) {
            throw CmpMessages.invalid("message", "the pollRep does not parse: " + e.getMessage());
        }
    }

    /** The one certificate of a kup with status accepted or grantedWithMods; the CA's refusal as a typed error. */
    private static X509Certificate issuedCertificate(PKIBody body) {
        CertRepMessage rep;
        CertResponse[] responses;
        try {
            rep = CertRepMessage.getInstance(body.getContent());
            responses = rep.getResponse();
        } catch (RuntimeException e) {
            throw CmpMessages.invalid("message", "the key update response does not parse: " + e.getMessage());
        }
        if (responses.length != 1 || !BigInteger.ZERO.equals(responses[0].getCertReqId().getValue())) {
            throw CmpMessages.invalid("message", "the key update response must answer the one request (certReqId 0)");
        }
        CertResponse response = responses[0];
        int status = response.getStatus().getStatus().intValue();
        if (status != 0 && status != 1) {
            throw CmpMessages.statusError(response.getStatus(), "key update response");
        }
        if (response.getCertifiedKeyPair() == null || response.getCertifiedKeyPair().getCertOrEncCert().getCertificate() == null) {
            throw CmpMessages.invalid("message", "the key update response carries no plain certificate");
        }
        return certificate(response.getCertifiedKeyPair().getCertOrEncCert().getCertificate());
    }

    private static X509Certificate certificate(CMPCertificate c) {
        if (!c.isX509v3PKCert()) {
            throw CmpMessages.invalid("message", "a certificate in the message is not an X.509 certificate");
        }
        try {
            return InstallCertificateCommand.parseCertificates(Base64.getEncoder().encodeToString(c.getX509v3PKCert().getEncoded())).getFirst();
        } catch (java.io.IOException | HostException e) {
            throw CmpMessages.invalid("message", "a certificate in the message does not parse");
        }
    }

    /** {@code leaf} and the certificates of {@code pool} that issued it, up to a self-signed one or the end of the pool. */
    static List<X509Certificate> issuerChain(X509Certificate leaf, List<X509Certificate> pool) {
        List<X509Certificate> chain = new ArrayList<>(List.of(leaf));
        X509Certificate current = leaf;
        while (!current.getIssuerX500Principal().equals(current.getSubjectX500Principal())) {
            X509Certificate child = current;
            Optional<X509Certificate> issuer = pool.stream().filter(c -> !chain.contains(c)
                    && c.getSubjectX500Principal().equals(child.getIssuerX500Principal()) && signs(c, child)).findFirst();
            if (issuer.isEmpty()) {
                break;
            }
            chain.add(issuer.get());
            current = issuer.get();
        }
        return chain;
    }

    private static boolean signs(X509Certificate issuer, X509Certificate child) {
        try {
            child.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static Map<String, Object> withProtected(Map<String, Object> details, boolean verified) {
        Map<String, Object> out = new java.util.LinkedHashMap<>(details);
        out.put("protected", verified);
        return out;
    }
}
