package org.cardbridge.watch;

/** Where watcher events go: the session's message channel in the host, a queue in tests. */
@FunctionalInterface
public interface EventSink {
    void emit(ReaderEvent event);
}
