package org.cardbridge.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.testing.NativeMessagingClient;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.HostDialogs;
import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real thing end to end: the built host, started as a browser starts it, with SoftHSM2 for a card,
 * showing its real Swing dialogs on a private Xvfb display where xdotool confirms and types the PIN.
 * Screenshots of each dialog are kept in target/screenshots. Afterwards every message both ways, the
 * host's stderr and its log files are searched for the PIN: it must appear nowhere.
 */
class TokenDialogsIT {
    /** Distinctive PINs, so a leak cannot hide behind a coincidence. */
    private static final String PIN = "739184";
    private static final String WRONG_PIN = "482915";
    private static final Duration DIALOG = Duration.ofSeconds(30);
    private static final byte[] DOC = "Wniosek o odnowienie certyfikatu".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;
    private static Xvfb xvfb;
    private static SoftHsm2 store;
    private static X509Certificate cert;

    @BeforeAll
    static void setUp() throws Exception {
        xvfb = Xvfb.start();
        store = SoftHsm2.create(dir.resolve("softhsm"), List.of("Karta Żółta"), PIN);
        KeyPair keys = TestCa.rsa(2048);
        cert = new TestCa("Dialog CA").issue(keys.getPublic(), "CN=Paweł Dąbrowski,C=PL", 30);
        store.tokens().getFirst().importKey(keys, cert, new byte[]{0x11}, "Podpis");
        Files.writeString(dir.resolve("policy.json"), """
                {"origins": [{"origin": "https://ca.example.pl", "allow": ["sign", "enroll"]}],
                 "modules": ["%s"], "dialogTimeoutSeconds": 60, "logLevel": "ALL"}
                """.formatted(SoftHsm2.MODULE));
    }

    @AfterAll
    static void tearDown() {
        if (xvfb != null) {
            xvfb.close();
        }
    }

    private NativeMessagingClient startHost(Path state) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(store.environment());
        env.putAll(xvfb.environment());
        env.put("CARDBRIDGE_POLICY", dir.resolve("policy.json").toString());
        env.put("CARDBRIDGE_STATE_DIR", state.toString());
        return new NativeMessagingClient(Path.of(System.getProperty("cardbridge.launcher")), env, state.resolve("stderr.txt"));
    }

    @Test
    void sign_confirmedAndPinTypedInTheRealDialogs_signatureVerifies_andThePinIsNowhere() throws Exception {
        Path state = Files.createDirectories(dir.resolve("state-sign"));
        XDoTool xdo = xvfb.xdotool();
        List<String> transcript;
        try (NativeMessagingClient host = startHost(state)) {
            String token = token(host);
            String certificate = host.call("listCertificates", Map.of("token", token)).path("result").path("certificates").get(0)
                    .path("handle").asText();

            // 1. Polish dialogs, wrong PIN: PIN_INCORRECT, and the host does not ask again by itself.
            String first = host.send("sign", Map.of("certificate", certificate, "data", Base64.getEncoder().encodeToString(DOC),
                    "format", "raw", "description", "Wniosek o odnowienie"), "pl");
            confirm(xdo, "confirm-dialog-pl");
            typePin(xdo, WRONG_PIN, "pin-dialog-pl");
            JsonNode wrong = host.await(first, DIALOG);
            assertEquals("PIN_INCORRECT", wrong.path("error").path("code").asText(), wrong.toString());
            // SoftHSM2 raises CKF_USER_PIN_COUNT_LOW after a wrong PIN: the error and listTokens say so.
            assertEquals("countLow", wrong.path("error").path("details").path("pinState").asText(), wrong.toString());

            // 2. English dialogs, right PIN: a signature that verifies with the certificate.
            String second = host.send("sign", Map.of("certificate", certificate, "data", Base64.getEncoder().encodeToString(DOC),
                    "format", "raw", "description", "Renewal application"), "en");
            confirm(xdo, "confirm-dialog-en");
            typePin(xdo, PIN, "pin-dialog-en");
            JsonNode signed = host.await(second, DIALOG);
            assertTrue(signed.has("result"), signed.toString());
            Signature v = Signature.getInstance(signed.path("result").path("signatureAlgorithm").asText());
            v.initVerify(cert);
            v.update(DOC);
            assertTrue(v.verify(Base64.getDecoder().decode(signed.path("result").path("signature").asText())), signed.toString());

            // 3. The login holds for the connection: the next signature only asks for confirmation.
            String third = host.send("sign", Map.of("certificate", certificate, "data", Base64.getEncoder().encodeToString(DOC),
                    "format", "cms", "description", "Drugi dokument"), "en");
            confirm(xdo, "confirm-dialog-logged-in");
            assertTrue(host.await(third, DIALOG).has("result"));
            transcript = host.transcript();
        }
        assertPinNowhere(transcript, state);
        assertTrue(Files.size(XDoTool.SCREENSHOTS.resolve("pin-dialog-pl.png")) > 0);
        assertTrue(Files.size(XDoTool.SCREENSHOTS.resolve("confirm-dialog-pl.png")) > 0);
    }

    @Test
    void confirmation_cancelledInTheDialog_isUserCancelled_andNoPinIsAsked() throws Exception {
        Path state = Files.createDirectories(dir.resolve("state-cancel"));
        XDoTool xdo = xvfb.xdotool();
        try (NativeMessagingClient host = startHost(state)) {
            String token = token(host);
            String id = host.send("generateKeyPair", Map.of("token", token, "algorithm", "EC-P256", "label", "Nowy"), "pl");
            String window = xdo.waitForWindow("CardBridge", DIALOG);
            xdo.awaitPainted(window, DIALOG);
            xdo.screenshot("confirm-generate-key-pl");
            for (int attempt = 0; attempt < 5; attempt++) {
                xdo.clickFromBottomRight(window, 50, 24); // "Anuluj", the rightmost button
                if (xdo.awaitGone(window, Duration.ofSeconds(3))) {
                    break;
                }
            }
            JsonNode answer = host.await(id, DIALOG);
            assertEquals("USER_CANCELLED", answer.path("error").path("code").asText(), answer.toString());
        }
    }

    private static String token(NativeMessagingClient host) throws Exception {
        for (JsonNode t : host.call("listTokens", Map.of()).path("result").path("tokens")) {
            if ("Karta Żółta".equals(t.path("label").asText())) {
                return t.path("token").asText();
            }
        }
        throw new AssertionError("token not listed");
    }

    private static void confirm(XDoTool xdo, String screenshot) {
        HostDialogs.confirm(xdo, DIALOG, screenshot);
    }

    /** Types the PIN (replacing anything half-typed) and Return, until this very dialog is gone. */
    private static void typePin(XDoTool xdo, String pin, String screenshot) {
        String window = xdo.waitForWindow("CardBridge", DIALOG);
        xdo.awaitPainted(window, DIALOG);
        for (int attempt = 0; attempt < 5; attempt++) {
            xdo.focus(window);
            // A probe key first: once it shows, the field has the focus and no key of the PIN is lost.
            String blank = xdo.pixels(window);
            xdo.type("0");
            if (!xdo.awaitRepaint(window, blank, Duration.ofSeconds(2))) {
                continue;
            }
            xdo.key("ctrl+a");
            String probe = xdo.pixels(window);
            xdo.type(pin);
            xdo.awaitRepaint(window, probe, Duration.ofSeconds(2));
            xdo.screenshot(screenshot); // the field shows dots, never the digits
            xdo.pressReturn();
            if (xdo.awaitGone(window, Duration.ofSeconds(3))) {
                return;
            }
        }
        throw new AssertionError("the PIN dialog did not take the PIN");
    }

    private static void assertPinNowhere(List<String> transcript, Path state) throws Exception {
        List<String> places = new ArrayList<>();
        for (String message : transcript) {
            if (message.contains(PIN) || message.contains(WRONG_PIN)) {
                places.add("message " + message);
            }
        }
        try (Stream<Path> files = Files.walk(state)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                if (text.contains(PIN) || text.contains(WRONG_PIN)) {
                    places.add("file " + f);
                }
            }
        }
        assertTrue(Files.list(state).anyMatch(f -> f.getFileName().toString().startsWith("host") && f.toString().endsWith(".log")),
                "the host's log must exist, or this check proves nothing");
        assertFalse(transcript.isEmpty());
        assertEquals(List.of(), places);
    }
}
