package org.cardbridge.command;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;

import java.util.Map;

/**
 * A request's cancellation state. Commands call {@link #check()} between steps; a step that already
 * touched the card finishes or is undone by the command, so cancelling never leaves a half-made state.
 */
public final class Cancellation {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    public void check() {
        if (cancelled) {
            throw new HostException(ErrorCode.REQUEST_CANCELLED, "the request was cancelled", Map.of());
        }
    }
}
