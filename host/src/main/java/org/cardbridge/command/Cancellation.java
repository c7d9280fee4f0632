package org.cardbridge.command;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;

import java.util.Map;

/**
 * A request's cancellation state. Commands call {@link #check()} between steps; a step that already
 * touched the card finishes or is undone by the command, so cancelling never leaves a half-made state.
 *
 * <p>While a request runs, its worker thread is bound here, and cancelling interrupts it: a dialog
 * waiting for the user closes at once (the wait turns the interrupt into REQUEST_CANCELLED), instead
 * of staying on screen for a request the page has given up. PKCS#11 calls are native and finish.
 */
public final class Cancellation {
    private volatile boolean cancelled;
    private Thread worker;

    public synchronized void cancel() {
        cancelled = true;
        if (worker != null) {
            worker.interrupt();
        }
    }

    /** Called by the worker as it starts the request. */
    public synchronized void bind(Thread thread) {
        worker = thread;
        if (cancelled) {
            thread.interrupt();
        }
    }

    /** Called by the worker as the request ends; afterwards no interrupt can reach the thread from here. */
    public synchronized void unbind() {
        worker = null;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    public void check() {
        if (cancelled) {
            throw new HostException(ErrorCode.REQUEST_CANCELLED, "the request was cancelled", Map.of());
        }
    }
}
