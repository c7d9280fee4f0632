package org.cardbridge.watch;

import org.cardbridge.platform.Os;
import org.cardbridge.token.AtrModuleMap;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Tokens from the PKCS#11 slot hook (tokens PC/SC cannot see). PC/SC itself is whatever this machine has
 * (usually nothing here); only events of the hook's own slots are looked at.
 */
class ReaderWatcherSlotTest {
    private static final String SLOT = "SoftHSM slot 7 (test hook)";

    @Test
    void slotSource_tokenAppearsAndGoes_emitsInsertedThenRemovedWithHandle() throws Exception {
        List<SlotSource.PresentToken> present = new CopyOnWriteArrayList<>();
        BlockingQueue<ReaderEvent> events = new LinkedBlockingQueue<>();
        try (ReaderWatcher w = ReaderWatcher.start(AtrModuleMap.load(Os.current()), () -> List.copyOf(present),
                Duration.ofMillis(50), e -> {
                    if (e instanceof ReaderEvent.TokenInserted t && t.reader().equals(SLOT)
                            || e instanceof ReaderEvent.TokenRemoved r && r.reader().equals(SLOT)) {
                        events.add(e);
                    }
                })) {
            present.add(new SlotSource.PresentToken(SLOT, "tok-1", "/usr/lib/softhsm/libsofthsm2.so"));
            ReaderEvent in = events.poll(10, TimeUnit.SECONDS);
            assertEquals(new ReaderEvent.TokenInserted(SLOT, "tok-1", null, "/usr/lib/softhsm/libsofthsm2.so", true), in);

            present.clear();
            assertEquals(new ReaderEvent.TokenRemoved(SLOT, "tok-1"), events.poll(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void close_stopsEvents() throws Exception {
        List<SlotSource.PresentToken> present = new CopyOnWriteArrayList<>();
        BlockingQueue<ReaderEvent> events = new LinkedBlockingQueue<>();
        ReaderWatcher w = ReaderWatcher.start(AtrModuleMap.load(Os.current()), () -> List.copyOf(present),
                Duration.ofMillis(50), e -> {
                    if (e instanceof ReaderEvent.TokenInserted t && t.reader().equals(SLOT)) {
                        events.add(e);
                    }
                });
        present.add(new SlotSource.PresentToken(SLOT, "tok-1", "m.so"));
        assertNotNull(events.poll(10, TimeUnit.SECONDS));
        w.close();
        present.clear();
        present.add(new SlotSource.PresentToken(SLOT, "tok-2", "m.so"));
        // The hook polls every 50 ms; a watcher that kept running would report tok-2 well within this.
        assertNull(events.poll(500, TimeUnit.MILLISECONDS));
    }
}
