package org.cardbridge.command;

import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;

/**
 * {@code cancel {id}}: cancels a pending request of this connection. A queued request is answered
 * REQUEST_CANCELLED without running; a running one stops at its next safe point.
 */
public final class CancelCommand implements Command<String, CancelCommand.Result> {
    public record Result(boolean cancelled) {
    }

    private final PendingRequests pending;

    public CancelCommand(PendingRequests pending) {
        this.pending = pending;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.NONE;
    }

    @Override
    public String parse(Params params) {
        return params.text("id");
    }

    @Override
    public Result execute(String id, CommandContext context) {
        return new Result(pending.cancel(id));
    }
}
