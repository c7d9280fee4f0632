package org.cardbridge.command;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Requests accepted but not yet answered, by id, so {@code cancel} can reach them. */
public final class PendingRequests {
    private final Map<String, Cancellation> pending = new ConcurrentHashMap<>();

    /** Registers a request; false when the id is already pending (ids must be unique while pending). */
    public boolean add(String id, Cancellation cancellation) {
        return pending.putIfAbsent(id, cancellation) == null;
    }

    public void remove(String id) {
        pending.remove(id);
    }

    public int size() {
        return pending.size();
    }

    public boolean cancel(String id) {
        Cancellation c = pending.get(id);
        if (c == null) {
            return false;
        }
        c.cancel();
        return true;
    }

    public void cancelAll() {
        pending.values().forEach(Cancellation::cancel);
    }
}
