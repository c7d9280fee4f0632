package org.cardbridge.command.token;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.token.Ck;
import org.cardbridge.token.Handles;
import org.cardbridge.token.PinState;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The checks token commands make in {@code precheck}, before their first window: what the card shows
 * without a PIN. Each throws the error the request would end with anyway after the person had confirmed
 * and typed the PIN, so a request that cannot succeed asks nothing. They read the card and change nothing.
 */
final class Preflight {
    private Preflight() {
    }

    /**
     * PIN_LOCKED when the request would need a login the card can no longer give: the PIN is blocked and the
     * connection is not logged in already.
     */
    static void requirePinUsable(TokenSession session) {
        Pkcs11.TokenInfo info = session.info();
        if (!info.has(Ck.CKF_LOGIN_REQUIRED) || session.loggedIn()) {
            return;
        }
        if (session.pinState(info) == PinState.LOCKED) {
            throw TokenSession.lockedError();
        }
    }

    /** TOKEN_READ_ONLY for a card that says it is write-protected: nothing can be written or removed. */
    static void requireWritable(TokenSession session) {
        if (session.info().has(Ck.CKF_WRITE_PROTECTED)) {
            throw new HostException(ErrorCode.TOKEN_READ_ONLY, "the card is write-protected", Map.of("token", session.handle()));
        }
    }

    /**
     * True when the card shows its private keys now: the connection is logged in, or the card needs no
     * login. Only then does "no private key" mean there is none; otherwise the card may be hiding it.
     */
    static boolean privateKeysVisible(TokenSession session) {
        return !session.info().has(Ck.CKF_LOGIN_REQUIRED) || session.loggedIn();
    }

    /**
     * The pending key (one without a certificate) a key handle names, as the card shows it without a PIN:
     * its private key when visible, else its public key object — the rule {@code listCertificates} uses for
     * {@code pendingKeys}, which is where pages get these handles. INVALID_ARGUMENT when the key has a
     * certificate ({@code why} says why that matters); KEY_NOT_FOUND when the card shows no key with its CKA_ID.
     */
    static TokenObjects.Key pendingKey(TokenSession session, Handles.ObjectHandle handle, String why) {
        byte[] id = handle.keyId();
        TokenAccess.requireNoCertificate(session, id, "key", why);
        Optional<TokenObjects.Key> key = session.privateKey(id).or(() -> session.publicKey(id));
        return key.orElseThrow(() -> new HostException(ErrorCode.KEY_NOT_FOUND, "the card has no key with this handle",
                Map.of("key", Handles.key(session.handle(), id))));
    }
}
