package org.cardbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.Json;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Talks to the built host ({@code host/target/cardbridge-host}) the way a browser does: starts it with
 * our extension's origin as argument, writes length-prefixed JSON frames to its stdin and reads frames
 * from its stdout. Every frame both ways is kept ({@link #transcript()}) for checks such as "the PIN never
 * appears in any message".
 */
public final class NativeMessagingClient implements AutoCloseable {
    public static final String CHROME_ORIGIN = org.cardbridge.policy.ExtensionIds.CHROME_ORIGIN;
    private final Process process;
    private final OutputStream in;
    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final List<String> transcript = new ArrayList<>();
    private final Thread reader;
    private int nextId;

    public NativeMessagingClient(Path launcher, Map<String, String> environment, Path stderr) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), CHROME_ORIGIN).redirectError(stderr.toFile());
        pb.environment().putAll(environment);
        process = pb.start();
        in = process.getOutputStream();
        DataInputStream out = new DataInputStream(process.getInputStream());
        reader = new Thread(() -> readFrames(out), "native-messaging-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void readFrames(InputStream out) {
        try {
            byte[] header = new byte[4];
            while (out.readNBytes(header, 0, 4) == 4) {
                int length = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).getInt();
                byte[] body = out.readNBytes(length);
                String text = new String(body, StandardCharsets.UTF_8);
                synchronized (transcript) {
                    transcript.add(text);
                }
                frames.add(Json.mapper().readTree(body));
            }
        } catch (IOException e) {
            // the host ended
        }
    }

    /** Sends a request and returns its id. */
    public synchronized String send(String op, Object params, String lang) throws IOException {
        String id = "r" + (++nextId);
        Map<String, Object> request = new java.util.LinkedHashMap<>(Map.of("id", id, "op", op, "origin", "https://ca.example.pl",
                "params", params));
        if (lang != null) {
            request.put("lang", lang);
        }
        byte[] body = Json.mapper().writeValueAsBytes(request);
        synchronized (transcript) {
            transcript.add(new String(body, StandardCharsets.UTF_8));
        }
        in.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(body.length).array());
        in.write(body);
        in.flush();
        return id;
    }

    /** Waits for the response (result or error) to {@code id}, skipping progress messages. */
    public JsonNode await(String id, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            JsonNode f = frames.poll(100, TimeUnit.MILLISECONDS);
            if (f != null && id.equals(f.path("id").asText()) && (f.has("result") || f.has("error"))) {
                return f;
            }
        }
        throw new AssertionError("no answer to " + id + " within " + timeout);
    }

    public JsonNode call(String op, Object params) throws Exception {
        return await(send(op, params, null), Duration.ofSeconds(60));
    }

    public List<String> transcript() {
        synchronized (transcript) {
            return List.copyOf(transcript);
        }
    }

    /** Closes stdin (the browser going away) and waits for the host to exit. */
    @Override
    public void close() throws Exception {
        in.close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        reader.join(2000);
    }

    public int exitValue() {
        return process.exitValue();
    }
}
