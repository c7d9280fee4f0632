package org.cardbridge.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the host's log goes. A browser's host logs to a rotating file in the user's state directory
 * ({@code host.0.log} … {@code host.2.log}, 1 MiB each), never the console — stdout is the message
 * channel. Before {@link #configure} (the CLI), lines of INFO and above go to stderr.
 */
public final class LogSetup {
    public static final String LEVEL_ENV = "CARDBRIDGE_LOG_LEVEL";
    static final long FILE_LIMIT = 1 << 20;
    static final int FILE_COUNT = 3;

    private static volatile LogSink sink = new StdErr(Level.INFO);

    private LogSetup() {
    }

    /** Logs to the state directory at the level of {@code CARDBRIDGE_LOG_LEVEL}, else the policy's. */
    public static void configure(Path stateDir, String policyLevel) {
        configure(stateDir, policyLevel, FILE_LIMIT);
    }

    static void configure(Path stateDir, String policyLevel, long fileLimit) {
        String env = System.getenv(LEVEL_ENV);
        Level level = Level.parse(env != null && !env.isBlank() ? env : policyLevel);
        try {
            Files.createDirectories(stateDir);
            sink = new RotatingFile(level, stateDir, fileLimit, FILE_COUNT);
        } catch (IOException | RuntimeException e) {
            // No log file is not a reason to fail the user's renewal; stderr reaches the browser's log.
            System.err.println("cardbridge: cannot open log in " + stateDir + ": " + e.getMessage());
            sink = new StdErr(level);
        }
    }

    /** Back to stderr at INFO (tests). */
    static void reset() {
        sink = new StdErr(Level.INFO);
    }

    static LogSink sink() {
        return sink;
    }

    /** Whatever System.err is at the time of writing. */
    private static final class StdErr extends LogSink {
        StdErr(Level level) {
            super(level);
        }

        @Override
        void append(byte[] line) {
            System.err.write(line, 0, line.length);
            System.err.flush();
        }
    }
}
