package org.cardbridge.log;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Where log lines go: one line per record, {@code 2026-11-21T10:00:00.123Z INFO name: message}, then
 * the stack trace if there is one. The timestamp is written by hand: {@code Instant.toString()}
 * loads java.time's formatter and regex classes, which every host start would pay for.
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
        LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(millis, 1000), 0, ZoneOffset.UTC);
        pad(sb, t.getYear(), 4).append('-');
        pad(sb, t.getMonthValue(), 2).append('-');
        pad(sb, t.getDayOfMonth(), 2).append('T');
        pad(sb, t.getHour(), 2).append(':');
        pad(sb, t.getMinute(), 2).append(':');
        pad(sb, t.getSecond(), 2).append('.');
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
