package org.cardbridge.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A private X server ({@code Xvfb :N}) on a free display, for tests of the real Swing dialogs on a
 * headless box (CI runs as root with no DISPLAY). AWT reads DISPLAY from the environment once, at first
 * use, so the dialogs run in a child process (the launched host) that gets {@link #environment()}.
 */
public final class Xvfb implements AutoCloseable {
    private final int display;
    private final Process process;

    private Xvfb(int display, Process process) {
        this.display = display;
        this.process = process;
    }

    /** Starts Xvfb on the first free display from :90 and waits until it accepts connections. */
    public static Xvfb start() {
        for (int n = 90; n < 190; n++) {
            if (Files.exists(Path.of("/tmp/.X" + n + "-lock")) || Files.exists(Path.of("/tmp/.X11-unix/X" + n))) {
                continue;
            }
            try {
                Process p = new ProcessBuilder("Xvfb", ":" + n, "-screen", "0", "1280x1024x24", "-nolisten", "tcp")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                Xvfb x = new Xvfb(n, p);
                if (x.awaitReady(Duration.ofSeconds(10))) {
                    return x;
                }
                x.close(); // another test took the display in the meantime: try the next one
            } catch (IOException e) {
                throw new IllegalStateException("cannot start Xvfb (Debian package xvfb)", e);
            }
        }
        throw new IllegalStateException("no free X display between :90 and :189");
    }

    private boolean awaitReady(Duration timeout) {
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end) && process.isAlive()) {
            try {
                ProcessBuilder probe = new ProcessBuilder("xdotool", "getdisplaygeometry")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
                probe.environment().put("DISPLAY", name());
                if (probe.start().waitFor() == 0) {
                    return true;
                }
                Thread.sleep(50);
            } catch (IOException e) {
                throw new IllegalStateException("cannot run xdotool (Debian package xdotool)", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** The display name, e.g. {@code :90}. */
    public String name() {
        return ":" + display;
    }

    public Map<String, String> environment() {
        return Map.of("DISPLAY", name());
    }

    public XDoTool xdotool() {
        return new XDoTool(name());
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
