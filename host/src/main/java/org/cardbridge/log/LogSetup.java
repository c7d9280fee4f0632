package org.cardbridge.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;

/**
 * The host's log: a rotating file in the user's state directory ({@code host.0.log} … {@code host.2.log},
 * 1 MiB each), never the console — stdout is the message channel. Code never passes a PIN or the data
 * to be signed to a logger; at most a hash of the data.
 */
public final class LogSetup {
    public static final String LEVEL_ENV = "CARDBRIDGE_LOG_LEVEL";

    private LogSetup() {
    }

    public static void configure(Path stateDir, String policyLevel) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Level level = parseLevel(System.getenv().getOrDefault(LEVEL_ENV, policyLevel));
        root.setLevel(level);
        try {
            Files.createDirectories(stateDir);
            Handler file = new FileHandler(stateDir.resolve("host.%g.log").toString(), 1 << 20, 3, true);
            file.setFormatter(new LineFormatter());
            file.setLevel(level);
            root.addHandler(file);
        } catch (IOException | SecurityException e) {
            // No log file is not a reason to fail the user's renewal; stderr reaches the browser's log.
            System.err.println("cardbridge: cannot open log in " + stateDir + ": " + e.getMessage());
        }
    }

    static Level parseLevel(String text) {
        try {
            return Level.parse(text == null ? "INFO" : text.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Level.INFO;
        }
    }

    /**
     * One line per record. Uses the level's plain name: SimpleFormatter's localised level name loads
     * resource bundles that cost a browser ~0.2 s at every host start.
     */
    static final class LineFormatter extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder sb = new StringBuilder(128)
                    .append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                    .append(r.getLevel().getName()).append(' ')
                    .append(r.getLoggerName()).append(": ")
                    .append(r.getMessage()).append(System.lineSeparator());
            if (r.getThrown() != null) {
                StringWriter trace = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(trace));
                sb.append(trace);
            }
            return sb.toString();
        }
    }
}
