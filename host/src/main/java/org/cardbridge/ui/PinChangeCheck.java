package org.cardbridge.ui;

/**
 * What the PIN change window's answer is for: {@code current} is the current PIN (or the PUK), {@code newPin}
 * the new PIN the person typed twice and the window checked. Runs on the requesting thread while the window
 * waits, once per try; the caller's arrays are wiped after it returns.
 *
 * <p>PIN_INCORRECT (a wrong current PIN or PUK; {@code details.secret} says which) and INVALID_ARGUMENT with
 * {@code details.field = "newPin"} (the card refused the new PIN) keep the window open with the message. Any
 * other error ends the window.
 */
@FunctionalInterface
public interface PinChangeCheck {
    void use(char[] current, char[] newPin);
}
