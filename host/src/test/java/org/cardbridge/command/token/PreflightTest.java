package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cardbridge.host.Operations;
import org.cardbridge.policy.Policy;
import org.cardbridge.policy.PolicyLoader;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.Json;
import org.cardbridge.protocol.Lang;
import org.cardbridge.testing.FaultInjectingPkcs11;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.SessionHarness;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.WindowLog;
import org.cardbridge.token.Ck;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.TokenManager;
import org.cardbridge.token.WrapperPkcs11;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request that cannot succeed never opens a window: for every operation, each error that can be known
 * without the PIN is answered with its code and the host asked its user interface nothing (not even read
 * consent). Through the whole host ({@code HostSession} over pipes), on every backend where the card
 * matters; the checks that need PIN or token flags set through the module seam run on SoftHSM2 (as the
 * other PIN-flag tests do).
 */
class PreflightTest {
    /** In the policy with read, sign and enroll. */
    static final String CA = "https://ca.example.pl";
    /** Not in the policy: may read after the person consents. */
    static final String UNLISTED = "https://unlisted.example";
    static final String ABSENT_TOKEN = "tAbsentCardAbsentCard0";
    static final String SOME_HASH = Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    Path state;
    WindowLog windows;
    SessionHarness host;
    final List<FaultInjectingPkcs11> modules = new ArrayList<>();
    final AtomicInteger ids = new AtomicInteger();

    static List<TestToken.Backend> backends() {
        return TestToken.backends();
    }

    /** A host over {@code token}'s module; every window is answered by a script that confirms and types the PIN. */
    private void start(TestToken token, Long... hiddenMechanisms) throws Exception {
        SoftHsm2.inProcess();
        windows = new WindowLog(new ScriptedUserInterface(token.pin()));
        TokenManager tokens = new TokenManager(List.of(token.module()), path -> {
            FaultInjectingPkcs11 m = new FaultInjectingPkcs11(WrapperPkcs11.load(path));
            m.hideMechanisms(hiddenMechanisms);
            modules.add(m);
            return m;
        });
        Path policy = state.resolve("policy.json");
        Files.writeString(policy, "{\"origins\":[{\"origin\":\"" + CA + "\",\"allow\":[\"read\",\"sign\",\"enroll\"]}]}");
        Policy loaded = PolicyLoader.load(policy).policy();
        host = new SessionHarness(pending -> Operations.standard(pending, tokens), loaded, windows.ui(), state,
                List.of(tokens), 1 << 20);
    }

    @AfterEach
    void stop() throws Exception {
        if (host != null) {
            host.close();
        }
    }

    private JsonNode ask(String origin, String op, Map<String, ?> params, String lang) throws Exception {
        String id = "r" + ids.incrementAndGet();
        ObjectNode request = Json.mapper().createObjectNode().put("id", id).put("op", op).put("origin", origin);
        request.set("params", Json.mapper().valueToTree(params));
        if (lang != null) {
            request.put("lang", lang);
        }
        host.send(request.toString());
        return host.answerTo(id);
    }

    private JsonNode result(String origin, String op, Map<String, ?> params) throws Exception {
        JsonNode answer = ask(origin, op, params, null);
        assertTrue(answer.has("result"), op + ": " + answer);
        return answer.path("result");
    }

    /** Asserts the request is answered with {@code code} and opened no window. */
    private JsonNode refused(ErrorCode code, String origin, String op, Map<String, ?> params) throws Exception {
        return refused(code, origin, op, params, null);
    }

    private JsonNode refused(ErrorCode code, String origin, String op, Map<String, ?> params, String lang) throws Exception {
        windows.clear();
        JsonNode answer = ask(origin, op, params, lang);
        assertEquals(code.name(), answer.path("error").path("code").asText(), op + " " + params + " from " + origin + ": " + answer);
        assertEquals(List.of(), windows.windows(), op + " " + params + ": a request that cannot succeed opened a window");
        return answer.path("error");
    }

    /** This token's handle from listTokens, waiting up to 10 s for a card just inserted. */
    private String handle(TestToken token) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        do {
            for (JsonNode t : result(CA, "listTokens", Map.of()).path("tokens")) {
                if (t.path("present").asBoolean() && !t.path("token").isNull() && token.is(new Pkcs11.TokenInfo(
                        t.path("label").asText(), t.path("manufacturer").asText(), t.path("model").asText(),
                        t.path("serial").asText(), 0))) {
                    return t.path("token").asText();
                }
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the token is not listed");
    }

    private String certificateHandle(String token) throws Exception {
        return result(CA, "listCertificates", Map.of("token", token)).path("certificates").get(0).path("handle").asText();
    }

    private static String pem(X509Certificate c) {
        return TestCa.pem(c);
    }

    private static Map<String, Object> signParams(String certificate) {
        return Map.of("certificate", certificate, "hash", SOME_HASH, "format", "raw", "description", "Wniosek o odnowienie");
    }

    /** What every operation with a token argument answers for a card that is not there, and for what the card lacks. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void everyOperation_requestThatCannotSucceed_isAnsweredWithItsErrorAndNoWindow(Supplier<TestToken> backend) throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        // A card that cannot make EC keys (the IsoApplet card lacks it anyway), whatever SoftHSM2 can.
        start(f.token(), Ck.CKM_EC_KEY_PAIR_GEN);
        String token = handle(f.token());
        String certificate = certificateHandle(token);
        String absentCertificate = token + "~c" + "00".repeat(16);

        // The card is not there: read operations answer before asking an unlisted page's read consent.
        refused(ErrorCode.TOKEN_NOT_FOUND, UNLISTED, "listCertificates", Map.of("token", ABSENT_TOKEN));
        refused(ErrorCode.TOKEN_NOT_FOUND, UNLISTED, "login", Map.of("token", ABSENT_TOKEN));
        refused(ErrorCode.TOKEN_NOT_FOUND, UNLISTED, "logout", Map.of("token", ABSENT_TOKEN));
        refused(ErrorCode.TOKEN_NOT_FOUND, CA, "login", Map.of("token", ABSENT_TOKEN));
        refused(ErrorCode.TOKEN_NOT_FOUND, CA, "generateKeyPair", Map.of("token", ABSENT_TOKEN, "algorithm", "RSA-2048", "label", "k"));
        refused(ErrorCode.TOKEN_NOT_FOUND, CA, "createCsr", Map.of("key", ABSENT_TOKEN + "~k0102", "subject", "CN=x"));
        refused(ErrorCode.TOKEN_NOT_FOUND, CA, "removeKey", Map.of("key", ABSENT_TOKEN + "~k0102"));
        refused(ErrorCode.TOKEN_NOT_FOUND, CA, "sign", signParams(ABSENT_TOKEN + "~c" + "00".repeat(16)));

        // generateKeyPair: an algorithm the card cannot make.
        JsonNode ec = refused(ErrorCode.ALGORITHM_NOT_SUPPORTED, CA, "generateKeyPair",
                Map.of("token", token, "algorithm", "EC-P256", "label", "k"));
        assertEquals("EC-P256", ec.path("details").path("algorithm").asText());

        // createCsr and removeKey: a key the card does not have (before: confirmation and PIN, then KEY_NOT_FOUND),
        // and the current key, which has a certificate.
        refused(ErrorCode.KEY_NOT_FOUND, CA, "createCsr", Map.of("key", token + "~kabcdef", "subject", "CN=Jan Kowalski"));
        refused(ErrorCode.KEY_NOT_FOUND, CA, "removeKey", Map.of("key", token + "~kabcdef"));
        assertEquals("key", refused(ErrorCode.INVALID_ARGUMENT, CA, "createCsr",
                Map.of("key", token + "~k0102", "subject", "CN=Jan Kowalski")).path("details").path("field").asText());
        assertEquals("key", refused(ErrorCode.INVALID_ARGUMENT, CA, "removeKey", Map.of("key", token + "~k0102"))
                .path("details").path("field").asText());

        // sign: a certificate the card does not hold; a hash of the wrong size.
        refused(ErrorCode.KEY_NOT_FOUND, CA, "sign", signParams(absentCertificate));
        refused(ErrorCode.INVALID_ARGUMENT, CA, "sign", Map.of("certificate", certificate, "hash", "AAAA", "format", "raw",
                "description", "x"));

        // installCertificate: a certificate for a key on no card; expired; replacing a certificate not on the card;
        // certificates that do not form one chain.
        KeyPair elsewhere = TestCa.rsa(2048);
        refused(ErrorCode.CERTIFICATE_KEY_MISMATCH, CA, "installCertificate", Map.of("certificates", pem(TokenFixture.issue(elsewhere))));
        X509Certificate expired = f.ca().issue(f.keys().getPublic(), TokenFixture.SUBJECT, Instant.now().minusSeconds(7200),
                Instant.now().minusSeconds(3600));
        refused(ErrorCode.CERTIFICATE_EXPIRED, CA, "installCertificate", Map.of("certificates", pem(expired)));
        X509Certificate renewed = TokenFixture.issue(f.keys());
        refused(ErrorCode.KEY_NOT_FOUND, CA, "installCertificate", Map.of("certificates", pem(renewed), "replaces", absentCertificate));
        refused(ErrorCode.CERTIFICATE_INVALID, CA, "installCertificate",
                Map.of("certificates", List.of(pem(renewed), pem(new TestCa("Another CA").issuing()))));

        // Operations without a card argument: only their parameters and the origin can be wrong.
        refused(ErrorCode.INVALID_ARGUMENT, UNLISTED, "listTokens", Map.of("token", token));
        refused(ErrorCode.INVALID_ARGUMENT, UNLISTED, "subscribe", Map.of("events", "all"));
        refused(ErrorCode.INVALID_ARGUMENT, UNLISTED, "unsubscribe", Map.of("events", "all"));
        refused(ErrorCode.ORIGIN_NOT_ALLOWED, CA, "renewalPages", Map.of());
        refused(ErrorCode.ORIGIN_NOT_ALLOWED, UNLISTED, "sign", signParams(certificate));
        refused(ErrorCode.ORIGIN_NOT_ALLOWED, UNLISTED, "generateKeyPair", Map.of("token", token, "algorithm", "RSA-2048", "label", "k"));
        // A spelling of 127.0.0.1 no browser reports, and a language the host does not speak.
        refused(ErrorCode.ORIGIN_NOT_ALLOWED, "https://2130706433", "listCertificates", Map.of("token", token));
        refused(ErrorCode.INVALID_ARGUMENT, UNLISTED, "listCertificates", Map.of("token", token), "de");

        // Nothing was changed: the card still holds its one certificate and no pending key.
        JsonNode listed = result(CA, "listCertificates", Map.of("token", token));
        assertEquals(1, listed.path("certificates").size());
        assertEquals(0, listed.path("pendingKeys").size());
    }

    /** What the card shows only to a logged-in connection is checked before the windows once it can be seen. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void afterLogin_signWithACertificateWhoseKeyIsNotOnTheCard_isKeyNotFoundWithoutAWindow(Supplier<TestToken> backend)
            throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        // A certificate on the card with no key behind it (as a CA certificate stored there is).
        X509Certificate keyless = TokenFixture.issue(TestCa.rsa(2048));
        f.token().writeCertificate(keyless, new byte[]{0x0c}, "bez klucza");
        start(f.token());
        String token = handle(f.token());
        result(CA, "login", Map.of("token", token));
        String keylessHandle = null;
        for (JsonNode c : result(CA, "listCertificates", Map.of("token", token)).path("certificates")) {
            if (c.path("keyId").asText().equals("0c")) {
                keylessHandle = c.path("handle").asText();
            }
        }
        refused(ErrorCode.KEY_NOT_FOUND, CA, "sign", signParams(keylessHandle));
    }

    /** A card without the signature mechanism a key needs: sign and createCsr refuse before the windows. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void cardWithoutTheKeysSignatureMechanism_signAndCreateCsr_areAlgorithmNotSupportedWithoutAWindow(Supplier<TestToken> backend)
            throws Exception {
        TokenFixture f = TokenFixture.withCertificate(backend.get());
        // A pending key (no certificate) put there by the card's own tool: without a signature mechanism the
        // host would not make one itself.
        f.token().importKey(TestCa.rsa(2048), null, new byte[]{0x0d}, "nowy klucz");
        start(f.token(), Ck.CKM_RSA_PKCS, Ck.CKM_RSA_PKCS_PSS);
        String token = handle(f.token());
        String key = token + "~k0d";
        assertEquals(key, result(CA, "listCertificates", Map.of("token", token)).path("pendingKeys").get(0).path("handle").asText());
        refused(ErrorCode.ALGORITHM_NOT_SUPPORTED, CA, "sign", signParams(certificateHandle(token)));
        refused(ErrorCode.ALGORITHM_NOT_SUPPORTED, CA, "createCsr", Map.of("key", key, "subject", "CN=Jan Kowalski"));
    }

    /** A blocked PIN (flag set through the module seam): everything that would need the PIN refuses first. */
    @Test
    void pinBlocked_everyOperationThatNeedsTheLogin_isPinLockedWithoutAWindow() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        start(f.token());
        String token = handle(f.token());
        String certificate = certificateHandle(token);
        JsonNode pending = result(CA, "generateKeyPair", Map.of("token", token, "algorithm", "RSA-2048", "label", "nowy klucz"));
        String key = pending.path("key").asText();
        X509Certificate issued = TokenFixture.issue(new KeyPair(publicKey(pending.path("publicKey").asText()), null));
        result(CA, "logout", Map.of("token", token));
        modules.getFirst().addTokenFlags(Ck.CKF_USER_PIN_LOCKED);

        refused(ErrorCode.PIN_LOCKED, UNLISTED, "login", Map.of("token", token));
        refused(ErrorCode.PIN_LOCKED, CA, "login", Map.of("token", token));
        refused(ErrorCode.PIN_LOCKED, CA, "generateKeyPair", Map.of("token", token, "algorithm", "RSA-2048", "label", "k"));
        refused(ErrorCode.PIN_LOCKED, CA, "createCsr", Map.of("key", key, "subject", "CN=Jan Kowalski"));
        refused(ErrorCode.PIN_LOCKED, CA, "removeKey", Map.of("key", key));
        refused(ErrorCode.PIN_LOCKED, CA, "sign", signParams(certificate));
        refused(ErrorCode.PIN_LOCKED, CA, "installCertificate", Map.of("certificates", pem(issued)));
        // Reading needs no PIN and still works.
        assertEquals(1, result(CA, "listCertificates", Map.of("token", token)).path("pendingKeys").size());
    }

    /** A write-protected card (flag set through the module seam): nothing that writes or removes asks anything. */
    @Test
    void writeProtectedCard_generateRemoveAndInstall_areTokenReadOnlyWithoutAWindow() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        start(f.token());
        String token = handle(f.token());
        JsonNode pending = result(CA, "generateKeyPair", Map.of("token", token, "algorithm", "RSA-2048", "label", "nowy klucz"));
        X509Certificate issued = TokenFixture.issue(new KeyPair(publicKey(pending.path("publicKey").asText()), null));
        modules.getFirst().addTokenFlags(Ck.CKF_WRITE_PROTECTED);

        refused(ErrorCode.TOKEN_READ_ONLY, CA, "generateKeyPair", Map.of("token", token, "algorithm", "RSA-2048", "label", "k"));
        refused(ErrorCode.TOKEN_READ_ONLY, CA, "removeKey", Map.of("key", pending.path("key").asText()));
        refused(ErrorCode.TOKEN_READ_ONLY, CA, "installCertificate", Map.of("certificates", pem(issued)));
    }

    /**
     * Text a window would show, with a character of each refused class, per field: refused naming the field
     * before any window. (Certificates to install carry their subject: CERTIFICATE_INVALID.)
     */
    @Test
    void pageText_withBidiFormatOrControlCharacters_isRefusedPerFieldWithoutAWindow() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        start(f.token());
        String token = handle(f.token());
        String certificate = certificateHandle(token);
        Map<String, String> samples = new LinkedHashMap<>();
        samples.put("right-to-left override", "\u202E");
        samples.put("first strong isolate", "\u2068");
        samples.put("Arabic letter mark", "\u061C");
        samples.put("zero width space (Cf)", "\u200B");
        samples.put("byte order mark (Cf)", "\uFEFF");
        samples.put("NUL (Cc)", "\u0000");
        samples.put("line feed (Cc)", "\n");
        samples.put("line separator (Zl)", "\u2028");
        for (Map.Entry<String, String> s : samples.entrySet()) {
            String text = "Wniosek" + s.getValue() + "gpj.exe";
            String why = s.getKey();
            assertEquals("label", refused(ErrorCode.INVALID_ARGUMENT, CA, "generateKeyPair",
                    Map.of("token", token, "algorithm", "RSA-2048", "label", text)).path("details").path("field").asText(), why);
            JsonNode description = refused(ErrorCode.INVALID_ARGUMENT, CA, "sign", Map.of("certificate", certificate, "hash", SOME_HASH,
                    "format", "raw", "description", text));
            assertEquals("description", description.path("details").path("field").asText(), why);
            assertTrue(description.path("message").asText().contains(String.format("U+%04X", s.getValue().codePointAt(0))), why);
            assertEquals("subject", refused(ErrorCode.INVALID_ARGUMENT, CA, "createCsr",
                    Map.of("key", token + "~k0102", "subject", "CN=" + text)).path("details").path("field").asText(), why);
            assertEquals("subject", refused(ErrorCode.INVALID_ARGUMENT, CA, "createCsr", Map.of("key", token + "~k0102",
                    "subject", List.of(List.of(Map.of("type", "CN", "value", text))))).path("details").path("field").asText(), why);
        }
        // An RFC 4514 hex escape is unescaped first: \E2\80\AE is U+202E.
        assertEquals("subject", refused(ErrorCode.INVALID_ARGUMENT, CA, "createCsr",
                Map.of("key", token + "~k0102", "subject", "CN=abc\\E2\\80\\AEgpj.exe")).path("details").path("field").asText());
        // A certificate whose subject would reorder the confirmation's text.
        X509Certificate bidi = f.ca().issue(f.keys().getPublic(), "CN=Jan\u202Egpj.exe,C=PL", Instant.now().minusSeconds(60),
                Instant.now().plusSeconds(86400));
        assertEquals("certificates", refused(ErrorCode.CERTIFICATE_INVALID, CA, "installCertificate",
                Map.of("certificates", pem(bidi))).path("details").path("field").asText());
        // Polish text passes: the same requests without the character reach the window.
        windows.clear();
        JsonNode ok = ask(CA, "generateKeyPair", Map.of("token", token, "algorithm", "RSA-2048", "label", "Wniosek zażółć gęślą jaźń"), null);
        assertTrue(ok.has("result"), ok.toString());
        assertTrue(!windows.windows().isEmpty());
    }

    /** The request's lang reaches every window it opens, the read consent of an unlisted page included. */
    @Test
    void lang_reachesEveryWindowOfTheRequest_readConsentIncluded() throws Exception {
        TokenFixture f = TokenFixture.withCertificate();
        start(f.token());
        String token = handle(f.token());
        String certificate = certificateHandle(token);
        for (Lang lang : Lang.values()) {
            String code = lang.name().toLowerCase(java.util.Locale.ROOT);
            windows.clear();
            assertTrue(ask(UNLISTED, "listCertificates", Map.of("token", token), code).has("result"));
            assertEquals(List.of(new WindowLog.Window("askReadConsent", lang)), windows.windows());

            windows.clear();
            assertTrue(ask(UNLISTED, "login", Map.of("token", token), code).has("result"));
            assertEquals(new WindowLog.Window("askReadConsent", lang), windows.windows().getFirst());
            assertTrue(windows.windows().size() >= 2, "consent, then the PIN: " + windows.windows());
            for (WindowLog.Window w : windows.windows()) {
                assertEquals(lang, w.lang(), w.method());
            }
            assertTrue(ask(CA, "logout", Map.of("token", token), code).has("result"));

            windows.clear();
            JsonNode signed = ask(CA, "sign", signParams(certificate), code);
            assertTrue(signed.has("result"), signed.toString());
            assertTrue(!windows.windows().isEmpty(), "the signature is confirmed and the PIN typed");
            for (WindowLog.Window w : windows.windows()) {
                assertEquals(lang, w.lang(), w.method());
            }
            assertTrue(ask(CA, "logout", Map.of("token", token), code).has("result"));
        }
    }

    private static PublicKey publicKey(String base64) throws Exception {
        return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }
}
