package org.cardbridge.demo;

/**
 * Why the CA refuses a renewal. Each reason has a message in both languages
 * ({@code refusal.NAME} in {@code messages.properties}); the API sends the name as a stable code.
 */
public enum Refusal {
    /** The request is not what the API expects (a field missing, not base64, ...). */
    REQUEST_MALFORMED,
    CODE_UNKNOWN,
    CODE_USED,
    /**
     * Not one of the CA's customer service points (POK, "punkt obsługi klienta"): CenCert's renewal form
     * asks for the code of the point that sold the renewal (ZETOSERWIS for its online shop).
     */
    POK_UNKNOWN,
    CERTIFICATE_MALFORMED,
    /** Not issued by this CA (the issuer name or the signature does not match). */
    CERTIFICATE_NOT_OURS,
    /** The seeds' rule: online renewal only while the old certificate is still valid. */
    CERTIFICATE_EXPIRED,
    CERTIFICATE_NOT_YET_VALID,
    /** An application for this certificate was already accepted (one valid certificate per person). */
    CERTIFICATE_ALREADY_RENEWED,
    VALIDITY_UNKNOWN,
    CSR_MALFORMED,
    /** The CSR's signature does not verify with the key it carries: no proof of possession. */
    CSR_SIGNATURE_INVALID,
    /** The CSR asks for a different subject than the certificate being renewed. */
    SUBJECT_CHANGED,
    /** The "new" key is the old certificate's key. */
    KEY_REUSED,
    /** A key type or size this CA does not certify. */
    KEY_WEAK,
    DOCUMENT_MALFORMED,
    /** The CMS signature is missing, malformed, or does not cover exactly the submitted document. */
    SIGNATURE_INVALID,
    /** The document was signed, but not with the key of the certificate being renewed. */
    SIGNER_NOT_OLD_CERTIFICATE
}
