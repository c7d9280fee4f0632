package org.cardbridge.command;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The one table from operation names to handlers. {@code hello} reports its names. */
public final class OperationTable {
    private final Map<String, Command<?>> commands = new LinkedHashMap<>();

    public OperationTable register(String name, Command<?> command) {
        if (commands.putIfAbsent(name, command) != null) {
            throw new IllegalArgumentException("operation registered twice: " + name);
        }
        return this;
    }

    public Optional<Command<?>> find(String name) {
        return Optional.ofNullable(commands.get(name));
    }

    public List<String> names() {
        return List.copyOf(Collections.unmodifiableSet(commands.keySet()));
    }
}
