package org.cardbridge.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.cardbridge.testing.HostDialogs;
import org.cardbridge.testing.NativeMessagingClient;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.WindowProbe;
import org.cardbridge.testing.WindowTextAgent;
import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;
import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.token.Pkcs11;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real thing end to end: the built host, started as a browser starts it, with SoftHSM2 or the virtual
 * OpenSC card, showing its real Swing windows on a private Xvfb display where xdotool confirms and types the
 * PIN as a person would. A test-only probe inside the host ({@link WindowTextAgent}) reads what each window
 * says and counts the windows. Screenshots of each window are kept in target/screenshots. Afterwards every
 * message both ways, the host's stderr and its log files are searched for the PIN: it must appear nowhere.
 */
class TokenDialogsIT {
    /** Distinctive PINs, so a leak cannot hide behind a coincidence. */
    private static final String PIN = "739184";
    private static final String WRONG_PIN = "482915";
    private static final Duration DIALOG = Duration.ofSeconds(30);
    private static final String ORIGIN = "https://ca.example.pl";
    private static final String OLD_SUBJECT = "CN=Paweł Dąbrowski,SERIALNUMBER=PNOPL-80010112345,O=Dąbrowski i Syn,C=PL";
    /** The renewal application: text, several lines, Polish letters; exactly these bytes are signed. */
    private static final String APPLICATION = """
            Wniosek o odnowienie certyfikatu kwalifikowanego
            Wnioskodawca: Paweł Dąbrowski (PNOPL-80010112345)
            Proszę o wydanie nowego certyfikatu dla klucza utworzonego na mojej karcie.
            Oświadczam, że dane w certyfikacie są aktualne.
            """;

    @TempDir
    static Path dir;
    private static Xvfb xvfb;
    private static SoftHsm2 store;
    private static X509Certificate cert;
    private static final TestCa CA = new TestCa("Dialog CA");

    @BeforeAll
    static void setUp() throws Exception {
        xvfb = Xvfb.start();
        store = SoftHsm2.create(dir.resolve("softhsm"), List.of("Karta Żółta"), PIN);
        KeyPair keys = TestCa.rsa(2048);
        cert = CA.issue(keys.getPublic(), OLD_SUBJECT, 30);
        store.tokens().getFirst().importKey(keys, cert, new byte[]{0x11}, "Podpis");
        policy("policy.json", SoftHsm2.MODULE);
    }

    private static Path policy(String name, String module) throws Exception {
        return Files.writeString(dir.resolve(name), """
                {"origins": [{"origin": "%s", "allow": ["sign", "enroll"]}],
                 "modules": ["%s"], "dialogTimeoutSeconds": 60, "logLevel": "ALL"}
                """.formatted(ORIGIN, module));
    }

    @AfterAll
    static void tearDown() {
        if (xvfb != null) {
            xvfb.close();
        }
    }

    /** The host as a browser starts it, with the window probe attached; {@code env} adds to the test JVM's own. */
    private NativeMessagingClient startHost(Path state, Path policy, Map<String, String> env, WindowProbe probe) throws Exception {
        Map<String, String> all = new HashMap<>(env);
        all.putAll(xvfb.environment());
        all.put("CARDBRIDGE_POLICY", policy.toString());
        all.put("CARDBRIDGE_STATE_DIR", state.toString());
        all.put("JAVA_TOOL_OPTIONS", probe.javaToolOptions());
        return new NativeMessagingClient(Path.of(System.getProperty("cardbridge.launcher")), all, state.resolve("stderr.txt"));
    }

    private NativeMessagingClient startHost(Path state, WindowProbe probe) throws Exception {
        return startHost(state, dir.resolve("policy.json"), store.environment(), probe);
    }

    /**
     * A wrong PIN is retried in the same window: it stays open, says the PIN was wrong and what the card says
     * is left, the field is empty (Confirm disabled until a PIN is typed again), and the right PIN typed there
     * signs. One window in all; the host never typed a PIN itself; the PIN is nowhere in messages or logs.
     */
    @Test
    void sign_wrongPinThenRightPin_inTheSameWindow_signatureVerifies_andThePinIsNowhere() throws Exception {
        Path state = Files.createDirectories(dir.resolve("state-sign"));
        WindowProbe probe = new WindowProbe(dir.resolve("probe-sign"));
        XDoTool xdo = xvfb.xdotool();
        List<String> transcript;
        try (NativeMessagingClient host = startHost(state, probe)) {
            String token = token(host, "Karta Żółta");
            String certificate = host.call("listCertificates", Map.of("token", token)).path("result").path("certificates").get(0)
                    .path("handle").asText();

            String first = host.send("sign", Map.of("certificate", certificate, "data", b64(APPLICATION), "format", "cms",
                    "description", "Wniosek o odnowienie"), "pl");
            String window = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            WindowTextAgent.Seen asked = probe.await(w -> w.name().equals("cardbridge-confirm"), DIALOG, "asking to sign");
            assertTrue(asked.text().contains(ORIGIN) && asked.text().contains("Karta Żółta"), asked.text());
            xdo.awaitPainted(window, DIALOG);
            xdo.screenshot("sign-pin-pl");
            HostDialogs.typePinOnce(xdo, window, WRONG_PIN, DIALOG);
            WindowTextAgent.Seen wrong = probe.await(w -> w.id().equals(asked.id()) && String.valueOf(w.get("message")).startsWith("Błędny PIN"),
                    DIALOG, "saying the PIN was wrong");
            assertTrue(xdo.isVisible(window), "the same window stays open");
            assertFalse(wrong.enabled("confirm"), "the field is empty again, so Confirm waits for the next PIN");
            xdo.screenshot("sign-pin-wrong-pl");
            HostDialogs.typePinOnce(xdo, window, PIN, DIALOG);
            assertTrue(xdo.awaitGone(window, DIALOG));
            JsonNode signed = host.await(first, DIALOG);
            assertTrue(signed.has("result"), signed.toString());
            verifyCms(APPLICATION.getBytes(StandardCharsets.UTF_8), signed.path("result").path("signature").asText(), cert);
            assertEquals(1, probe.seen().size(), "one window: consent and PIN together, the retry in place");

            // The login holds for the connection: the next signature is one window, without a PIN field.
            String second = host.send("sign", Map.of("certificate", certificate, "data", b64("Drugi dokument"),
                    "format", "cms", "description", "Drugi dokument"), "en");
            HostDialogs.confirm(xdo, DIALOG, "sign-logged-in-en");
            assertTrue(host.await(second, DIALOG).has("result"));
            assertEquals(2, probe.seen().size());
            transcript = host.transcript();
        }
        assertPinNowhere(transcript, state);
    }

    /**
     * A key that asks for its PIN at every signature (CKA_ALWAYS_AUTHENTICATE, as qualified keys do), the card
     * logged in already: the sign window shows the application and takes that signature's PIN, one window; a
     * wrong PIN is retried in it and the right one signs. SoftHSM2 (OpenSC's virtual card cannot mark a key so).
     */
    @Test
    void sign_keyAskingForItsPinEverySignature_loggedIn_consentAndSignaturePinInOneWindow_wrongPinRetriedInPlace() throws Exception {
        TestToken t = TestToken.softHsm();
        KeyPair keys = TestCa.rsa(2048);
        X509Certificate qualified = CA.issue(keys.getPublic(), OLD_SUBJECT, 30);
        Path files = Files.createTempDirectory(dir, "always-auth");
        Files.write(files.resolve("key.der"), keys.getPrivate().getEncoded());
        Files.write(files.resolve("cert.der"), qualified.getEncoded());
        for (List<String> args : List.of(List.of("--write-object", files.resolve("key.der").toString(), "--type", "privkey", "--always-auth", "--sensitive"),
                List.of("--write-object", files.resolve("cert.der").toString(), "--type", "cert"))) {
            List<String> cmd = new ArrayList<>(List.of("pkcs11-tool", "--module", t.module(), "--slot", Long.toString(t.slotId()),
                    "--login", "--pin", t.pin(), "--id", "0a", "--label", "Kwalifikowany"));
            cmd.addAll(args);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out);
        }
        Path state = Files.createDirectories(dir.resolve("state-always-auth"));
        WindowProbe probe = new WindowProbe(dir.resolve("probe-always-auth"));
        XDoTool xdo = xvfb.xdotool();
        try (NativeMessagingClient host = startHost(state, policy("policy-always-auth.json", t.module()), Map.of(), probe)) {
            String token = token(host, t);
            String login = host.send("login", Map.of("token", token), "pl");
            HostDialogs.typePin(xdo, t.pin(), DIALOG, null);
            assertTrue(host.await(login, DIALOG).path("result").path("loggedIn").asBoolean());
            String certificate = host.call("listCertificates", Map.of("token", token)).path("result").path("certificates").get(0)
                    .path("handle").asText();

            String id = host.send("sign", Map.of("certificate", certificate, "data", b64(APPLICATION), "format", "cms",
                    "description", "Wniosek o odnowienie"), "pl");
            String window = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            WindowTextAgent.Seen asked = probe.await(w -> w.name().equals("cardbridge-confirm") && w.get("document") != null, DIALOG,
                    "asking to sign, with the document and the signature's PIN");
            assertEquals(APPLICATION.strip(), asked.get("document").strip(), "what is signed is shown");
            assertTrue(asked.text().contains(ORIGIN) && asked.text().contains("PIN"), asked.text());
            xdo.awaitPainted(window, DIALOG);
            xdo.screenshot("sign-always-auth-pl");
            HostDialogs.typePinOnce(xdo, window, WRONG_PIN, DIALOG);
            probe.await(w -> w.id().equals(asked.id()) && String.valueOf(w.get("message")).startsWith("Błędny PIN"), DIALOG,
                    "saying the PIN was wrong, in the same window");
            assertTrue(xdo.isVisible(window));
            xdo.screenshot("sign-always-auth-wrong-pl");
            HostDialogs.typePinOnce(xdo, window, t.pin(), DIALOG);
            assertTrue(xdo.awaitGone(window, DIALOG));
            JsonNode signed = host.await(id, DIALOG);
            assertTrue(signed.has("result"), signed.toString());
            verifyCms(APPLICATION.getBytes(StandardCharsets.UTF_8), signed.path("result").path("signature").asText(), qualified);
            assertEquals(2, probe.seen().size(), "the login's window, then one window for the signature: " + probe.seen().stream()
                    .map(WindowTextAgent.Seen::text).toList());
        }
    }

    static List<TestToken.Backend> backends() {
        return TestToken.backends();
    }

    /**
     * On each backend a user has (SoftHSM2; OpenSC driving the virtual card): a wrong PIN in the login window
     * leaves it open with the message and the field cleared; the right PIN typed there logs in.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void login_wrongPin_sameWindowSaysSo_rightPinLogsIn(TestToken.Backend backend) throws Exception {
        TestToken t = backend.get();
        String name = backend.name().startsWith("SoftHSM2") ? "softhsm" : "card";
        Path state = Files.createDirectories(dir.resolve("state-login-" + name));
        WindowProbe probe = new WindowProbe(dir.resolve("probe-login-" + name));
        XDoTool xdo = xvfb.xdotool();
        try (NativeMessagingClient host = startHost(state, policy("policy-" + name + ".json", t.module()), Map.of(), probe)) {
            String token = token(host, t);
            String login = host.send("login", Map.of("token", token), "en");
            String window = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            WindowTextAgent.Seen asked = probe.await(w -> w.name().equals("cardbridge-pin"), DIALOG, "asking for the PIN");
            assertTrue(asked.text().contains(t.label()), asked.text());
            HostDialogs.typePinOnce(xdo, window, "999999", DIALOG);
            WindowTextAgent.Seen wrong = probe.await(w -> w.id().equals(asked.id()) && String.valueOf(w.get("message")).startsWith("Wrong PIN"),
                    DIALOG, "saying the PIN was wrong");
            // Neither backend reports a count through PKCS#11: after one wrong PIN both say "few tries" honestly.
            assertTrue(wrong.get("message").contains("few tries"), wrong.get("message"));
            assertFalse(wrong.enabled("ok"));
            assertTrue(xdo.isVisible(window));
            xdo.screenshot("login-wrong-pin-" + name);
            t.card().ifPresent(c -> assertEquals(2, c.card().pinTriesLeft(), "the wrong PIN cost one try, and only one"));
            HostDialogs.typePinOnce(xdo, window, t.pin(), DIALOG);
            assertTrue(xdo.awaitGone(window, DIALOG));
            JsonNode in = host.await(login, DIALOG);
            assertTrue(in.path("result").path("loggedIn").asBoolean(), in.toString());
            assertEquals(1, probe.seen().size());
            t.card().ifPresent(c -> assertEquals(3, c.card().pinTriesLeft()));
        }
    }

    /**
     * The card's real counter (3 tries): two wrong PINs are retried in place, the second saying one try is left;
     * the third blocks the PIN, and the window says so and what to do, with a Close button only. The page gets
     * PIN_LOCKED once the person closed it. On the virtual card only: SoftHSM2 has no PIN lockout at all (its
     * maintainers' choice, softhsm/SoftHSMv2#399: whoever can call it can read its token files), so it never
     * reports CKF_USER_PIN_LOCKED; its wrong-PIN-in-place path is the login test's SoftHSM2 case.
     */
    @Test
    void card_threeWrongPins_inOneWindow_thenTheLockedMessage() throws Exception {
        if (!VirtualCards.available()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("the virtual card (pcscd, vpcd, OpenSC) is missing");
            }
            org.junit.jupiter.api.Assumptions.abort("no virtual card backend on this machine");
        }
        TestToken t = TestToken.backends().getLast().get();
        Path state = Files.createDirectories(dir.resolve("state-lock"));
        WindowProbe probe = new WindowProbe(dir.resolve("probe-lock"));
        XDoTool xdo = xvfb.xdotool();
        try (NativeMessagingClient host = startHost(state, policy("policy-lock.json", t.module()), Map.of(), probe)) {
            String token = token(host, t);
            String login = host.send("login", Map.of("token", token), "pl");
            String window = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            WindowTextAgent.Seen asked = probe.await(w -> w.name().equals("cardbridge-pin"), DIALOG, "asking for the PIN");
            HostDialogs.typePinOnce(xdo, window, "999999", DIALOG);
            probe.await(w -> String.valueOf(w.get("message")).startsWith("Błędny PIN. Zostało niewiele"), DIALOG, "few tries");
            HostDialogs.typePinOnce(xdo, window, "999998", DIALOG);
            WindowTextAgent.Seen last = probe.await(w -> String.valueOf(w.get("message")).startsWith("Błędny PIN. Została jedna próba"),
                    DIALOG, "one try left");
            assertEquals(asked.id(), last.id());
            xdo.screenshot("card-pin-last-try-pl");
            HostDialogs.typePinOnce(xdo, window, "999997", DIALOG);
            WindowTextAgent.Seen locked = probe.await(w -> String.valueOf(w.get("message")).startsWith("PIN został zablokowany"),
                    DIALOG, "the PIN is blocked");
            assertEquals(asked.id(), locked.id());
            assertTrue(locked.get("message").contains("PUK"), locked.get("message"));
            assertEquals("Zamknij", locked.get("cancel"));
            assertEquals(null, locked.get("ok"), "no field and no OK any more");
            assertEquals(0, t.card().orElseThrow().card().pinTriesLeft());
            xdo.awaitPainted(window, DIALOG);
            xdo.screenshot("card-pin-locked-pl");
            xdo.focus(window);
            xdo.key("Escape");
            assertTrue(xdo.awaitGone(window, DIALOG), "Escape closes it");
            JsonNode answer = host.await(login, DIALOG);
            assertEquals("PIN_LOCKED", answer.path("error").path("code").asText(), answer.toString());
            assertEquals(1, probe.seen().size());
        }
    }

    /**
     * A whole immediate renewal in at most three windows, in Polish and in English: (1) the new key and its
     * request, with the PIN; (2) signing the application, which the window shows, exactly as signed; (3)
     * writing the new certificate in place of the old one. The request itself opens none: it was approved with
     * the key. Each window names the site, the card and the action. Screenshots:
     * target/screenshots/renewal-immediate-{pl,en}-{1,2,3}.png.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pl", "en"})
    void immediateRenewal_threeWindows_eachNamingSiteCardAndAction(String lang) throws Exception {
        String label = "Karta " + lang;
        SoftHsm2 card = SoftHsm2.create(dir.resolve("softhsm-renew-" + lang), List.of(label), PIN);
        KeyPair keys = TestCa.rsa(2048);
        X509Certificate old = CA.issue(keys.getPublic(), OLD_SUBJECT, 30);
        card.tokens().getFirst().importKey(keys, old, new byte[]{0x21}, "Podpis kwalifikowany");
        Path state = Files.createDirectories(dir.resolve("state-renew-" + lang));
        WindowProbe probe = new WindowProbe(dir.resolve("probe-renew-" + lang));
        XDoTool xdo = xvfb.xdotool();
        boolean pl = lang.equals("pl");
        try (NativeMessagingClient host = startHost(state, dir.resolve("policy.json"), card.environment(), probe)) {
            String token = token(host, label);
            String oldHandle = host.call("listCertificates", Map.of("token", token)).path("result").path("certificates").get(0)
                    .path("handle").asText();

            // 1. The new key and its request, with the PIN, in one window.
            String gen = host.send("generateKeyPair", Map.of("token", token, "algorithm", "EC-P256", "label", "Odnowienie"), lang);
            String w1 = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            WindowTextAgent.Seen one = probe.await(w -> w.name().equals("cardbridge-confirm"), DIALOG, "for the new key");
            assertTrue(one.text().contains(ORIGIN) && one.text().contains(label), one.text());
            assertTrue(one.text().contains(pl ? "utworzenie nowego klucza na karcie i wniosku o certyfikat" : "create a new key on the card and a certificate request"),
                    one.text());
            assertTrue(one.text().contains(pl ? "Nowy klucz: klucz EC (krzywa P-256), o nazwie \u201eOdnowienie\u201d"
                    : "New key: EC key (curve P-256), named \u201cOdnowienie\u201d"), one.text());
            xdo.awaitPainted(w1, DIALOG);
            xdo.screenshot("renewal-immediate-" + lang + "-1");
            HostDialogs.typePinOnce(xdo, w1, PIN, DIALOG);
            assertTrue(xdo.awaitGone(w1, DIALOG));
            JsonNode key = host.await(gen, DIALOG).path("result");
            PublicKey newKey = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(key.path("publicKey").asText())));

            JsonNode csr = host.await(host.send("createCsr", Map.of("key", key.path("key").asText(), "subject", OLD_SUBJECT), lang), DIALOG);
            assertTrue(csr.path("result").path("csr").asText().startsWith("-----BEGIN CERTIFICATE REQUEST-----"), csr.toString());
            assertEquals(1, probe.seen().size(), "the request was approved with the key: no window of its own");

            // 2. The application, shown whole in the window, signed with the old certificate's key.
            String sign = host.send("sign", Map.of("certificate", oldHandle, "data", b64(APPLICATION), "format", "cms",
                    "description", pl ? "Wniosek o odnowienie" : "Renewal application"), lang);
            String w2 = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            WindowTextAgent.Seen two = probe.await(w -> !w.id().equals(one.id()) && w.get("document") != null, DIALOG, "showing the application");
            assertTrue(two.text().contains(ORIGIN) && two.text().contains(label), two.text());
            String shown = two.get("document");
            // The signing certificate by its names, the serial-number attribute decoded, dates local: no raw DN or hex.
            assertTrue(two.text().contains("Paweł Dąbrowski (PNOPL-80010112345), Dąbrowski i Syn"), two.text());
            assertTrue(two.text().contains(localDate(old.getNotAfter().toInstant(), lang)), two.text());
            assertFalse(two.text().contains("2.5.4.5") || two.text().contains("#13"), two.text());
            HostDialogs.confirm(xdo, w2, DIALOG, "renewal-immediate-" + lang + "-2");
            JsonNode signed = host.await(sign, DIALOG);
            // What the window showed is exactly what was signed.
            verifyCms(shown.getBytes(StandardCharsets.UTF_8), signed.path("result").path("signature").asText(), old);
            assertEquals(APPLICATION, shown);

            // 3. The CA's certificate written in place of the old one.
            X509Certificate issued = CA.issue(newKey, OLD_SUBJECT, 700);
            String install = host.send("installCertificate", Map.of("certificates",
                    List.of(TestCa.pem(issued), TestCa.pem(CA.issuing()), TestCa.pem(CA.root())), "replaces", oldHandle, "removeOldKey", true), lang);
            String w3 = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            WindowTextAgent.Seen three = probe.await(w -> !w.id().equals(one.id()) && !w.id().equals(two.id()), DIALOG, "to write the certificate");
            assertTrue(three.text().contains(ORIGIN) && three.text().contains(label), three.text());
            assertTrue(three.text().contains(pl ? "zapisanie nowego certyfikatu na karcie" : "write a new certificate onto the card"), three.text());
            assertTrue(three.text().contains((pl ? "Nowy certyfikat: Paweł Dąbrowski (PNOPL-80010112345), Dąbrowski i Syn, ważny od "
                    : "New certificate: Paweł Dąbrowski (PNOPL-80010112345), Dąbrowski i Syn, valid from ")
                    + localDate(issued.getNotBefore().toInstant(), lang)), three.text());
            // The old certificate names the same person: it is told apart by its end date, not by the same name again.
            assertTrue(three.text().contains((pl ? "Zastępuje obecny certyfikat, ważny do " : "Replaces the current certificate, valid until ")
                    + localDate(old.getNotAfter().toInstant(), lang)), three.text());
            assertFalse(three.text().contains("2.5.4.5") || three.text().contains("T0"), "no raw names, no ISO timestamps: " + three.text());
            HostDialogs.confirm(xdo, w3, DIALOG, "renewal-immediate-" + lang + "-3");
            JsonNode installed = host.await(install, DIALOG);
            assertTrue(installed.path("result").path("replaced").asBoolean(), installed.toString());
            assertEquals(3, probe.seen().size(), "an immediate renewal takes three windows");
        }
    }

    /**
     * A deferred renewal: on the first visit two windows (the key and its request with the PIN; the
     * application); on the later visit, a new connection, one window that confirms the write and takes the PIN.
     */
    @Test
    void deferredRenewal_twoWindowsNow_oneLater() throws Exception {
        String label = "Karta później";
        SoftHsm2 card = SoftHsm2.create(dir.resolve("softhsm-deferred"), List.of(label), PIN);
        KeyPair keys = TestCa.rsa(2048);
        X509Certificate old = CA.issue(keys.getPublic(), OLD_SUBJECT, 30);
        card.tokens().getFirst().importKey(keys, old, new byte[]{0x31}, "Podpis kwalifikowany");
        XDoTool xdo = xvfb.xdotool();
        PublicKey newKey;
        String oldHandle;
        WindowProbe first = new WindowProbe(dir.resolve("probe-deferred-1"));
        try (NativeMessagingClient host = startHost(Files.createDirectories(dir.resolve("state-deferred-1")), dir.resolve("policy.json"),
                card.environment(), first)) {
            String token = token(host, label);
            oldHandle = host.call("listCertificates", Map.of("token", token)).path("result").path("certificates").get(0).path("handle").asText();
            String gen = host.send("generateKeyPair", Map.of("token", token, "algorithm", "EC-P256", "label", "Odnowienie"), "pl");
            String w1 = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            first.await(w -> w.name().equals("cardbridge-confirm"), DIALOG, "for the new key");
            xdo.awaitPainted(w1, DIALOG);
            xdo.screenshot("renewal-deferred-pl-1");
            HostDialogs.typePinOnce(xdo, w1, PIN, DIALOG);
            JsonNode key = host.await(gen, DIALOG).path("result");
            newKey = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(key.path("publicKey").asText())));
            assertTrue(host.await(host.send("createCsr", Map.of("key", key.path("key").asText(), "subject", OLD_SUBJECT), "pl"), DIALOG).has("result"));
            String sign = host.send("sign", Map.of("certificate", oldHandle, "data", b64(APPLICATION), "format", "cms",
                    "description", "Wniosek o odnowienie"), "pl");
            first.await(w -> w.get("document") != null, DIALOG, "showing the application");
            HostDialogs.confirm(xdo, DIALOG, "renewal-deferred-pl-2");
            assertTrue(host.await(sign, DIALOG).has("result"));
            assertEquals(2, first.seen().size());
        }
        // Later: the certificate, valid from the old one's expiry, stored beside it.
        X509Certificate issued = CA.issue(newKey, OLD_SUBJECT, Instant.now().plus(Duration.ofDays(29)), Instant.now().plus(Duration.ofDays(700)));
        WindowProbe later = new WindowProbe(dir.resolve("probe-deferred-2"));
        try (NativeMessagingClient host = startHost(Files.createDirectories(dir.resolve("state-deferred-2")), dir.resolve("policy.json"),
                card.environment(), later)) {
            token(host, label);
            String install = host.send("installCertificate", Map.of("certificates",
                    List.of(TestCa.pem(issued), TestCa.pem(CA.issuing()), TestCa.pem(CA.root())), "replaces", oldHandle,
                    "allowNotYetValid", true), "pl");
            String w = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            WindowTextAgent.Seen one = later.await(s -> s.name().equals("cardbridge-confirm"), DIALOG, "to store the certificate");
            assertTrue(one.text().contains(ORIGIN) && one.text().contains(label), one.text());
            assertTrue(one.text().contains("Jeszcze nieważny (od " + localDate(issued.getNotBefore().toInstant(), "pl") + ")"), one.text());
            xdo.awaitPainted(w, DIALOG);
            xdo.screenshot("renewal-deferred-pl-3");
            HostDialogs.typePinOnce(xdo, w, PIN, DIALOG);
            JsonNode installed = host.await(install, DIALOG);
            assertFalse(installed.path("result").path("replaced").asBoolean(), installed.toString());
            assertEquals(1, later.seen().size(), "the later visit: one window, with the PIN");
        }
    }

    @Test
    void confirmation_cancelledInTheDialog_isUserCancelled() throws Exception {
        Path state = Files.createDirectories(dir.resolve("state-cancel"));
        XDoTool xdo = xvfb.xdotool();
        try (NativeMessagingClient host = startHost(state, new WindowProbe(dir.resolve("probe-cancel")))) {
            String token = token(host, "Karta Żółta");
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

    /** A date as a person reads it in that language, in this computer's time zone: "4 stycznia 2027", "4 Jan 2027". */
    private static String localDate(Instant instant, String lang) {
        return java.time.format.DateTimeFormatter.ofPattern(lang.equals("pl") ? "d MMMM yyyy" : "d MMM yyyy",
                java.util.Locale.forLanguageTag(lang)).withZone(java.time.ZoneId.systemDefault()).format(instant);
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A detached CMS signature over {@code content} that verifies with {@code signer}'s certificate. */
    private static void verifyCms(byte[] content, String signatureB64, X509Certificate signer) throws Exception {
        CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(content), Base64.getDecoder().decode(signatureB64));
        List<SignerInformation> signers = new ArrayList<>(cms.getSignerInfos().getSigners());
        assertEquals(1, signers.size());
        assertTrue(signers.getFirst().verify(new JcaSimpleSignerInfoVerifierBuilder().build(signer)), "the CMS signature verifies over the text shown");
    }

    private static String token(NativeMessagingClient host, String label) throws Exception {
        for (JsonNode t : host.call("listTokens", Map.of()).path("result").path("tokens")) {
            if (label.equals(t.path("label").asText())) {
                return t.path("token").asText();
            }
        }
        throw new AssertionError("token not listed");
    }

    private static String token(NativeMessagingClient host, TestToken token) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        do {
            for (JsonNode t : host.call("listTokens", Map.of()).path("result").path("tokens")) {
                if (t.path("present").asBoolean() && !t.path("token").isNull() && token.is(new Pkcs11.TokenInfo(t.path("label").asText(),
                        t.path("manufacturer").asText(), t.path("model").asText(), t.path("serial").asText(), 0))) {
                    return t.path("token").asText();
                }
            }
            Thread.sleep(200);
        } while (System.nanoTime() < end);
        throw new AssertionError(token.backend() + " token not listed");
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
