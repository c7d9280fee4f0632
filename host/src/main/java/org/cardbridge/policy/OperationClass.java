package org.cardbridge.policy;

/** What an operation does to the card, and so what an origin must be allowed for it. */
public enum OperationClass {
    /** Nothing is touched: version and capability questions. Every caller may ask. */
    NONE,
    /** List readers, tokens and certificates. */
    READ,
    /** Make a signature with an existing key. */
    SIGN,
    /** Generate keys, create requests, install or remove certificates and keys. */
    ENROLL
}
