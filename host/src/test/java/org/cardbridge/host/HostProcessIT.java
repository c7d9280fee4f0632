package org.cardbridge.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.protocol.Json;
import org.cardbridge.testing.HostProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built launcher as a browser runs it: a child process over pipes. */
class HostProcessIT {
    @TempDir
    Path dir;

    private Map<String, String> env() {
        return Map.of("CARDBRIDGE_STATE_DIR", dir.resolve("state").toString(),
                "CARDBRIDGE_POLICY", dir.resolve("policy.json").toString());
    }

    private HostProcess chrome() throws Exception {
        return new HostProcess(List.of(ExtensionIds.CHROME_ORIGIN), env());
    }

    private static String req(String id, String op) {
        return "{\"id\":\"" + id + "\",\"op\":\"" + op + "\",\"origin\":\"https://ca.example\"}";
    }

    /** Splits stdout into frames; fails if anything but whole JSON frames is there. */
    private static int assertOnlyFrames(byte[] out) throws Exception {
        int at = 0;
        int count = 0;
        while (at < out.length) {
            assertTrue(out.length - at >= 4, "a whole header");
            int len = ByteBuffer.wrap(out, at, 4).order(ByteOrder.nativeOrder()).getInt();
            assertTrue(len >= 0 && at + 4 + len <= out.length, "a whole frame");
            JsonNode m = Json.mapper().readTree(Arrays.copyOfRange(out, at + 4, at + 4 + len));
            assertTrue(m.isObject() && m.has("id"), "a protocol message");
            at += 4 + len;
            count++;
        }
        return count;
    }

    @Test
    void chromeLaunch_servesHelloMalformedUnknownAndExitsAtEof() throws Exception {
        try (HostProcess host = chrome()) {
            host.send(req("1", "hello"));
            JsonNode hello = host.receive();
            assertEquals("1", hello.get("id").asText());
            assertEquals(Version.PROTOCOL, hello.path("result").path("protocol").asText());

            host.sendRaw("{not json".getBytes());
            assertEquals("INVALID_MESSAGE", host.receive().path("error").path("code").asText());
            host.send(req("2", "hello"));
            assertEquals("2", host.receive().get("id").asText(), "a good request after a malformed one is served");

            host.send(req("3", "selfDestruct"));
            assertEquals("UNKNOWN_OPERATION", host.receive().path("error").path("code").asText());

            host.closeStdin();
            long start = System.nanoTime();
            int code = host.waitFor(5_000);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(0, code);
            assertTrue(millis < 1_000, "exit within 1 s of EOF (Chromium kills the host after 2 s), took " + millis + " ms");
            assertEquals(4, assertOnlyFrames(host.allStdout()), "stdout held exactly the four answers");
        }
    }

    @Test
    void outputOfTheJvmOrNativeCodeOnFdOne_neverReachesTheFrames() throws Exception {
        // -XX:+PrintCommandLineFlags writes to the JVM's tty (fd 1) from native code, before main():
        // the same path a vendor PKCS#11 module's debug output takes. The launcher moves fd 1 to stderr.
        Map<String, String> env = new java.util.HashMap<>(env());
        env.put("JAVA_TOOL_OPTIONS", "-XX:+PrintCommandLineFlags");
        try (HostProcess host = new HostProcess(List.of(ExtensionIds.CHROME_ORIGIN), env)) {
            host.send(req("1", "hello"));
            assertEquals("1", host.receive().get("id").asText());
            host.closeStdin();
            assertEquals(0, host.waitFor(5_000));
            assertEquals(1, assertOnlyFrames(host.allStdout()));
        }
    }

    @Test
    void oversizedFrame_isAnsweredThenTheHostExits() throws Exception {
        try (HostProcess host = chrome()) {
            host.sendHeaderOnly(64 * 1024 * 1024);
            assertEquals("MESSAGE_TOO_LARGE", host.receive().path("error").path("code").asText());
            assertEquals(HostSession.EXIT_STREAM_LOST, host.waitFor(5_000));
            assertEquals(1, assertOnlyFrames(host.allStdout()));
        }
    }

    @Test
    void firefoxLaunch_withOurAddonId_isServed() throws Exception {
        Path manifest = Files.writeString(dir.resolve("org.cardbridge.host.json"), "{}");
        try (HostProcess host = new HostProcess(List.of(manifest.toString(), ExtensionIds.FIREFOX), env())) {
            host.send(req("ff", "hello"));
            assertEquals("ff", host.receive().get("id").asText());
        }
    }

    @Test
    void foreignExtension_isRefusedWithoutServingAnything() throws Exception {
        try (HostProcess host = new HostProcess(List.of("chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"), env())) {
            assertEquals("ORIGIN_NOT_ALLOWED", host.receive().path("error").path("code").asText());
            assertEquals(NativeHost.EXIT_CALLER_NOT_ALLOWED, host.waitFor(5_000));
        }
        Path manifest = Files.writeString(dir.resolve("m.json"), "{}");
        try (HostProcess host = new HostProcess(List.of(manifest.toString(), "evil@example.org"), env())) {
            assertEquals("ORIGIN_NOT_ALLOWED", host.receive().path("error").path("code").asText());
            assertNotEquals(0, host.waitFor(5_000));
        }
    }

    @Test
    void cli_stdoutRedirectedToAFileTheShellAlsoWrites_keepsEveryLineInOrder() throws Exception {
        // As in a CI log: the shell and the CLI share one open file; nothing may be truncated or overwritten.
        Path log = dir.resolve("ci.log");
        Process p = new ProcessBuilder("sh", "-c", "echo before; \"$0\" version; echo after", HostProcess.launcher().toString())
                .redirectOutput(log.toFile()).start();
        assertEquals(0, p.waitFor());
        assertEquals("before\ncardbridge-host " + Version.HOST + " (protocol " + Version.PROTOCOL + ")\nafter\n", Files.readString(log));
    }

    @Test
    void cli_printsVersionOnStdout() throws Exception {
        Process p = new ProcessBuilder(HostProcess.launcher().toString(), "version").start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor());
        assertTrue(out.startsWith("cardbridge-host " + Version.HOST), out);
    }
}
