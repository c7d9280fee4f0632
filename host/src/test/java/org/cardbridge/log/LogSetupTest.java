package org.cardbridge.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogSetupTest {
    @TempDir
    Path dir;

    @AfterEach
    void reset() {
        LogSetup.reset();
    }

    @Test
    void configure_writesToTheStateDirectory_andNotTheConsole() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
        try {
            LogSetup.configure(dir, "INFO");
            Log log = Log.get(LogSetupTest.class);
            log.info("started");
            log.fine("too detailed");
            log.log(Level.WARNING, "failed", new IllegalStateException("boom"));
        } finally {
            System.setErr(err);
        }
        assertEquals("", console.toString(StandardCharsets.UTF_8), "stdout/stderr stay clean");
        List<String> lines = Files.readAllLines(dir.resolve("host.0.log"));
        assertTrue(lines.getFirst().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO org\\.cardbridge\\.log\\.LogSetupTest: started"),
                lines.getFirst());
        assertTrue(lines.get(1).endsWith("WARNING org.cardbridge.log.LogSetupTest: failed"), lines.get(1));
        assertEquals("java.lang.IllegalStateException: boom", lines.get(2));
        assertFalse(String.join("\n", lines).contains("too detailed"), "below the configured level");
    }

    @Test
    void theFileRotatesAtItsLimit_keepingThreeGenerations() throws Exception {
        LogSetup.configure(dir, "INFO", 1000);
        Log log = Log.get(LogSetupTest.class);
        for (int i = 0; i < 100; i++) {
            log.info("line %03d %s".formatted(i, "x".repeat(60)));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("host.0.log", "host.1.log", "host.2.log"),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
        for (int g = 0; g < 3; g++) {
            assertTrue(Files.size(dir.resolve("host." + g + ".log")) <= 1000, "generation " + g);
        }
        assertTrue(Files.readString(dir.resolve("host.0.log")).contains("line 099"), "the newest line is in host.0.log");
        assertTrue(Files.readString(dir.resolve("host.1.log")).contains("line 0"), "the one before in host.1.log");
        // A second process (or a restart) appends to the same file and rotates it when it is full.
        LogSetup.configure(dir, "INFO", 1000);
        log.info("after restart");
        assertTrue(Files.readString(dir.resolve("host.0.log")).contains("after restart"));
    }

    @Test
    void twoProcessesSharingTheFiles_neverRotateTwice_andTheNewestLinesStayInHost0() throws Exception {
        RotatingFile a = new RotatingFile(Level.INFO, dir, 1000, 3);
        RotatingFile b = new RotatingFile(Level.INFO, dir, 1000, 3);
        for (int i = 0; i < 200; i++) {
            (i % 2 == 0 ? a : b).write(Level.INFO, i % 2 == 0 ? "a" : "b", "line %03d %s".formatted(i, "x".repeat(50)), null);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("host.0.log", "host.1.log", "host.2.log"), files.map(f -> f.getFileName().toString()).sorted().toList());
        }
        for (int g = 0; g < 3; g++) {
            // A file the other process rotated away may take that process's lines until its own limit.
            assertTrue(Files.size(dir.resolve("host." + g + ".log")) <= 2 * 1000 + 100, "generation " + g);
        }
        String newest = Files.readString(dir.resolve("host.0.log")) + Files.readString(dir.resolve("host.1.log"));
        assertTrue(newest.contains("line 198") && newest.contains("line 199"), "the last lines of both are in the newest files");
    }

    @Test
    void timestampEqualsJavaTimes_overCenturiesOfLeapYears() {
        java.util.Random random = new java.util.Random(7);
        var format = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC);
        for (int i = 0; i < 100_000; i++) {
            // 1970 to about 2400, and the days around leap days and year ends
            long millis = i < 50_000 ? (long) (random.nextDouble() * 13_600_000_000_000L)
                    : java.time.LocalDate.of(1970 + i % 430, 2 + (i % 2) * 10, 28).atStartOfDay(java.time.ZoneOffset.UTC)
                    .toInstant().toEpochMilli() + (i % 5) * 86_400_000L - 1 + i % 3;
            StringBuilder sb = new StringBuilder();
            LogSink.timestamp(sb, millis);
            String expected = format.format(java.time.Instant.ofEpochMilli(millis));
            assertEquals(expected, sb.toString(), "millis " + millis);
        }
    }

    @Test
    void timestampIsUtcWithMillis() {
        StringBuilder sb = new StringBuilder();
        LogSink.timestamp(sb, 1_795_000_000_123L);
        assertEquals("2026-11-18T11:06:40.123Z", sb.toString());
        sb.setLength(0);
        LogSink.timestamp(sb, 5L);
        assertEquals("1970-01-01T00:00:00.005Z", sb.toString());
    }

    @Test
    void parse_knowsOurNamesAndJulNames_unknownTextIsInfo() {
        assertEquals(Level.FINE, Level.parse("fine"));
        assertEquals(Level.FINE, Level.parse("FINEST"));
        assertEquals(Level.INFO, Level.parse("CONFIG"));
        assertEquals(Level.WARNING, Level.parse("warning"));
        assertEquals(Level.OFF, Level.parse("off"));
        assertEquals(Level.INFO, Level.parse("loud"));
        assertEquals(Level.INFO, Level.parse(null));
    }
}
