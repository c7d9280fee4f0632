package org.cardbridge.host;

import org.cardbridge.cli.Cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;

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
        LaunchMode mode = LaunchMode.of(args);
        // instanceof rather than a pattern switch: a type switch spins classes at run time (~40 ms of
        // start-up) that the AOT cache cannot hold, and browsers pay start-up on every connection.
        int code;
        if (mode instanceof LaunchMode.Cli cli) {
            code = Cli.run(cli.args(), System.out, System.err);
        } else {
            String moved = System.getProperty(STDOUT_PROPERTY);
            // Append: a pipe does not mind, and a file is never truncated by the reopening.
            code = NativeHost.serve(mode, new FileInputStream(FileDescriptor.in),
                    moved == null ? new FileOutputStream(FileDescriptor.out) : new FileOutputStream(moved, true));
        }
        // Swing's event thread and PKCS#11 threads must not keep the process alive after the browser left.
        System.exit(code);
    }
}
