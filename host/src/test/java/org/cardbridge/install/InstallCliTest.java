package org.cardbridge.install;

import org.cardbridge.cli.Cli;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CLI argument handling of install/uninstall that must refuse before touching any file. */
class InstallCliTest {
    record Run(int exit, String out, String err) {
    }

    static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void scopeIsRequiredAndExclusive() {
        assertEquals(2, cli("install", "--host-path", "/x").exit());
        Run both = cli("install", "--user", "--system", "--host-path", "/x");
        assertEquals(2, both.exit());
        assertTrue(both.err().contains("mutually exclusive"), both.err());
    }

    @Test
    void helpIsAnsweredByEachCommand() {
        for (String cmd : new String[]{"install", "uninstall", "doctor", "policy", "version"}) {
            Run r = cli(cmd, "--help");
            assertEquals(0, r.exit(), cmd + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: cardbridge-host " + cmd), r.out());
            assertTrue(r.err().isEmpty(), cmd + " --help printed an error: " + r.err());
        }
    }

    @Test
    void rootOnlyWithSystem() {
        for (String[] args : new String[][]{{"install", "--host-path", "/x"}, {"uninstall"}}) {
            String cmd = args[0];
            String[] full = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--user", "--root", "/nonexistent-root")).toArray(String[]::new);
            Run r = cli(full);
            assertEquals(2, r.exit(), cmd);
            assertTrue(r.err().contains("--root works only with --system"), r.err());
        }
    }
}
