package org.cardbridge.ui;

import org.cardbridge.policy.Origin;
import org.cardbridge.protocol.Lang;

import java.time.Duration;

/**
 * Everything the host asks the person at the computer. The controller owns this interface; the Swing
 * dialogs implement it for real, and tests implement it on the test classpath only. The shipped host
 * has no implementation that answers by itself.
 *
 * <p>Each method blocks until the user answers. Closing a dialog throws USER_CANCELLED; no answer
 * within {@code timeout} throws USER_TIMEOUT.
 */
public interface UserInterface {

    /** An origin the policy does not list asks to read the cards; {@code remember} when the user ticked it. */
    record ReadConsent(boolean granted, boolean remember) {
    }

    ReadConsent askReadConsent(Origin origin, Lang lang, Duration timeout);

    /** Shows what is about to happen, naming the origin; returns only when the user confirmed it. */
    void confirm(Confirmation confirmation, Lang lang, Duration timeout);

    /**
     * Asks for the PIN. The caller owns the returned array and must wipe it. Never called for a
     * PIN-pad reader; see {@link #showPinPadNotice}.
     */
    char[] askPin(PinPrompt prompt, Lang lang, Duration timeout);

    /**
     * The one window of a PIN change or unblock: the current PIN (or PUK) and the new PIN twice, the new PIN
     * checked in the window ({@link PinChange#problem}) before {@code check} sends anything to the card. A
     * wrong PIN or PUK, or a new PIN the card refuses, keeps the window open with the message; a blocked PIN or
     * PUK is explained before the error is thrown. Returns when the card took the new PIN. Never called for a
     * PIN-pad reader.
     */
    void changePin(PinChange change, Lang lang, Duration timeout, PinChangeCheck check);

    /** Tells the user to type the PIN on the reader; closing the returned handle removes the notice. */
    AutoCloseable showPinPadNotice(PinPrompt prompt, Lang lang);

    /**
     * One window for one decision: the confirmation of {@code approval.action()} (when not null) and, in the
     * same window, the PIN (when {@code approval.pin()} is not null), which goes to {@code check}. A wrong PIN
     * keeps the window open with the retry message until the person types another, cancels or runs out of
     * time; a blocked PIN is explained in the window before PIN_LOCKED is thrown. Returns when the person
     * confirmed and, with a PIN, the card took it.
     *
     * <p>This default, for user interfaces on the test classpath, asks with {@link #confirm} and {@link #askPin}
     * and does not retry: a wrong PIN ends the request with PIN_INCORRECT.
     */
    default void approve(Approval approval, Lang lang, Duration timeout, PinCheck check) {
        if (approval.action() != null) {
            java.util.List<String> facts = new java.util.ArrayList<>(approval.facts());
            if (approval.document() != null) {
                facts.add(approval.document());
            }
            confirm(new Confirmation(approval.origin(), approval.action(), facts), lang, timeout);
        }
        if (approval.pin() != null) {
            char[] pin = askPin(approval.pin(), lang, timeout);
            try {
                check.use(pin);
            } finally {
                java.util.Arrays.fill(pin, '\0');
            }
        }
    }
}
