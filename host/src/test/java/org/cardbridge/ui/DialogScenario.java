package org.cardbridge.ui;

import org.cardbridge.policy.Origin;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Lang;

import javax.swing.JPasswordField;
import javax.swing.SwingUtilities;
import java.awt.AWTEvent;
import java.awt.Component;
import java.awt.Container;
import java.awt.Toolkit;
import java.awt.Window;
import java.awt.event.HierarchyEvent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A child JVM for {@link SwingUserInterfaceTest} (AWT takes DISPLAY from its process environment): runs
 * one scenario against the real dialogs, reports on stdout one line per fact, and keeps its windows up
 * until stdin says {@code exit}, so the test can look at the screen with xdotool meanwhile.
 *
 * <p>Usage: {@code interrupt-queued <kind>}, {@code interrupt-building <kind>} (kind: confirm, pin,
 * pinpad, consent), {@code pin-cancelled}.
 */
public final class DialogScenario {
    static final Origin ORIGIN = Origin.parse("https://ca.example.pl");
    private static final PinPrompt PROMPT = new PinPrompt(ORIGIN, "Karta Żółta", "CN=Paweł Dąbrowski", PinPrompt.Tries.NORMAL);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final BufferedReader IN = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    private DialogScenario() {
    }

    public static void main(String[] args) throws Exception {
        SwingUserInterface ui = new SwingUserInterface();
        switch (args[0]) {
            case "interrupt-queued" -> interruptQueued(ui, args[1]);
            case "interrupt-building" -> interruptBuilding(ui, args[1]);
            case "pin-cancelled" -> pinCancelled(ui);
            default -> throw new IllegalArgumentException(args[0]);
        }
        report("ready");
        String line;
        while ((line = IN.readLine()) != null && !line.equals("exit")) {
            // the test is still looking
        }
        System.exit(0);
    }

    /** The EDT is busy when the request is cancelled: the interrupt lands before the dialog is built. */
    private static void interruptQueued(SwingUserInterface ui, String kind) throws Exception {
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SwingUtilities.invokeLater(() -> {
            busy.countDown();
            awaitUninterruptibly(release);
        });
        busy.await();
        AtomicReference<String> outcome = new AtomicReference<>();
        Thread worker = worker(() -> call(ui, kind), outcome);
        worker.start();
        // Blocked on the EDT, the only place it can wait.
        while (worker.getState() != Thread.State.WAITING && worker.getState() != Thread.State.TIMED_WAITING) {
            Thread.sleep(10);
        }
        Thread.sleep(200);
        worker.interrupt();
        worker.join(10_000);
        release.countDown();
        settle();
        report("outcome " + outcome.get());
        report("showing " + showingDialogs());
    }

    /** The request is cancelled while the EDT is in the middle of showing the dialog. */
    private static void interruptBuilding(SwingUserInterface ui, String kind) throws Exception {
        AtomicReference<String> outcome = new AtomicReference<>();
        AtomicReference<Thread> workerRef = new AtomicReference<>();
        // Hierarchy events are dispatched synchronously, from inside setVisible(true).
        Toolkit.getDefaultToolkit().addAWTEventListener(e -> {
            HierarchyEvent h = (HierarchyEvent) e;
            if ((h.getChangeFlags() & HierarchyEvent.SHOWING_CHANGED) != 0 && h.getComponent() instanceof Window w
                    && w.isShowing() && String.valueOf(w.getName()).startsWith("cardbridge-")) {
                workerRef.get().interrupt();
                report("interrupted while showing " + w.getName());
            }
        }, AWTEvent.HIERARCHY_EVENT_MASK);
        Thread worker = worker(() -> call(ui, kind), outcome);
        workerRef.set(worker);
        worker.start();
        worker.join(10_000);
        settle();
        report("outcome " + outcome.get());
        report("showing " + showingDialogs());
    }

    /**
     * The test types a PIN into the dialog, then the request is cancelled: the dialog goes, and so does
     * the PIN in its field.
     */
    private static void pinCancelled(SwingUserInterface ui) throws Exception {
        AtomicReference<String> outcome = new AtomicReference<>();
        Thread worker = worker(() -> call(ui, "pin"), outcome);
        worker.start();
        JPasswordField field = (JPasswordField) awaitComponent("cardbridge-pin", "pin");
        report("shown");
        IN.readLine(); // the test has typed the PIN
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (onEdt(() -> field.getDocument().getLength()) < 4 && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        report("typed " + onEdt(() -> field.getDocument().getLength()));
        worker.interrupt();
        worker.join(10_000);
        settle();
        report("outcome " + outcome.get());
        report("showing " + showingDialogs());
        report("field " + onEdt(() -> field.getDocument().getLength()));
    }

    private static Object call(SwingUserInterface ui, String kind) throws Exception {
        return switch (kind) {
            case "confirm" -> {
                ui.confirm(new Confirmation(ORIGIN, "action.sign", List.of("Karta: Karta Żółta")), Lang.PL, TIMEOUT);
                yield "confirmed";
            }
            case "pin" -> {
                char[] pin = ui.askPin(PROMPT, Lang.PL, TIMEOUT);
                Arrays.fill(pin, '\0');
                yield "pin";
            }
            case "pinpad" -> {
                ui.showPinPadNotice(PROMPT, Lang.PL); // left open: the test looks for it
                yield "notice";
            }
            case "consent" -> ui.askReadConsent(ORIGIN, Lang.PL, TIMEOUT);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private interface Call {
        Object run() throws Exception;
    }

    private static Thread worker(Call call, AtomicReference<String> outcome) {
        return new Thread(() -> {
            try {
                outcome.set("returned " + call.run());
            } catch (HostException e) {
                outcome.set("error " + e.code());
            } catch (Exception e) {
                outcome.set("failed " + e);
            }
        }, "worker");
    }

    /** Lets the EDT run whatever the scenario queued (a late dialog, its disposal) and X catch up. */
    private static void settle() throws Exception {
        for (int i = 0; i < 3; i++) {
            SwingUtilities.invokeAndWait(() -> {
            });
            Thread.sleep(300);
        }
    }

    private static List<String> showingDialogs() throws Exception {
        return onEdt(() -> Arrays.stream(Window.getWindows())
                .filter(w -> w.isShowing() && String.valueOf(w.getName()).startsWith("cardbridge-"))
                .map(Component::getName).toList());
    }

    private static Component awaitComponent(String window, String name) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end) {
            Component c = onEdt(() -> {
                for (Window w : Window.getWindows()) {
                    if (w.isShowing() && window.equals(w.getName())) {
                        Component found = find(w, name);
                        if (found != null) {
                            return found;
                        }
                    }
                }
                return null;
            });
            if (c != null) {
                return c;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no " + name + " in a showing " + window);
    }

    private static Component find(Container parent, String name) {
        for (Component c : parent.getComponents()) {
            if (name.equals(c.getName())) {
                return c;
            }
            if (c instanceof Container inner) {
                Component found = find(inner, name);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static <T> T onEdt(Supplier<T> s) throws Exception {
        AtomicReference<T> out = new AtomicReference<>();
        SwingUtilities.invokeAndWait(() -> out.set(s.get()));
        return out.get();
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // the EDT is held on purpose
            }
        }
    }

    private static synchronized void report(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
