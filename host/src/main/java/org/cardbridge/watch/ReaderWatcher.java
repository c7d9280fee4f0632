package org.cardbridge.watch;

import org.cardbridge.token.AtrModuleMap;

import javax.smartcardio.CardException;
import javax.smartcardio.CardTerminal;
import javax.smartcardio.CardTerminals;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cardbridge.log.Level;
import org.cardbridge.log.Log;

/**
 * Watches readers and cards for one subscribed connection and reports changes as {@link ReaderEvent}s.
 *
 * <p>PC/SC through {@code javax.smartcardio}: {@code waitForChange} wakes the thread on card insertion
 * or removal at once; readers that come or go are seen at the next poll (the JDK has no reader-change
 * notification). An inserted card is connected to in shared mode only to read its ATR, which the
 * {@link AtrModuleMap} turns into a module; the {@link SlotSource} adds the token handle (and the module
 * that shows it). When PC/SC fails as a whole (pcscd stopped or restarted),
 * everything known is reported gone, the context is renewed and retried with back-off, and the readers
 * and cards that come back are reported anew. Tokens the slot source shows outside any PC/SC reader
 * (SoftHSM, tokens without PC/SC) get events of their own.
 *
 * <p>The first poll reports what is present already, so a subscriber learns the current state.
 * After {@link #close()} returns, no further event is emitted.
 */
public final class ReaderWatcher implements AutoCloseable {
    private static final Log LOG = Log.get(ReaderWatcher.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final AtrModuleMap atrMap;
    private final SlotSource slots;
    private final Duration poll;
    private final EventSink sink;
    private final Thread thread;
    private final Object emitLock = new Object();
    private volatile boolean stopped;

    private final Set<String> readers = new LinkedHashSet<>();
    private final Map<String, ReaderEvent.TokenInserted> cards = new LinkedHashMap<>();
    private final Map<String, SlotSource.PresentToken> slotTokens = new LinkedHashMap<>();
    private List<SlotSource.PresentToken> slotSnapshot = List.of();
    private CardTerminals terminals;

    private ReaderWatcher(AtrModuleMap atrMap, SlotSource slots, Duration poll, EventSink sink) {
        this.atrMap = atrMap;
        this.slots = slots;
        this.poll = poll;
        this.sink = sink;
        this.thread = new Thread(this::run, "cardbridge-reader-watch");
        thread.setDaemon(true);
    }

    /** Starts a watcher thread that emits to {@code sink} until {@link #close()}. */
    public static ReaderWatcher start(AtrModuleMap atrMap, SlotSource slots, Duration poll, EventSink sink) {
        ReaderWatcher w = new ReaderWatcher(atrMap, slots, poll, sink);
        w.thread.start();
        return w;
    }

    @Override
    public void close() {
        synchronized (emitLock) {
            stopped = true;
        }
        // The thread may sit in a native wait for up to one poll; it is a daemon and ends on its own.
        thread.interrupt();
    }

    boolean isRunning() {
        return thread.isAlive();
    }

    private void run() {
        Duration backoff = poll;
        long nextPcscTry = System.nanoTime();
        while (!stopped) {
            // Slots first: a card that PC/SC reports in this pass then gets its token handle.
            snapshotSlots();
            // PC/SC is retried with back-off when down; PKCS#11 slots are polled every interval regardless.
            if (System.nanoTime() - nextPcscTry >= 0) {
                if (pollPcsc()) {
                    backoff = poll;
                } else {
                    nextPcscTry = System.nanoTime() + backoff.toNanos();
                    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                }
            }
            pollSlotOnlyTokens();
            if (!stopped) {
                waitForChange();
            }
        }
    }

    /** One PC/SC pass; false when PC/SC as a whole failed and the context was dropped. */
    private boolean pollPcsc() {
        try {
            if (terminals == null) {
                terminals = PcscAccess.open();
            }
            List<CardTerminal> present = listReaders();
            Set<String> names = new LinkedHashSet<>();
            present.forEach(t -> names.add(t.getName()));
            for (String gone : new HashSet<>(readers)) {
                if (!names.contains(gone)) {
                    cardGone(gone);
                    readers.remove(gone);
                    emit(new ReaderEvent.ReaderRemoved(gone));
                }
            }
            for (CardTerminal t : present) {
                String name = t.getName();
                if (readers.add(name)) {
                    emit(new ReaderEvent.ReaderAdded(name));
                }
                boolean card;
                try {
                    card = t.isCardPresent();
                } catch (CardException e) {
                    if (serviceLost(e)) {
                        throw e;
                    }
                    continue; // the reader went between list and status: the next pass removes it
                }
                if (card && !cards.containsKey(name)) {
                    cardCame(t);
                } else if (!card && cards.containsKey(name)) {
                    cardGone(name);
                }
            }
            return true;
        } catch (CardException | RuntimeException e) {
            if (stopped) {
                return true;
            }
            LOG.log(Level.INFO, "PC/SC unavailable (" + PcscAccess.describe(e) + "); will retry");
            for (String reader : List.copyOf(readers)) {
                cardGone(reader);
                emit(new ReaderEvent.ReaderRemoved(reader));
            }
            readers.clear();
            if (terminals != null) {
                terminals = null;
                PcscAccess.resetContext();
            }
            return false;
        }
    }

    private List<CardTerminal> listReaders() throws CardException {
        try {
            return terminals.list();
        } catch (CardException e) {
            if (PcscAccess.describe(e).contains("SCARD_E_NO_READERS_AVAILABLE")) {
                return List.of();
            }
            throw e;
        }
    }

    private static boolean serviceLost(CardException e) {
        String why = PcscAccess.describe(e);
        return why.contains("SCARD_E_NO_SERVICE") || why.contains("SCARD_E_SERVICE_STOPPED")
                || why.contains("SCARD_E_INVALID_HANDLE") || why.contains("SCARD_F_COMM_ERROR");
    }

    private void cardCame(CardTerminal terminal) {
        String reader = terminal.getName();
        Optional<byte[]> atr = readAtr(terminal);
        Optional<SlotSource.PresentToken> token = tokenIn(reader);
        // The card may have come after this pass's slot snapshot, or the module may still be reading it: look again
        // briefly, so the event carries the token handle a page can use (a card no module serves waits 0.5 s).
        for (int i = 0; token.isEmpty() && i < 5 && !stopped; i++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            snapshotSlots();
            token = tokenIn(reader);
        }
        String hex = atr.map(a -> HexFormat.of().withUpperCase().formatHex(a)).orElse(null);
        List<AtrModuleMap.Entry> matches = atr.map(atrMap::match).orElse(List.of());
        // A module that already shows the card's token serves it, whatever the ATR map says.
        String module = token.map(SlotSource.PresentToken::module)
                .orElse(matches.isEmpty() ? null : modulePath(matches.getFirst()));
        ReaderEvent.TokenInserted event = new ReaderEvent.TokenInserted(reader,
                token.map(SlotSource.PresentToken::token).orElse(null), hex, module, module != null);
        cards.put(reader, event);
        emit(event);
    }

    private Optional<SlotSource.PresentToken> tokenIn(String reader) {
        return slotSnapshot.stream().filter(t -> t.reader().equals(reader)).findFirst();
    }

    /** The entry's first installed library, else its first candidate (what the user should install). */
    private static String modulePath(AtrModuleMap.Entry entry) {
        return entry.installedPath().orElse(entry.paths().isEmpty() ? entry.name() : entry.paths().getFirst());
    }

    private void cardGone(String reader) {
        ReaderEvent.TokenInserted was = cards.remove(reader);
        if (was != null) {
            emit(new ReaderEvent.TokenRemoved(reader, was.token()));
        }
    }

    private static Optional<byte[]> readAtr(CardTerminal terminal) {
        return PcscCards.readAtr(terminal);
    }

    private void snapshotSlots() {
        try {
            slotSnapshot = List.copyOf(slots.present());
        } catch (Exception e) {
            LOG.log(Level.FINE, "slot polling failed", e);
        }
    }

    /** Tokens no PC/SC reader holds: inserted / removed as their slots show them. */
    private void pollSlotOnlyTokens() {
        Map<String, SlotSource.PresentToken> byReader = new LinkedHashMap<>();
        slotSnapshot.stream().filter(t -> !readers.contains(t.reader())).forEach(t -> byReader.put(t.reader(), t));
        for (var old : List.copyOf(slotTokens.values())) {
            var current = byReader.get(old.reader());
            if (current == null || !current.equals(old)) {
                slotTokens.remove(old.reader());
                emit(new ReaderEvent.TokenRemoved(old.reader(), old.token()));
            }
        }
        for (var t : byReader.values()) {
            if (!slotTokens.containsKey(t.reader())) {
                slotTokens.put(t.reader(), t);
                emit(new ReaderEvent.TokenInserted(t.reader(), t.token(), null, t.module(), true));
            }
        }
    }

    private void waitForChange() {
        try {
            if (terminals == null || readers.isEmpty()) {
                sleep(poll); // waitForChange refuses to wait without readers
            } else {
                terminals.waitForChange(poll.toMillis());
            }
        } catch (CardException | RuntimeException e) {
            // Reported by the next pass, which sees the same failure on list().
            LOG.log(Level.FINE, "waitForChange failed", e);
        }
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            // close() interrupts; the loop checks stopped.
        }
    }

    private void emit(ReaderEvent event) {
        synchronized (emitLock) {
            if (!stopped) {
                sink.emit(event);
            }
        }
    }
}
