package org.cardbridge.ui;

import org.cardbridge.policy.Origin;

import java.util.List;

/**
 * What a confirmation dialog shows: who asks ({@code origin}), what will happen ({@code action}, a
 * key in the messages bundle such as {@code action.sign}) and the facts the user should check
 * (token, certificate, description of the data), already in the user's language or language-neutral.
 */
public record Confirmation(Origin origin, String action, List<String> facts) {
    public Confirmation {
        facts = List.copyOf(facts);
    }
}
