package org.cardbridge.ui;

import org.cardbridge.policy.Origin;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Lang;

import javax.swing.JButton;
import javax.swing.JPasswordField;
import javax.swing.JViewport;
import javax.swing.SwingUtilities;
import java.awt.AWTEvent;
import java.awt.Component;
import java.awt.Container;
import java.awt.FontMetrics;
import java.awt.GraphicsEnvironment;
import java.awt.Rectangle;
import java.awt.Toolkit;
import java.awt.Window;
import java.awt.event.HierarchyEvent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
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
 * pinpad, consent), {@code pin-cancelled}, {@code confirm <short|spaces|nospaces|tall|exact>},
 * {@code long-origin <pin|consent|pinpad>}.
 */
public final class DialogScenario {
    static final Origin ORIGIN = Origin.parse("https://ca.example.pl");
    /** The longest host an origin may have (253 characters, labels of at most 63): no space to wrap at. */
    static final Origin LONG_ORIGIN = Origin.parse("https://" + "a".repeat(63) + "." + "b".repeat(63) + "."
            + "c".repeat(63) + "." + "d".repeat(61));
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
            case "confirm" -> confirm(ui, args[1]);
            case "long-origin" -> longOrigin(ui, args[1]);
            case "pin-retry" -> pinRetry(ui, args[1]);
            case "escape" -> escape(ui, args[1]);
            case "document" -> document(ui);
            case "pin-change" -> pinChange(ui, args[1]);
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

    /**
     * A confirmation with a short, a long spaced or a long unbroken description, one with more facts
     * than fit on the screen, or one with a fact exactly as wide as the text.
     */
    private static void confirm(SwingUserInterface ui, String variant) throws Exception {
        Origin origin = variant.equals("nospaces") ? LONG_ORIGIN : ORIGIN;
        String description = switch (variant) {
            case "short", "exact" -> "Wniosek o odnowienie";
            // 500 characters: SignCommand.MAX_DESCRIPTION, the longest a page may send
            case "spaces" -> ("Wniosek o odnowienie certyfikatu kwalifikowanego nr 2024/117, strona " + "ąęźż ")
                    .repeat(8).substring(0, 500);
            case "nospaces", "tall" -> "Ż".repeat(500);
            default -> throw new IllegalArgumentException(variant);
        };
        Texts t = new Texts(Lang.PL);
        List<String> facts = new ArrayList<>(List.of(t.plain("fact.token", "Karta Żółta"),
                t.plain("fact.certificate", "CN=Paweł Dąbrowski"), t.plain("fact.description", description)));
        if (variant.equals("tall")) {
            // More text than the screen is tall (a certificate's subject has no length limit).
            for (int i = 0; i < 8; i++) {
                facts.add(t.plain("fact.subject", "CN=" + "Długa nazwa ".repeat(40)));
            }
        }
        if (variant.equals("exact")) {
            facts.add(exactlyAsWideAsTheText());
        }
        Confirmation c = new Confirmation(origin, "action.sign", facts);
        Thread worker = new Thread(() -> {
            try {
                ui.confirm(c, Lang.PL, TIMEOUT);
                report("outcome confirmed");
            } catch (HostException e) {
                report("outcome error " + e.code());
            }
        });
        worker.start();
        JButton confirm = (JButton) awaitComponent("cardbridge-confirm", "confirm");
        JButton cancel = (JButton) awaitComponent("cardbridge-confirm", "cancel");
        Window dialog = SwingUtilities.getWindowAncestor(confirm);
        reportFit(dialog);
        // Within the window: under a bare X server AWT sometimes still believes a new window is at 0,0.
        for (JButton b : List.of(confirm, cancel)) {
            report("button " + b.getName() + " " + rect(onEdt(() -> SwingUtilities.convertRectangle(b.getParent(), b.getBounds(), dialog)))
                    + " " + onEdt(b::isShowing));
        }
        JViewport text = (JViewport) SwingUtilities.getAncestorOfClass(JViewport.class, awaitComponent("cardbridge-confirm", "text"));
        report("scrolled " + onEdt(() -> text.getViewPosition().y));
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!onEdt(confirm::isEnabled) && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        report("armed " + onEdt(confirm::isEnabled));
    }

    /**
     * A line exactly as wide as a dialog's text may be: where the text is measured for one width and
     * laid out for another, even by a pixel, such a line is cut off.
     */
    private static String exactlyAsWideAsTheText() throws Exception {
        return onEdt(() -> {
            WrappedText sample = new WrappedText("", 100);
            FontMetrics metrics = sample.getFontMetrics(sample.getFont());
            int width = SwingUserInterface.textWidth();
            int x = metrics.charWidth('x');
            int i = metrics.charWidth('i');
            for (int xs = width / x; xs >= 0; xs--) {
                if ((width - xs * x) % i == 0) {
                    String line = "x".repeat(xs) + "i".repeat((width - xs * x) / i);
                    if (metrics.stringWidth(line) == width) {
                        return line;
                    }
                }
            }
            throw new IllegalStateException("no line of x and i is " + width + " pixels wide");
        });
    }

    /** A dialog naming the longest possible origin (the PIN dialog: a long certificate subject too). */
    private static void longOrigin(SwingUserInterface ui, String kind) throws Exception {
        PinPrompt prompt = new PinPrompt(LONG_ORIGIN, "Karta Żółta", "CN=" + "Długa nazwa ".repeat(20), PinPrompt.Tries.FINAL_TRY);
        Thread worker = new Thread(() -> {
            try {
                switch (kind) {
                    case "pin" -> ui.askPin(prompt, Lang.PL, TIMEOUT);
                    case "consent" -> ui.askReadConsent(LONG_ORIGIN, Lang.PL, TIMEOUT);
                    case "pinpad" -> ui.showPinPadNotice(prompt, Lang.PL);
                    default -> throw new IllegalArgumentException(kind);
                }
            } catch (HostException e) {
                report("outcome error " + e.code());
            }
        });
        worker.start();
        reportFit(SwingUtilities.getWindowAncestor(awaitComponent("cardbridge-" + kind, "text")));
    }

    /**
     * A window with consent and PIN together, whose card takes only "2468": each other PIN is wrong (the first
     * leaves few tries, the second one try; with {@code lock}, the third blocks the PIN). Reports each try the
     * card got (its length only) and the outcome.
     */
    private static void pinRetry(SwingUserInterface ui, String variant) throws Exception {
        java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
        PinCheck card = pin -> {
            int n = tries.incrementAndGet();
            report("try " + n + " length " + pin.length);
            if (new String(pin).equals("2468")) {
                return;
            }
            if (variant.equals("lock") && n == 3) {
                throw new HostException(org.cardbridge.protocol.ErrorCode.PIN_LOCKED, "blocked", java.util.Map.of("pinState", "locked"));
            }
            throw new HostException(org.cardbridge.protocol.ErrorCode.PIN_INCORRECT, "wrong PIN",
                    java.util.Map.of("pinState", n == 1 ? "countLow" : "finalTry"));
        };
        Approval approval = new Approval(ORIGIN, "action.sign", List.of("Karta: Karta Żółta"), null, PROMPT);
        Thread worker = new Thread(() -> {
            try {
                ui.approve(approval, Lang.EN, TIMEOUT, card);
                report("outcome approved");
            } catch (HostException e) {
                report("outcome error " + e.code());
            }
        });
        worker.start();
        awaitComponent("cardbridge-confirm", "pin");
        report("shown");
        String line;
        while ((line = IN.readLine()) != null) {
            if (!line.equals("look")) {
                System.exit(0);
            }
            JButton confirm = (JButton) awaitComponent("cardbridge-confirm", "confirm");
            WrappedText message = (WrappedText) awaitComponent("cardbridge-confirm", "message");
            JPasswordField field = (JPasswordField) awaitComponent("cardbridge-confirm", "pin");
            // One EDT task reads them all, so a look never mixes the window before and after one change.
            report("looked windows " + showingDialogs().size() + onEdt(() -> " field " + field.getDocument().getLength()
                    + " confirm " + confirm.isEnabled() + " pinShown " + field.isShowing() + " confirmShown " + confirm.isShowing()
                    + " message " + (message.isShowing() ? message.getText().replace('\n', ' ') : "")));
        }
        worker.join(10_000);
    }

    /**
     * The PIN change window in Polish for a card taking PINs of 6 to 8 characters. The card's side counts each
     * try it is sent; "refuse" makes the card refuse the first new PIN it gets (CKR_PIN_INVALID) and take the next.
     */
    private static void pinChange(SwingUserInterface ui, String variant) throws Exception {
        java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
        PinChangeCheck card = (current, newPin) -> {
            int n = tries.incrementAndGet();
            report("try " + n + " current " + current.length + " new " + newPin.length);
            if (variant.equals("refuse") && n == 1) {
                throw new HostException(org.cardbridge.protocol.ErrorCode.INVALID_ARGUMENT, "refused",
                        java.util.Map.of("field", "newPin", "pkcs11", "CKR_PIN_INVALID"));
            }
        };
        PinChange change = new PinChange(ORIGIN, "Karta Żółta", PinChange.Kind.CHANGE, 6, 8, PinPrompt.Tries.NORMAL);
        Thread worker = new Thread(() -> {
            try {
                ui.changePin(change, Lang.PL, TIMEOUT, card);
                report("outcome changed");
            } catch (HostException e) {
                report("outcome error " + e.code());
            }
        });
        worker.start();
        awaitComponent("cardbridge-pinchange", "newPin");
        report("shown");
        String line;
        while ((line = IN.readLine()) != null) {
            if (!line.equals("look")) {
                System.exit(0);
            }
            WrappedText message = (WrappedText) awaitComponent("cardbridge-pinchange", "message");
            WrappedText rules = (WrappedText) awaitComponent("cardbridge-pinchange", "rules");
            JPasswordField current = (JPasswordField) awaitComponent("cardbridge-pinchange", "current");
            JPasswordField fresh = (JPasswordField) awaitComponent("cardbridge-pinchange", "newPin");
            report("looked tries " + tries.get() + onEdt(() -> " current " + current.getDocument().getLength() + " new "
                    + fresh.getDocument().getLength() + " rules " + rules.getText() + " message "
                    + (message.isShowing() ? message.getText().replace('\n', ' ') : "")));
        }
        worker.join(10_000);
    }

    /** A window of each kind, for the test to press Escape in. */
    private static void escape(SwingUserInterface ui, String kind) throws Exception {
        Thread worker = new Thread(() -> {
            try {
                switch (kind) {
                    case "confirm" -> ui.confirm(new Confirmation(ORIGIN, "action.sign", List.of("Karta: Karta Żółta")), Lang.PL, TIMEOUT);
                    case "pin" -> Arrays.fill(ui.askPin(PROMPT, Lang.PL, TIMEOUT), '\0');
                    case "consent" -> ui.askReadConsent(ORIGIN, Lang.PL, TIMEOUT);
                    case "approve" -> ui.approve(new Approval(ORIGIN, "action.sign", List.of("Karta: Karta Żółta"), "Dokument", PROMPT),
                            Lang.PL, TIMEOUT, pin -> { });
                    default -> throw new IllegalArgumentException(kind);
                }
                report("outcome answered");
            } catch (HostException e) {
                report("outcome error " + e.code());
            }
        });
        worker.start();
        Window w = SwingUtilities.getWindowAncestor(awaitComponent(kind.equals("approve") ? "cardbridge-confirm" : "cardbridge-" + kind, "text"));
        report("accessible " + onEdt(() -> w.getAccessibleContext().getAccessibleName()));
    }

    /** The sign window with a long text document: it scrolls, and Tab reaches it and goes on to the buttons. */
    private static void document(SwingUserInterface ui) throws Exception {
        String text = String.join("\n", java.util.Collections.nCopies(60, "Wniosek o odnowienie certyfikatu — wiersz"));
        Thread worker = new Thread(() -> {
            try {
                ui.approve(new Approval(ORIGIN, "action.sign", List.of("Karta: Karta Żółta"), text, null), Lang.PL, TIMEOUT, null);
                report("outcome confirmed");
            } catch (HostException e) {
                report("outcome error " + e.code());
            }
        });
        worker.start();
        javax.swing.JTextArea area = (javax.swing.JTextArea) awaitComponent("cardbridge-confirm", "document");
        Window dialog = SwingUtilities.getWindowAncestor(area);
        reportFit(dialog);
        report("document equal " + onEdt(() -> area.getText().equals(text)));
        report("document scrolls " + onEdt(() -> area.getHeight() > area.getVisibleRect().height));
    }

    /**
     * Where the screen's usable area and the dialog are, and how many character positions of its text
     * lie outside the text's own bounds (cut off, not shown).
     */
    private static void reportFit(Window dialog) throws Exception {
        report("usable " + rect(onEdt(() -> GraphicsEnvironment.getLocalGraphicsEnvironment().getMaximumWindowBounds())));
        report("window " + rect(onEdt(dialog::getBounds)));
        report("cut off " + onEdt(() -> cutOff(dialog)));
    }

    private static int cutOff(Container parent) {
        int outside = 0;
        for (Component c : parent.getComponents()) {
            if (!c.isVisible()) {
                continue; // a message row kept hidden until there is something to say
            }
            if (c instanceof WrappedText text) {
                for (int i = 0; i <= text.getDocument().getLength(); i++) {
                    try {
                        java.awt.geom.Rectangle2D at = text.modelToView2D(i);
                        if (at.getX() > text.getWidth() || at.getMaxY() > text.getHeight()) {
                            outside++;
                        }
                    } catch (javax.swing.text.BadLocationException e) {
                        throw new IllegalStateException(e);
                    }
                }
            } else if (c instanceof Container inner) {
                outside += cutOff(inner);
            }
        }
        return outside;
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

    private static String rect(Rectangle r) {
        return r.x + " " + r.y + " " + r.width + " " + r.height;
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
