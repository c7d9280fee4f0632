package org.cardbridge.testing.vcard;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A private pcscd for one test class: Debian's pcscd in the foreground as our child process, with a
 * reader.conf.d that holds only vsmartcard's vpcd driver on a free TCP port, and its own client socket so
 * tests never touch (or depend on) a system pcscd. pcscd 1.9 ignores PCSCLITE_CSOCK_NAME for its own
 * socket but accepts a socket handed over systemd-style (LISTEN_FDS), so a few lines of Perl (Essential
 * in Debian) create the socket and exec pcscd; clients find it through PCSCLITE_CSOCK_NAME.
 *
 * <p>vpcd opens two readers per configured port: "Virtual PCD 00 00" on {@code port(0)} and
 * "Virtual PCD 00 01" on {@code port(1)}.
 */
public final class Pcscd implements AutoCloseable {
    public static final String SOCKET_ENV = "PCSCLITE_CSOCK_NAME";
    public static final String VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
    public static final int READERS = 2;

    private static final String ACTIVATE = """
            use strict; use Socket; use POSIX ();
            $^F = 255; # keep the socket open across exec
            my $path = shift @ARGV;
            socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
            unlink $path;
            bind($s, pack_sockaddr_un($path)) or die "bind $path: $!";
            listen($s, 128) or die "listen: $!";
            chmod 0666, $path;
            if (fileno($s) != 3) { POSIX::dup2(fileno($s), 3) or die "dup2: $!"; }
            $ENV{LISTEN_FDS} = 1; $ENV{LISTEN_PID} = $$;
            exec { $ARGV[0] } @ARGV or die "exec $ARGV[0]: $!";
            """;

    private final Path dir;
    private final int basePort;
    private Process process;

    private Pcscd(Path dir, int basePort) {
        this.dir = dir;
        this.basePort = basePort;
    }

    public static boolean available() {
        return Files.isExecutable(Path.of("/usr/sbin/pcscd")) && Files.isRegularFile(Path.of(VPCD_DRIVER))
                && Files.isExecutable(Path.of("/usr/bin/perl"));
    }

    public static Pcscd start() throws IOException {
        Path dir = Files.createTempDirectory("cardbridge-pcscd");
        Pcscd p = new Pcscd(dir, freePortPair());
        Files.createDirectories(dir.resolve("reader.conf.d"));
        Files.writeString(dir.resolve("reader.conf.d/vpcd"), """
                FRIENDLYNAME "Virtual PCD"
                DEVICENAME   /dev/null:0x%04X
                LIBPATH      %s
                CHANNELID    0x%04X
                """.formatted(p.basePort, VPCD_DRIVER, p.basePort));
        Files.writeString(dir.resolve("activate.pl"), ACTIVATE);
        p.launch();
        // A test JVM that dies without close() must not leave its pcscd behind.
        Runtime.getRuntime().addShutdownHook(new Thread(p::stop, "pcscd-stop"));
        return p;
    }

    /** The client socket: set {@link #SOCKET_ENV} to this in every PC/SC client's environment. */
    public Path socket() {
        return dir.resolve("pcscd.comm");
    }

    public Map<String, String> clientEnv() {
        return Map.of(SOCKET_ENV, socket().toString());
    }

    public int port(int reader) {
        if (reader < 0 || reader >= READERS) {
            throw new IllegalArgumentException("vpcd has readers 0 and 1");
        }
        return basePort + reader;
    }

    public String readerName(int reader) {
        return "Virtual PCD 00 0" + reader;
    }

    public Path log() {
        return dir.resolve("pcscd.log");
    }

    /** Stops pcscd (cards lose their connection) and starts it again on the same socket and ports. */
    public void restart() throws IOException {
        stop();
        launch();
    }

    public synchronized void stop() {
        Process p = process;
        process = null;
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void launch() throws IOException {
        Files.deleteIfExists(socket());
        long logStart = Files.exists(log()) ? Files.size(log()) : 0;
        process = new ProcessBuilder("perl", dir.resolve("activate.pl").toString(), socket().toString(),
                "/usr/sbin/pcscd", "--foreground", "--debug", "--apdu", "--config", dir.resolve("reader.conf.d").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                .start();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("pcscd exited with " + process.exitValue() + ":\n" + tail());
            }
            String log = Files.readString(log(), StandardCharsets.ISO_8859_1);
            if (log.length() > logStart && log.substring((int) logStart).contains("daemon ready")) {
                return;
            }
            sleep(20);
        }
        stop();
        throw new IOException("pcscd did not become ready:\n" + tail());
    }

    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log(), StandardCharsets.ISO_8859_1);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws IOException {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /** Two consecutive free ports (vpcd listens on port and port + 1). */
    private static int freePortPair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int p = a.getLocalPort();
                if (p >= 65535) {
                    continue;
                }
                try (ServerSocket b = new ServerSocket(p + 1, 1, InetAddress.getLoopbackAddress())) {
                    return p;
                } catch (IOException busy) {
                    // try another pair
                }
            }
        }
        throw new IOException("no two consecutive free TCP ports");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
