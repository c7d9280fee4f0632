package org.cardbridge.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * OpenSSL's CMP mock server ({@code openssl cmp -port}, Debian's OpenSSL 3): an independent CMP
 * implementation acting as the CA. OpenSSL 3.0's {@code -port} listens on every interface, so the server runs
 * in a network namespace of its own ({@code unshare -rn}) where only loopback exists; the test, playing the
 * page's part, posts each message there over HTTP with curl entering that namespace ({@code nsenter}). So the
 * server is reachable on loopback only, and parallel runs never compete for a port.
 */
public final class OpenSslCmpServer implements AutoCloseable {
    private static final int PORT = 8080;
    private final Process process;
    private final Path log;

    private OpenSslCmpServer(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** True when openssl, unshare, nsenter and curl are installed; without CI a test is skipped otherwise, in CI it fails. */
    public static void requireAvailable() {
        boolean available = List.of("openssl", "unshare", "nsenter", "curl", "ip").stream()
                .allMatch(tool -> List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin").stream().anyMatch(d -> Files.isExecutable(Path.of(d, tool))));
        if (System.getenv("CI") == null) {
            assumeTrue(available, "openssl (CMP mock server), util-linux (unshare, nsenter), curl or iproute2 missing");
        }
    }

    /**
     * Starts {@code openssl cmp -port} with the server's signing certificate and key and {@code options}
     * (the {@code -srv_*} / {@code -rsp_*} options; file options take paths under {@code dir}).
     */
    public static OpenSslCmpServer start(Path dir, X509Certificate serverCert, KeyPair serverKeys, List<String> options)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path cert = write(dir.resolve("srv-cert.pem"), TestCa.pem(serverCert));
        Path key = write(dir.resolve("srv-key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(serverKeys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        Path log = dir.resolve("openssl-cmp-server.log");
        List<String> command = new ArrayList<>(List.of("unshare", "-rn", "sh", "-c",
                "ip link set lo up && exec openssl cmp -port " + PORT + " \"$@\"", "sh",
                "-srv_cert", cert.toString(), "-srv_key", key.toString()));
        command.addAll(options);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        OpenSslCmpServer server = new OpenSslCmpServer(p, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!server.log().contains("ACCEPT")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                String text = server.log();
                server.close();
                throw new IllegalStateException("openssl cmp -port did not start: " + command + "\n" + text);
            }
            Thread.sleep(50);
        }
        return server;
    }

    public static Path write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.US_ASCII);
        return file;
    }

    /**
     * Posts one DER PKIMessage as the page would (HTTP POST, application/pkixcmp) and returns the answer's DER.
     * Each post is its own connection, closed after the answer: OpenSSL 3.0's server keeps a kept-alive
     * connection of an open transaction and, when the client has gone, fails the next message of it
     * ("unexpected pkibody").
     */
    public byte[] post(byte[] request) throws IOException, InterruptedException {
        Process curl = new ProcessBuilder("nsenter", "--preserve-credentials", "-U", "-n", "-t", String.valueOf(process.pid()),
                "curl", "-s", "-S", "--fail", "--max-time", "120", "--data-binary", "@-",
                "-H", "Content-Type: application/pkixcmp", "-H", "Connection: close", "http://127.0.0.1:" + PORT + "/").start();
        try (var in = curl.getOutputStream()) {
            in.write(request);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream stdout = curl.getInputStream()) {
            stdout.transferTo(out);
        }
        String err = new String(curl.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (curl.waitFor() != 0 || out.size() == 0) {
            throw new IllegalStateException("posting to the CMP mock server failed: " + err + "\nserver log:\n" + log());
        }
        return out.toByteArray();
    }

    /** What the server printed so far (its diagnostics name each message it handled and why it refused one). */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
