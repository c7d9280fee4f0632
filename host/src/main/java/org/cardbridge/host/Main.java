package org.cardbridge.host;

import org.cardbridge.cli.Cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Entry point of {@code cardbridge-host}: native messaging when a browser starts it, the CLI otherwise. */
public final class Main {
    private Main() {
    }

    /**
     * Where the process's real stdout is, when the launcher moved it: the launchers run
     * {@code exec 3>&1 1>&2} and pass {@code /dev/fd/3}, so that anything native code writes to fd 1 (a
     * vendor PKCS#11 module's debug output, the JVM's own reports) lands on stderr, never in the frames.
     */
    static final String STDOUT_PROPERTY = "cardbridge.stdout";

    public static void main(String[] args) throws IOException {
        LaunchMode mode = LaunchMode.of(args);
        String moved = System.getProperty(STDOUT_PROPERTY);
        // Append mode: reopening /dev/fd/3 without it would truncate a file the caller redirected stdout
        // to (`cardbridge-host doctor >> report`, a CI log) and write over it from the start.
        OutputStream stdout = moved == null ? new FileOutputStream(FileDescriptor.out) : new FileOutputStream(moved, true);
        // instanceof rather than a pattern switch: a type switch spins classes at run time (~40 ms of
        // start-up) that the AOT cache cannot hold, and browsers pay start-up on every connection.
        int code = mode instanceof LaunchMode.Cli cli
                ? Cli.run(cli.args(), moved == null ? System.out : new PrintStream(stdout, true, StandardCharsets.UTF_8), System.err)
                : NativeHost.serve(mode, stdout);
        // Swing's event thread and PKCS#11 threads must not keep the process alive after the browser left.
        System.exit(code);
    }
}
