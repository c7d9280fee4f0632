package org.cardbridge.testing.vcard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cardbridge.protocol.Json;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The built host ({@code cardbridge.launcher}) started the way Chrome starts it, talking native-messaging
 * frames over its stdin/stdout, with the environment a test gives it (the private pcscd's socket, a
 * state directory, a policy). Every message it sends is kept in arrival order; tests wait for the one they
 * expect.
 */
public final class HostProcess implements AutoCloseable {
    public static final String CHROME_ORIGIN = org.cardbridge.policy.ExtensionIds.CHROME_ORIGIN;

    private final Process process;
    private final OutputStream in;
    private final List<JsonNode> seen = new ArrayList<>();
    private int eventCursor;
    private final AtomicInteger ids = new AtomicInteger();

    private HostProcess(Process process) {
        this.process = process;
        this.in = process.getOutputStream();
        Thread reader = new Thread(this::readFrames, "host-frames");
        reader.setDaemon(true);
        reader.start();
    }

    public static HostProcess start(Path stateDir, Map<String, String> env) throws IOException {
        String launcher = System.getProperty("cardbridge.launcher");
        if (launcher == null || !Files.isExecutable(Path.of(launcher))) {
            throw new IllegalStateException("cardbridge.launcher is not set to the built host: " + launcher);
        }
        Files.createDirectories(stateDir);
        ProcessBuilder pb = new ProcessBuilder(launcher, CHROME_ORIGIN)
                .redirectError(ProcessBuilder.Redirect.appendTo(stateDir.resolve("stderr.txt").toFile()));
        pb.environment().put("CARDBRIDGE_STATE_DIR", stateDir.toString());
        pb.environment().putIfAbsent("CARDBRIDGE_POLICY", stateDir.resolve("no-policy.json").toString());
        pb.environment().putAll(env);
        return new HostProcess(pb.start());
    }

    /** Sends a request and returns its id. */
    public String send(String op, String origin, Map<String, Object> params) throws IOException {
        String id = "r" + ids.incrementAndGet();
        ObjectNode request = Json.mapper().createObjectNode();
        request.put("id", id);
        request.put("op", op);
        request.put("origin", origin);
        request.set("params", Json.mapper().valueToTree(params));
        byte[] payload = Json.mapper().writeValueAsBytes(request);
        synchronized (in) {
            in.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(payload.length).array());
            in.write(payload);
            in.flush();
        }
        return id;
    }

    /** Sends and waits for the result or error of that request (events before or after it stay visible). */
    public JsonNode call(String op, String origin, Map<String, Object> params, Duration timeout) throws IOException {
        String id = send(op, origin, params);
        return find(0, m -> id.equals(m.path("id").asText(null)) && (m.has("result") || m.has("error")), timeout,
                "answer to " + op, false);
    }

    /**
     * Waits for the next event by name (after the last one an awaitEvent returned) whose data satisfies
     * the predicate. Events are not ordered against answers: the current state a subscribe reports may
     * arrive before subscribe's own answer.
     */
    public JsonNode awaitEvent(String name, Predicate<JsonNode> data, Duration timeout) {
        return find(eventCursor, m -> name.equals(m.path("event").asText(null)) && data.test(m.path("data")), timeout,
                "event " + name, true).path("data");
    }

    /** Like {@link #awaitEvent} but only among messages that came after {@code after}. */
    public synchronized JsonNode awaitEventAfter(JsonNode after, String name, Predicate<JsonNode> data, Duration timeout) {
        return find(seen.indexOf(after) + 1, m -> name.equals(m.path("event").asText(null)) && data.test(m.path("data")),
                timeout, "event " + name, true).path("data");
    }

    private synchronized JsonNode find(int from, Predicate<JsonNode> matching, Duration timeout, String what, boolean advance) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int i = from;
        try {
            while (true) {
                for (; i < seen.size(); i++) {
                    if (matching.test(seen.get(i))) {
                        if (advance) {
                            eventCursor = i + 1;
                        }
                        return seen.get(i);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no " + what + " within " + timeout + "; messages so far: " + seen);
                }
                wait(Math.max(1, left / 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what);
        }
    }

    public synchronized List<JsonNode> seen() {
        return List.copyOf(seen);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    private void readFrames() {
        try (DataInputStream out = new DataInputStream(process.getInputStream())) {
            byte[] header = new byte[4];
            while (true) {
                out.readFully(header);
                int length = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).getInt();
                byte[] payload = out.readNBytes(length);
                JsonNode node = Json.mapper().readTree(payload);
                synchronized (this) {
                    seen.add(node);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the host ended
        }
    }

    /** Closes stdin (the browser leaving) and waits for the host to exit. */
    @Override
    public void close() throws IOException {
        try {
            in.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public int exitCode() throws InterruptedException {
        return process.waitFor();
    }
}
