package org.cardbridge.host;

import org.cardbridge.cli.Cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Entry point of {@code cardbridge-host}: native messaging when a browser starts it, the CLI otherwise. */
public final class Main {
    private Main() {
    }

    /**
     * Where the process's real stdout is, when the launcher moved it: for a browser's start the
     * launchers run {@code exec 3>&1 1>&2} and pass {@code /dev/fd/3}, so that anything native code
     * writes to fd 1 (a vendor PKCS#11 module's debug output, the JVM's own reports) lands on stderr,
     * never in the frames. The CLI's stdout is never moved.
     */
    static final String STDOUT_PROPERTY = "cardbridge.stdout";

    public static void main(String[] args) throws IOException {
        String moved = System.getProperty(STDOUT_PROPERTY);
        // Append: a pipe does not mind, and a file is never truncated by the reopening.
        LaunchMode mode = LaunchMode.of(args);
        int code = run(mode, new FileInputStream(FileDescriptor.in),
                moved == null ? new FileOutputStream(FileDescriptor.out) : new FileOutputStream(moved, true));
        if (mode instanceof LaunchMode.Cli) {
            System.exit(code);
        }
        // A browser's host ends with halt, not exit: the session has closed its tokens, every frame and
        // log line is already written (unbuffered), and no shutdown hook of ours exists, while
        // System.exit first looks up a System.Logger to log the exit, a search of every module for a
        // logger service that costs ~60 ms of CPU at each of the browser's many host exits. Either way,
        // Swing's event thread and PKCS#11 threads cannot keep the process alive after the browser left.
        System.err.flush();
        Runtime.getRuntime().halt(code);
    }

    /** Everything {@link #main} does but exit; {@link AotTraining} runs it with in-memory streams. */
    static int run(LaunchMode mode, InputStream stdin, OutputStream stdout) {
        // instanceof rather than a pattern switch: a type switch spins classes at run time (~40 ms of
        // start-up) that the AOT cache cannot hold, and browsers pay start-up on every connection.
        if (mode instanceof LaunchMode.Cli cli) {
            return Cli.run(cli.args(), System.out, System.err);
        }
        return NativeHost.serve(mode, stdin, stdout);
    }
}
