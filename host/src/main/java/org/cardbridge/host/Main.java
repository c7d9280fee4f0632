package org.cardbridge.host;

import org.cardbridge.cli.Cli;

/** Entry point of {@code cardbridge-host}: native messaging when a browser starts it, the CLI otherwise. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        LaunchMode mode = LaunchMode.of(args);
        int code = switch (mode) {
            case LaunchMode.Cli cli -> Cli.run(cli.args(), System.out, System.err);
            case LaunchMode.Chrome c -> NativeHost.serve(c);
            case LaunchMode.Firefox f -> NativeHost.serve(f);
        };
        // Swing's event thread and PKCS#11 threads must not keep the process alive after the browser left.
        System.exit(code);
    }
}
