package org.cardbridge.install;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.Json;
import org.cardbridge.testing.HostProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The built launcher as an administrator or a user runs it by hand: from its own folder by a relative
 * path, from a folder whose name has a space, under a restrictive umask. What it registers must still be
 * something a browser can start.
 */
class LauncherInstallIT {
    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {
    }

    Run run(Path dir, Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().putAll(env);
        pb.environment().put("CARDBRIDGE_STATE_DIR", tmp.resolve("state").toString());
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher did not finish");
        return new Run(p.exitValue(), out, err);
    }

    @Test
    void startedByARelativePath_registersTheAbsolutePathBrowsersNeed() throws Exception {
        Path launcher = HostProcess.launcher().toRealPath();
        Path home = Files.createDirectories(tmp.resolve("home"));
        Run r = run(launcher.getParent(), Map.of("HOME", home.toString()), "./" + launcher.getFileName(), "install", "--user");
        assertEquals(0, r.exit(), r.err());
        JsonNode m = Json.mapper().readTree(home.resolve(".config/chromium/NativeMessagingHosts/org.cardbridge.host.json").toFile());
        assertEquals(launcher.toString(), m.path("path").asText());
    }

    @Test
    void inAFolderWithASpace_itStillStarts() throws Exception {
        Path built = HostProcess.launcher().toRealPath().getParent();
        Path copy = Files.createDirectories(tmp.resolve("Moje Programy").resolve("cardbridge"));
        // The launcher, its jars and its AOT cache: what a copied build or an unpacked archive holds.
        try (Stream<Path> files = Files.list(built)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("cardbridge-host")).toList()) {
                Files.copy(f, copy.resolve(f.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Files.createDirectories(copy.resolve("lib"));
        try (Stream<Path> jars = Files.list(built.resolve("lib"))) {
            for (Path j : jars.toList()) {
                Files.copy(j, copy.resolve("lib").resolve(j.getFileName()));
            }
        }
        Run r = run(tmp, Map.of(), copy.resolve("cardbridge-host").toString(), "version");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("cardbridge-host "), r.out());
    }

    @Test
    void aPolicyOtherUsersCanChange_isIgnored_andTheHostSaysWhy() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("policy"));
        Path policy = dir.resolve("policy.json");
        Files.writeString(policy, "{\"origins\": [{\"origin\": \"https://ca.example\", \"allow\": [\"sign\"]}]}");
        Map<String, String> env = Map.of("CARDBRIDGE_POLICY", policy.toString());
        Run ok = run(tmp, env, HostProcess.launcher().toString(), "policy");
        assertEquals(0, ok.exit(), ok.out() + ok.err());
        assertTrue(ok.out().contains("https://ca.example"), ok.out());

        Files.setPosixFilePermissions(policy, PosixFilePermissions.fromString("rw-rw-rw-"));
        Run ignored = run(tmp, env, HostProcess.launcher().toString(), "policy");
        assertEquals(1, ignored.exit());
        assertTrue(ignored.out().contains("can be changed by other users"), ignored.out());
        assertTrue(!ignored.out().contains("https://ca.example"), "nothing of the file is in force: " + ignored.out());
    }

    @Test
    void systemInstallUnderAUmaskOf027_leavesFoldersBrowsersCanEnter() throws Exception {
        Path root = tmp.resolve("root");
        Run r = run(tmp, Map.of(), "sh", "-c", "umask 027 && exec \"$0\" install --system --root \"$1\" --host-path /opt/cardbridge/bin/cardbridge-host",
                HostProcess.launcher().toString(), root.toString());
        assertEquals(0, r.exit(), r.err());
        for (String d : List.of("etc", "etc/opt", "etc/opt/chrome", "etc/opt/chrome/native-messaging-hosts", "etc/chromium",
                "usr/lib/mozilla/native-messaging-hosts", "usr/lib64/mozilla/native-messaging-hosts")) {
            assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve(d))), d);
        }
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                root.resolve("etc/chromium/native-messaging-hosts/org.cardbridge.host.json"))));
    }
}
