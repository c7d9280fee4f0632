package org.cardbridge.log;

import java.util.Locale;

/** How much the host's log says, least to most severe; {@link #OFF} logs nothing. */
public enum Level {
    FINE, INFO, WARNING, SEVERE, OFF;

    /**
     * A level from the policy's {@code logLevel} or {@code CARDBRIDGE_LOG_LEVEL}. The names of
     * java.util.logging are accepted too (FINEST/FINER/ALL read as FINE, CONFIG as INFO), since admins
     * know them; anything else is INFO.
     */
    public static Level parse(String text) {
        if (text == null) {
            return INFO;
        }
        return switch (text.trim().toUpperCase(Locale.ROOT)) {
            case "FINE", "FINER", "FINEST", "ALL", "DEBUG" -> FINE;
            case "WARNING", "WARN" -> WARNING;
            case "SEVERE", "ERROR" -> SEVERE;
            case "OFF" -> OFF;
            default -> INFO;
        };
    }
}
