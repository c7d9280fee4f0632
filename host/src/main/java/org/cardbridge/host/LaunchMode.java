package org.cardbridge.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How the host was started. Chrome-family browsers pass the caller's origin
 * ({@code chrome-extension://<id>/}, on Windows followed by {@code --parent-window=<n>}); Firefox passes
 * the path of the host manifest and the add-on id. Anything else is a person using the CLI — except no
 * argument at all from xdg-desktop-portal (see {@link Portal}).
 *
 * <p>Sandboxed browsers start the host through a service outside the sandbox, which passes the same
 * arguments as a direct start (docs/install.md, "How Snap and Flatpak Firefox start the host"):
 * <ul>
 * <li>Ubuntu's WebExtensions portal (xdg-desktop-portal with Ubuntu's patches: ubuntu/xdg-desktop-portal,
 * branch nmp-1.18-backport, src/web-extensions.c, {@code handle_start_in_thread}) in its default
 * "mozilla" mode: {@code [path, manifest file it found, add-on id]}; "chromium" mode: {@code [path, origin]};
 * <li>xdg-native-messaging-proxy (flatpak/xdg-native-messaging-proxy, src/xnmp-impl.c,
 * {@code xnmp_impl_handle_start}), used by Flatpak Firefox from 157 on: the same two shapes;
 * <li>Ubuntu's portal before 7 Nov 2023 (commit b6febbc added the arguments): {@code [path]} alone.
 * </ul>
 */
public sealed interface LaunchMode {
    /**
     * What the kernel keeps as the name of xdg-desktop-portal's process ({@code /proc/<pid>/comm}: the
     * executable's name cut to 15 bytes).
     */
    String PORTAL_PROCESS = "xdg-desktop-por";

    record Chrome(String callerOrigin) implements LaunchMode {
    }

    record Firefox(String manifestPath, String addonId) implements LaunchMode {
    }

    /**
     * Started with no argument by Ubuntu's WebExtensions portal as it was from 2022 until 7 Nov 2023
     * (ubuntu/xdg-desktop-portal at 2d10f53, src/web-extensions.c: {@code argv[0] = server_path} and nothing
     * else). The portal gave no add-on id, but it started us only after finding our manifest by the name
     * Firefox asked for and checking that its {@code allowed_extensions} (or {@code allowed_origins}) lists
     * the id Firefox gave ({@code find_server}), so the caller is one our manifest names. Told apart from a
     * person typing {@code cardbridge-host} by the parent process, which is xdg-desktop-portal itself.
     */
    record Portal() implements LaunchMode {
    }

    record Cli(String[] args) implements LaunchMode {
    }

    static LaunchMode of(String[] args) {
        // The parent is looked at only when there is no argument: a browser's usual start pays nothing.
        return of(args, args.length == 0 ? parentProcessName() : "");
    }

    /** {@code parent}: the name of the process that started us ({@code /proc/<ppid>/comm}), or "". */
    static LaunchMode of(String[] args, String parent) {
        if (args.length >= 1 && args[0].startsWith("chrome-extension://")) {
            return new Chrome(args[0]);
        }
        if (args.length >= 2 && args[0].toLowerCase(java.util.Locale.ROOT).endsWith(".json") && !args[1].startsWith("-")) {
            return new Firefox(args[0], args[1]);
        }
        if (args.length == 0 && parent.equals(PORTAL_PROCESS)) {
            return new Portal();
        }
        return new Cli(args);
    }

    /** The kernel's name of our parent process, "" where there is none to read (not Linux, say). */
    static String parentProcessName() {
        try {
            Optional<ProcessHandle> parent = ProcessHandle.current().parent();
            if (parent.isEmpty()) {
                return "";
            }
            Path comm = Path.of("/proc", Long.toString(parent.get().pid()), "comm");
            return Files.isReadable(comm) ? Files.readString(comm).strip() : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
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
        if (this instanceof Portal) {
            return Optional.of("xdg-desktop-portal");
        }
        return Optional.empty();
    }
}
