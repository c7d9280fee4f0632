package org.cardbridge.install;

import org.cardbridge.protocol.Wire;

/**
 * One line of {@code doctor}'s report. {@code code} is the message key (stable, for tests and support
 * scripts); {@code message} and {@code fix} are in the user's language. Never a PIN or other secret.
 */
public record Finding(Status status, String code, String subject, String message, @Wire.Nullable String fix) {
    public enum Status {
        OK, INFO, WARN, FAIL
    }

    public boolean broken() {
        return status == Status.FAIL;
    }
}
