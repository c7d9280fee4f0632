package org.cardbridge.token;

/** What is known about the user PIN's retry counter, mildest first. */
public enum PinState {
    OK("ok"), COUNT_LOW("countLow"), FINAL_TRY("finalTry"), LOCKED("locked");

    private final String wireName;

    PinState(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The graver of the two. */
    public PinState atLeast(PinState other) {
        return compareTo(other) >= 0 ? this : other;
    }

    /** What the token's flags say. */
    public static PinState of(Pkcs11.TokenInfo info) {
        if (info.has(Ck.CKF_USER_PIN_LOCKED)) {
            return LOCKED;
        }
        if (info.has(Ck.CKF_USER_PIN_FINAL_TRY)) {
            return FINAL_TRY;
        }
        return info.has(Ck.CKF_USER_PIN_COUNT_LOW) ? COUNT_LOW : OK;
    }

    /** What the token's flags say about the security officer's PIN, which is the PUK on PKCS#15 cards. */
    public static PinState ofSo(Pkcs11.TokenInfo info) {
        if (info.has(Ck.CKF_SO_PIN_LOCKED)) {
            return LOCKED;
        }
        if (info.has(Ck.CKF_SO_PIN_FINAL_TRY)) {
            return FINAL_TRY;
        }
        return info.has(Ck.CKF_SO_PIN_COUNT_LOW) ? COUNT_LOW : OK;
    }
}
