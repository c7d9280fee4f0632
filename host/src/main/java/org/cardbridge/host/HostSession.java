package org.cardbridge.host;

import org.cardbridge.command.Cancellation;
import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.command.OperationTable;
import org.cardbridge.command.PendingRequests;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.policy.Origin;
import org.cardbridge.policy.OriginPolicy;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.FrameReader;
import org.cardbridge.protocol.FrameWriter;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.MessageChannel;
import org.cardbridge.protocol.Params;
import org.cardbridge.protocol.Request;
import org.cardbridge.protocol.RequestParser;
import org.cardbridge.ui.UserInterface;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.cardbridge.log.Level;
import org.cardbridge.log.Log;

/**
 * One browser connection: reads frames, dispatches requests, writes answers, and releases everything
 * at end of input.
 *
 * <p>Operations of class {@code NONE} ({@code hello}, {@code cancel}) are answered at once on the
 * reader thread. Every other request goes to one worker thread and runs in arrival order, so requests
 * on a token are serialised and a login made by one request serves the next. At most
 * {@link #MAX_PENDING} requests may wait, holding together at most twice the largest frame the session
 * reads; one more is answered BUSY. (Without the byte budget, 16 frames of 8 MiB and their trees would
 * not fit the host's heap: a page could make it run out of memory.)
 */
public final class HostSession {
    public static final int MAX_PENDING = 16;
    public static final int EXIT_OK = 0;
    public static final int EXIT_STREAM_LOST = 1;

    private static final Log LOG = Log.get(HostSession.class);

    private final OperationTable table;
    private final OriginPolicy policy;
    private final Supplier<UserInterface> ui;
    private final PendingRequests pending;
    private final List<AutoCloseable> resources;
    private final int maxIncoming;
    private final long maxPendingBytes;
    private final AtomicLong pendingBytes = new AtomicLong();

    public HostSession(OperationTable table, OriginPolicy policy, Supplier<UserInterface> ui,
                       PendingRequests pending, List<AutoCloseable> resources, int maxIncoming) {
        this.table = table;
        this.policy = policy;
        this.ui = ui;
        this.pending = pending;
        this.resources = List.copyOf(resources);
        this.maxIncoming = maxIncoming;
        this.maxPendingBytes = 2L * maxIncoming;
    }

    /** Serves until end of input (exit 0) or until the stream is lost (exit 1). */
    public int run(InputStream in, OutputStream out) {
        FrameReader reader = new FrameReader(in, maxIncoming);
        MessageChannel channel = new MessageChannel(new FrameWriter(out));
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cardbridge-worker");
            t.setDaemon(true);
            return t;
        });
        try {
            while (true) {
                byte[] frame;
                try {
                    frame = reader.read();
                } catch (HostException e) {
                    // The announced length cannot be skipped reliably: answer, then end the session.
                    channel.error(null, e);
                    return EXIT_STREAM_LOST;
                } catch (EOFException e) {
                    LOG.warning("input ended inside a frame: " + e.getMessage());
                    return EXIT_STREAM_LOST;
                } catch (IOException e) {
                    LOG.warning("reading from the browser failed: " + e.getMessage());
                    return EXIT_STREAM_LOST;
                }
                if (frame == null) {
                    return EXIT_OK;
                }
                accept(frame, channel, worker);
            }
        } finally {
            pending.cancelAll();
            worker.shutdownNow();
            try {
                worker.awaitTermination(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (AutoCloseable resource : resources) {
                try {
                    resource.close();
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "releasing " + resource + " failed", e);
                }
            }
        }
    }

    private void accept(byte[] frame, MessageChannel channel, ExecutorService worker) {
        Request request;
        try {
            request = RequestParser.parse(frame);
        } catch (HostException e) {
            channel.error(RequestParser.idOf(frame), e);
            return;
        }
        Optional<Command<?, ?>> command;
        try {
            command = table.find(request.op());
        } catch (RuntimeException | LinkageError e) {
            // A command is made on its first use: a class that fails to load or initialise then is an
            // answer like any other failure, never the end of the session.
            LOG.log(Level.SEVERE, "operation " + request.op() + " could not be set up", e);
            channel.error(request.id(), new HostException(ErrorCode.INTERNAL_ERROR,
                    "internal error setting up " + request.op() + " (" + e.getClass().getSimpleName() + "); see the host log", Map.of()));
            return;
        }
        if (command.isEmpty()) {
            channel.error(request.id(), new HostException(ErrorCode.UNKNOWN_OPERATION,
                    "unknown operation '" + request.op() + "'", Map.of("op", request.op(), "supported", table.names())));
            return;
        }
        if (command.get().operationClass() == OperationClass.NONE) {
            answer(request, command.get(), new Cancellation(), channel).run();
            return;
        }
        int size = frame.length;
        if (pending.size() >= MAX_PENDING || pendingBytes.get() + size > maxPendingBytes) {
            channel.error(request.id(), new HostException(ErrorCode.BUSY,
                    "too many pending requests (at most " + MAX_PENDING + ", holding at most " + maxPendingBytes + " bytes)",
                    Map.of("limit", MAX_PENDING, "byteLimit", maxPendingBytes)));
            return;
        }
        Cancellation cancellation = new Cancellation();
        if (!pending.add(request.id(), cancellation)) {
            channel.error(request.id(), new HostException(ErrorCode.INVALID_MESSAGE,
                    "a request with id '" + request.id() + "' is already pending", Map.of()));
            return;
        }
        pendingBytes.addAndGet(size);
        worker.execute(() -> {
            Runnable send;
            cancellation.bind(Thread.currentThread());
            try {
                send = answer(request, command.get(), cancellation, channel);
            } finally {
                cancellation.unbind();
                // A cancel's interrupt must reach neither the answer's write (an interruptible channel
                // would close) nor the next request.
                Thread.interrupted();
                pending.remove(request.id());
                pendingBytes.addAndGet(-size);
            }
            send.run();
        });
    }

    /** Runs the request and returns the sending of its answer, so the worker can send it after unbinding. */
    private Runnable answer(Request request, Command<?, ?> command, Cancellation cancellation, MessageChannel channel) {
        try {
            cancellation.check();
            Object result = invoke(request, command, cancellation, channel);
            // A result that was reached is reported even if a cancel arrived meanwhile: it may have changed the card.
            return () -> channel.result(request.id(), result);
        } catch (HostException e) {
            return () -> channel.error(request.id(), e);
        } catch (Throwable e) {
            // Anything at all (an AWT error without a display server, a class that failed to initialise,
            // even memory running out) is answered: the page must never wait for an answer that will not come.
            LOG.log(Level.SEVERE, "operation " + request.op() + " failed unexpectedly", e);
            HostException internal = new HostException(ErrorCode.INTERNAL_ERROR,
                    "internal error in " + request.op() + " (" + e.getClass().getSimpleName() + "); see the host log", Map.of());
            return () -> channel.error(request.id(), internal);
        }
    }

    private <A, R> R invoke(Request request, Command<A, R> command, Cancellation cancellation, MessageChannel channel) {
        // Refuse what the origin can never do before doing any work for it; then validate the parameters
        // and refuse what cannot succeed (no window for a request that fails anyway); only then may the
        // user be asked for read consent.
        policy.precheck(request.origin(), command.operationClass());
        Params params = new Params(request.params());
        A args = command.parse(params);
        params.done();
        command.precheck(args);
        Origin origin = policy.authorize(request.origin(), command.operationClass(), request.lang());
        CommandContext context = new CommandContext(request.id(), origin, request.lang(), policy.policy(), ui,
                progress -> channel.progress(request.id(), progress), channel::event, cancellation);
        return command.execute(args, context);
    }
}
