package org.cardbridge.ui;

/**
 * What a PIN typed into a window is for: the login, or one signature. It runs on the requesting thread
 * while the window waits, once per try the person typed; the caller's array is wiped after it returns.
 *
 * <p>A wrong PIN is thrown as PIN_INCORRECT (with {@code details.pinState} when the card's flags say how
 * many tries are left): the window stays open, says so, and waits for the person's next try. The host never
 * types a PIN by itself. PIN_LOCKED, or any other error, ends the window.
 */
@FunctionalInterface
public interface PinCheck {
    void use(char[] pin);
}
