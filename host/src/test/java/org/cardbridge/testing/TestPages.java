package org.cardbridge.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;

/**
 * The test CA page, served from 127.0.0.1 by the JDK's HTTP server (plain http, or https with a
 * throw-away self-signed certificate for host names that a test maps to 127.0.0.1): {@code /} imports
 * the page library from {@code /api/cardbridge.js} — the very file in extension/api — and exposes it
 * as {@code window.cardbridge}.
 */
public final class TestPages implements AutoCloseable {
    public static final String PAGE = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>CardBridge test page</title></head>
            <body>
            <h1>CardBridge test page</h1>
            <script type="module">
              import * as cardbridge from "/api/cardbridge.js";
              window.cardbridge = cardbridge;
              window.cbEvents = [];
            </script>
            </body></html>
            """;

    private final HttpServer server;

    private TestPages(HttpServer server) {
        this.server = server;
        server.createContext("/", this::serve);
        // Browsers open speculative connections; a thread per exchange keeps an idle one from blocking the rest.
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-pages");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** Plain http on 127.0.0.1, any free port. */
    public static TestPages http() {
        try {
            return new TestPages(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** https on 127.0.0.1 with a self-signed certificate for {@code hostName} (browser: --ignore-certificate-errors). */
    public static TestPages https(String hostName) {
        try {
            HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            s.setHttpsConfigurator(new HttpsConfigurator(selfSigned(hostName)));
            return new TestPages(s);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the https test server", e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** e.g. {@code url("localhost")} = http://localhost:PORT/ */
    public String url(String host) {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return scheme + "://" + host + ":" + port() + "/";
    }

    public String origin(String host) {
        String u = url(host);
        return u.substring(0, u.length() - 1);
    }

    private void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        byte[] body;
        String type;
        if (path.equals("/api/cardbridge.js")) {
            body = Files.readAllBytes(ChromiumBrowser.extensionDir().resolve("api/cardbridge.js"));
            type = "text/javascript; charset=utf-8";
        } else if (path.equals("/") || path.equals("/index.html")) {
            body = PAGE.getBytes(StandardCharsets.UTF_8);
            type = "text/html; charset=utf-8";
        } else {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(200, body.length);
        try (var out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static SSLContext selfSigned(String hostName) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair kp = g.generateKeyPair();
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(new X500Name("CN=" + hostName), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(1, ChronoUnit.DAYS)), Date.from(now.plus(1, ChronoUnit.DAYS)),
                new X500Name("CN=" + hostName), kp.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.dNSName, hostName)));
        X509Certificate cert = new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = "test".toCharArray();
        ks.setKeyEntry("page", kp.getPrivate(), pw, new Certificate[]{cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** A policy file allowing {@code origin} the given classes, for {@code CARDBRIDGE_POLICY}. */
    public static Path writePolicy(Path dir, String origin, String... classes) throws IOException {
        return writePolicy(dir, origin, java.util.List.of(), classes);
    }

    /** The same, with extra PKCS#11 modules (e.g. SoftHSM2's) in the policy's {@code modules}. */
    public static Path writePolicy(Path dir, String origin, java.util.List<String> modules, String... classes) throws IOException {
        StringBuilder allow = new StringBuilder();
        for (String c : classes) {
            allow.append(allow.isEmpty() ? "" : ", ").append('"').append(c).append('"');
        }
        Path file = dir.resolve("policy.json");
        Files.writeString(file, """
                {"origins": [{"origin": "%s", "allow": [%s], "renewalUrl": "%s/renew"}], "modules": [%s],
                 "dialogTimeoutSeconds": 60}
                """.formatted(origin, allow, origin,
                String.join(", ", modules.stream().map(m -> '"' + m + '"').toList())));
        return file;
    }

    @Override
    public void close() {
        server.stop(0);
        if (server.getExecutor() instanceof java.util.concurrent.ExecutorService e) {
            e.shutdownNow();
        }
    }
}
