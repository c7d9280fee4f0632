package org.cardbridge.ui;

import org.cardbridge.testing.HostDialogs;
import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
