package org.cardbridge.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.protocol.Json;
import org.cardbridge.testing.HostProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host registered by {@code install --user} and started the way the services behind sandboxed
 * browsers start it — found by their own manifest search, started with their GLib call, argv, environment,
 * working folder and pipes — answering {@code hello} over native messaging. The starter
 * ({@code sandbox-starter.py}, GLib through Debian's python3-gi) cites the lines of each source it
 * follows:
 * <ul>
 * <li>Snap Firefox on Ubuntu: Ubuntu's WebExtensions portal in xdg-desktop-portal (ubuntu/xdg-desktop-portal,
 * branch nmp-1.18-backport, src/web-extensions.c), which Firefox's portal client
 * ({@code widget.use-xdg-desktop-portal.native-messaging}; mozilla/gecko-dev,
 * toolkit/components/extensions/NativeMessagingPortal.cpp: CreateSession with no mode, so "mozilla";
 * Start with the host's name and the add-on id; GetPipes) asks to start the host; and the same portal as Ubuntu carried it
 * before 7 Nov 2023, which passed no argument at all;
 * <li>Flatpak Firefox (from 157, Mozilla bug 1955255) and Ubuntu's announced successor to the portal:
 * xdg-native-messaging-proxy (flatpak/xdg-native-messaging-proxy 0.1.0, src/xnmp-impl.c), in "mozilla" and
 * "chromium" mode.
 * </ul>
 * The services run as systemd user services (data/xdg-native-messaging-proxy.service.in: Type=dbus, no
 * Environment= or WorkingDirectory=), so the host gets the user manager's environment, not the browser's,
 * and the home folder as its working folder; GLib closes every other descriptor in the child.
 */
class SandboxLaunchIT {
    static final String HOST = "org.cardbridge.host";
    @TempDir
    Path tmp;
    Path home;
    Path runtime;

    @BeforeEach
    void installForTheUser() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        boolean gi = Files.isExecutable(python)
                && new ProcessBuilder(python.toString(), "-c", "import gi; gi.require_version('Gio', '2.0'); from gi.repository import Gio")
                .redirectErrorStream(true).start().waitFor() == 0;
        if (!gi) {
            // Under CI a missing part fails; elsewhere say what to install.
            assertFalse("true".equals(System.getenv("CI")), "python3-gi (Debian) is needed: apt-get install python3-gi gir1.2-glib-2.0");
            Assumptions.abort("python3-gi is not installed: apt-get install python3-gi gir1.2-glib-2.0");
        }
        home = Files.createDirectories(tmp.resolve("home"));
        runtime = Files.createDirectories(tmp.resolve("run"));
        // HOME decides where install --user writes, as on a user's machine.
        Process install = withHome(new ProcessBuilder(HostProcess.launcher().toString(), "install", "--user")).start();
        install.getOutputStream().close();
        String out = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(install.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, install.exitValue(), out);
    }

    private ProcessBuilder withHome(ProcessBuilder pb) {
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("XDG_CONFIG_HOME");
        pb.environment().put("CARDBRIDGE_STATE_DIR", tmp.resolve("install-state").toString());
        return pb.redirectErrorStream(true).directory(tmp.toFile());
    }

    /** What systemd's user manager gives its services: the session's variables, none of the browser's. */
    private Map<String, String> userManagerEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", home.toString());
        env.put("USER", System.getProperty("user.name"));
        env.put("LOGNAME", System.getProperty("user.name"));
        env.put("SHELL", "/bin/bash");
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("LANG", "pl_PL.UTF-8");
        env.put("XDG_RUNTIME_DIR", runtime.toString());
        env.put("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + runtime.resolve("bus"));
        env.put("INVOCATION_ID", "0123456789abcdef0123456789abcdef");
        env.put("JOURNAL_STREAM", "8:12345");
        return env;
    }

    /** {@code java}: the host's JVM command line as the kernel has it, read while the host runs. */
    record Session(List<String> argv, JsonNode hello, int exit, String stderr, List<String> java) {
    }

    /** Starts {@code starter} (the service, under its own name) and says hello through it. */
    Session start(String service, String kind, String mode, String extensionOrOrigin) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path starter = bin.resolve(service);
        try (InputStream src = SandboxLaunchIT.class.getResourceAsStream("sandbox-starter.py")) {
            Files.write(starter, src.readAllBytes());
        }
        Files.setPosixFilePermissions(starter, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path stderr = tmp.resolve(service + "-" + kind + "-" + mode + ".err");
        ProcessBuilder pb = new ProcessBuilder(starter.toString(), kind, mode, HOST, extensionOrOrigin)
                .directory(home.toFile()).redirectError(stderr.toFile());
        pb.environment().clear();
        pb.environment().putAll(userManagerEnvironment());
        Process p = pb.start();
        OutputStream toHost = p.getOutputStream();
        byte[] body = Json.mapper().writeValueAsBytes(Map.of("id", "1", "op", "hello", "origin", "https://ca.example.pl",
                "params", Map.of()));
        toHost.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(body.length).array());
        toHost.write(body);
        toHost.flush();
        DataInputStream fromHost = new DataInputStream(p.getInputStream());
        byte[] header = fromHost.readNBytes(4);
        JsonNode hello = null;
        if (header.length == 4) {
            int length = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).getInt();
            hello = Json.mapper().readTree(fromHost.readNBytes(length));
        }
        // The host is the starter's child (the launcher execs java in place): its command line says where
        // the launcher put the frames.
        List<String> java = p.children().findFirst().flatMap(h -> h.info().arguments()).map(List::of).orElse(List.of());
        // The browser closes the port: the host's stdin ends, and so does the host.
        toHost.close();
        byte[] rest = fromHost.readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the host did not end when its stdin closed");
        String err = Files.readString(stderr);
        assertEquals(0, rest.length, "only frames on the host's stdout: " + new String(rest, StandardCharsets.UTF_8));
        String argvLine = err.lines().filter(l -> l.startsWith("argv: ")).findFirst().orElseThrow(() -> new AssertionError(err));
        List<String> argv = List.of(Json.mapper().readValue(argvLine.substring(6), String[].class));
        return new Session(argv, hello, p.exitValue(), err, java);
    }

    private void assertHello(Session s) {
        assertTrue(s.hello() != null, "no answer from the host: " + s.stderr());
        assertEquals("1", s.hello().path("id").asText(), s.hello().toString());
        assertEquals(Version.PROTOCOL, s.hello().path("result").path("protocol").asText(), s.hello() + "\n" + s.stderr());
        assertEquals(0, s.exit(), s.stderr());
        // Started as a browser: fd 1 went to stderr and the frames to fd 3, out of native code's reach.
        assertTrue(s.java().contains("-Dcardbridge.stdout=/dev/fd/3"), s.java().toString());
    }

    private String firefoxManifest() {
        return home.resolve(".mozilla/native-messaging-hosts/" + HOST + ".json").toString();
    }

    @Test
    void snapFirefox_throughUbuntusPortal_getsHello() throws Exception {
        Session s = start("xdg-desktop-portal", "portal", "mozilla", ExtensionIds.FIREFOX);
        assertEquals(List.of(HostProcess.launcher().toString(), firefoxManifest(), ExtensionIds.FIREFOX), s.argv());
        assertHello(s);
    }

    @Test
    void snapFirefox_throughUbuntusPortalBeforeNovember2023_withNoArgument_getsHello() throws Exception {
        Session s = start("xdg-desktop-portal", "portal-2023", "mozilla", ExtensionIds.FIREFOX);
        assertEquals(List.of(HostProcess.launcher().toString()), s.argv());
        assertHello(s);
    }

    @Test
    void flatpakFirefox_throughXdgNativeMessagingProxy_getsHello() throws Exception {
        Session s = start("xdg-native-messaging-proxy", "xnmp", "mozilla", ExtensionIds.FIREFOX);
        assertEquals(List.of(HostProcess.launcher().toString(), firefoxManifest(), ExtensionIds.FIREFOX), s.argv());
        assertHello(s);
    }

    @Test
    void chromiumFamily_throughXdgNativeMessagingProxy_getsHello() throws Exception {
        Session s = start("xdg-native-messaging-proxy", "xnmp", "chromium", ExtensionIds.CHROME_ORIGIN);
        assertEquals(List.of(HostProcess.launcher().toString(), ExtensionIds.CHROME_ORIGIN), s.argv());
        assertHello(s);
    }

    @Test
    void noArgumentFromAnyOtherParent_isStillTheCommandLine() throws Exception {
        // A person typing cardbridge-host (here: started by this JVM) gets the CLI's help on stdout, not frames.
        Process p = withHome(new ProcessBuilder(HostProcess.launcher().toString())).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(out.contains("install") && out.contains("doctor"), out);
    }
}
