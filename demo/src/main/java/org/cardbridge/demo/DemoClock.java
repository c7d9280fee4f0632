package org.cardbridge.demo;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The CA's clock: the real time plus an offset the demo can move forward, so that the deferred
 * renewal ("valid from the old certificate's expiry") can be shown without waiting a year. The offset
 * is kept in the store, so a restart does not turn time back.
 */
public final class DemoClock {
    private final Clock base;
    private final DemoStore store;

    public DemoClock(Clock base, DemoStore store) {
        this.base = base;
        this.store = store;
    }

    public Instant now() {
        return base.instant().plusSeconds(store.read().clockOffsetSeconds());
    }

    public Duration offset() {
        return Duration.ofSeconds(store.read().clockOffsetSeconds());
    }

    /** Moves the clock forward (never back: certificates already issued must keep their order in time). */
    public Instant advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("the demo clock only moves forward");
        }
        store.update(s -> new DemoStore.Change<>(s.withClockOffset(s.clockOffsetSeconds() + by.toSeconds()), null));
        return now();
    }
}
