package org.cardbridge.host;

import org.cardbridge.cli.Cli;

/** Entry point of {@code cardbridge-host}: native messaging when a browser starts it, the CLI otherwise. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        LaunchMode mode = LaunchMode.of(args);
        // instanceof rather than a pattern switch: a type switch spins classes at run time (~40 ms of
        // start-up) that the AOT cache cannot hold, and browsers pay start-up on every connection.
        int code = mode instanceof LaunchMode.Cli cli
                ? Cli.run(cli.args(), System.out, System.err)
                : NativeHost.serve(mode);
        // Swing's event thread and PKCS#11 threads must not keep the process alive after the browser left.
        System.exit(code);
    }
}
