package org.cardbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.command.OperationTable;
import org.cardbridge.command.PendingRequests;
import org.cardbridge.host.HostSession;
import org.cardbridge.policy.ConsentStore;
import org.cardbridge.policy.OriginPolicy;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.FrameReader;
import org.cardbridge.protocol.Json;
import org.cardbridge.ui.UserInterface;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Runs a {@link HostSession} in-process over real pipes, as a browser would talk to it. */
public final class SessionHarness implements AutoCloseable {
    private final OutputStream toHost;
    private final FrameReader fromHost;
    private final CompletableFuture<Integer> exit;
    private final java.util.List<JsonNode> backlog = new java.util.ArrayList<>();

    public SessionHarness(Function<PendingRequests, OperationTable> table, Policy policy, UserInterface ui,
                          Path stateDir, List<AutoCloseable> resources, int maxIncoming) throws IOException {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        toHost = Channels.newOutputStream(in.sink());
        InputStream hostIn = Channels.newInputStream(in.source());
        OutputStream hostOut = Channels.newOutputStream(out.sink());
        fromHost = new FrameReader(Channels.newInputStream(out.source()), 16 * 1024 * 1024);
        PendingRequests pending = new PendingRequests();
        HostSession session = new HostSession(table.apply(pending),
                new OriginPolicy(policy, new ConsentStore(stateDir.resolve("consent.json")), () -> ui), () -> ui,
                pending, resources, maxIncoming);
        exit = new CompletableFuture<>();
        // A thread of its own: the common pool has a single thread on a 2-core machine.
        Thread.ofPlatform().name("host-session").daemon().start(() -> {
            try {
                exit.complete(session.run(hostIn, hostOut));
            } catch (Throwable t) {
                exit.completeExceptionally(t);
            } finally {
                try {
                    hostOut.close();
                } catch (IOException ignored) {
                    // the test side may be gone already
                }
            }
        });
    }

    public void sendRaw(byte[] payload) throws IOException {
        toHost.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(payload.length).array());
        toHost.write(payload);
        toHost.flush();
    }

    public void sendHeaderOnly(int announcedLength) throws IOException {
        toHost.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(announcedLength).array());
        toHost.flush();
    }

    public void send(String json) throws IOException {
        sendRaw(json.getBytes(StandardCharsets.UTF_8));
    }

    public JsonNode receive() throws IOException {
        byte[] frame = fromHost.read();
        if (frame == null) {
            throw new IOException("the host closed its output");
        }
        return Json.mapper().readTree(frame);
    }

    /**
     * The final answer (result or error) for {@code id}. Answers to other requests read meanwhile are
     * kept for later calls, so answers that overtake each other are not lost; progress and events are skipped.
     */
    public JsonNode answerTo(String id) throws IOException {
        for (var it = backlog.iterator(); it.hasNext(); ) {
            JsonNode m = it.next();
            if (id.equals(m.path("id").asText(null))) {
                it.remove();
                return m;
            }
        }
        while (true) {
            JsonNode m = receive();
            if (!(m.has("result") || m.has("error"))) {
                continue;
            }
            if (id.equals(m.path("id").asText(null))) {
                return m;
            }
            backlog.add(m);
        }
    }

    /** Closes the host's input (the browser closed the port) and returns the exit code. */
    public int closeInput() throws Exception {
        toHost.close();
        return exit.get(5, TimeUnit.SECONDS);
    }

    public int exitCode() throws Exception {
        return exit.get(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        try {
            toHost.close();
        } catch (IOException ignored) {
            // already closed
        }
        exit.get(5, TimeUnit.SECONDS);
    }
}
