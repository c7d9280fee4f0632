package org.cardbridge.command.token;

import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.cardbridge.token.SignaturePin;
import org.cardbridge.token.SignatureScheme;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;

import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;

/**
 * A Bouncy Castle {@link ContentSigner} whose private key stays on the card: the host hashes what BC
 * writes, the card signs the hash. Lets BC build PKCS#10 requests and CMS SignedData around our key.
 */
final class TokenContentSigner implements ContentSigner {
    private final TokenSession session;
    private final TokenObjects.Key key;
    private final SignatureScheme scheme;
    private final MessageDigest digest;
    private final AlgorithmIdentifier algorithm;
    private final PublicKey publicKey;
    private final SignaturePin pin;

    /** {@code publicKey} checks each signature the card makes (see {@link CardSignature}). */
    TokenContentSigner(TokenSession session, TokenObjects.Key key, SignatureScheme scheme, PublicKey publicKey, SignaturePin pin) {
        this.session = session;
        this.pin = pin;
        this.key = key;
        this.scheme = scheme;
        this.publicKey = publicKey;
        this.algorithm = new DefaultSignatureAlgorithmIdentifierFinder().find(scheme.jcaName());
        try {
            this.digest = MessageDigest.getInstance(scheme.hash());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
        return algorithm;
    }

    @Override
    public OutputStream getOutputStream() {
        return new DigestOutputStream(OutputStream.nullOutputStream(), digest);
    }

    @Override
    public byte[] getSignature() {
        return CardSignature.sign(session, key, scheme, digest.digest(), publicKey, pin);
    }
}
