package org.cardbridge.testing;

import java.awt.Rectangle;
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

    /** True while the window is mapped and visible. */
    public boolean isVisible(String window) {
        return run(List.of("xdotool", "search", "--onlyvisible", "--name", "."), true).lines().anyMatch(window::equals);
    }

    /** Waits until the window is gone; false when it is still there after {@code timeout}. */
    public boolean awaitGone(String window, Duration timeout) {
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end)) {
            if (!isVisible(window)) {
                return true;
            }
            sleep(100);
        }
        return false;
    }

    /**
     * Waits until the window has been painted (more than a handful of colours in it): a mapped Swing
     * window is blank for a while, and keys sent then are lost.
     */
    public void awaitPainted(String window, Duration timeout) {
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end)) {
            if (!isVisible(window)) {
                throw new AssertionError("window " + window + " closed before it was painted");
            }
            String colours = run(List.of("sh", "-c", "import -window " + window + " png:- | identify -format %k -"), true).trim();
            if (!colours.isEmpty() && Integer.parseInt(colours) > 8) {
                return;
            }
            sleep(100);
        }
        throw new AssertionError("window " + window + " was not painted within " + timeout);
    }

    /** A fingerprint of the window's pixels, to wait for a change (e.g. typed characters shown). */
    public String pixels(String window) {
        if (!isVisible(window)) {
            return "gone";
        }
        return run(List.of("sh", "-c", "import -window " + window + " rgb:- | md5sum"), true).trim();
    }

    /** Waits until the window's pixels differ from {@code before}; false after {@code timeout}. */
    public boolean awaitRepaint(String window, String before, Duration timeout) {
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end)) {
            if (!pixels(window).equals(before)) {
                return true;
            }
            sleep(100);
        }
        return false;
    }

    /** Clicks at a point given from the window's bottom-right corner (where dialogs keep their buttons). */
    public void clickFromBottomRight(String window, int fromRight, int fromBottom) {
        Rectangle g = geometry(window);
        run(List.of("xdotool", "mousemove", "--window", window, Integer.toString(g.width - fromRight),
                Integer.toString(g.height - fromBottom)), false);
        run(List.of("xdotool", "click", "1"), false);
    }

    /**
     * Clicks the leftmost thing in the row {@code fromBottom} pixels above the window's bottom edge,
     * a little inside it: a dialog's first button, since the buttons sit alone in the bottom row, right
     * aligned, and only the plain panel background is left of them. Scans a one-pixel strip of the
     * window for the first colour that differs from the window's left edge.
     */
    public void clickFirstInRow(String window, int fromBottom) {
        Rectangle g = geometry(window);
        int y = g.height - fromBottom;
        String strip = run(List.of("import", "-window", window, "-crop", g.width + "x1+0+" + y, "+repage", "txt:-"), false);
        List<String> colours = strip.lines().filter(l -> !l.startsWith("#"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim().split("\\s+")[0]).toList(); // "x,0: (r,g,b)  #… name"
        for (int x = 1; x < colours.size(); x++) {
            if (!colours.get(x).equals(colours.get(0))) {
                run(List.of("xdotool", "mousemove", "--window", window, Integer.toString(x + 8), Integer.toString(y)), false);
                run(List.of("xdotool", "click", "1"), false);
                return;
            }
        }
        throw new AssertionError("nothing in row " + y + " of window " + window);
    }

    /** Clicks at a point of the screen. */
    public void clickAt(int x, int y) {
        run(List.of("xdotool", "mousemove", Integer.toString(x), Integer.toString(y)), false);
        run(List.of("xdotool", "click", "1"), false);
    }

    /** The window's position on the screen and its size. */
    public Rectangle geometry(String window) {
        String shell = run(List.of("xdotool", "getwindowgeometry", "--shell", window), false);
        return new Rectangle(shellValue(shell, "X"), shellValue(shell, "Y"), shellValue(shell, "WIDTH"), shellValue(shell, "HEIGHT"));
    }

    /** The whole screen. */
    public Rectangle screen() {
        String[] size = run(List.of("xdotool", "getdisplaygeometry"), false).trim().split(" ");
        return new Rectangle(0, 0, Integer.parseInt(size[0]), Integer.parseInt(size[1]));
    }

    private static int shellValue(String shell, String name) {
        return Integer.parseInt(shell.lines().filter(l -> l.startsWith(name + "=")).findFirst().orElseThrow().substring(name.length() + 1));
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

    /** Runs a tool with a time limit: {@code import} on a window that just vanished can wait forever. */
    private String run(List<String> command, boolean mayFail) {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        pb.environment().put("DISPLAY", display);
        Path out = null;
        try {
            out = Files.createTempFile("xdotool", ".out");
            pb.redirectOutput(out.toFile());
            Process p = pb.start();
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
                if (!mayFail) {
                    throw new IllegalStateException(String.join(" ", command) + " did not finish in 10 s");
                }
                return "";
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            int code = p.exitValue();
            if (code != 0 && !mayFail) {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + code + "): " + text);
            }
            return code == 0 ? text : "";
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temp file
                }
            }
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
