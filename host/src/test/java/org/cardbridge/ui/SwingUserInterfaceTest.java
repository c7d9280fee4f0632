package org.cardbridge.ui;

import org.cardbridge.testing.HostDialogs;
import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.awt.Rectangle;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real Swing dialogs on a private Xvfb display, each scenario in a child JVM ({@link DialogScenario}),
 * looked at and answered with xdotool as a user would.
 */
class SwingUserInterfaceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static Xvfb xvfb;

    @BeforeAll
    static void startX() {
        xvfb = Xvfb.start();
    }

    @AfterAll
    static void stopX() {
        if (xvfb != null) {
            xvfb.close();
        }
    }

    /**
     * A page's cancel interrupts the worker while the dialog is still queued for the EDT or half shown:
     * the request ends REQUEST_CANCELLED and no dialog is left on the screen.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"interrupt-queued,confirm", "interrupt-queued,pin", "interrupt-queued,pinpad", "interrupt-queued,consent",
            "interrupt-building,confirm", "interrupt-building,pin", "interrupt-building,pinpad", "interrupt-building,consent"})
    void cancelledWhileTheDialogIsBeingShown_leavesNoDialogBehind(String when, String kind) throws Exception {
        try (Child child = new Child(when, kind)) {
            assertEquals("outcome error REQUEST_CANCELLED", child.expect("outcome "));
            assertEquals("showing []", child.expect("showing "));
            child.expect("ready");
            xvfb.xdotool().waitForNoWindow(HostDialogs.TITLE, Duration.ofSeconds(3));
        }
    }

    /** A PIN typed into the dialog does not outlive a cancelled request in the dialog's field. */
    @Test
    void pinTyped_thenRequestCancelled_dialogGoes_andTheFieldIsWiped() throws Exception {
        try (Child child = new Child("pin-cancelled")) {
            child.expect("shown");
            XDoTool xdo = xvfb.xdotool();
            String window = xdo.waitForWindow(HostDialogs.TITLE, WAIT);
            xdo.awaitPainted(window, WAIT);
            xdo.focus(window);
            xdo.type("4321");
            child.send("typed");
            assertEquals("typed 4", child.expect("typed "));
            assertEquals("outcome error REQUEST_CANCELLED", child.expect("outcome "));
            assertEquals("showing []", child.expect("showing "));
            assertEquals("field 0", child.expect("field "));
            child.expect("ready");
            xdo.waitForNoWindow(HostDialogs.TITLE, Duration.ofSeconds(3));
        }
    }

    /**
     * The longest description a page may send (with spaces, and as one 500-character word beside the
     * longest possible origin) wraps, text taller than the screen scrolls, and a line exactly as wide as
     * the text is not cut off: the confirmation fits the screen, shows all its text and its Confirm
     * button can be clicked. Screenshots: target/screenshots/confirm-long-*.png.
     */
    @ParameterizedTest
    @ValueSource(strings = {"spaces", "nospaces", "tall", "exact"})
    void longDescription_confirmationFitsTheScreen_andConfirmCanBeClicked(String variant) throws Exception {
        try (Child child = new Child("confirm", variant)) {
            Rectangle usable = rect(child.expect("usable "));
            Rectangle size = rect(child.expect("window "));
            assertEquals("cut off 0", child.expect("cut off "));
            Rectangle confirm = button(child.expect("button confirm "));
            Rectangle cancel = button(child.expect("button cancel "));
            assertEquals("scrolled 0", child.expect("scrolled "), "who asks, at the top, is in view");
            XDoTool xdo = xvfb.xdotool();
            String id = xdo.waitForWindow(HostDialogs.TITLE, WAIT);
            // Where X has put the window (AWT's own idea of it can lag behind under a bare X server).
            Rectangle window = xdo.geometry(id);
            assertEquals(size.getSize(), window.getSize());
            assertTrue(usable.contains(window) && xdo.screen().contains(window), "window " + window + " outside the usable " + usable);
            for (Rectangle b : List.of(confirm, cancel)) {
                b.translate(window.x, window.y);
                assertTrue(window.contains(b), "button " + b + " outside " + window);
            }
            xdo.awaitPainted(id, WAIT);
            assertTrue(Files.size(xdo.screenshot("confirm-long-" + variant)) > 0);
            assertEquals("armed true", child.expect("armed "));
            xdo.clickAt((int) confirm.getCenterX(), (int) confirm.getCenterY());
            assertEquals("outcome confirmed", child.expect("outcome "));
        }
    }

    /**
     * The confirmation authorises a signature or a change to the card: Return, the key pressed without
     * reading, cancels it; confirming takes the Confirm button itself.
     */
    @Test
    void returnInTheConfirmation_cancels() throws Exception {
        try (Child child = new Child("confirm", "short")) {
            assertEquals("armed true", child.expect("armed "));
            XDoTool xdo = xvfb.xdotool();
            String window = xdo.waitForWindow(HostDialogs.TITLE, WAIT);
            xdo.awaitPainted(window, WAIT);
            for (int attempt = 0; attempt < 5 && xdo.isVisible(window); attempt++) {
                xdo.focus(window);
                xdo.pressReturn();
                xdo.awaitGone(window, Duration.ofSeconds(3));
            }
            assertEquals("outcome error USER_CANCELLED", child.expect("outcome "));
        }
    }

    /** The end-to-end tests confirm through {@link HostDialogs#confirm}: it must press Confirm, not Cancel. */
    @Test
    void hostDialogsConfirm_pressesTheConfirmButton() throws Exception {
        try (Child child = new Child("confirm", "short")) {
            XDoTool xdo = xvfb.xdotool();
            HostDialogs.confirm(xdo, WAIT, null);
            assertEquals("outcome confirmed", child.expect("outcome "));
        }
    }

    /** The other dialogs name the longest possible origin: they fit the screen, and no text is cut off. */
    @ParameterizedTest
    @ValueSource(strings = {"pin", "consent", "pinpad"})
    void longOrigin_dialogFitsTheScreen_andShowsAllItsText(String kind) throws Exception {
        try (Child child = new Child("long-origin", kind)) {
            Rectangle usable = rect(child.expect("usable "));
            Rectangle size = rect(child.expect("window "));
            assertEquals("cut off 0", child.expect("cut off "));
            XDoTool xdo = xvfb.xdotool();
            String id = xdo.waitForWindow(HostDialogs.TITLE, WAIT);
            Rectangle window = xdo.geometry(id);
            assertEquals(size.getSize(), window.getSize());
            assertTrue(usable.contains(window) && xdo.screen().contains(window), "window " + window + " outside the usable " + usable);
            if (kind.equals("pinpad")) {
                Thread.sleep(1000); // text only: too few colours for awaitPainted to tell
            } else {
                xdo.awaitPainted(id, WAIT);
            }
            xdo.screenshot("long-origin-" + kind);
        }
    }

    /**
     * Consent and PIN in one window; a wrong PIN keeps that window open: the field is cleared, Confirm waits for
     * a PIN again, and the message says what the card's flags tell (few tries, then one try). The right PIN
     * typed there is taken. Each try reaches the card once, typed by the person. Screenshots:
     * target/screenshots/pin-retry-*.png.
     */
    @Test
    void wrongPin_sameWindowSaysSo_fieldCleared_rightPinTaken() throws Exception {
        try (Child child = new Child("pin-retry", "ok")) {
            child.expect("shown");
            XDoTool xdo = xvfb.xdotool();
            String window = xdo.waitForWindow(HostDialogs.TITLE, WAIT);
            HostDialogs.typePinOnce(xdo, window, "1111", WAIT);
            assertEquals("try 1 length 4", child.expect("try "));
            String looked = look(child, "Only a few tries");
            assertTrue(looked.startsWith("looked windows 1 field 0 confirm false pinShown true"), looked);
            assertTrue(looked.contains("Wrong PIN. Only a few tries are left"), looked);
            xdo.screenshot("pin-retry-wrong");
            HostDialogs.typePinOnce(xdo, window, "2222", WAIT);
            assertEquals("try 2 length 4", child.expect("try "));
            looked = look(child, "One try is left");
            assertTrue(looked.contains("Wrong PIN. One try is left"), looked);
            xdo.screenshot("pin-retry-last");
            HostDialogs.typePinOnce(xdo, window, "2468", WAIT);
            assertEquals("try 3 length 4", child.expect("try "));
            assertEquals("outcome approved", child.expect("outcome "));
            assertTrue(xdo.awaitGone(window, WAIT));
        }
    }

    /**
     * The PIN change window (Polish, a card taking 6 to 8 characters) refuses, in place and without sending
     * anything, a new PIN too short, one too long and two that differ, keeping the current PIN typed; then sends
     * the current and the new PIN once. Screenshots target/screenshots/pin-change-*.png.
     */
    @Test
    void pinChange_tooShortTooLongMismatch_refusedInTheWindow_nothingSent_thenSentOnce() throws Exception {
        try (Child child = new Child("pin-change", "ok")) {
            child.expect("shown");
            XDoTool xdo = xvfb.xdotool();
            String window = xdo.waitForWindow(HostDialogs.TITLE, WAIT);
            String looked = look(child, "");
            assertTrue(looked.contains("rules Długość PIN-u, jaką przyjmuje karta: od 6 do 8."), looked);
            HostDialogs.typeChange(xdo, window, "4321", "1234", "1234", WAIT);
            looked = look(child, "za krótki");
            assertTrue(looked.startsWith("looked tries 0 current 4 new 0"), looked);
            assertTrue(looked.contains("Nowy PIN jest za krótki. Najmniejsza długość: 6. Niczego nie wysłano do karty."), looked);
            xdo.screenshot("pin-change-too-short");
            HostDialogs.typeChange(xdo, window, null, "123456789", "123456789", WAIT);
            looked = look(child, "za długi");
            assertTrue(looked.startsWith("looked tries 0"), looked);
            assertTrue(looked.contains("Największa długość: 8."), looked);
            HostDialogs.typeChange(xdo, window, null, "135790", "135791", WAIT);
            looked = look(child, "różnią");
            assertTrue(looked.startsWith("looked tries 0 current 4"), looked);
            xdo.screenshot("pin-change-mismatch");
            HostDialogs.typeChange(xdo, window, null, "135790", "135790", WAIT);
            assertEquals("try 1 current 4 new 6", child.expect("try "));
            assertEquals("outcome changed", child.expect("outcome "));
            assertTrue(xdo.awaitGone(window, WAIT));
        }
    }

    /**
     * A new PIN the card refuses (characters it does not allow): the window says so with every field empty (they
     * were wiped when sent), and the next answer is sent.
     */
    @Test
    void pinChange_cardRefusesTheNewPin_windowSaysSo_nextNewPinSent() throws Exception {
        try (Child child = new Child("pin-change", "refuse")) {
            child.expect("shown");
            XDoTool xdo = xvfb.xdotool();
            String window = xdo.waitForWindow(HostDialogs.TITLE, WAIT);
            HostDialogs.typeChange(xdo, window, "4321", "123456", "123456", WAIT);
            assertEquals("try 1 current 4 new 6", child.expect("try "));
            String looked = look(child, "nie przyjęła");
            assertTrue(looked.startsWith("looked tries 1 current 0 new 0"), "every field wiped when sent: " + looked);
            xdo.screenshot("pin-change-refused");
            HostDialogs.typeChange(xdo, window, "4321", "654321", "654321", WAIT);
            assertEquals("try 2 current 4 new 6", child.expect("try "));
            assertEquals("outcome changed", child.expect("outcome "));
        }
    }

    /** The try that blocks the PIN: the same window says so and what to do, with no field; Escape closes it. */
    @Test
    void thirdWrongPin_blocks_windowExplains_andEscapeCloses() throws Exception {
        try (Child child = new Child("pin-retry", "lock")) {
            child.expect("shown");
            XDoTool xdo = xvfb.xdotool();
            String window = xdo.waitForWindow(HostDialogs.TITLE, WAIT);
            for (String pin : List.of("1111", "2222", "3333")) {
                HostDialogs.typePinOnce(xdo, window, pin, WAIT);
                child.expect("try ");
                if (!pin.equals("3333")) {
                    look(child, "Wrong PIN");
                }
            }
            String looked = look(child, "blocked");
            assertTrue(looked.contains("pinShown false confirmShown false"), looked);
            assertTrue(looked.contains("PUK"), looked);
            xdo.awaitPainted(window, WAIT);
            xdo.screenshot("pin-retry-locked");
            xdo.focus(window);
            xdo.key("Escape");
            assertEquals("outcome error PIN_LOCKED", child.expect("outcome "));
        }
    }

    /** Escape cancels every window that asks something, and each has an accessible name saying what it is. */
    @ParameterizedTest
    @ValueSource(strings = {"confirm", "pin", "consent", "approve"})
    void escape_cancels_andTheWindowHasAnAccessibleName(String kind) throws Exception {
        try (Child child = new Child("escape", kind)) {
            String name = child.expect("accessible ");
            assertTrue(name.startsWith("accessible CardBridge") && name.length() > "accessible CardBridge".length() + 2, name);
            XDoTool xdo = xvfb.xdotool();
            String window = xdo.waitForWindow(HostDialogs.TITLE, WAIT);
            xdo.awaitPainted(window, WAIT);
            for (int attempt = 0; attempt < 5 && xdo.isVisible(window); attempt++) {
                xdo.focus(window);
                xdo.key("Escape");
                xdo.awaitGone(window, Duration.ofSeconds(3));
            }
            assertEquals("outcome error USER_CANCELLED", child.expect("outcome "));
        }
    }

    /** A long text document is shown whole, exactly, in a scrolling area; the window still fits the screen. */
    @Test
    void document_shownExactly_scrolls_andTheWindowFits() throws Exception {
        try (Child child = new Child("document")) {
            Rectangle usable = rect(child.expect("usable "));
            rect(child.expect("window "));
            assertEquals("cut off 0", child.expect("cut off "));
            assertEquals("document equal true", child.expect("document equal "));
            assertEquals("document scrolls true", child.expect("document scrolls "));
            XDoTool xdo = xvfb.xdotool();
            String id = xdo.waitForWindow(HostDialogs.TITLE, WAIT);
            assertTrue(usable.contains(xdo.geometry(id)));
            xdo.awaitPainted(id, WAIT);
            xdo.screenshot("sign-document-long");
        }
    }

    /** Asks the child to look at the window until its message contains {@code text}. */
    private static String look(Child child, String text) throws Exception {
        long end = System.nanoTime() + WAIT.toNanos();
        String line = "";
        while (System.nanoTime() < end) {
            child.send("look");
            line = child.expect("looked ");
            if (line.contains(text)) {
                return line;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the window never said '" + text + "': " + line);
    }

    private static Rectangle rect(String line) {
        String[] p = line.split(" ");
        int n = p.length;
        return new Rectangle(Integer.parseInt(p[n - 4]), Integer.parseInt(p[n - 3]), Integer.parseInt(p[n - 2]), Integer.parseInt(p[n - 1]));
    }

    /** {@code button <name> x y w h <showing>}: the rectangle, once the button is known to be showing. */
    private static Rectangle button(String line) {
        assertTrue(line.endsWith(" true"), "not showing: " + line);
        return rect(line.substring(0, line.length() - " true".length()));
    }

    /** A {@link DialogScenario} in its own JVM on the test's display; what it reports, line by line. */
    private static final class Child implements AutoCloseable {
        private final Process process;
        private final Writer in;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<String> seen = new ArrayList<>();

        Child(String... args) throws Exception {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Djava.awt.headless=false", "-cp", System.getProperty("java.class.path"), DialogScenario.class.getName()));
            command.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().putAll(xvfb.environment());
            process = pb.start();
            in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (java.io.IOException e) {
                    // the child is gone
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        /** The next line starting with {@code prefix}; fails with everything seen when none comes. */
        String expect(String prefix) throws InterruptedException {
            long end = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < end) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null) {
                    seen.add(line);
                    if (line.startsWith(prefix)) {
                        return line;
                    }
                }
            }
            throw new AssertionError("no line '" + prefix + "…' from the dialog; it said " + seen);
        }

        void send(String line) throws java.io.IOException {
            in.write(line + "\n");
            in.flush();
        }

        @Override
        public void close() throws Exception {
            try {
                send("exit");
            } catch (java.io.IOException e) {
                // already gone
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        }
    }
}
