package org.cardbridge.watch;

import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;

/**
 * {@code subscribe {}}: from now on this connection receives {@code readerAdded}, {@code readerRemoved},
 * {@code tokenInserted} and {@code tokenRemoved} events, starting with what is present already.
 * Subscribing twice is harmless.
 */
public final class SubscribeCommand implements Command<Void, SubscribeCommand.Result> {
    public record Result(boolean subscribed) {
    }

    private final ReaderSubscription subscription;

    public SubscribeCommand(ReaderSubscription subscription) {
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
        CommandContext.EventSink events = context.events();
        subscription.subscribe(event -> events.send(event.name(), event));
        return new Result(true);
    }
}
