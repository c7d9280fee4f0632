package org.cardbridge.ui;

import org.cardbridge.policy.Origin;

/**
 * What the PIN dialog shows: the requesting origin, the token and the certificate whose PIN is asked,
 * a warning when few tries remain, and what the PIN is for.
 */
public record PinPrompt(Origin origin, String tokenLabel, String certificate, Tries tries, Purpose purpose) {
    /** What the token says about the PIN's retry counter (PKCS#11 token flags). */
    public enum Tries { NORMAL, COUNT_LOW, FINAL_TRY }

    /**
     * LOGIN opens the card for this connection; SIGNATURE authorises one signature with a key that asks
     * for its PIN every time (CKA_ALWAYS_AUTHENTICATE), which may be a PIN of its own. CHANGE and UNBLOCK are
     * the PIN-pad notices of changePin and unblockPin (the reader asks for the current PIN or PUK and the new one).
     */
    public enum Purpose { LOGIN, SIGNATURE, CHANGE, UNBLOCK }

    public PinPrompt(Origin origin, String tokenLabel, String certificate, Tries tries) {
        this(origin, tokenLabel, certificate, tries, Purpose.LOGIN);
    }
}
