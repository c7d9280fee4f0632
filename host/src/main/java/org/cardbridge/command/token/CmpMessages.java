package org.cardbridge.command.token;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIFreeText;
import org.bouncycastle.asn1.cmp.PKIHeader;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.cmp.PKIStatusInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.cmp.CMPException;
import org.bouncycastle.cert.cmp.GeneralPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessageBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.cardbridge.command.CommandContext;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.token.KeyAlgorithm;
import org.cardbridge.token.SignatureScheme;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the CMP operations share (RFC 4210/9480 as profiled by RFC 9483): protecting the host's messages
 * with the old certificate's key on the card, reading the CA's messages and checking their protection.
 */
final class CmpMessages {
    static final int MAX_MESSAGE = 256 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private CmpMessages() {
    }

    static byte[] random16() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return b;
    }

    /** A signer for the key of {@code cert} on the card (whose attributes may hide its algorithm: the certificate says it). */
    static ContentSigner oldKeySigner(TokenAccess access, TokenSession session, CommandContext context, X509Certificate cert,
                                      byte[] keyId) {
        return oldKeyScheme(access, session, context, cert, keyId).signer();
    }

    /** A signer on the card and the JCA name of its signature algorithm (as createCsr and sign report it). */
    record Signer(ContentSigner signer, String algorithm) {
    }

    static Signer oldKeyScheme(TokenAccess access, TokenSession session, CommandContext context, X509Certificate cert,
                               byte[] keyId) {
        TokenObjects.Key key = session.privateKey(keyId)
                .orElseThrow(() -> new HostException(ErrorCode.KEY_NOT_FOUND, "the card has no private key for the current certificate",
                        Map.of("certificate", org.cardbridge.token.Handles.certificate(session.handle(), der(cert)))));
        KeyAlgorithm algorithm = key.algorithm() != null ? key.algorithm() : SignCommand.algorithmOf(cert);
        TokenObjects.Key withAlgorithm = new TokenObjects.Key(key.handle(), true, key.id(), key.label(), algorithm, key.publicKey());
        SignatureScheme scheme = session.schemeFor(withAlgorithm, algorithm.defaultHash());
        return new Signer(new TokenContentSigner(session, withAlgorithm, scheme, cert.getPublicKey(),
                access.signaturePin(session, context, TokenAccess.subject(cert))), scheme.jcaName());
    }

    /**
     * A PKIMessage from the old certificate's holder: sender its subject, senderKID its key identifier,
     * the old certificate and {@code chain} in extraCerts, signed by {@code signer}; the card's signature is
     * checked with the certificate before it is returned.
     */
    static byte[] protect(X509Certificate oldCert, List<X509Certificate> chain, GeneralName recipient, byte[] transactionId,
                          byte[] senderNonce, byte[] recipNonce, PKIBody body, ContentSigner signer) {
        try {
            X509CertificateHolder old = new X509CertificateHolder(der(oldCert));
            ProtectedPKIMessageBuilder b = new ProtectedPKIMessageBuilder(new GeneralName(old.getSubject()), recipient)
                    .setMessageTime(new Date())
                    .setTransactionID(transactionId)
                    .setSenderNonce(senderNonce)
                    .setBody(body);
            if (recipNonce != null) {
                b.setRecipNonce(recipNonce);
            }
            byte[] kid = subjectKeyId(oldCert);
            if (kid != null) {
                b.setSenderKID(kid);
            }
            b.addCMPCertificate(old);
            for (X509Certificate c : chain) {
                b.addCMPCertificate(new X509CertificateHolder(der(c)));
            }
            ProtectedPKIMessage message = b.build(signer);
            if (!message.verify(new JcaContentVerifierProviderBuilder().setProvider(Crypto.BC).build(old))) {
                throw new HostException(ErrorCode.INTERNAL_ERROR, "the card's signature on the CMP message does not verify", Map.of());
            }
            return message.toASN1Structure().getEncoded("DER");
        } catch (IOException | CMPException | org.bouncycastle.operator.OperatorCreationException | GeneralSecurityException e) {
            throw new HostException(ErrorCode.INTERNAL_ERROR, "building the CMP message failed: " + e.getMessage(), Map.of(), e);
        }
    }

    /** The subject key identifier of {@code cert}, or null. */
    static byte[] subjectKeyId(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (ext == null) {
            return null;
        }
        try {
            return ASN1OctetString.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getOctets();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static byte[] der(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Base64 DER of a PKIMessage; anything that is not one (garbage, truncated, trailing bytes) is CMP_MESSAGE_INVALID. */
    static GeneralPKIMessage parse(String field, String base64) {
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw invalid(field, "not base64");
        }
        if (der.length == 0 || der.length > MAX_MESSAGE) {
            throw invalid(field, "must be 1 to " + MAX_MESSAGE + " bytes of DER");
        }
        try {
            PKIMessage message = PKIMessage.getInstance(org.bouncycastle.asn1.ASN1Primitive.fromByteArray(der));
            GeneralPKIMessage general = new GeneralPKIMessage(message);
            // Touch what every later check reads, so a structure that parses lazily fails here.
            general.getHeader().getTransactionID();
            general.getBody().getContent();
            if (!Arrays.equals(message.getEncoded("DER"), der)) {
                throw invalid(field, "not DER: re-encoding the message gives other bytes");
            }
            return general;
        } catch (IOException | RuntimeException e) {
            if (e instanceof HostException h) {
                throw h;
            }
            throw invalid(field, "not a CMP message: " + e.getMessage());
        }
    }

    static HostException invalid(String field, String why) {
        return new HostException(ErrorCode.CMP_MESSAGE_INVALID, field + ": " + why, Map.of("field", field));
    }

    static byte[] octets(ASN1OctetString s) {
        return s == null ? null : s.getOctets();
    }

    /**
     * Checks a CA message's recipNonce against the transaction: the senderNonce of the request, or of the
     * certConf for the {@code confirmation} (pkiConf) that answers it. CMP_TRANSACTION_MISMATCH otherwise.
     */
    static void checkNonce(PKIHeader header, CmpTransactions.Transaction t, boolean confirmation) {
        byte[] recipNonce = octets(header.getRecipNonce());
        byte[] expected = t.state == CmpTransactions.State.CONFIRMED && confirmation ? t.confirmNonce
                : t.pollNonce != null ? t.pollNonce : t.requestNonce;
        if (recipNonce == null || !Arrays.equals(recipNonce, expected)) {
            throw new HostException(ErrorCode.CMP_TRANSACTION_MISMATCH,
                    "the CA's answer does not carry the nonce of the host's last message (recipNonce)", Map.of("field", "message"));
        }
    }

    /**
     * Verifies the message's signature protection with a certificate trusted by the page: one of
     * {@code trusted}, or a certificate in the message's extraCerts issued (and signed) by one of them and
     * valid now. CMP_PROTECTION_INVALID when the message is unprotected, MAC-protected, or no trusted key
     * verifies it.
     */
    static X509CertificateHolder verifyProtection(GeneralPKIMessage general, List<X509Certificate> trusted) {
        if (!general.hasProtection()) {
            throw protection("the message is not protected");
        }
        ProtectedPKIMessage message = new ProtectedPKIMessage(general);
        if (message.hasPasswordBasedMacProtection()) {
            throw protection("the message is protected with a password-based MAC, not a signature");
        }
        List<X509CertificateHolder> candidates = new ArrayList<>();
        try {
            for (X509Certificate t : trusted) {
                candidates.add(new X509CertificateHolder(der(t)));
            }
            Date now = Date.from(Instant.now());
            for (X509CertificateHolder extra : message.getCertificates()) {
                if (candidates.contains(extra) || !extra.isValidOn(now)) {
                    continue;
                }
                for (X509Certificate t : trusted) {
                    if (extra.getIssuer().equals(X500Name.getInstance(t.getSubjectX500Principal().getEncoded()))
                            && extra.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(Crypto.BC).build(t.getPublicKey()))) {
                        candidates.add(extra);
                        break;
                    }
                }
            }
            for (X509CertificateHolder c : candidates) {
                if (!c.isValidOn(now)) {
                    continue;
                }
                try {
                    if (message.verify(new JcaContentVerifierProviderBuilder().setProvider(Crypto.BC).build(c))) {
                        return c;
                    }
                } catch (CMPException | RuntimeException e) {
                    // another key type: try the next certificate
                }
            }
        } catch (IOException | org.bouncycastle.operator.OperatorCreationException | org.bouncycastle.cert.CertException
                 | GeneralSecurityException e) {
            throw protection("checking the protection failed: " + e.getMessage());
        }
        throw protection("no certificate the page trusts verifies the message's protection");
    }

    private static HostException protection(String why) {
        return new HostException(ErrorCode.CMP_PROTECTION_INVALID, "the CA's CMP message: " + why, Map.of("field", "message"));
    }

    /** An error body or a status other than accepted/grantedWithMods as a typed error. */
    static HostException statusError(PKIStatusInfo status, String where) {
        int value = status.getStatus().intValue();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("status", statusName(value));
        if (status.getFailInfo() != null) {
            details.put("failInfo", failInfo(status.getFailInfo().intValue()));
        }
        String text = text(status.getStatusString());
        if (text != null) {
            details.put("statusText", text);
        }
        if (value == 3) {
            return new HostException(ErrorCode.CMP_WAITING, "the CA has not decided yet (" + where + " status waiting)", details);
        }
        return new HostException(ErrorCode.CMP_REJECTED, "the CA rejected the request (" + where + ")"
                + (text != null ? ": " + text : ""), details);
    }

    static String statusName(int value) {
        return switch (value) {
            case 0 -> "accepted";
            case 1 -> "grantedWithMods";
            case 2 -> "rejection";
            case 3 -> "waiting";
            case 4 -> "revocationWarning";
            case 5 -> "revocationNotification";
            case 6 -> "keyUpdateWarning";
            default -> "unknown(" + value + ")";
        };
    }

    private static final List<String> FAIL_INFO = List.of("badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId",
            "badDataFormat", "wrongAuthority", "incorrectData", "missingTimeStamp", "badPOP", "certRevoked", "certConfirmed",
            "wrongIntegrity", "badRecipientNonce", "timeNotAvailable", "unacceptedPolicy", "unacceptedExtension",
            "addInfoNotAvailable", "badSenderNonce", "badCertTemplate", "signerNotTrusted", "transactionIdInUse",
            "unsupportedVersion", "notAuthorized", "systemUnavail", "systemFailure", "duplicateCertReq");

    /** The names of the PKIFailureInfo bits set (BC gives them as the DER BIT STRING's int value). */
    static List<String> failInfo(int bits) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < FAIL_INFO.size(); i++) {
            // DER BIT STRING bit i is, in BC's intValue, byte (i / 8) bit (7 - i % 8).
            int mask = 1 << ((i / 8) * 8 + (7 - i % 8));
            if ((bits & mask) != 0) {
                out.add(FAIL_INFO.get(i));
            }
        }
        return out;
    }

    private static String text(PKIFreeText text) {
        if (text == null || text.size() == 0) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < text.size(); i++) {
            if (i > 0) {
                b.append("; ");
            }
            b.append(text.getStringAtUTF8(i).getString());
        }
        String s = b.toString();
        return s.length() > 500 ? s.substring(0, 500) : s;
    }
}
