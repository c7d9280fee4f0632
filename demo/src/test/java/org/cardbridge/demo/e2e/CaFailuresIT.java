package org.cardbridge.demo.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.extension.ResponseTransformerV2;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.http.HttpHeaders;
import com.github.tomakehurst.wiremock.http.Response;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.cardbridge.demo.CertificateAuthority;
import org.cardbridge.demo.DemoCa;
import org.cardbridge.demo.DemoServer;
import org.cardbridge.testing.Xvfb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openqa.selenium.By;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The failures a real CA has, with WireMock in place of the CA's API: the portal and every other call are
 * proxied to the demo CA, only the submission of the signed application fails — after the new key was
 * made and the application signed on the card. Each failure must end in a clear message, and the card
 * must still hold its working old certificate.
 */
class CaFailuresIT {
    static final Duration CARD = Duration.ofSeconds(90);
    static final ObjectMapper JSON = new ObjectMapper();
    @org.junit.jupiter.api.io.TempDir
    static Path dir;
    static Xvfb xvfb;
    static DemoCa ca;
    static DemoServer server;
    static WireMockServer wiremock;

    enum Failure {
        HTTP_500("CA_HTTP_500"),
        TIMEOUT("CA_TIMEOUT"),
        MALFORMED_CERTIFICATE("CERTIFICATE_INVALID"),
        CERTIFICATE_FOR_ANOTHER_KEY("CERTIFICATE_KEY_MISMATCH"),
        BROKEN_CHAIN("CERTIFICATE_INVALID"),
        DROPPED_CONNECTION("CA_NETWORK");

        final String expectedCode;

        Failure(String expectedCode) {
            this.expectedCode = expectedCode;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        xvfb = Xvfb.start();
        ca = DemoCa.open(dir.resolve("ca"), Clock.systemUTC());
        server = new DemoServer(ca, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null).start();
        wiremock = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1")
                .extensions(new CorruptIssuedCertificate()));
        wiremock.start();
    }

    @AfterAll
    static void stop() {
        if (wiremock != null) {
            wiremock.stop();
        }
        if (server != null) {
            server.close();
        }
        if (xvfb != null) {
            xvfb.close();
        }
    }

    static ResponseDefinitionBuilder failing(Failure f) {
        String ca = "http://127.0.0.1:" + server.port();
        return switch (f) {
            case HTTP_500 -> aResponse().withStatus(500).withHeader("Content-Type", "text/html").withBody("<h1>Internal Server Error</h1>");
            case TIMEOUT -> aResponse().proxiedFrom(ca).withFixedDelay(6000);
            case MALFORMED_CERTIFICATE, CERTIFICATE_FOR_ANOTHER_KEY, BROKEN_CHAIN ->
                    aResponse().proxiedFrom(ca).withTransformers(CorruptIssuedCertificate.NAME).withTransformerParameter("mode", f.name());
            case DROPPED_CONNECTION -> aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER);
        };
    }

    @ParameterizedTest
    @EnumSource(Failure.class)
    void caFailsOnSubmission_clearMessageAndTheOldCertificateStillWorks(Failure failure, TestInfo info) throws Exception {
        wiremock.resetAll();
        wiremock.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().proxiedFrom("http://127.0.0.1:" + server.port())));
        wiremock.stubFor(post(urlEqualTo("/api/renewal/submit")).atPriority(1).willReturn(failing(failure)));
        String origin = "http://localhost:" + wiremock.port();
        try (PortalSession s = new PortalSession(dir.resolve(failure.name()), xvfb, ca, origin, 30)) {
            s.open("?lang=en&caTimeout=2500");
            s.click("read-card");
            s.awaitState("form", CARD);
            s.type("code", ca.renewals().newCode());
            s.click("renew");
            s.awaitState("application", CARD);
            s.click("sign-submit");
            s.awaitState("error", CARD);

            assertEquals(failure.expectedCode, s.messageCode(), s.text("message"));
            String message = s.text("message");
            assertFalse(message.isBlank());
            assertFalse(message.contains("Exception") || message.contains("undefined"), message);
            // what is offered next: a certificate the host refused stays "issued" (contact the CA, install
            // again); an answer that never came is "unknown" (check again) — never a second signature
            assertEquals(failure.expectedCode.startsWith("CA_") ? "unknown" : "issued", s.bodyData("journey"));
            assertFalse(s.driver().findElement(By.id("sign-submit")).isDisplayed(), "no second signature offered");
            assertEquals("", s.visibleText("status"), "no status left beside the error");
            s.screenshot("portal-ca-failure-" + failure.name());
            s.assertOldCertificateStillWorks();
        }
    }

    @org.junit.jupiter.api.Test
    void caAnswerLostAfterIssuing_nextVisitFindsTheCertificateAndInstallsIt(TestInfo info) throws Exception {
        wiremock.resetAll();
        wiremock.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().proxiedFrom("http://127.0.0.1:" + server.port())));
        wiremock.stubFor(post(urlEqualTo("/api/renewal/submit")).atPriority(1).willReturn(failing(Failure.TIMEOUT)));
        try (PortalSession s = new PortalSession(dir.resolve("lost-answer"), xvfb, ca, "http://localhost:" + wiremock.port(), 30)) {
            int before = ca.store().read().applications().size();
            s.open("?lang=en&caTimeout=2500");
            s.click("read-card");
            s.awaitState("form", CARD);
            s.type("code", ca.renewals().newCode());
            s.click("renew");
            s.awaitState("application", CARD);
            s.click("sign-submit");
            s.awaitState("error", CARD);
            assertEquals("CA_TIMEOUT", s.messageCode());
            // the CA did accept it (WireMock passed the submission on; only the answer was late)
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (ca.store().read().applications().size() == before && System.nanoTime() < end) {
                PortalSession.sleep(100);
            }
            assertEquals(before + 1, ca.store().read().applications().size());
            s.assertOldCertificateStillWorks();

            s.click("read-card");
            s.awaitState("ready-to-install", CARD);
            s.click("install-pending");
            s.awaitState("done", CARD);
            var certs = s.userCertificates();
            assertEquals(1, certs.size(), certs.toString());
            assertFalse(new java.math.BigInteger(certs.getFirst().path("serialNumber").asText(), 16).equals(s.oldCertificate.getSerialNumber()));
            assertEquals(0, s.card().path("pendingKeys").size());
        }
    }

    /** Spoils the certificate in the CA's (proxied, real) answer as a broken CA back end would. */
    static final class CorruptIssuedCertificate implements ResponseTransformerV2 {
        static final String NAME = "corrupt-issued-certificate";

        @Override
        public String getName() {
            return NAME;
        }

        @Override
        public boolean applyGlobally() {
            return false;
        }

        @Override
        public Response transform(Response response, ServeEvent event) {
            try {
                ObjectNode body = (ObjectNode) JSON.readTree(response.getBodyAsString());
                switch (Failure.valueOf(event.getTransformerParameters().getString("mode"))) {
                    case MALFORMED_CERTIFICATE -> body.put("certificate", Base64.getEncoder().encodeToString(
                            new byte[]{0x30, (byte) 0x82, 0x05, 0x00, 0x30, 0x03, 0x02, 0x01}));
                    case CERTIFICATE_FOR_ANOTHER_KEY -> {
                        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                        g.initialize(256);
                        Instant now = ca.clock().now();
                        X509Certificate other = ca.renewals().issueInitial(new X500Name(PortalSession.SUBJECT),
                                SubjectPublicKeyInfo.getInstance(g.generateKeyPair().getPublic().getEncoded()), now, now.plus(Duration.ofDays(365)));
                        body.put("certificate", Base64.getEncoder().encodeToString(other.getEncoded()));
                    }
                    case BROKEN_CHAIN -> {
                        // a look-alike issuing CA: the same name, another key, so the signature does not chain
                        X509Certificate lookalike = CertificateAuthority.create(Instant.now()).issuing();
                        body.putArray("chain").add(Base64.getEncoder().encodeToString(lookalike.getEncoded()));
                    }
                    default -> throw new IllegalArgumentException("not a certificate corruption");
                }
                return Response.Builder.like(response).but()
                        .headers(new HttpHeaders(new HttpHeader("Content-Type", "application/json")))
                        .body(JSON.writeValueAsBytes(body)).build();
            } catch (IOException | java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
