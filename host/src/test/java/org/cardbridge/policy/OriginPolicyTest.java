package org.cardbridge.policy;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Json;
import org.cardbridge.protocol.Lang;
import org.cardbridge.testing.ScriptedUserInterface;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OriginPolicyTest {
    private static final String POLICY = """
            {"origins": [
              {"origin": "https://ca.example", "allow": ["read", "sign", "enroll"], "renewalUrl": "https://ca.example/renew"},
              {"origin": "https://reader.example", "allow": ["read"]},
              {"origin": "https://ports.example:8443", "allow": ["sign"]},
              {"origin": "http://localhost:8080", "allow": ["enroll"]}
            ]}""";

    @TempDir
    Path dir;
    final ScriptedUserInterface ui = new ScriptedUserInterface();

    private OriginPolicy policy() throws Exception {
        Policy p = PolicyLoader.parse(Json.mapper().readTree(POLICY));
        return new OriginPolicy(p, new ConsentStore(dir.resolve("consent.json")), () -> ui);
    }

    private ErrorCode refusal(String origin, OperationClass c) {
        return assertThrows(HostException.class, () -> policy().authorize(origin, c, Lang.EN)).code();
    }

    @Test
    void listedOrigin_getsItsClasses() throws Exception {
        for (OperationClass c : new OperationClass[]{OperationClass.READ, OperationClass.SIGN, OperationClass.ENROLL, OperationClass.PIN}) {
            assertEquals("https://ca.example", policy().authorize("https://ca.example", c, Lang.EN).toString());
        }
        assertEquals(0, ui.consentRequests().size(), "a listed origin is never asked about");
    }

    @Test
    void listedReadOnlyOrigin_cannotSignOrEnroll() {
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("https://reader.example", OperationClass.SIGN));
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("https://reader.example", OperationClass.ENROLL));
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("https://reader.example", OperationClass.PIN), "PIN management comes with enroll only");
        assertEquals(0, ui.consentRequests().size(), "refused without a dialog");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "https://ca.example.evil.example", "https://evil-ca.example", "https://xca.example", "https://ca.example:444",
            "https://sub.ca.example", "https://ca.example/", "https://ca.example/renew", "https://ca.example?https://ca.example",
            "https://ca.example@evil.example", "http://ca.example", "https://ports.example", "https://ca.exampl",
            "https://CA.EXAMPLE", "https://ca.example.", "http://localhost", "http://localhost:8081", "http://127.0.0.1:8080"})
    void lookAlikesAndOtherSpellings_getNoSignature(String origin) {
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal(origin, OperationClass.SIGN));
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal(origin, OperationClass.ENROLL));
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal(origin, OperationClass.PIN));
    }

    @Test
    void exactPortMatters() throws Exception {
        assertEquals("https://ports.example:8443", policy().authorize("https://ports.example:8443", OperationClass.SIGN, Lang.EN).toString());
    }

    @Test
    void httpLoopback_onlyWhenListedExactly() throws Exception {
        assertEquals("http://localhost:8080", policy().authorize("http://localhost:8080", OperationClass.ENROLL, Lang.EN).toString());
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("http://localhost:8081", OperationClass.READ));
        assertEquals(0, ui.consentRequests().size(), "plain http is refused without asking the user");
    }

    @Test
    void unlistedHttps_readAfterConsent() throws Exception {
        ui.thenConsent(true, false);
        assertEquals("https://other.example", policy().authorize("https://other.example", OperationClass.READ, Lang.EN).toString());
        assertEquals(Origin.parse("https://other.example"), ui.consentRequests().get(0), "the dialog names the origin");
    }

    @Test
    void unlistedHttps_consentRefused_isNotAllowed() {
        ui.thenConsent(false, false);
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("https://other.example", OperationClass.READ));
    }

    @Test
    void unlistedHttps_consentDialogCancelledOrTimedOut_passesThatCodeOn() {
        ui.thenConsentFails(ErrorCode.USER_CANCELLED);
        assertEquals(ErrorCode.USER_CANCELLED, refusal("https://other.example", OperationClass.READ));
        ui.thenConsentFails(ErrorCode.USER_TIMEOUT);
        assertEquals(ErrorCode.USER_TIMEOUT, refusal("https://other.example", OperationClass.READ));
    }

    @Test
    void rememberedConsent_isNotAskedAgain_andPersists() throws Exception {
        ui.thenConsent(true, true);
        policy().authorize("https://other.example", OperationClass.READ, Lang.EN);
        policy().authorize("https://other.example", OperationClass.READ, Lang.EN);
        assertEquals(1, ui.consentRequests().size());
        assertTrue(Files.readString(dir.resolve("consent.json")).contains("https://other.example"));
    }

    @Test
    void unlistedHttps_neverSignsOrEnrolls_evenWithReadConsent() throws Exception {
        ui.thenConsent(true, true);
        policy().authorize("https://other.example", OperationClass.READ, Lang.EN);
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("https://other.example", OperationClass.SIGN));
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("https://other.example", OperationClass.ENROLL));
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("https://other.example", OperationClass.PIN));
        assertEquals(1, ui.consentRequests().size(), "sign, enroll and pin are refused without a dialog");
    }

    @Test
    void extensionOrigin_readsAndManagesThePinButNeverSignsOrEnrolls() throws Exception {
        assertTrue(policy().authorize("cardbridge:extension", OperationClass.READ, Lang.EN).isExtension());
        assertTrue(policy().authorize("cardbridge:extension", OperationClass.PIN, Lang.EN).isExtension());
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("cardbridge:extension", OperationClass.SIGN));
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("cardbridge:extension", OperationClass.ENROLL));
    }

    @Test
    void malformedReportedOrigin_isNotAllowed() {
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("javascript:alert(1)", OperationClass.READ));
        assertEquals(ErrorCode.ORIGIN_NOT_ALLOWED, refusal("null", OperationClass.READ));
    }

    @Test
    void loader_missingFile_isEmptyPolicyWithoutProblem() {
        PolicyLoader.Loaded l = PolicyLoader.load(dir.resolve("none.json"));
        assertTrue(l.policy().origins().isEmpty());
        assertNull(l.problem());
    }

    @Test
    void loader_fileWrittenByWindowsPowerShell_withAByteOrderMark_orInUtf16_isRead() throws Exception {
        String json = "{\"origins\":[{\"origin\":\"https://ca.example\",\"allow\":[\"read\",\"sign\"]}]}";
        for (java.nio.charset.Charset cs : java.util.List.of(java.nio.charset.StandardCharsets.UTF_8, java.nio.charset.StandardCharsets.UTF_16LE)) {
            Path file = dir.resolve("policy-" + cs.name() + ".json");
            Files.write(file, ("\uFEFF" + json).getBytes(cs)); // Set-Content -Encoding UTF8 / Out-File
            PolicyLoader.Loaded l = PolicyLoader.load(file);
            assertNull(l.problem(), cs.name());
            assertEquals(1, l.policy().origins().size(), cs.name());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "not json", "[]", "{\"origins\":[{\"origin\":\"http://ca.example\",\"allow\":[\"read\"]}]}",
            "{\"origins\":[{\"origin\":\"https://ca.example/\",\"allow\":[\"read\"]}]}",
            "{\"origins\":[{\"origin\":\"https://ca.example\",\"allow\":[\"all\"]}]}",
            "{\"origin\":[]}", "{\"dialogTimeoutSeconds\":1}"})
    void loader_invalidFile_failsClosedAndSaysWhy(String content) throws Exception {
        Path file = dir.resolve("policy.json");
        Files.writeString(file, content);
        PolicyLoader.Loaded l = PolicyLoader.load(file);
        assertTrue(l.policy().origins().isEmpty());
        assertNotNull(l.problem());
    }
}
