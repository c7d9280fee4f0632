package org.cardbridge.host;

import java.util.Optional;

/**
 * How the host was started. Chrome-family browsers pass the caller's origin
 * ({@code chrome-extension://<id>/}, on Windows followed by {@code --parent-window=<n>}); Firefox passes
 * the path of the host manifest and the add-on id. Anything else is a person using the CLI.
 */
public sealed interface LaunchMode {
    record Chrome(String callerOrigin) implements LaunchMode {
    }

    record Firefox(String manifestPath, String addonId) implements LaunchMode {
    }

    record Cli(String[] args) implements LaunchMode {
    }

    static LaunchMode of(String[] args) {
        if (args.length >= 1 && args[0].startsWith("chrome-extension://")) {
            return new Chrome(args[0]);
        }
        if (args.length >= 2 && args[0].toLowerCase(java.util.Locale.ROOT).endsWith(".json") && !args[1].startsWith("-")) {
            return new Firefox(args[0], args[1]);
        }
        return new Cli(args);
    }

    /** The caller identity to check against our extension ids; empty for the CLI. */
    default Optional<String> caller() {
        // instanceof, not a type switch: this runs at every start (see Main).
        if (this instanceof Chrome c) {
            return Optional.of(c.callerOrigin());
        }
        if (this instanceof Firefox f) {
            return Optional.of(f.addonId());
        }
        return Optional.empty();
    }
}
