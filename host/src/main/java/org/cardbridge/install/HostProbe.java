package org.cardbridge.install;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.protocol.FrameWriter;
import org.cardbridge.protocol.Json;

import java.io.ByteArrayOutputStream;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts a host the way a browser does — the manifest's {@code path} with the caller's origin (Chrome
 * family) or the manifest path and add-on id (Firefox), working directory the host's own — and asks
 * {@code hello} over framed stdio.
 */
public final class HostProbe {
    /** Blocking pipe reads each get a thread: the common pool may have one worker on a small machine. */
    private static final java.util.concurrent.Executor OWN_THREAD = r -> Thread.ofPlatform().daemon().name("doctor-probe").start(r);

    private final Duration timeout;
    private final Os os;
    private final java.util.Map<String, String> env;

    public sealed interface Outcome {
    }

    public record Answered(String host, String protocol, long millis) implements Outcome {
    }

    /** The host started but answered something other than a hello result (an error frame, garbage). */
    public record WrongAnswer(String detail) implements Outcome {
    }

    public record NoAnswer(long waitedMillis, String stderr) implements Outcome {
    }

    public record Exited(int code, String stderr) implements Outcome {
    }

    public record CannotStart(String detail) implements Outcome {
    }

    public HostProbe(Duration timeout, Os os) {
        this(timeout, os, java.util.Map.of());
    }

    /** {@code env}: variables added to the inherited environment (tests point the host's state and policy at temp dirs). */
    public HostProbe(Duration timeout, Os os, java.util.Map<String, String> env) {
        this.timeout = timeout;
        this.os = os;
        this.env = java.util.Map.copyOf(env);
    }

    public static List<String> browserCommand(BrowserCatalog.Family family, String hostPath, Path manifest, Os os) {
        List<String> cmd = new ArrayList<>();
        cmd.add(hostPath);
        if (family == BrowserCatalog.Family.CHROME) {
            cmd.add(ExtensionIds.CHROME_ORIGIN);
            if (os == Os.WINDOWS) {
                cmd.add("--parent-window=0");
            }
        } else {
            cmd.add(manifest.toString());
            cmd.add(ExtensionIds.FIREFOX);
        }
        return cmd;
    }

    public Outcome hello(BrowserCatalog.Family family, String hostPath, Path manifest) {
        List<String> cmd = browserCommand(family, hostPath, manifest, os);
        long start = System.nanoTime();
        Process p;
        try {
            Path dir = Path.of(hostPath).getParent();
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().putAll(env);
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            p = pb.start();
        } catch (IOException | RuntimeException e) {
            return new CannotStart(e.getMessage());
        }
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readQuietly(p.getErrorStream(), 4096), OWN_THREAD);
        try {
            CompletableFuture<byte[]> answer = CompletableFuture.supplyAsync(() -> readFrame(p.getInputStream()), OWN_THREAD);
            try (OutputStream in = p.getOutputStream()) {
                byte[] msg = "{\"id\":\"doctor\",\"op\":\"hello\",\"origin\":\"cardbridge:extension\",\"params\":{}}"
                        .getBytes(StandardCharsets.UTF_8);
                new FrameWriter(in).write(msg);
                byte[] frame = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                long millis = (System.nanoTime() - start) / 1_000_000;
                if (frame == null) {
                    p.waitFor(2, TimeUnit.SECONDS);
                    return p.isAlive() ? new WrongAnswer("stdout closed without an answer")
                            : new Exited(p.exitValue(), stderr(err));
                }
                return judge(frame, millis);
            } catch (IOException e) {
                // Our frame could not be written (broken pipe). A host may still have answered before it
                // exited — what it wrote is in the pipe — so judge that answer before calling it dead.
                byte[] frame = answerIfAny(answer);
                if (frame != null) {
                    return judge(frame, (System.nanoTime() - start) / 1_000_000);
                }
                p.waitFor(2, TimeUnit.SECONDS);
                return p.isAlive() ? new CannotStart(e.getMessage()) : new Exited(p.exitValue(), stderr(err));
            } catch (TimeoutException e) {
                return new NoAnswer(timeout.toMillis(), "");
            } catch (ExecutionException e) {
                return new WrongAnswer(e.getCause().getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new NoAnswer(0, "interrupted");
        } finally {
            // The browser closes stdin and kills a host that lingers; so do we.
            try {
                if (!p.waitFor(2, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Outcome judge(byte[] frame, long millis) {
        JsonNode reply;
        try {
            reply = Json.mapper().readTree(frame);
        } catch (IOException e) {
            return new WrongAnswer("not JSON: " + preview(frame));
        }
        JsonNode result = reply.path("result");
        if (result.path("protocol").isTextual() && "doctor".equals(reply.path("id").asText())) {
            return new Answered(result.path("host").asText(), result.path("protocol").asText(), millis);
        }
        JsonNode error = reply.path("error");
        if (error.isObject()) {
            return new WrongAnswer(error.path("code").asText() + ": " + error.path("message").asText());
        }
        return new WrongAnswer(preview(frame));
    }

    /** One frame, or null at end of stream. A length over the browsers' limit means something else wrote to stdout. */
    private static byte[] answerIfAny(CompletableFuture<byte[]> answer) throws InterruptedException {
        try {
            return answer.get(2, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }

    private static byte[] readFrame(InputStream in) {
        try {
            byte[] header = in.readNBytes(4);
            if (header.length < 4) {
                return null;
            }
            long length = Integer.toUnsignedLong(ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).getInt());
            if (length > FrameWriter.MAX_OUTGOING) {
                throw new IllegalStateException("stdout does not start with a frame (it starts with \""
                        + preview(header) + "…\"): something prints to stdout");
            }
            return in.readNBytes((int) length);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String stderr(CompletableFuture<byte[]> err) {
        try {
            return new String(err.get(1, TimeUnit.SECONDS), StandardCharsets.UTF_8).strip();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } catch (ExecutionException | TimeoutException e) {
            return "";
        }
    }

    private static byte[] readQuietly(InputStream in, int max) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1024];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (out.size() < max) {
                    out.write(buf, 0, Math.min(n, max - out.size()));
                }
            }
        } catch (IOException e) {
            // The host is gone; what we have is what there is.
        }
        return out.toByteArray();
    }

    private static String preview(byte[] bytes) {
        String s = new String(bytes, 0, Math.min(bytes.length, 60), StandardCharsets.UTF_8);
        return s.replaceAll("\\p{Cntrl}", "?");
    }
}
