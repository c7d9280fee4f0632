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
     * Change or unblock the card's user PIN; no key or certificate is touched. A web origin gets it with
     * {@code enroll} (a CA page offers it as part of enrolment); the extension's own popup gets it too, so a
     * person can change or unblock the PIN of their own card without any CA page. The PINs are typed in the
     * host's window either way.
     */
    PIN,
    /**
     * Read what the administrator's policy says (which CAs it trusts): the extension's own pages only.
     * A class of its own so a web page is refused before any work — and before any consent dialog.
     */
    EXTENSION
}
