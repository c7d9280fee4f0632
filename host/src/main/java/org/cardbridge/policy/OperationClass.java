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
    ENROLL,
    /**
     * Read what the administrator's policy says (which CAs it trusts): the extension's own pages only.
     * A class of its own so a web page is refused before any work — and before any consent dialog.
     */
    EXTENSION
}
