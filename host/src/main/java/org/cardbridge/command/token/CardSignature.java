package org.cardbridge.command.token;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.token.SignaturePin;
import org.cardbridge.token.SignatureScheme;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Map;

/**
 * A signature made on the card, checked with the public key before anyone sees it. A card or module that
 * signs the wrong thing — an applet that hashes the hash again, a driver that pads wrongly — would
 * otherwise hand the page (and the CA) a signature that verifies for nothing; the page would learn it
 * only from the CA's refusal, if at all.
 */
final class CardSignature {
    private CardSignature() {
    }

    /** Signs {@code hash} with {@code key} and returns the signature (DER for ECDSA) once it verifies. */
    static byte[] sign(TokenSession session, TokenObjects.Key key, SignatureScheme scheme, byte[] hash, PublicKey publicKey,
                       SignaturePin pin) {
        byte[] signature = session.sign(key, scheme, hash, pin);
        if (!verifies(scheme, hash, signature, publicKey)) {
            throw new HostException(ErrorCode.INTERNAL_ERROR,
                    "the card's signature does not verify with the key's public key; nothing signed was returned",
                    Map.of("reason", "signatureDoesNotVerify"));
        }
        return signature;
    }

    static boolean verifies(SignatureScheme scheme, byte[] hash, byte[] signature, PublicKey publicKey) {
        try {
            Signature v;
            byte[] signed = hash;
            if (scheme.isEcdsa()) {
                v = Signature.getInstance("NONEwithECDSA", Crypto.BC);
            } else if (scheme.isPss()) {
                v = Signature.getInstance("NONEwithRSAPSS", Crypto.BC);
                v.setParameter(new PSSParameterSpec(scheme.hash(), "MGF1", new MGF1ParameterSpec(scheme.hash()),
                        SignatureScheme.hashLength(scheme.hash()), PSSParameterSpec.TRAILER_FIELD_BC));
            } else {
                v = Signature.getInstance("NONEwithRSA", Crypto.BC);
                signed = TokenSession.digestInfo(scheme.hash(), hash);
            }
            v.initVerify(publicKey);
            v.update(signed);
            return v.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // A malformed signature (not DER, wrong length) is a signature that does not verify.
            return false;
        }
    }
}
