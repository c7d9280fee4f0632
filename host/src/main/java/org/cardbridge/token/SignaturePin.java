package org.cardbridge.token;

import java.util.function.Function;

/**
 * The PIN for one signature, asked only when the key demands it: a key with CKA_ALWAYS_AUTHENTICATE
 * (qualified-signature keys often have it) needs C_Login as CKU_CONTEXT_SPECIFIC before every signature,
 * whatever login came before. The command layer implements this with the PIN dialog, or the PIN-pad
 * notice, so the user types the PIN for that signature; it is never taken from an earlier login.
 */
@FunctionalInterface
public interface SignaturePin {
    /** Asks for the PIN (null for a PIN-pad reader), runs {@code sign} with it, and wipes it. */
    byte[] withPin(Function<byte[], byte[]> sign);
}
