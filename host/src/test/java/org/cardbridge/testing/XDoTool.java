package org.cardbridge.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives windows on an X display the way a person would, with {@code xdotool} (XTEST key events, which
 * Java accepts; synthetic XSendEvent events it ignores), and keeps screenshots ({@code import} from
 * ImageMagick) in {@code target/screenshots/} as test artifacts.
 */
public final class XDoTool {
    public static final Path SCREENSHOTS = Path.of(System.getProperty("cardbridge.screenshots", "target/screenshots"));
    private final String display;

    public XDoTool(String display) {
        this.display = display;
    }

    /** Waits until a visible window whose title matches {@code title} (a regex) exists; returns its id. */
    public String waitForWindow(String title, Duration timeout) {
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end)) {
            String out = run(List.of("xdotool", "search", "--onlyvisible", "--name", title), true).trim();
            if (!out.isEmpty()) {
                return out.lines().reduce((a, b) -> b).orElseThrow();
            }
            sleep(100);
        }
        throw new AssertionError("no window titled '" + title + "' on " + display + " within " + timeout);
    }

    /** Waits until no visible window matches {@code title}. */
    public void waitForNoWindow(String title, Duration timeout) {
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end)) {
            if (run(List.of("xdotool", "search", "--onlyvisible", "--name", title), true).isBlank()) {
                return;
            }
            sleep(100);
        }
        throw new AssertionError("window '" + title + "' still open after " + timeout);
    }

    /** Gives the window the keyboard focus (there is no window manager under Xvfb to do it). */
    public void focus(String window) {
        // Without a window manager nobody hands out focus: click into the window, as a person would,
        // and give X the input focus too.
        // (No --sync: it waits for a window manager's answer that never comes under bare Xvfb.)
        run(List.of("xdotool", "mousemove", "--window", window, "5", "5"), false);
        run(List.of("xdotool", "click", "1"), false);
    }

    /** Types text into the focused window. */
    public void type(String text) {
        run(List.of("xdotool", "type", "--delay", "20", text), false);
    }

    public void key(String keysym) {
        run(List.of("xdotool", "key", keysym), false);
    }

    public void pressReturn() {
        key("Return");
    }

    /** Saves the whole screen as {@code target/screenshots/<name>.png} and returns the file. */
    public Path screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Path file = SCREENSHOTS.resolve(name + ".png");
        run(List.of("import", "-window", "root", file.toString()), false);
        return file;
    }

    private String run(List<String> command, boolean mayFail) {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        pb.environment().put("DISPLAY", display);
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int code = p.waitFor();
            if (code != 0 && !mayFail) {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + code + "): " + out);
            }
            return code == 0 ? out : "";
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
