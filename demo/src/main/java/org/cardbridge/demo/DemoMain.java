package org.cardbridge.demo;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The demo CA's command line.
 * <pre>
 *   serve          --state DIR [--port N] [--page-api DIR]   run the portal and API on http://localhost:N/
 *   code           --state DIR                               print a new one-time renewal code
 *   issue-initial  --state DIR --public-key SPKI.der --subject DN --out CERT.der --chain-out CHAIN.pem
 *                  [--days-left N]                           the "old" certificate, bought a year ago
 *   advance-clock  --state DIR --days N                      move the CA's clock forward
 * </pre>
 * Only one process may use a state directory at a time: run the set-up commands before {@code serve}.
 */
public final class DemoMain {
    private DemoMain() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(System.out, System.err, args));
    }

    public static int run(PrintStream out, PrintStream err, String... args) throws Exception {
        if (args.length == 0) {
            err.println("usage: serve|code|issue-initial|advance-clock --state DIR ... (see DemoMain)");
            return 2;
        }
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                err.println("unexpected argument: " + args[i]);
                return 2;
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        if (!o.containsKey("state")) {
            err.println("--state DIR is required");
            return 2;
        }
        DemoCa ca = DemoCa.open(Path.of(o.get("state")), Clock.systemUTC());
        switch (args[0]) {
            case "serve" -> {
                int port = Integer.parseInt(o.getOrDefault("port", "8480"));
                Path api = o.containsKey("page-api") ? Path.of(o.get("page-api")) : null;
                try (DemoServer server = new DemoServer(ca, new InetSocketAddress(InetAddress.getLoopbackAddress(), port), api).start()) {
                    out.println("CardBridge demo CA portal: http://localhost:" + server.port() + "/");
                    out.flush();
                    CountDownLatch forever = new CountDownLatch(1);
                    Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
                    forever.await();
                }
            }
            case "code" -> out.println(ca.renewals().newCode());
            case "issue-initial" -> {
                SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(Files.readAllBytes(Path.of(o.get("public-key"))));
                Instant now = ca.clock().now();
                long left = Long.parseLong(o.getOrDefault("days-left", "30"));
                X509Certificate c = ca.renewals().issueInitial(new X500Name(o.get("subject")), key,
                        now.plus(Duration.ofDays(left)).minus(RenewalService.CERTIFICATE_LIFETIME), now.plus(Duration.ofDays(left)));
                Files.write(Path.of(o.get("out")), Der.encoded(c));
                StringBuilder pem = new StringBuilder();
                ca.renewals().ca().chain().forEach(x -> pem.append(Der.pem("CERTIFICATE", Der.encoded(x))));
                if (o.containsKey("chain-out")) {
                    Files.writeString(Path.of(o.get("chain-out")), pem);
                }
                out.println(c.getSubjectX500Principal().getName() + " valid " + c.getNotBefore().toInstant() + " .. " + c.getNotAfter().toInstant());
            }
            case "advance-clock" -> out.println(ca.clock().advance(Duration.ofDays(Long.parseLong(o.get("days")))));
            default -> {
                err.println("unknown command " + args[0]);
                return 2;
            }
        }
        return 0;
    }
}
