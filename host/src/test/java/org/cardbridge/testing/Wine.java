package org.cardbridge.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Wine (Debian's wine64) in a private prefix: Windows' own command-line tools — reg.exe, msiexec — run
 * against a registry of the test's, so code that drives them is tested with the real programs.
 */
public final class Wine {
    private static final List<Path> CANDIDATES = List.of(Path.of("/usr/lib/wine/wine64"), Path.of("/usr/bin/wine64"), Path.of("/usr/bin/wine"));
    private final Path wine;
    private final Path prefix;

    private Wine(Path wine, Path prefix) {
        this.wine = wine;
        this.prefix = prefix;
    }

    public static Optional<Path> binary() {
        return CANDIDATES.stream().filter(Files::isExecutable).findFirst();
    }

    /** A new prefix under {@code dir}, booted (its registry and C: drive made) before the first test. */
    public static Wine start(Path dir) throws IOException {
        Wine w = new Wine(binary().orElseThrow(() -> new IllegalStateException("Wine is not installed (Debian package wine64)")),
                dir.resolve("prefix"));
        w.run(List.of("wineboot", "-i"), 120);
        return w;
    }

    /**
     * A script that runs {@code program} (say {@code reg}) in this prefix with its arguments, for code that
     * starts a Windows tool as a plain command. UTF-8 locale so arguments keep their Polish letters.
     */
    public Path command(Path dir, String program) throws IOException {
        Path script = dir.resolve("wine-" + program);
        Files.writeString(script, "#!/bin/sh\n" + environment() + "exec '" + wine + "' " + program + " \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    /** Runs a Windows program in the prefix; its exit code. */
    public int run(List<String> command, int timeoutSeconds) throws IOException {
        List<String> full = new ArrayList<>(List.of("env", "WINEPREFIX=" + prefix, "WINEDEBUG=-all",
                "WINEDLLOVERRIDES=mscoree,mshtml=", "LC_ALL=C.UTF-8", wine.toString()));
        full.addAll(command);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command + " did not finish in " + timeoutSeconds + " s");
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** Stops the prefix's wineserver (and with it every Wine process of this prefix). */
    public void stop() throws IOException, InterruptedException {
        Path server = wine.resolveSibling("wineserver");
        if (Files.isExecutable(server)) {
            new ProcessBuilder("env", "WINEPREFIX=" + prefix, server.toString(), "-k")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private String environment() {
        return "export WINEPREFIX='" + prefix + "' WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=' LC_ALL=C.UTF-8\n";
    }
}
