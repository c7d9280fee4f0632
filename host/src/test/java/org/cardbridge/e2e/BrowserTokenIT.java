package org.cardbridge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.cardbridge.testing.Browser;
import org.cardbridge.testing.HostDialogs;
import org.cardbridge.testing.InEachBrowser;
import org.cardbridge.testing.PageApi;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestPages;
import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ArgumentsSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every page API call end to end, in the order of an online renewal, the whole class once in Debian's
 * Chromium and once in firefox-esr ({@code [chromium]}, {@code [firefox]}): a page → the
 * unpacked extension → the host the browser starts → SoftHSM2 over PKCS#11. The host's real Swing
 * dialogs appear on Xvfb: the test types the PIN into the PIN dialog with xdotool and confirms each
 * confirmation, as a user would, and keeps screenshots in target/screenshots.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ParameterizedClass(name = "{0}")
@ArgumentsSource(InEachBrowser.Kinds.class)
class BrowserTokenIT {
    private static final Duration DIALOG = Duration.ofSeconds(30);
    private static final Duration CALL = Duration.ofSeconds(60);
    private static final String TOKEN_LABEL = "Karta Łódź e2e";
    private static final String OLD_SUBJECT = "CN=Zażółć Gęślą,O=CardBridge Test,C=PL";

    @TempDir
    static Path dir;
    static Xvfb xvfb;
    static XDoTool xdo;
    static TestPages pages;
    static TestPages outside;
    static Browser browser;
    static Browser.Kind kind;
    /** This invocation's browser (start() takes it too, to set up the class's one browser). */
    @Parameter
    Browser.Kind browserOfThisInvocation;
    static PageApi api;
    static TestCa ca;
    static X509Certificate oldCert;

    // Carried from one step of the renewal to the next, as the CA page would.
    static String token;
    static String oldHandle;
    static JsonNode newKey;
    static String csrPem;

    @BeforeParameterizedClassInvocation
    static void start(Browser.Kind browserKind) throws Exception {
        kind = browserKind;
        kind.requireInstalled();
        Path dir = Files.createDirectories(BrowserTokenIT.dir.resolve(kind.id()));
        xvfb = Xvfb.start();
        xdo = xvfb.xdotool();
        SoftHsm2 store = SoftHsm2.create(dir.resolve("softhsm"), List.of(TOKEN_LABEL));
        ca = new TestCa("CardBridge e2e CA");
        KeyPair old = TestCa.rsa(2048);
        oldCert = ca.issue(old.getPublic(), OLD_SUBJECT, 30);
        store.tokens().getFirst().importKey(old, oldCert, new byte[]{1, 2, 3, 4}, "stary");
        pages = TestPages.http();
        outside = TestPages.https("outside.example");
        Path policy = TestPages.writePolicy(dir, pages.origin("localhost"), List.of(SoftHsm2.MODULE), "read", "sign", "enroll");
        Map<String, String> env = new HashMap<>(Map.of(
                "CARDBRIDGE_POLICY", policy.toString(),
                "CARDBRIDGE_STATE_DIR", dir.resolve("state").toString()));
        env.putAll(store.environment());
        env.putAll(xvfb.environment());
        browser = kind.start(env, "en-GB", List.of("outside.example"));
        api = new PageApi(browser.driver());
        browser.driver().get(pages.url("localhost"));
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (pages != null) {
            pages.close();
        }
        if (outside != null) {
            outside.close();
        }
        if (xvfb != null) {
            xvfb.close();
        }
    }

    /** Confirms every host confirmation that appears until the call has ended; returns how it ended. */
    static PageApi.Outcome confirmingDialogs(String key, String screenshot) {
        long end = System.nanoTime() + CALL.toNanos();
        int confirmed = 0;
        while (System.nanoTime() < end) {
            JsonNode done = api.await("return (window.cbResults && window.cbResults['" + key + "']) || 'pending'", DIALOG);
            if (!done.isTextual()) {
                return api.result(key, DIALOG);
            }
            String window = visibleWindow("CardBridge");
            if (window != null) {
                HostDialogs.confirm(xdo, window, DIALOG, confirmed == 0 ? screenshot : null);
                confirmed++;
            }
            sleep(100);
        }
        throw new AssertionError(key + " did not end within " + CALL);
    }

    @Test
    @Order(1)
    void status_and_listTokens_showTheSoftHsmToken() {
        JsonNode status = api.call("status").ok();
        for (String op : List.of("listTokens", "listCertificates", "login", "logout", "generateKeyPair", "createCsr",
                "sign", "installCertificate", "removeKey")) {
            assertTrue(status.path("operations").toString().contains('"' + op + '"'), op + " in " + status);
        }
        JsonNode tokens = api.call("listTokens").ok().path("tokens");
        JsonNode ours = null;
        for (JsonNode t : tokens) {
            if (TOKEN_LABEL.equals(t.path("label").asText())) {
                ours = t;
            }
        }
        assertNotNull(ours, "token labelled " + TOKEN_LABEL + " in " + tokens);
        assertTrue(ours.path("present").asBoolean());
        assertTrue(ours.path("loginRequired").asBoolean());
        token = ours.path("token").asText();
    }

    @Test
    @Order(2)
    void listCertificates_showsTheOldCertificateWithItsKey() throws Exception {
        JsonNode certs = api.call("listCertificates", Map.of("token", token)).ok().path("certificates");
        JsonNode old = certs.get(0);
        assertEquals(1, certs.size(), certs.toString());
        assertTrue(old.path("hasPrivateKey").asBoolean(), old.toString());
        assertEquals("01020304", old.path("keyId").asText().toLowerCase());
        assertArrayEquals(oldCert.getEncoded(), Base64.getDecoder().decode(old.path("certificate").asText()));
        oldHandle = old.path("handle").asText();
    }

    @Test
    @Order(2)
    void popup_cardWithCertificateExpiringIn30Days_showsItAndWarns() throws Exception {
        // The extension's own READ-only host session lists the card; 30 days left is inside the default 60.
        browser.driver().get(browser.extensionPage("popup/popup.html"));
        String cards = api.await("const c = document.getElementById('cards'); return c && c.textContent.includes('Gęślą') && c.textContent",
                DIALOG).asText();
        assertTrue(cards.contains(TOKEN_LABEL), cards);
        String warning = api.await("const e = document.getElementById('expiring'); return e && !e.hidden && e.textContent", DIALOG).asText();
        assertTrue(warning.contains("Zażółć Gęślą"), warning);
        browser.screenshot("e2e-popup");
        browser.driver().get(pages.url("localhost"));
    }

    @Test
    @Order(3)
    void login_pinTypedIntoTheHostsRealDialog_loggedIn() {
        String key = api.start("login", Map.of("token", token));
        HostDialogs.typePin(xdo, SoftHsm2.PIN, DIALOG, "e2e-pin-dialog-" + kind.id());
        PageApi.Outcome out = api.result(key, CALL);
        assertTrue(out.ok().path("loggedIn").asBoolean(), out.toString());
        // The PIN never reaches the page: nothing the page got back contains it.
        assertFalse(browser.driver().executeScript("return JSON.stringify(window.cbResults)").toString().contains(SoftHsm2.PIN));
    }

    @Test
    @Order(4)
    void generateKeyPair_confirmed_newKeyOnTheCardWithProgress() {
        String key = "gen-" + System.nanoTime();
        browser.driver().executeScript("""
                const key = arguments[0], params = arguments[1];
                window.cbResults = window.cbResults || {};
                window.cbProgress = [];
                window.cardbridge.generateKeyPair(params, { onProgress: (p) => window.cbProgress.push(p.stage) }).then(
                  (r) => (window.cbResults[key] = { result: r }),
                  (e) => (window.cbResults[key] = { error: { code: e.code, message: e.message, details: e.details } }));
                """, key, Map.of("token", token, "algorithm", "RSA-2048", "label", "odnowienie"));
        PageApi.Outcome out = confirmingDialogs(key, "e2e-confirm-generate-" + kind.id());
        newKey = out.ok();
        assertEquals("RSA-2048", newKey.path("algorithm").asText());
        assertEquals("odnowienie", newKey.path("label").asText());
        assertFalse(newKey.path("publicKey").asText().isEmpty());
        assertTrue(browser.driver().executeScript("return window.cbProgress").toString().contains("generatingKey"));
    }

    @Test
    @Order(5)
    void createCsr_signedOnTheCardByTheNewKey() throws Exception {
        String key = api.start("createCsr", Map.of("key", newKey.path("key").asText(), "subject", OLD_SUBJECT,
                "extensions", Map.of("keyUsage", List.of("digitalSignature", "nonRepudiation"))));
        JsonNode csr = confirmingDialogs(key, null).ok();
        csrPem = csr.path("csr").asText();
        PKCS10CertificationRequest req = new PKCS10CertificationRequest(Base64.getDecoder().decode(csr.path("der").asText()));
        assertTrue(req.isSignatureValid(new JcaContentVerifierProviderBuilder().build(req.getSubjectPublicKeyInfo())));
        assertArrayEquals(Base64.getDecoder().decode(newKey.path("publicKey").asText()), req.getSubjectPublicKeyInfo().getEncoded());
        assertTrue(req.getSubject().toString().contains("Gęślą"), req.getSubject().toString());
    }

    @Test
    @Order(6)
    void sign_cmsWithTheOldCertificate_verifiesIndependently() throws Exception {
        byte[] application = "Wniosek o odnowienie certyfikatu — Zażółć".getBytes(StandardCharsets.UTF_8);
        String key = api.start("sign", Map.of("certificate", oldHandle, "data", Base64.getEncoder().encodeToString(application),
                "format", "cms", "detached", true, "description", "Wniosek o odnowienie"));
        JsonNode sig = confirmingDialogs(key, "e2e-confirm-sign-" + kind.id()).ok();
        assertEquals("cms", sig.path("format").asText());
        CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(application),
                Base64.getDecoder().decode(sig.path("signature").asText()));
        SignerInformation signer = cms.getSignerInfos().getSigners().iterator().next();
        assertTrue(signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(oldCert)));
        assertEquals(new X509CertificateHolder(oldCert.getEncoded()).getSerialNumber(), signer.getSID().getSerialNumber());
    }

    @Test
    @Order(7)
    void installCertificate_replacesTheOldOneAfterWritingTheNew() throws Exception {
        PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(
                new X509EncodedKeySpec(Base64.getDecoder().decode(newKey.path("publicKey").asText())));
        X509Certificate issued = ca.issue(pub, OLD_SUBJECT, 365);
        String key = api.start("installCertificate", Map.of("certificates", List.of(TestCa.pem(issued), TestCa.pem(ca.issuing())),
                "replaces", oldHandle));
        JsonNode installed = confirmingDialogs(key, "e2e-confirm-install-" + kind.id()).ok();
        assertTrue(installed.path("replaced").asBoolean(), installed.toString());

        JsonNode certs = api.call("listCertificates", Map.of("token", token)).ok().path("certificates");
        List<String> endEntity = new ArrayList<>();
        for (JsonNode c : certs) {
            if (!c.path("isCa").asBoolean()) {
                endEntity.add(c.path("serialNumber").asText().toLowerCase());
                assertTrue(c.path("hasPrivateKey").asBoolean(), c.toString());
            }
        }
        assertEquals(List.of(issued.getSerialNumber().toString(16)), endEntity, certs.toString());
    }

    @Test
    @Order(8)
    void removeKey_abandonedPendingKey_goneFromTheCard() {
        String genKey = api.start("generateKeyPair", Map.of("token", token, "algorithm", "RSA-2048", "label", "porzucony"));
        JsonNode pending = confirmingDialogs(genKey, null).ok();
        JsonNode before = api.call("listCertificates", Map.of("token", token)).ok().path("pendingKeys");
        assertTrue(before.toString().contains("porzucony"), before.toString());

        String key = api.start("removeKey", Map.of("key", pending.path("key").asText()));
        assertTrue(confirmingDialogs(key, null).ok().path("removed").asBoolean());
        JsonNode after = api.call("listCertificates", Map.of("token", token)).ok().path("pendingKeys");
        assertFalse(after.toString().contains("porzucony"), after.toString());
    }

    @Test
    @Order(9)
    void abortSignal_whileTheHostAsksForConfirmation_pageRejectsAtOnceAndTheDialogCloses() {
        // Everything the extension posts to the page is recorded, including the late answer the library drops.
        browser.driver().executeScript("""
                window.cbWire = [];
                window.addEventListener("message", (e) => { if (e.source === window) window.cbWire.push(e.data); });
                window.cbAbort = new AbortController();
                window.cbResults = window.cbResults || {};
                window.cardbridge.sign({ certificate: arguments[0], data: "AAEC", format: "raw", description: "przerwane" },
                    { signal: window.cbAbort.signal }).then(
                  (r) => (window.cbResults.aborted = { result: r }),
                  (e) => (window.cbResults.aborted = { error: { code: e.code, message: e.message, details: e.details } }));
                """, installedHandle());
        xdo.waitForWindow("CardBridge", DIALOG);
        browser.driver().executeScript("window.cbAbort.abort()");
        assertEquals("REQUEST_CANCELLED", api.result("aborted", DIALOG).code());
        String ids = "const sign = window.cbWire.find(m => m.source === 'cardbridge-page' && m.op === 'sign').id;"
                + "const cancel = window.cbWire.find(m => m.source === 'cardbridge-page' && m.op === 'cancel').id;";
        JsonNode cancelled = api.await(ids + "return window.cbWire.find(m => m.type === 'response' && m.id === cancel)", DIALOG);
        assertTrue(cancelled.path("result").path("cancelled").asBoolean(), "the host took the cancel: " + cancelled);
        // The cancel closes the host's dialog by itself: nobody has to answer a request the page gave up.
        xdo.waitForNoWindow("CardBridge", DIALOG);
        JsonNode late = api.await(ids + "return window.cbWire.find(m => m.type === 'response' && m.id === sign)", CALL);
        assertEquals("REQUEST_CANCELLED", late.path("error").path("code").asText(), late.toString());
    }

    @Test
    @Order(10)
    void logout_endsTheLogin() {
        assertFalse(api.call("logout", Map.of("token", token)).ok().path("loggedIn").asBoolean());
        JsonNode tokens = api.call("listTokens").ok().path("tokens");
        for (JsonNode t : tokens) {
            if (t.path("token").asText().equals(token)) {
                assertFalse(t.path("loggedIn").asBoolean(), t.toString());
            }
        }
    }

    @Test
    @Order(11)
    void signAndEnroll_httpsPageOutsidePolicy_refusedWithoutAnyDialog() {
        String certificate = installedHandle();
        browser.driver().get(outside.url("outside.example"));
        api.call("status").ok();
        PageApi.Outcome sign = api.call("sign", Map.of("certificate", certificate, "data", "AAEC", "format", "raw",
                "description", "obca strona"));
        assertEquals("ORIGIN_NOT_ALLOWED", sign.code(), sign.toString());
        assertEquals(outside.origin("outside.example"), sign.error().path("details").path("origin").asText());
        PageApi.Outcome enroll = api.call("generateKeyPair", Map.of("token", token, "algorithm", "RSA-2048", "label", "obcy"));
        assertEquals("ORIGIN_NOT_ALLOWED", enroll.code(), enroll.toString());
        PageApi.Outcome remove = api.call("removeKey", Map.of("key", newKey.path("key").asText()));
        assertEquals("ORIGIN_NOT_ALLOWED", remove.code(), remove.toString());
        assertEquals(null, visibleWindow("CardBridge"), "no dialog for a refused origin");
    }

    private static String installedHandle() {
        for (JsonNode c : api.call("listCertificates", Map.of("token", token)).ok().path("certificates")) {
            if (!c.path("isCa").asBoolean()) {
                return c.path("handle").asText();
            }
        }
        throw new AssertionError("no end-entity certificate left");
    }

    /** The id of a visible window with that title now, or null (XDoTool's waitForWindow waits instead). */
    private static String visibleWindow(String title) {
        try {
            ProcessBuilder pb = new ProcessBuilder("xdotool", "search", "--onlyvisible", "--name", title).redirectErrorStream(true);
            pb.environment().put("DISPLAY", xvfb.name());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 && !out.isEmpty() ? out.lines().reduce((a, b) -> b).orElseThrow() : null;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
