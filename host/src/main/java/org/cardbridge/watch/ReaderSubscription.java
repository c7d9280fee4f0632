package org.cardbridge.watch;

import org.cardbridge.token.AtrModuleMap;

import java.time.Duration;

/**
 * A connection's subscription to reader events: at most one watcher per connection, started by
 * {@code subscribe}, stopped by {@code unsubscribe} and when the session ends (the session closes it
 * as one of its resources).
 */
public final class ReaderSubscription implements AutoCloseable {
    public static final Duration DEFAULT_POLL = Duration.ofSeconds(1);

    private final AtrModuleMap atrMap;
    private final SlotSource slots;
    private final Duration poll;
    private ReaderWatcher watcher;

    public ReaderSubscription(AtrModuleMap atrMap, SlotSource slots, Duration poll) {
        this.atrMap = atrMap;
        this.slots = slots;
        this.poll = poll;
    }

    /** Starts watching unless already watching; false when a watcher was running already. */
    public synchronized boolean subscribe(EventSink sink) {
        if (watcher != null) {
            return false;
        }
        watcher = ReaderWatcher.start(atrMap, slots, poll, sink);
        return true;
    }

    /** Stops watching; no event follows. False when nothing was watched. */
    public synchronized boolean unsubscribe() {
        if (watcher == null) {
            return false;
        }
        watcher.close();
        watcher = null;
        return true;
    }

    public synchronized boolean isSubscribed() {
        return watcher != null;
    }

    @Override
    public void close() {
        unsubscribe();
    }
}
