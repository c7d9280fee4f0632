package org.cardbridge.token;

/** What the token's flags say about the user PIN's retry counter. */
public enum PinState {
    OK("ok"), COUNT_LOW("countLow"), FINAL_TRY("finalTry"), LOCKED("locked");

    private final String wireName;

    PinState(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static PinState of(Pkcs11.TokenInfo info) {
        if (info.has(Ck.CKF_USER_PIN_LOCKED)) {
            return LOCKED;
        }
        if (info.has(Ck.CKF_USER_PIN_FINAL_TRY)) {
            return FINAL_TRY;
        }
        return info.has(Ck.CKF_USER_PIN_COUNT_LOW) ? COUNT_LOW : OK;
    }
}
