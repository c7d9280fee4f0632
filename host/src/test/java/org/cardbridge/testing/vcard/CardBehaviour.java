package org.cardbridge.testing.vcard;

/** What a virtual card does when vpcd powers, resets or sends it an APDU. Called on one thread. */
public interface CardBehaviour {
    byte[] atr();

    /** Power on and reset: the card forgets its session state (selected file, verified PIN). */
    void reset();

    /** Answers one command APDU with a response APDU (data + SW1 SW2). */
    byte[] transmit(byte[] command);
}
