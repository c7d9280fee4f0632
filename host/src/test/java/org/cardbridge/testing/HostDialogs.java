package org.cardbridge.testing;

import java.time.Duration;

/**
 * Answers the host's real Swing dialogs on Xvfb as a user would, robust against a busy machine: waits
 * until the dialog is painted (keys sent to a blank, just-mapped window are lost), then retries until
 * that very dialog is gone.
 */
public final class HostDialogs {
    public static final String TITLE = "CardBridge";

    private HostDialogs() {
    }

    /** Types the PIN (replacing anything half-typed) and Return into the PIN dialog that opens. */
    public static void typePin(XDoTool xdo, String pin, Duration timeout, String screenshot) {
        String window = xdo.waitForWindow(TITLE, timeout);
        xdo.awaitPainted(window, timeout);
        if (screenshot != null) {
            xdo.screenshot(screenshot);
        }
        for (int attempt = 0; attempt < 5; attempt++) {
            xdo.focus(window);
            xdo.key("ctrl+a");
            xdo.type(pin);
            xdo.pressReturn();
            if (xdo.awaitGone(window, Duration.ofSeconds(3))) {
                return;
            }
        }
        throw new AssertionError("the PIN dialog did not take the PIN");
    }

    /**
     * Confirms the given, already open dialog by clicking its Confirm button, the first of its buttons
     * (Return would cancel: Cancel is the default button). Confirm is armed 0.7 s after the dialog
     * appears and ignores clicks until then; the retries cover that.
     */
    public static void confirm(XDoTool xdo, String window, Duration timeout, String screenshot) {
        xdo.awaitPainted(window, timeout);
        if (screenshot != null) {
            xdo.screenshot(screenshot);
        }
        for (int attempt = 0; attempt < 5; attempt++) {
            xdo.clickFirstInRow(window, 24);
            if (xdo.awaitGone(window, Duration.ofSeconds(3))) {
                return;
            }
        }
        throw new AssertionError("the confirmation dialog did not take the click on Confirm");
    }

    /**
     * Types a PIN into the open window's PIN field (replacing anything half-typed) and presses Return once,
     * without waiting for the window to go: after a wrong PIN the same window stays open for the next try.
     * Return confirms only once the PIN is typed and the window armed, so this waits for the keys to show
     * and for the 0.7 s arming.
     */
    public static void typePinOnce(XDoTool xdo, String window, String pin, Duration timeout) {
        xdo.awaitPainted(window, timeout);
        for (int attempt = 0; attempt < 5; attempt++) {
            xdo.focus(window);
            // A probe key first: once it shows, the field has the focus and no key of the PIN is lost.
            String blank = xdo.pixels(window);
            xdo.type("0");
            if (!xdo.awaitRepaint(window, blank, Duration.ofSeconds(2))) {
                continue;
            }
            xdo.key("ctrl+a");
            String probe = xdo.pixels(window);
            xdo.type(pin);
            xdo.awaitRepaint(window, probe, Duration.ofSeconds(2));
            try {
                Thread.sleep(800); // a window that asks to confirm arms its button 0.7 s after it appears
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            xdo.pressReturn();
            return;
        }
        throw new AssertionError("the PIN field did not take the keys");
    }

    /**
     * Types into the PIN change window: {@code current} (null: leave the current field as it is and start at
     * the new PIN, where the window puts the focus after its own refusal), the new PIN, its repetition, Return.
     */
    public static void typeChange(XDoTool xdo, String window, String current, String newPin, String repeat, Duration timeout) {
        xdo.awaitPainted(window, timeout);
        for (int attempt = 0; attempt < 5; attempt++) {
            xdo.focus(window);
            String blank = xdo.pixels(window);
            xdo.type("0"); // a probe key: once it shows, the focused field takes every key that follows
            if (!xdo.awaitRepaint(window, blank, Duration.ofSeconds(2))) {
                continue;
            }
            xdo.key("ctrl+a");
            if (current != null) {
                xdo.type(current);
                xdo.key("Tab");
                xdo.key("ctrl+a");
            }
            xdo.type(newPin);
            xdo.key("Tab");
            xdo.key("ctrl+a");
            String before = xdo.pixels(window);
            xdo.type(repeat);
            xdo.awaitRepaint(window, before, Duration.ofSeconds(2));
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            xdo.pressReturn();
            return;
        }
        throw new AssertionError("the PIN change window did not take the keys");
    }

    /** Waits for the next dialog and confirms it. */
    public static void confirm(XDoTool xdo, Duration timeout, String screenshot) {
        confirm(xdo, xdo.waitForWindow(TITLE, timeout), timeout, screenshot);
    }
}
