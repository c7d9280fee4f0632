package org.cardbridge.token;

import java.util.List;

/**
 * The PKCS#11 calls CardBridge makes on one loaded module, in CardBridge's own types. This is the token
 * layer's seam: {@link WrapperPkcs11} is the real implementation (the only class that touches the JDK's
 * internal wrapper), and tests wrap it to inject a failure at any call. Every method is one PKCS#11
 * call and fails with {@link Pkcs11Error} carrying the module's CKR code.
 */
public interface Pkcs11 {
    /** A template or read attribute: {@code value} is byte[], Boolean, Long or null (asked for, not set). */
    record Attr(long type, Object value) {
        public static Attr of(long type, boolean v) {
            return new Attr(type, v);
        }

        public static Attr of(long type, long v) {
            return new Attr(type, v);
        }

        public static Attr of(long type, byte[] v) {
            return new Attr(type, v.clone());
        }
    }

    /** A mechanism; {@code pss} set for CKM_RSA_PKCS_PSS (SHA-256, MGF1-SHA-256, salt = hash length). */
    record Mechanism(long type, byte[] parameter, String pssHash) {
        public static Mechanism of(long type) {
            return new Mechanism(type, null, null);
        }
    }

    record SlotInfo(String description, String manufacturer, long flags) {
        public boolean tokenPresent() {
            return (flags & Ck.CKF_TOKEN_PRESENT) != 0;
        }
    }

    /**
     * Token information; the text fields are decoded as UTF-8 and trimmed of the padding. {@code minPinLength}
     * and {@code maxPinLength} are the card's PIN rules (ulMinPinLen, ulMaxPinLen; 0 when not known).
     */
    record TokenInfo(String label, String manufacturer, String model, String serial, long flags, long minPinLength,
                     long maxPinLength) {
        public TokenInfo(String label, String manufacturer, String model, String serial, long flags) {
            this(label, manufacturer, model, serial, flags, 0, 0);
        }

        public boolean has(long flag) {
            return (flags & flag) != 0;
        }
    }

    record MechanismInfo(long minKeySize, long maxKeySize, long flags) {
    }

    /** The module's file, as loaded. */
    String library();

    long[] slots();

    SlotInfo slotInfo(long slot);

    TokenInfo tokenInfo(long slot);

    long[] mechanisms(long slot);

    MechanismInfo mechanismInfo(long slot, long mechanism);

    long openSession(long slot);

    void closeSession(long session);

    /** The session state (CKS_*). */
    long sessionState(long session);

    /** C_Login as CKU_USER; {@code pin} null uses the protected authentication path (PIN-pad). */
    void login(long session, byte[] pin);

    /** C_Login as CKU_SO (the security officer's PIN, or the PUK on PKCS#15 cards); null: PIN-pad. */
    void loginSo(long session, byte[] pin);

    void logout(long session);

    /**
     * C_SetPIN: the user PIN (in a public or user session) from {@code oldPin} to {@code newPin}; both null
     * let a PIN-pad reader ask for them.
     */
    void setPin(long session, byte[] oldPin, byte[] newPin);

    /** C_InitPIN in an SO session: sets (and so unblocks) the user PIN; null lets a PIN-pad reader ask. */
    void initPin(long session, byte[] newPin);

    /** C_FindObjectsInit + C_FindObjects + C_FindObjectsFinal: counted as one call. */
    long[] find(long session, List<Attr> template);

    /** Reads the given attribute types; a value the token does not have is null. */
    List<Attr> attributes(long session, long object, long... types);

    /** Returns {public key handle, private key handle}. */
    long[] generateKeyPair(long session, Mechanism mechanism, List<Attr> publicTemplate, List<Attr> privateTemplate);

    long createObject(long session, List<Attr> template);

    void destroyObject(long session, long object);

    /**
     * C_SignInit + C_Sign: counted as one call. With {@code login} (a key with CKA_ALWAYS_AUTHENTICATE),
     * C_Login as CKU_CONTEXT_SPECIFIC comes between them, as the standard requires.
     */
    byte[] sign(long session, Mechanism mechanism, long key, byte[] data, ContextLogin login);

    /** The PIN for one operation; {@code pin} null uses the protected authentication path (PIN-pad). */
    record ContextLogin(byte[] pin) {
    }
}
