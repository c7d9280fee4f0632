package org.cardbridge.testing;

import org.cardbridge.policy.Origin;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Lang;
import org.cardbridge.ui.Confirmation;
import org.cardbridge.ui.PinPrompt;
import org.cardbridge.ui.SwingUserInterface;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A child-JVM entry point that shows one real Swing dialog and prints the outcome, for tests that drive
 * the dialogs under {@link Xvfb} (AWT takes DISPLAY from its process environment, so the dialog needs its
 * own process). It prints the SHA-256 of a typed PIN, never the PIN.
 *
 * <p>Usage: {@code pin <lang> <tries>} or {@code confirm <lang>}.
 */
public final class DialogProbe {
    private DialogProbe() {
    }

    public static void main(String[] args) throws Exception {
        SwingUserInterface ui = new SwingUserInterface();
        Lang lang = Lang.valueOf(args[1]);
        Origin origin = Origin.parse("https://ca.example.pl");
        try {
            switch (args[0]) {
                case "pin" -> {
                    char[] pin = ui.askPin(new PinPrompt(origin, "Żółw testowy 01", "CN=Zażółć Gęślą",
                            PinPrompt.Tries.valueOf(args[2])), lang, Duration.ofSeconds(30));
                    byte[] bytes = new String(pin).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    Arrays.fill(pin, '\0');
                    System.out.println("pin-sha256 " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
                }
                case "confirm" -> {
                    ui.confirm(new Confirmation(origin, "action.replaceCertificate",
                            List.of("Żółw testowy 01", "CN=Zażółć Gęślą")), lang, Duration.ofSeconds(30));
                    System.out.println("confirmed");
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
        } catch (HostException e) {
            System.out.println("error " + e.code());
        }
        System.exit(0);
    }
}
