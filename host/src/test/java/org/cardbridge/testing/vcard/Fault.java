package org.cardbridge.testing.vcard;

import java.util.function.Predicate;

/**
 * Fault injection at the APDU layer: decides, for each command APDU, whether the card answers normally,
 * answers something else, or is pulled out of the reader (before or after it acted on the command).
 */
@FunctionalInterface
public interface Fault {
    sealed interface Action {
    }

    /** Process normally. */
    record Pass() implements Action {
    }

    /** Answer this instead, without processing. */
    record Answer(byte[] response) implements Action {
    }

    /** Pull the card; {@code afterProcessing}: the card acts on the command first but never answers. */
    record Pull(boolean afterProcessing) implements Action {
    }

    Action decide(byte[] command);

    Fault NONE = c -> new Pass();

    /** Pulls the card at the {@code nth} (1-based) command that matches, once. */
    static Fault pullAt(Predicate<byte[]> matching, int nth, boolean afterProcessing) {
        int[] seen = {0};
        return c -> matching.test(c) && ++seen[0] == nth ? new Pull(afterProcessing) : new Pass();
    }

    /** Matches commands by INS byte (and CLA chaining bit ignored). */
    static Predicate<byte[]> ins(int ins) {
        return c -> c.length >= 4 && (c[1] & 0xFF) == ins;
    }
}
