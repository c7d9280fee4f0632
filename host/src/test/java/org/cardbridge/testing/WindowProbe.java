package org.cardbridge.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;

/**
 * What the host's windows say, read by {@link WindowTextAgent} inside a host started by the test: the windows
 * showing now, and every window the host showed (to count them).
 */
public final class WindowProbe {
    private final Path dir;

    public WindowProbe(Path dir) {
        this.dir = dir;
    }

    /** The value for {@code JAVA_TOOL_OPTIONS} in the host's environment. */
    public String javaToolOptions() {
        return WindowTextAgent.javaToolOptions(dir);
    }

    public List<WindowTextAgent.Seen> now() {
        return read("now.txt");
    }

    /** Every window the host has shown so far, in order, as it first looked. */
    public List<WindowTextAgent.Seen> seen() {
        return read("seen.txt");
    }

    /** Waits for a showing window that satisfies {@code test}; fails saying what was showing. */
    public WindowTextAgent.Seen await(Predicate<WindowTextAgent.Seen> test, Duration timeout, String what) {
        Instant end = Instant.now().plus(timeout);
        List<WindowTextAgent.Seen> last = List.of();
        while (Instant.now().isBefore(end)) {
            last = now();
            for (WindowTextAgent.Seen w : last) {
                if (test.test(w)) {
                    return w;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no window " + what + " within " + timeout + "; showing: "
                + last.stream().map(WindowTextAgent.Seen::text).toList());
    }

    private List<WindowTextAgent.Seen> read(String file) {
        try {
            Path f = dir.resolve(file);
            return Files.exists(f) ? WindowTextAgent.parse(Files.readString(f, StandardCharsets.UTF_8)) : List.of();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
