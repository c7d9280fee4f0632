package org.cardbridge.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CA's HTTP API as the portal's JavaScript calls it. */
class DemoServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    DemoCa demo;
    DemoServer server;
    HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        demo = DemoCa.open(dir, Clock.systemUTC());
        server = new DemoServer(demo, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    @Test
    void check_expiredCertificate_422WithCodeAndPolishExplanation() throws Exception {
        X509Certificate expired = Pki.old(demo.renewals(), Pki.ec(), Pki.SUBJECT, demo.clock().now(), -2);
        HttpResponse<String> r = post("/api/renewal/check", "{\"certificate\":\"" + b64(expired.getEncoded()) + "\",\"lang\":\"pl\"}");
        assertEquals(422, r.statusCode());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals("CERTIFICATE_EXPIRED", error.get("code").asText());
        assertTrue(error.get("message").asText().contains("Odnowienie certyfikatu online jest możliwe tylko wtedy"));
    }

    @Test
    void renewalOverHttp_codeDraftSignSubmit_issuedWithChain() throws Exception {
        KeyPair oldKey = Pki.ec();
        X509Certificate old = Pki.old(demo.renewals(), oldKey, Pki.SUBJECT, demo.clock().now(), 20);
        String code = JSON.readTree(post("/api/demo/code", "{}").body()).get("code").asText();
        KeyPair newKey = Pki.ec();
        HttpResponse<String> draft = post("/api/renewal/draft", JSON.createObjectNode().put("certificate", b64(old.getEncoded()))
                .put("code", code).put("pok", "ZETOSERWIS").put("validity", "now").put("csr", b64(Pki.csr(newKey))).put("lang", "en").toString());
        assertEquals(200, draft.statusCode(), draft.body());
        byte[] document = Base64.getDecoder().decode(JSON.readTree(draft.body()).get("document").asText());
        HttpResponse<String> submit = post("/api/renewal/submit", JSON.createObjectNode().put("document", b64(document))
                .put("signature", b64(Pki.cms(document, oldKey.getPrivate(), old, true))).toString());
        assertEquals(200, submit.statusCode(), submit.body());
        JsonNode issued = JSON.readTree(submit.body());
        assertEquals("issued", issued.get("status").asText());
        X509Certificate c = Der.certificate(Base64.getDecoder().decode(issued.get("certificate").asText()));
        assertArrayEquals(newKey.getPublic().getEncoded(), c.getPublicKey().getEncoded());
        X509Certificate issuing = Der.certificate(Base64.getDecoder().decode(issued.get("chain").get(0).asText()));
        c.verify(issuing.getPublicKey());
        // the same code again: refused, with the reason
        HttpResponse<String> again = post("/api/renewal/check", JSON.createObjectNode().put("certificate", b64(old.getEncoded())).put("code", code).toString());
        assertEquals(422, again.statusCode());
    }

    @Test
    void api_malformedBodies_400WithoutChangingAnything() throws Exception {
        assertEquals(400, post("/api/renewal/check", "not json").statusCode());
        assertEquals(400, post("/api/renewal/check", "{\"certificate\":42}").statusCode());
        assertEquals(400, post("/api/renewal/submit", "{\"document\":\"!!\",\"signature\":\"AA==\"}").statusCode());
        assertEquals(400, post("/api/demo/clock", "{\"advanceDays\":-5}").statusCode());
        assertEquals(0, demo.clock().offset().toSeconds());
    }

    @Test
    void portal_servedWithContentSecurityPolicy_andUnknownPaths404() throws Exception {
        HttpResponse<String> index = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, index.statusCode());
        assertTrue(index.body().contains("portal.js"));
        assertTrue(index.headers().firstValue("Content-Security-Policy").orElseThrow().contains("script-src 'self'"));
        HttpResponse<String> up = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/../pom.xml")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, up.statusCode());
    }

    @Test
    void minimalPage_servedAtItsDirectory_withTheSamePolicy() throws Exception {
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/minimal/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("minimal.js"));
        assertTrue(page.headers().firstValue("Content-Security-Policy").orElseThrow().contains("script-src 'self'"));
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/nothing-here/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, none.statusCode());
    }
}
