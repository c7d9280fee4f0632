package org.cardbridge.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.testing.HostDialogs;
import org.cardbridge.testing.NativeMessagingClient;
import org.cardbridge.testing.TestToken;
import org.cardbridge.testing.WindowProbe;
import org.cardbridge.testing.WindowTextAgent;
import org.cardbridge.testing.XDoTool;
import org.cardbridge.testing.Xvfb;
import org.cardbridge.testing.vcard.Tool;
import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.token.Pkcs11;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * changePin and unblockPin end to end, as TokenDialogsIT does it: the built host started as a browser starts it,
 * its real PIN change window on a private Xvfb display, xdotool typing as a person would, the test-only probe
 * reading what the window says. Screenshots in target/screenshots. The PINs and the PUK must appear in no
 * message and no log.
 */
class PinWindowsIT {
    private static final String NEW_PIN = "573920";
    private static final Duration DIALOG = Duration.ofSeconds(30);
    private static final String ORIGIN = "https://ca.example.pl";

    @TempDir
    static Path dir;
    private static Xvfb xvfb;

    @BeforeAll
    static void setUp() {
        xvfb = Xvfb.start();
    }

    @AfterAll
    static void tearDown() {
        if (xvfb != null) {
            xvfb.close();
        }
    }

    private static Path policy(String name, String module) throws Exception {
        return Files.writeString(dir.resolve(name), """
                {"origins": [{"origin": "%s", "allow": ["sign", "enroll"]}],
                 "modules": ["%s"], "dialogTimeoutSeconds": 60, "logLevel": "ALL"}
                """.formatted(ORIGIN, module));
    }

    private NativeMessagingClient startHost(Path state, Path policy, Map<String, String> env, WindowProbe probe) throws Exception {
        Map<String, String> all = new HashMap<>(env);
        all.putAll(xvfb.environment());
        all.put("CARDBRIDGE_POLICY", policy.toString());
        all.put("CARDBRIDGE_STATE_DIR", state.toString());
        all.put("JAVA_TOOL_OPTIONS", probe.javaToolOptions());
        return new NativeMessagingClient(Path.of(System.getProperty("cardbridge.launcher")), all, state.resolve("stderr.txt"));
    }

    static List<TestToken.Backend> backends() {
        return TestToken.backends();
    }

    /**
     * On each backend: the window names the origin and the card and shows the card's length rule; a wrong
     * current PIN is said in the same window (one try spent); two new PINs that differ are refused in the window
     * (nothing sent: the tries stay); then the new PIN typed twice changes it; the old PIN fails and the new
     * one logs in.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void changePin_mismatchRefusedInPlace_wrongPinSaidInPlace_thenChanged_newPinLogsIn(TestToken.Backend backend) throws Exception {
        TestToken t = backend.get();
        String name = backend.name().startsWith("SoftHSM2") ? "softhsm" : "card";
        String lang = name.equals("softhsm") ? "pl" : "en";
        Path state = Files.createDirectories(dir.resolve("state-change-" + name));
        WindowProbe probe = new WindowProbe(dir.resolve("probe-change-" + name));
        XDoTool xdo = xvfb.xdotool();
        List<String> transcript;
        try (NativeMessagingClient host = startHost(state, policy("policy-" + name + ".json", t.module()), Map.of(), probe)) {
            String token = token(host, t);
            String id = host.send("changePin", Map.of("token", token), lang);
            String window = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            WindowTextAgent.Seen asked = probe.await(w -> w.name().equals("cardbridge-pinchange"), DIALOG, "asking to change the PIN");
            assertTrue(asked.text().contains(ORIGIN) && asked.text().contains(t.label()), asked.text());
            assertTrue(asked.get("rules") != null && asked.get("rules").matches(".*\\d.*"), "the card's length rule: " + asked.text());
            assertFalse(asked.enabled("ok"), "OK waits for all three fields");
            xdo.awaitPainted(window, DIALOG);
            xdo.screenshot("pinchange-" + name + "-" + lang);

            HostDialogs.typeChange(xdo, window, "999999", NEW_PIN, NEW_PIN, DIALOG);
            String wrong = lang.equals("pl") ? "Błędny PIN" : "Wrong PIN";
            WindowTextAgent.Seen said = probe.await(w -> w.id().equals(asked.id()) && String.valueOf(w.get("message")).startsWith(wrong),
                    DIALOG, "saying the current PIN was wrong");
            assertFalse(said.enabled("ok"), "all three fields cleared");
            assertTrue(xdo.isVisible(window));
            xdo.screenshot("pinchange-" + name + "-wrong");
            t.card().ifPresent(c -> assertEquals(2, c.card().pinTriesLeft(), "the wrong PIN cost one try"));

            HostDialogs.typeChange(xdo, window, t.pin(), NEW_PIN, NEW_PIN + "1", DIALOG);
            String mismatch = lang.equals("pl") ? "Dwa wpisy nowego PIN-u się różnią" : "The two new PINs differ";
            probe.await(w -> w.id().equals(asked.id()) && String.valueOf(w.get("message")).startsWith(mismatch), DIALOG,
                    "refusing two different new PINs");
            assertTrue(xdo.isVisible(window));
            xdo.screenshot("pinchange-" + name + "-mismatch");
            t.card().ifPresent(c -> assertEquals(2, c.card().pinTriesLeft(), "nothing reached the card"));

            HostDialogs.typeChange(xdo, window, null, NEW_PIN, NEW_PIN, DIALOG); // the current PIN stays typed; the focus is on the new PIN
            assertTrue(xdo.awaitGone(window, DIALOG));
            JsonNode changed = host.await(id, DIALOG);
            assertTrue(changed.path("result").path("changed").asBoolean(), changed.toString());
            assertEquals(1, probe.seen().size(), "one window for every try");

            String old = host.send("login", Map.of("token", token), "en");
            String loginWindow = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            HostDialogs.typePinOnce(xdo, loginWindow, t.pin(), DIALOG);
            probe.await(w -> w.name().equals("cardbridge-pin") && String.valueOf(w.get("message")).startsWith("Wrong PIN"), DIALOG,
                    "the old PIN is wrong now");
            HostDialogs.typePinOnce(xdo, loginWindow, NEW_PIN, DIALOG);
            assertTrue(xdo.awaitGone(loginWindow, DIALOG));
            assertTrue(host.await(old, DIALOG).path("result").path("loggedIn").asBoolean());

            // Back to the token's PIN for whoever uses it next.
            String back = host.send("changePin", Map.of("token", token), "en");
            HostDialogs.typeChange(xdo, xdo.waitForWindow(HostDialogs.TITLE, DIALOG), NEW_PIN, t.pin(), t.pin(), DIALOG);
            assertTrue(host.await(back, DIALOG).path("result").path("changed").asBoolean());
            transcript = host.transcript();
        }
        assertNowhere(transcript, state, List.of(t.pin(), NEW_PIN, "999999"));
    }

    /**
     * The virtual card's PIN blocked by three wrong PINs, then unblocked with the PUK in the host's window through
     * OpenSC set to unblock with the PUK ({@code user_pin_unblock_style = set_pin_in_unlogged_session}). The
     * fresh host learns that the PIN is blocked as a person does, from a login window (the emulated card's counter
     * is not read without a PIN); then a wrong PUK is said in the unblock window and costs one PUK try, the
     * right one sets the new PIN, which logs in.
     */
    @Test
    void unblockPin_onTheVirtualCard_wrongPukSaidInPlace_rightPukSetsTheNewPin() throws Exception {
        TestToken t = TestToken.virtualCard();
        VirtualCards.Card card = t.card().orElseThrow();
        Map<String, String> env = VirtualCards.inProcess().environment();
        for (int i = 0; i < 3; i++) {
            Tool.run(env, "pkcs11-tool", "--module", VirtualCards.MODULE, "--login", "--pin", "999999", "-O");
        }
        assertEquals(0, card.card().pinTriesLeft());
        Path conf = Files.writeString(dir.resolve("opensc-unblock.conf"), """
                app default {
                    framework pkcs15 {
                    }
                }
                app opensc-pkcs11 {
                    pkcs11 {
                        user_pin_unblock_style = set_pin_in_unlogged_session;
                    }
                }
                """);
        Path state = Files.createDirectories(dir.resolve("state-unblock"));
        WindowProbe probe = new WindowProbe(dir.resolve("probe-unblock"));
        XDoTool xdo = xvfb.xdotool();
        List<String> transcript;
        try (NativeMessagingClient host = startHost(state, policy("policy-unblock.json", t.module()),
                Map.of("OPENSC_CONF", conf.toString()), probe)) {
            String token = token(host, t);
            String login = host.send("login", Map.of("token", token), "en");
            String loginWindow = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            HostDialogs.typePinOnce(xdo, loginWindow, t.pin(), DIALOG);
            probe.await(w -> w.name().equals("cardbridge-pin") && String.valueOf(w.get("message")).contains("blocked"), DIALOG,
                    "saying the PIN is blocked");
            xdo.screenshot("pinunblock-card-login-blocked");
            xdo.key("Escape");
            assertTrue(xdo.awaitGone(loginWindow, DIALOG));
            assertEquals("PIN_LOCKED", host.await(login, DIALOG).path("error").path("code").asText());
            JsonNode locked = host.call("changePin", Map.of("token", token));
            assertEquals("PIN_LOCKED", locked.path("error").path("code").asText(), locked.toString());
            assertEquals(1, probe.seen().size(), "a change that cannot succeed opens no window");
            String id = host.send("unblockPin", Map.of("token", token), "pl");
            String window = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            WindowTextAgent.Seen asked = probe.await(w -> w.name().equals("cardbridge-pinchange"), DIALOG, "asking for the PUK");
            assertTrue(asked.text().contains("PUK") && asked.text().contains(ORIGIN), asked.text());
            xdo.screenshot("pinunblock-card-pl");
            HostDialogs.typeChange(xdo, window, "fedcba9876543210", NEW_PIN, NEW_PIN, DIALOG);
            try {
                probe.await(w -> w.id().equals(asked.id()) && String.valueOf(w.get("message")).startsWith("Błędny PUK"), DIALOG,
                        "saying the PUK was wrong");
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; the host answered " + host.await(id, Duration.ofSeconds(5)), e);
            }
            xdo.screenshot("pinunblock-card-wrong-puk");
            assertEquals(2, card.card().pukTriesLeft(), "the wrong PUK cost one try");
            assertEquals(0, card.card().pinTriesLeft(), "still blocked");
            HostDialogs.typeChange(xdo, window, VirtualCards.PUK, NEW_PIN, NEW_PIN, DIALOG);
            assertTrue(xdo.awaitGone(window, DIALOG));
            JsonNode unblocked = host.await(id, DIALOG);
            assertTrue(unblocked.path("result").path("unblocked").asBoolean(), unblocked.toString());
            assertEquals(3, card.card().pinTriesLeft());
            assertEquals(3, card.card().pukTriesLeft());

            String relogin = host.send("login", Map.of("token", token), "en");
            String reloginWindow = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            HostDialogs.typePinOnce(xdo, reloginWindow, NEW_PIN, DIALOG);
            assertTrue(xdo.awaitGone(reloginWindow, DIALOG));
            assertTrue(host.await(relogin, DIALOG).path("result").path("loggedIn").asBoolean());

            // Under this setting OpenSC takes C_SetPIN without a login for an unblock, the old PIN as the PUK: a
            // change from a connection that is not logged in (the popup's) must log in first, never spend a PUK try.
            assertFalse(host.call("logout", Map.of("token", token)).path("result").path("loggedIn").asBoolean(true));
            String change = host.send("changePin", Map.of("token", token), "en");
            String changeWindow = xdo.waitForWindow(HostDialogs.TITLE, DIALOG);
            HostDialogs.typeChange(xdo, changeWindow, NEW_PIN, t.pin(), t.pin(), DIALOG);
            assertTrue(xdo.awaitGone(changeWindow, DIALOG));
            JsonNode changed = host.await(change, DIALOG);
            assertTrue(changed.path("result").path("changed").asBoolean(), changed.toString());
            assertEquals(3, card.card().pukTriesLeft(), "the current PIN was never taken for a PUK");
            assertEquals(3, card.card().pinTriesLeft());
            transcript = host.transcript();
        }
        assertNowhere(transcript, state, List.of(VirtualCards.PUK, NEW_PIN, "fedcba9876543210"));
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

    private static void assertNowhere(List<String> transcript, Path state, List<String> secrets) throws Exception {
        List<String> places = new ArrayList<>();
        for (String message : transcript) {
            if (secrets.stream().anyMatch(message::contains)) {
                places.add("message " + message);
            }
        }
        try (Stream<Path> files = Files.walk(state)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                if (secrets.stream().anyMatch(text::contains)) {
                    places.add("file " + f);
                }
            }
        }
        assertFalse(transcript.isEmpty());
        assertEquals(List.of(), places);
    }
}
