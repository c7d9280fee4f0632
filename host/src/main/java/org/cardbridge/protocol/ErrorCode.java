package org.cardbridge.protocol;

/**
 * The closed set of error codes the host answers with. {@code HostErrorCode} in extension/api/cardbridge.d.ts is
 * generated from it (ProtocolTypesTest); the page library's HOST_ERROR_CODES (cardbridge.js, checked against the
 * .d.ts by extension/test/declarations.test.mjs) and the table in docs/protocol.md (checked by ProtocolTypesTest,
 * row for row in this order) are written by hand: add a code here, regenerate, then add it to both.
 */
public enum ErrorCode {
    /** The frame was not UTF-8 JSON of the request shape. */
    INVALID_MESSAGE,
    /** The request named an operation this host does not have. */
    UNKNOWN_OPERATION,
    /** A parameter is missing, of the wrong type, out of range or not known. */
    INVALID_ARGUMENT,
    /** A frame exceeded the size limit (incoming cap or the browsers' 1 MiB outgoing limit). */
    MESSAGE_TOO_LARGE,
    /** The origin (or extension) is not allowed this class of operation. */
    ORIGIN_NOT_ALLOWED,
    /** The user closed or declined a dialog. */
    USER_CANCELLED,
    /** The user did not answer a dialog in time. */
    USER_TIMEOUT,
    /** Too many requests are pending on this connection. */
    BUSY,
    /** No PKCS#11 module could be found or loaded. */
    MODULE_NOT_FOUND,
    /** A card's ATR names a vendor module that is not installed; details name the product to install. */
    MODULE_NOT_INSTALLED,
    /** The named token is not present. */
    TOKEN_NOT_FOUND,
    /** The token was removed while the operation ran. */
    TOKEN_REMOVED,
    /** Another program holds the card exclusively (PC/SC sharing violation); details name the readers. */
    TOKEN_BUSY,
    /** The PIN was wrong; details say what the token reports about tries left. */
    PIN_INCORRECT,
    /** The PIN is blocked. */
    PIN_LOCKED,
    /** The PUK (or security officer's PIN) is blocked: the PIN cannot be unblocked from this computer. */
    PUK_LOCKED,
    /** The card's module cannot change or unblock the PIN through PKCS#11 (or not on this platform). */
    PIN_CHANGE_NOT_SUPPORTED,
    /** The named key or certificate handle does not exist on the token. */
    KEY_NOT_FOUND,
    /** The requested algorithm is not supported by the token. */
    ALGORITHM_NOT_SUPPORTED,
    /** The token has no room left. */
    TOKEN_FULL,
    /** The token is write-protected. */
    TOKEN_READ_ONLY,
    /** A certificate could not be parsed or its chain does not verify. */
    CERTIFICATE_INVALID,
    /** The certificate does not belong to any private key on the token. */
    CERTIFICATE_KEY_MISMATCH,
    /** The certificate has expired. */
    CERTIFICATE_EXPIRED,
    /** The certificate is not valid yet and may not replace a valid one. */
    CERTIFICATE_NOT_YET_VALID,
    /** A CMP message is not one: not base64 DER, truncated, or not the message the step expects. */
    CMP_MESSAGE_INVALID,
    /** A CMP message from the CA is unprotected or its protection does not verify with a certificate the page trusts. */
    CMP_PROTECTION_INVALID,
    /** A CMP message belongs to no transaction of this connection, or does not answer the host's last message (nonce). */
    CMP_TRANSACTION_MISMATCH,
    /** The CA refused the CMP request (an error message or status rejection); details carry its status text and failInfo. */
    CMP_REJECTED,
    /** The CA answered status waiting: it has not decided yet. */
    CMP_WAITING,
    /** The request was cancelled by a {@code cancel} request or the connection closing. */
    REQUEST_CANCELLED,
    /** Anything else: a bug or an unexpected state. Details never contain secrets. */
    INTERNAL_ERROR
}
