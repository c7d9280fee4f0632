package org.cardbridge.token;

/**
 * How a key signs a hash on the card: the JCA name of the resulting signature algorithm, the hash, and
 * the mechanism. The host always hashes and the card signs the hash (CKM_RSA_PKCS over a DigestInfo,
 * CKM_RSA_PKCS_PSS, or CKM_ECDSA), so data and pre-computed hashes take one path and every card that
 * can sign at all can sign any of our hashes.
 */
public record SignatureScheme(String jcaName, String hash, long mechanism) {

    public boolean isPss() {
        return mechanism == Ck.CKM_RSA_PKCS_PSS;
    }

    public boolean isEcdsa() {
        return mechanism == Ck.CKM_ECDSA;
    }

    /** The hash's length in bytes. */
    public static int hashLength(String hash) {
        return switch (hash) {
            case "SHA-256" -> 32;
            case "SHA-384" -> 48;
            case "SHA-512" -> 64;
            default -> throw new IllegalArgumentException(hash);
        };
    }

    static String jcaPrefix(String hash) {
        return hash.replace("-", "");
    }
}
