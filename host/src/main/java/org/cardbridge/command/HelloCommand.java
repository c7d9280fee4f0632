package org.cardbridge.command;

import org.cardbridge.host.Version;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;

import java.util.List;
import java.util.function.Supplier;

/** {@code hello}: host and protocol versions and the operations this host has. Touches nothing. */
public final class HelloCommand implements Command<Void, HelloCommand.Result> {
    public record Result(String host, String protocol, List<String> operations) {
    }

    private final Supplier<List<String>> operations;

    public HelloCommand(Supplier<List<String>> operations) {
        this.operations = operations;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.NONE;
    }

    @Override
    public Void parse(Params params) {
        return null;
    }

    @Override
    public Result execute(Void args, CommandContext context) {
        return new Result(Version.HOST, Version.PROTOCOL, operations.get());
    }
}
