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

    /** Waits for the next dialog and confirms it. */
    public static void confirm(XDoTool xdo, Duration timeout, String screenshot) {
        confirm(xdo, xdo.waitForWindow(TITLE, timeout), timeout, screenshot);
    }
}
