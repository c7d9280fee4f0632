package org.cardbridge.watch;

import org.cardbridge.platform.Os;

import javax.smartcardio.CardException;
import javax.smartcardio.CardTerminals;
import javax.smartcardio.TerminalFactory;
import java.io.File;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cardbridge.log.Level;
import org.cardbridge.log.Log;
import java.util.stream.Stream;

/**
 * Access to PC/SC through {@code javax.smartcardio}, with the two things the JDK does not do for us:
 * finding libpcsclite on Linux distributions whose layout it does not guess, and starting over with a
 * fresh PC/SC context after the service restarted (the JDK keeps one context for the whole process and
 * never re-establishes it, so after a pcscd restart, or Windows stopping the smart-card service when the
 * last reader goes, every call would fail forever).
 */
public final class PcscAccess {
    static final String LIBRARY_PROPERTY = "sun.security.smartcardio.library";
    private static final Log LOG = Log.get(PcscAccess.class);
    private static volatile boolean resetUnavailableLogged;

    private PcscAccess() {
    }

    /** Opens the terminals of a (new, if the previous one was dropped) PC/SC context. */
    public static CardTerminals open() throws CardException {
        locateLibrary();
        try {
            return TerminalFactory.getInstance("PC/SC", null).terminals();
        } catch (NoSuchAlgorithmException e) {
            // The JDK wraps "no service" / "no library" here; the cause names the PC/SC error.
            throw new CardException("PC/SC is not available: " + describe(e), e);
        }
    }

    /** Sets the JDK's library property on Linux when it is unset and a libpcsclite is found. */
    static void locateLibrary() {
        if (Os.current() != Os.LINUX || !System.getProperty(LIBRARY_PROPERTY, "").isBlank()) {
            return;
        }
        candidates().stream().filter(Files::isRegularFile).findFirst()
                .ifPresent(p -> System.setProperty(LIBRARY_PROPERTY, p.toString()));
    }

    /** Multiarch directories first (Debian, Ubuntu), then the lib64/lib layouts (Fedora, Arch). */
    static List<Path> candidates() {
        List<Path> found = new ArrayList<>();
        for (String root : List.of("/usr/lib", "/lib")) {
            File[] dirs = new File(root).listFiles(f -> f.isDirectory() && f.getName().contains("-linux-gnu"));
            if (dirs != null) {
                Stream.of(dirs).sorted().forEach(d -> found.add(d.toPath().resolve("libpcsclite.so.1")));
            }
        }
        for (String dir : List.of("/usr/lib64", "/usr/lib", "/usr/local/lib64", "/usr/local/lib")) {
            found.add(Path.of(dir, "libpcsclite.so.1"));
        }
        return found;
    }

    /**
     * Drops the JDK's process-wide PC/SC context so the next {@link #open()} establishes a new one.
     * Needs {@code --add-opens java.smartcardio/sun.security.smartcardio=ALL-UNNAMED} (in the launcher);
     * without it we cannot recover from a service restart and say so once in the log.
     */
    static boolean resetContext() {
        try {
            Class<?> terminals = Class.forName("sun.security.smartcardio.PCSCTerminals");
            synchronized (terminals) {
                Field context = terminals.getDeclaredField("contextId");
                context.setAccessible(true);
                context.setLong(null, 0L);
                Field cache = terminals.getDeclaredField("terminals");
                cache.setAccessible(true);
                ((Map<?, ?>) cache.get(null)).clear();
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            if (!resetUnavailableLogged) {
                resetUnavailableLogged = true;
                LOG.log(Level.WARNING, "cannot renew the PC/SC context after a service restart; "
                        + "reader events stop until the host restarts", e);
            }
            return false;
        }
    }

    /** The PC/SC error name (SCARD_E_…) at the bottom of a JDK exception, or its message. */
    public static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return String.valueOf(t.getMessage());
    }
}
