package org.cardbridge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.host.Version;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.testing.Browser;
import org.cardbridge.testing.ChromiumBrowser;
import org.cardbridge.testing.FirefoxBrowser;
import org.cardbridge.testing.HostDialogs;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestPages;
import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same extension in Debian's firefox-esr (Marionette, temporary add-on, host manifest under
 * $HOME/.mozilla/native-messaging-hosts; the host is started the Firefox way): a page lists the
 * SoftHSM2 token and signs, the PIN typed into the host's dialog on Xvfb.
 */
class FirefoxSmokeIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String LABEL = "Firefox Łódź";

    @TempDir
    static Path dir;
    static TestPages pages;
    static FirefoxBrowser firefox;
    static Xvfb xvfb;
    static X509Certificate cert;

    @BeforeAll
    static void start() throws Exception {
        Browser.Kind.FIREFOX.requireInstalled(); // under CI=true a missing firefox-esr fails
        xvfb = Xvfb.start();
        SoftHsm2 store = SoftHsm2.create(dir.resolve("softhsm"), List.of(LABEL));
        TestCa ca = new TestCa("CardBridge Firefox CA");
        KeyPair keys = TestCa.rsa(2048);
        cert = ca.issue(keys.getPublic(), "CN=Firefox Smoke,C=PL", 30);
        store.tokens().getFirst().importKey(keys, cert, new byte[]{9, 9}, "podpis");
        pages = TestPages.http();
        Path policy = TestPages.writePolicy(dir, pages.origin("localhost"), List.of(SoftHsm2.MODULE), "read", "sign");
        Map<String, String> env = new HashMap<>(Map.of(
                "CARDBRIDGE_POLICY", policy.toString(),
                "CARDBRIDGE_STATE_DIR", dir.resolve("state").toString()));
        env.putAll(store.environment());
        env.putAll(xvfb.environment());
        firefox = new FirefoxBrowser(env);
        assertEquals(ExtensionIds.FIREFOX, firefox.installExtension(ChromiumBrowser.extensionDir()));
    }

    @AfterAll
    static void stop() {
        if (firefox != null) {
            firefox.close();
        }
        if (pages != null) {
            pages.close();
        }
        if (xvfb != null) {
            xvfb.close();
        }
    }

    @Test
    void listTokensAndSign_inFirefox_throughTheExtensionAndTheHost() throws Exception {
        firefox.navigate(pages.url("localhost"));
        JsonNode status = firefox.callApi("status");
        assertEquals(Version.HOST, status.path("result").path("host").asText(), status.toString());

        JsonNode token = null;
        for (JsonNode t : firefox.callApi("listTokens").path("result").path("tokens")) {
            if (LABEL.equals(t.path("label").asText())) {
                token = t;
            }
        }
        assertNotNull(token, "the SoftHSM2 token is listed");
        String handle = firefox.callApi("listCertificates", Map.of("token", token.path("token").asText()))
                .path("result").path("certificates").get(0).path("handle").asText();

        XDoTool xdo = xvfb.xdotool();
        String login = firefox.startApi("login", Map.of("token", token.path("token").asText()));
        HostDialogs.typePin(xdo, SoftHsm2.PIN, WAIT, null);
        assertTrue(firefox.result(login, WAIT).path("result").path("loggedIn").asBoolean());

        byte[] data = "Firefox podpisuje".getBytes(StandardCharsets.UTF_8);
        String sign = firefox.startApi("sign", Map.of("certificate", handle, "data", Base64.getEncoder().encodeToString(data),
                "format", "raw", "description", "test Firefox"));
        HostDialogs.confirm(xdo, WAIT, null);
        JsonNode signed = firefox.result(sign, WAIT);
        JsonNode result = signed.path("result");
        assertEquals("raw", result.path("format").asText(), signed.toString());
        Signature verifier = Signature.getInstance(result.path("signatureAlgorithm").asText());
        verifier.initVerify(cert.getPublicKey());
        verifier.update(data);
        assertTrue(verifier.verify(Base64.getDecoder().decode(result.path("signature").asText())), signed.toString());
    }
}
