package org.cardbridge.ui;

import org.cardbridge.policy.Origin;

import java.util.List;

/**
 * One host window, one decision: who asks ({@code origin}), what will happen ({@code action}, a key in the
 * messages bundle such as {@code action.sign}; null for a window that only asks for the PIN), the facts the
 * person should check (already in their language), the document being signed when it is text
 * ({@code document}, shown whole and scrollable; null otherwise), and the PIN field when the card needs the
 * PIN now ({@code pin}; null when it does not). {@code details} (raw names, serial numbers, fingerprints) are
 * shown only when the person opens "Details".
 */
public record Approval(Origin origin, String action, List<String> facts, String document, PinPrompt pin, List<String> details) {
    public Approval {
        facts = List.copyOf(facts);
        details = List.copyOf(details);
    }

    public Approval(Origin origin, String action, List<String> facts, String document, PinPrompt pin) {
        this(origin, action, facts, document, pin, List.of());
    }

    /** The same window with the PIN field. */
    public Approval withPin(PinPrompt prompt) {
        return new Approval(origin, action, facts, document, prompt, details);
    }

    /** A window that only asks for the PIN (a {@code login}, a signature PIN). */
    public static Approval pinOnly(PinPrompt pin) {
        return new Approval(pin.origin(), null, List.of(), null, pin);
    }
}
