package org.cardbridge.ui;

import org.cardbridge.policy.Origin;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What the PIN change window shows and checks: the requesting origin, the card, whether the current PIN or the
 * PUK is typed ({@code kind}), the card's PIN rules (ulMinPinLen / ulMaxPinLen in UTF-8 bytes; 0 when the card
 * does not say), and a warning when few tries of the current PIN or PUK remain.
 */
public record PinChange(Origin origin, String tokenLabel, Kind kind, long minLength, long maxLength, PinPrompt.Tries tries) {
    /** CHANGE: current PIN, new PIN twice. UNBLOCK: PUK, new PIN twice. */
    public enum Kind { CHANGE, UNBLOCK }

    /**
     * Why the new PIN cannot be sent, as a message key with its argument ({@code pinChange.mismatch},
     * {@code pinChange.tooShort}, {@code pinChange.tooLong}), or null when it can: checked in the window,
     * before anything reaches the card.
     */
    public Problem problem(char[] newPin, char[] repeat) {
        if (!Arrays.equals(newPin, repeat)) {
            return new Problem("pinChange.mismatch", 0);
        }
        int bytes = utf8Length(newPin);
        if (bytes == 0 || minLength > 0 && bytes < minLength) {
            return new Problem("pinChange.tooShort", Math.max(1, minLength));
        }
        if (maxLength > 0 && bytes > maxLength) {
            return new Problem("pinChange.tooLong", maxLength);
        }
        return null;
    }

    /** A refusal of the window's own checks: the message key and the length it names. */
    public record Problem(String key, long length) {
    }

    private static int utf8Length(char[] pin) {
        ByteBuffer buffer = StandardCharsets.UTF_8.encode(CharBuffer.wrap(pin));
        int length = buffer.remaining();
        if (buffer.hasArray()) {
            Arrays.fill(buffer.array(), (byte) 0);
        }
        return length;
    }
}
