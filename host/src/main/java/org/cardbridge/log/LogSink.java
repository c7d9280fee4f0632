package org.cardbridge.log;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Where log lines go: one line per record, {@code 2026-11-21T10:00:00.123Z INFO name: message}, then
 * the stack trace if there is one. The timestamp is computed and written by hand: java.time (its
 * formatter, regex, zone and chronology classes) would be initialised at every host start for it.
 */
abstract class LogSink {
    private final Level level;

    LogSink(Level level) {
        this.level = level;
    }

    final boolean accepts(Level l) {
        return l != Level.OFF && l.compareTo(level) >= 0;
    }

    final synchronized void write(Level l, String name, String message, Throwable thrown) {
        StringBuilder sb = new StringBuilder(128);
        timestamp(sb, System.currentTimeMillis());
        sb.append(' ').append(l.name()).append(' ').append(name).append(": ").append(message).append(System.lineSeparator());
        if (thrown != null) {
            ByteArrayOutputStream trace = new ByteArrayOutputStream();
            try (PrintStream p = new PrintStream(trace, true, StandardCharsets.UTF_8)) {
                thrown.printStackTrace(p);
            }
            sb.append(trace.toString(StandardCharsets.UTF_8));
        }
        try {
            append(sb.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // A full disk must not take the user's renewal down with it; the line is lost.
        }
    }

    abstract void append(byte[] line) throws IOException;

    static void timestamp(StringBuilder sb, long millis) {
        long seconds = Math.floorDiv(millis, 1000);
        long days = Math.floorDiv(seconds, 86_400);
        int secondOfDay = (int) Math.floorMod(seconds, 86_400);
        // Days since 1970-01-01 to a civil date (proleptic Gregorian), after Howard Hinnant's
        // days_from_civil inverse: eras of 400 years, March-based years so leap days come last.
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long mp = (5 * dayOfYear + 2) / 153;
        int day = (int) (dayOfYear - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        pad(sb, (int) year, 4).append('-');
        pad(sb, month, 2).append('-');
        pad(sb, day, 2).append('T');
        pad(sb, secondOfDay / 3600, 2).append(':');
        pad(sb, secondOfDay / 60 % 60, 2).append(':');
        pad(sb, secondOfDay % 60, 2).append('.');
        pad(sb, (int) Math.floorMod(millis, 1000), 3).append('Z');
    }

    private static StringBuilder pad(StringBuilder sb, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) {
            sb.append('0');
        }
        return sb.append(s);
    }
}
