package org.cardbridge.command;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The one table from operation names to handlers. {@code hello} reports its names. A handler may be
 * registered as a factory, made on the operation's first use: then a session that only says
 * {@code hello} never loads the token commands, nor the Bouncy Castle classes they reach, and every
 * host start is spared opening those jars.
 */
public final class OperationTable {
    private final Map<String, Supplier<? extends Command<?, ?>>> factories = new LinkedHashMap<>();
    private final Map<String, Command<?, ?>> made = new LinkedHashMap<>();

    public OperationTable register(String name, Command<?, ?> command) {
        return register(name, () -> command);
    }

    /** Registers a handler made by {@code factory} when {@code name} is first requested. */
    public OperationTable register(String name, Supplier<? extends Command<?, ?>> factory) {
        if (factories.putIfAbsent(name, factory) != null) {
            throw new IllegalArgumentException("operation registered twice: " + name);
        }
        return this;
    }

    /** The handler of {@code name}, made now if it was registered as a factory and not used yet. */
    public synchronized Optional<Command<?, ?>> find(String name) {
        Supplier<? extends Command<?, ?>> factory = factories.get(name);
        if (factory == null) {
            return Optional.empty();
        }
        return Optional.of(made.computeIfAbsent(name, n -> factory.get()));
    }

    public List<String> names() {
        return List.copyOf(factories.keySet());
    }
}
