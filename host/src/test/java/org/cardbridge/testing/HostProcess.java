package org.cardbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.FrameReader;
import org.cardbridge.protocol.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The built {@code host/target/cardbridge-host} as a child process over pipes, exactly as a browser
 * starts it. Everything the host writes to stdout is recorded so a test can check it held only frames.
 */
public final class HostProcess implements AutoCloseable {
    private final Process process;
    private final OutputStream stdin;
    private final RecordingInput stdout;
    private final FrameReader frames;

    public static Path launcher() {
        String p = System.getProperty("cardbridge.launcher");
        if (p == null) {
            throw new IllegalStateException("run as an integration test: cardbridge.launcher is not set");
        }
        return Path.of(p);
    }

    public HostProcess(List<String> args, Map<String, String> env) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(launcher().toString());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        process = pb.start();
        stdin = process.getOutputStream();
        stdout = new RecordingInput(process.getInputStream());
        frames = new FrameReader(stdout, 16 * 1024 * 1024);
    }

    public void sendRaw(byte[] payload) throws IOException {
        stdin.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(payload.length).array());
        stdin.write(payload);
        stdin.flush();
    }

    public void sendHeaderOnly(int announced) throws IOException {
        stdin.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(announced).array());
        stdin.flush();
    }

    public void send(String json) throws IOException {
        sendRaw(json.getBytes(StandardCharsets.UTF_8));
    }

    public JsonNode receive() throws IOException {
        byte[] frame = frames.read();
        if (frame == null) {
            throw new IOException("the host closed stdout");
        }
        return Json.mapper().readTree(frame);
    }

    public void closeStdin() throws IOException {
        stdin.close();
    }

    /** Waits for the exit; -1 when it has not exited in time. */
    public int waitFor(long millis) throws InterruptedException {
        return process.waitFor(millis, TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** Everything the host wrote to stdout so far, after draining it to the end. */
    public byte[] allStdout() throws IOException {
        stdout.readAllBytes();
        return stdout.recorded();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    /** Records every byte read through it. */
    private static final class RecordingInput extends InputStream {
        private final InputStream in;
        private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

        RecordingInput(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                copy.write(b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                copy.write(b, off, n);
            }
            return n;
        }

        synchronized byte[] recorded() {
            return copy.toByteArray();
        }
    }
}
