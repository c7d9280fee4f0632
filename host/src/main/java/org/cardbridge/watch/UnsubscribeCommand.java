package org.cardbridge.watch;

import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;

/** {@code unsubscribe {}}: stops reader events for this connection; none arrives after the answer. */
public final class UnsubscribeCommand implements Command<Void, UnsubscribeCommand.Result> {
    public record Result(boolean subscribed) {
    }

    private final ReaderSubscription subscription;

    public UnsubscribeCommand(ReaderSubscription subscription) {
        this.subscription = subscription;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.READ;
    }

    @Override
    public Void parse(Params params) {
        return null;
    }

    @Override
    public Result execute(Void args, CommandContext context) {
        subscription.unsubscribe();
        return new Result(false);
    }
}
