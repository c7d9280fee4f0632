package org.cardbridge.log;

/**
 * A named logger of the host. Its own small facade rather than java.util.logging: initialising JUL's
 * LogManager makes the JDK search the whole class path for logger providers (opening every jar,
 * Bouncy Castle's among them) and costs a browser tens of milliseconds at every host start. Where the
 * lines go is {@link LogSetup}'s decision: the rotating file for a browser's host, stderr otherwise.
 * Code never passes a PIN or the data to be signed to a logger; at most a hash of the data.
 */
public final class Log {
    private final String name;

    private Log(String name) {
        this.name = name;
    }

    public static Log get(Class<?> owner) {
        return new Log(owner.getName());
    }

    public boolean isLoggable(Level level) {
        return LogSetup.sink().accepts(level);
    }

    public void fine(String message) {
        log(Level.FINE, message, null);
    }

    public void info(String message) {
        log(Level.INFO, message, null);
    }

    public void warning(String message) {
        log(Level.WARNING, message, null);
    }

    public void log(Level level, String message) {
        log(level, message, null);
    }

    public void log(Level level, String message, Throwable thrown) {
        LogSink sink = LogSetup.sink();
        if (sink.accepts(level)) {
            sink.write(level, name, message, thrown);
        }
    }
}
