package org.cardbridge.token;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;

import java.util.List;
import java.util.Map;

/** The one place where PKCS#11 return values become protocol errors. */
public final class TokenErrors {
    private TokenErrors() {
    }

    /** True when the return value means the card or its reader went away. */
    public static boolean isRemoval(long ckr) {
        return ckr == Ck.CKR_DEVICE_REMOVED || ckr == Ck.CKR_TOKEN_NOT_PRESENT || ckr == Ck.CKR_SESSION_HANDLE_INVALID
                || ckr == Ck.CKR_SESSION_CLOSED || ckr == Ck.CKR_TOKEN_NOT_RECOGNIZED;
    }

    /**
     * True for the transport failures a card pulled in the middle of a command produces before PC/SC has
     * noticed the removal (OpenSC over pcscd: "transmit failed" / "unknown data received" read as these).
     * Not CKR_FUNCTION_FAILED: that is the card refusing a command, and it stays in the reader.
     */
    public static boolean mayMeanRemoval(long ckr) {
        return ckr == Ck.CKR_GENERAL_ERROR || ckr == Ck.CKR_DEVICE_ERROR;
    }

    /** TOKEN_REMOVED for a step that failed because the card went away. */
    public static HostException removed(Pkcs11Error e, String what) {
        return new HostException(ErrorCode.TOKEN_REMOVED, "the card was removed while " + what,
                Map.of("pkcs11", e.ckrName()), e);
    }

    /**
     * TOKEN_BUSY: another program holds the card in {@code readers} exclusively. OpenSC cannot tell this from a
     * card that is not there (C_GetSlotInfo answers CKR_DEVICE_ERROR once, then "no token"), so the readers
     * come from PC/SC ({@link TokenManager.ReaderProbe}).
     */
    public static HostException busy(List<String> readers) {
        return new HostException(ErrorCode.TOKEN_BUSY, "another program is using the card (" + String.join(", ", readers)
                + "): close it (e.g. a vendor card manager or signing app) and try again", Map.of("readers", readers));
    }

    /** Maps a failed call made while doing {@code what} (e.g. "generating the key"). */
    public static HostException map(Pkcs11Error e, String what) {
        long ckr = e.ckr();
        Map<String, Object> details = Map.of("pkcs11", e.ckrName());
        ErrorCode code;
        String message;
        if (isRemoval(ckr)) {
            return removed(e, what);
        } else if (ckr == Ck.CKR_DEVICE_MEMORY) {
            code = ErrorCode.TOKEN_FULL;
            message = "the card has no room left for " + what;
        } else if (ckr == Ck.CKR_TOKEN_WRITE_PROTECTED || ckr == Ck.CKR_SESSION_READ_ONLY) {
            code = ErrorCode.TOKEN_READ_ONLY;
            message = "the card is write-protected (" + what + ")";
        } else if (ckr == Ck.CKR_MECHANISM_INVALID || ckr == Ck.CKR_KEY_SIZE_RANGE) {
            code = ErrorCode.ALGORITHM_NOT_SUPPORTED;
            message = "the card does not support this while " + what;
        } else if (ckr == Ck.CKR_PIN_LOCKED) {
            code = ErrorCode.PIN_LOCKED;
            message = "the PIN is blocked";
        } else if (ckr == Ck.CKR_FUNCTION_CANCELED) {
            code = ErrorCode.USER_CANCELLED;
            message = "cancelled on the reader while " + what;
        } else {
            code = ErrorCode.INTERNAL_ERROR;
            message = "the card failed while " + what + ": " + e.ckrName();
        }
        return new HostException(code, message, details, e);
    }
}
