package org.cardbridge.command;

import org.cardbridge.host.Version;
import org.cardbridge.policy.OperationClass;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cardbridge.protocol.Json;
import org.cardbridge.protocol.Params;

import java.util.List;
import java.util.function.Supplier;

/** {@code hello}: host and protocol versions and the operations this host has. Touches nothing. */
public final class HelloCommand implements Command<Void> {

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
    public Object execute(Void args, CommandContext context) {
        // A JSON tree, not a record: serialising a record makes Jackson introspect its class on first use
        // (tens of ms), and hello is the first answer a browser waits for on every start.
        ObjectNode result = Json.object();
        result.put("host", Version.HOST);
        result.put("protocol", Version.PROTOCOL);
        operations.get().forEach(result.putArray("operations")::add);
        return result;
    }
}
