package org.cardbridge.platform;

import java.nio.file.Path;

/**
 * Where the host keeps per-user state (log, remembered consents). {@code $CARDBRIDGE_STATE_DIR}
 * overrides it so tests never touch the real home directory.
 */
public final class UserDirs {
    public static final String ENV = "CARDBRIDGE_STATE_DIR";

    private UserDirs() {
    }

    public static Path state() {
        String override = System.getenv(ENV);
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        return platformState();
    }

    /** The OS's place for per-user state, whatever {@code $CARDBRIDGE_STATE_DIR} says. */
    public static Path platformState() {
        Path home = Path.of(System.getProperty("user.home"));
        return switch (Os.current()) {
            case WINDOWS -> Path.of(System.getenv().getOrDefault("LOCALAPPDATA", home.resolve("AppData/Local").toString()), "CardBridge");
            case MACOS -> home.resolve("Library/Application Support/CardBridge");
            case LINUX -> {
                String xdg = System.getenv("XDG_STATE_HOME");
                yield (xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".local/state")).resolve("cardbridge");
            }
        };
    }
}
