package org.cardbridge.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The CA's web server: the portal's static files and the JSON API its JavaScript calls. No framework:
 * the JDK's HTTP server. Every API answer is JSON; a refusal is HTTP 422 with
 * {@code {"status":"refused","error":{"code","message"}}} in the user's language.
 */
public final class DemoServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DemoServer.class.getName());
    private static final ObjectMapper MAPPER = JsonMapper.builder().build();
    private static final int MAX_BODY = 256 * 1024;
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8", "mjs", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "json", "application/json", "svg", "image/svg+xml", "ts", "text/plain; charset=utf-8");

    private final DemoCa ca;
    private final Path pageApiDir;
    private final HttpServer server;
    // A thread per exchange: browsers keep idle speculative connections open.
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "demo-http");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param pageApiDir where {@code /cardbridge/*} (the page API, {@code extension/api}) is served from;
     *                   null serves the copy the build put on the class path
     */
    public DemoServer(DemoCa ca, InetSocketAddress address, Path pageApiDir) throws IOException {
        this.ca = ca;
        this.pageApiDir = pageApiDir == null ? null : pageApiDir.toAbsolutePath().normalize();
        this.server = HttpServer.create(address, 16);
        server.setExecutor(executor);
        server.createContext("/api/", this::api);
        server.createContext("/cmp", new CmpEndpoint(ca.renewals().ca(), ca.clock())); // CMP renewal (kur), new file
        server.createContext("/", this::file);
    }

    public DemoServer start() {
        server.start();
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // --- API ---------------------------------------------------------------------------------------------

    private void api(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            if (path.equals("/api/info") && x.getRequestMethod().equals("GET")) {
                send(x, 200, info());
                return;
            }
            if (!x.getRequestMethod().equals("POST")) {
                send(x, 405, error("REQUEST_MALFORMED", "POST only"));
                return;
            }
            JsonNode body;
            try {
                body = readBody(x);
            } catch (IllegalArgumentException e) {
                send(x, 400, error(Refusal.REQUEST_MALFORMED.name(), e.getMessage()));
                return;
            }
            String lang = body.path("lang").asText(x.getRequestHeaders().getFirst("Accept-Language") != null
                    && x.getRequestHeaders().getFirst("Accept-Language").startsWith("pl") ? "pl" : "en");
            RenewalService r = ca.renewals();
            try {
                if (path.equals("/api/demo/code")) {
                    // The demo's stand-in for the CA's shop, where a renewal code is bought.
                    send(x, 200, MAPPER.createObjectNode().put("code", r.newCode()));
                    return;
                }
                if (path.equals("/api/demo/clock")) {
                    int days = body.path("advanceDays").asInt(-1);
                    if (days < 0 || days > 3650) {
                        throw new IllegalArgumentException("advanceDays (0 to 3650)");
                    }
                    ca.clock().advance(Duration.ofDays(days));
                    send(x, 200, info());
                    return;
                }
                Answer a = switch (path) {
                    case "/api/renewal/check" -> r.check(bytes(body, "certificate"), optText(body, "code"), optText(body, "pok"));
                    case "/api/renewal/draft" -> r.draft(bytes(body, "certificate"), text(body, "code"), text(body, "pok"),
                            text(body, "validity"), bytes(body, "csr"), lang);
                    case "/api/renewal/submit" -> r.submit(bytes(body, "document"), bytes(body, "signature"));
                    case "/api/renewal/lookup" -> r.lookup(bytes(body, "publicKey"));
                    case "/api/manual/issue" -> r.issueFromCsr(bytes(body, "csr"));
                    default -> null;
                };
                if (a == null) {
                    send(x, 404, error("NOT_FOUND", path));
                } else {
                    send(x, a instanceof Answer.Refused ? 422 : 200, toJson(a, lang));
                }
            } catch (IllegalArgumentException e) {
                send(x, 400, error(Refusal.REQUEST_MALFORMED.name(),
                        DemoTexts.get(lang, "refusal.REQUEST_MALFORMED", e.getMessage())));
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "API failure", e);
            try {
                send(x, 500, error("INTERNAL", "internal error"));
            } catch (IOException ignored) {
                // the client went away; nothing more to tell it
            }
        }
    }

    private ObjectNode info() {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("name", "CardBridge Demo CA");
        o.put("now", ca.clock().now().toString());
        o.put("clockOffsetDays", ca.clock().offset().toDays());
        o.put("certificateLifetimeDays", RenewalService.CERTIFICATE_LIFETIME.toDays());
        o.put("issuer", ca.renewals().ca().issuing().getSubjectX500Principal().getName());
        ArrayNode chain = o.putArray("chain");
        ca.renewals().ca().chain().forEach(c -> chain.add(Der.b64(Der.encoded(c))));
        return o;
    }

    static ObjectNode toJson(Answer a, String lang) {
        ObjectNode o = MAPPER.createObjectNode();
        switch (a) {
            case Answer.Eligible e -> o.put("status", "eligible").put("subject", e.subject())
                    .put("keyAlgorithm", e.keyAlgorithm()).put("notAfter", e.notAfter().toString());
            case Answer.Draft d -> {
                o.put("status", "draft").put("document", Der.b64(d.document()));
                ArrayNode s = o.putArray("statement");
                d.statement().forEach(s::add);
            }
            case Answer.Issued i -> {
                o.put("status", "issued").put("certificate", Der.b64(Der.encoded(i.certificate())))
                        .put("notBefore", i.certificate().getNotBefore().toInstant().toString())
                        .put("notAfter", i.certificate().getNotAfter().toInstant().toString())
                        .put("certificatePem", Der.pem("CERTIFICATE", Der.encoded(i.certificate())));
                ArrayNode chain = o.putArray("chain");
                StringBuilder pem = new StringBuilder();
                for (X509Certificate c : i.chain()) {
                    chain.add(Der.b64(Der.encoded(c)));
                    pem.append(Der.pem("CERTIFICATE", Der.encoded(c)));
                }
                o.put("chainPem", pem.toString());
            }
            case Answer.Scheduled s -> o.put("status", "scheduled").put("applicationId", s.applicationId())
                    .put("availableFrom", s.availableFrom().toString());
            case Answer.Waiting w -> o.put("status", "waiting").put("availableFrom", w.availableFrom().toString());
            case Answer.NotFound n -> o.put("status", "none");
            case Answer.Refused r -> {
                o.put("status", "refused");
                o.putObject("error").put("code", r.reason().name()).put("message", DemoTexts.refusal(lang, r));
            }
        }
        return o;
    }

    private static ObjectNode error(String code, String message) {
        ObjectNode o = MAPPER.createObjectNode().put("status", "refused");
        o.putObject("error").put("code", code).put("message", message);
        return o;
    }

    private static JsonNode readBody(HttpExchange x) throws IOException {
        byte[] b;
        try (InputStream in = x.getRequestBody()) {
            b = in.readNBytes(MAX_BODY + 1);
        }
        if (b.length > MAX_BODY) {
            throw new IllegalArgumentException("request too large");
        }
        try {
            JsonNode n = b.length == 0 ? MAPPER.createObjectNode() : MAPPER.readTree(b);
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException("the body must be a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new IllegalArgumentException("the body is not JSON");
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || !n.isTextual()) {
            throw new IllegalArgumentException(field);
        }
        return n.asText();
    }

    private static String optText(JsonNode body, String field) {
        JsonNode n = body.get(field);
        return n == null || n.isNull() ? null : text(body, field);
    }

    private static byte[] bytes(JsonNode body, String field) {
        try {
            return Der.unb64(text(body, field));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field);
        }
    }

    private static void send(HttpExchange x, int status, JsonNode body) throws IOException {
        byte[] b = MAPPER.writeValueAsBytes(body);
        x.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        x.getResponseHeaders().set("Cache-Control", "no-store");
        x.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    // --- static files -----------------------------------------------------------------------------------

    private void file(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            if (path.endsWith("/")) {
                path = path + "index.html"; // "/" is the portal, "/minimal/" the page of docs/integration.md
            }
            if (!x.getRequestMethod().equals("GET") || path.contains("..") || !path.matches("/[A-Za-z0-9_./-]+")) {
                sendText(x, 404, "not found");
                return;
            }
            byte[] body = load(path.substring(1));
            if (body == null) {
                sendText(x, 404, "not found");
                return;
            }
            String ext = path.substring(path.lastIndexOf('.') + 1);
            x.getResponseHeaders().set("Content-Type", TYPES.getOrDefault(ext, "application/octet-stream"));
            x.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            x.getResponseHeaders().set("Cache-Control", "no-cache");
            // The portal runs only its own scripts; nothing inline, nothing from elsewhere.
            x.getResponseHeaders().set("Content-Security-Policy",
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
            x.sendResponseHeaders(200, body.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private byte[] load(String rel) throws IOException {
        if (pageApiDir != null && rel.startsWith("cardbridge/")) {
            Path p = pageApiDir.resolve(rel.substring("cardbridge/".length())).normalize();
            return p.startsWith(pageApiDir) && Files.isRegularFile(p) ? Files.readAllBytes(p) : null;
        }
        try (InputStream in = DemoServer.class.getClassLoader().getResourceAsStream("portal/" + rel)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    private static void sendText(HttpExchange x, int status, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }
}
