package org.cardbridge.token;

import java.security.PublicKey;
import java.security.cert.X509Certificate;

/** Objects found on a token. Handles are the module's object handles, valid for the session only. */
public final class TokenObjects {
    private TokenObjects() {
    }

    /** An X.509 certificate object. */
    public record Certificate(long handle, byte[] id, String label, X509Certificate certificate, byte[] der) {
    }

    /**
     * A private or public key object. {@code algorithm} is null for keys of a kind the protocol does not
     * name; {@code publicKey} is null when the token does not reveal it.
     */
    public record Key(long handle, boolean isPrivate, byte[] id, String label, KeyAlgorithm algorithm, PublicKey publicKey) {
    }
}
