package org.cardbridge.ui;

import org.cardbridge.policy.Origin;

/**
 * What the PIN dialog shows: the requesting origin, the token and the certificate whose PIN is asked,
 * and a warning when few tries remain.
 */
public record PinPrompt(Origin origin, String tokenLabel, String certificate, Tries tries) {
    /** What the token says about the PIN's retry counter (PKCS#11 token flags). */
    public enum Tries { NORMAL, COUNT_LOW, FINAL_TRY }
}
