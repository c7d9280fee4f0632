package org.cardbridge.demo.e2e;

import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The person at the keyboard: watches the Xvfb display for the host's real dialogs (title "CardBridge")
 * and answers each one — by default typing the PIN and clicking the first button (OK in the PIN dialog,
 * Confirm in a confirmation, which has no field and whose default button is Cancel: Return must not
 * sign), or, when planned, clicking Cancel.
 */
final class HostDialogs implements AutoCloseable {
    /** LEAVE: the test answers that window itself (e.g. types a wrong PIN first). */
    enum Answer { APPROVE, CANCEL, LEAVE }

    private final Xvfb xvfb;
    private final XDoTool xdo;
    private final String pin;
    private final Deque<Answer> plan = new ArrayDeque<>();
    private final List<Answer> given = new ArrayList<>();
    private final Set<String> handled = new HashSet<>();
    private final Thread thread;
    private volatile boolean running = true;
    /** Answers a window no plan covers; asked when the window appears (so it may look at the page). */
    private volatile java.util.function.Supplier<Answer> decider = () -> Answer.APPROVE;

    HostDialogs(Xvfb xvfb, String pin) {
        this.xvfb = xvfb;
        this.xdo = xvfb.xdotool();
        this.pin = pin;
        this.thread = Thread.ofPlatform().daemon().name("host-dialogs").start(this::loop);
    }

    /** The next dialog that opens gets {@code answer}; later ones are approved again. */
    synchronized void thenAnswer(Answer answer) {
        plan.add(answer);
    }

    /** Windows no {@link #thenAnswer} plan covers are answered by {@code decider} (default: approve). */
    void decideBy(java.util.function.Supplier<Answer> decider) {
        this.decider = decider;
    }

    synchronized List<Answer> given() {
        return List.copyOf(given);
    }

    private void loop() {
        while (running) {
            String window = find();
            if (window == null || handled.contains(window)) {
                pause(100);
                continue;
            }
            handled.add(window);
            Answer planned;
            synchronized (this) {
                planned = plan.poll();
            }
            Answer a = planned != null ? planned : decider.get();
            synchronized (this) {
                given.add(a);
            }
            if (a == Answer.LEAVE) {
                continue;
            }
            pause(300); // let Swing finish laying out and focusing the field
            try {
                xdo.focus(window);
                if (a == Answer.APPROVE) {
                    xdo.type(pin);
                    // Confirm is armed 0.7 s after the dialog appears: this clicks until the dialog has gone.
                    org.cardbridge.testing.HostDialogs.confirm(xdo, window, Duration.ofSeconds(10), null);
                } else {
                    clickCancel(window);
                }
            } catch (RuntimeException e) {
                // the dialog closed on its own (timeout, cancelled request): nothing to answer
            }
        }
    }

    /** Cancel is the rightmost button at the bottom of every CardBridge dialog. */
    private void clickCancel(String window) {
        String geometry = run("xdotool", "getwindowgeometry", "--shell", window);
        int w = Integer.parseInt(geometry.lines().filter(l -> l.startsWith("WIDTH=")).findFirst().orElseThrow().substring(6));
        int h = Integer.parseInt(geometry.lines().filter(l -> l.startsWith("HEIGHT=")).findFirst().orElseThrow().substring(7));
        run("xdotool", "mousemove", "--window", window, Integer.toString(w - 35), Integer.toString(h - 26), "click", "1");
    }

    private String find() {
        String out = run("xdotool", "search", "--onlyvisible", "--name", "^CardBridge$").trim();
        return out.isEmpty() ? null : out.lines().reduce((x, y) -> y).orElse(null);
    }

    private String run(String... command) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(xvfb.environment());
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? out : "";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(Duration.ofSeconds(5));
    }
}
