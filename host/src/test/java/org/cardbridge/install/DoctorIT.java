package org.cardbridge.install;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.Json;
import org.cardbridge.protocol.Lang;
import org.cardbridge.testing.vcard.Pcscd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The real built launcher ({@code cardbridge.launcher}) registered in a temporary HOME and asked hello by doctor. */
class DoctorIT {
    static final Path LAUNCHER = Path.of(System.getProperty("cardbridge.launcher", "target/cardbridge-host"));
    @TempDir
    Path tmp;

    @Test
    void theRealHostAnswersHelloWhenStartedAsChromeAndAsFirefoxStartIt() throws IOException {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path sys = Files.createDirectories(tmp.resolve("sys"));
        for (String exe : List.of("usr/bin/chromium", "usr/bin/firefox", "usr/bin/librewolf")) {
            Files.createDirectories(sys.resolve(exe).getParent());
            Files.writeString(sys.resolve(exe), "");
        }
        Roots roots = Roots.of(home, sys);
        BrowserCatalog catalog = BrowserCatalog.load();
        new Installer(catalog, roots, Os.LINUX, null).install(Scope.USER, LAUNCHER.toAbsolutePath().toString(), Policy.empty());
        Doctor doctor = new Doctor(catalog, roots, Os.LINUX, null,
                new HostProbe(Duration.ofSeconds(20), Os.LINUX, hostEnv()), new DoctorTexts(Lang.EN),
                new org.cardbridge.policy.PolicyLoader.Loaded(tmp.resolve("policy.json"), Policy.empty(), null));

        List<Finding> found = doctor.browsers();

        for (String browser : List.of("chromium", "firefox", "librewolf")) {
            List<String> codes = found.stream().filter(f -> f.subject().equals(browser)).map(Finding::code).toList();
            assertEquals(List.of("doctor.manifestOk", "doctor.helloOk"), codes, browser + ": " + found);
        }
        assertTrue(found.stream().noneMatch(Finding::broken), found::toString);
    }

    @Test
    void cliInstallDoctorUninstallInATemporaryHome() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        assertEquals(0, run(home, "install", "--user").exit());
        assertTrue(Files.isRegularFile(home.resolve(".config/chromium/NativeMessagingHosts/org.cardbridge.host.json")));
        assertTrue(Files.isRegularFile(home.resolve(".librewolf/native-messaging-hosts/org.cardbridge.host.json")));

        Result doctor = run(home, "doctor", "--json");
        JsonNode report = Json.mapper().readTree(doctor.out());
        List<JsonNode> findings = new ArrayList<>();
        report.path("findings").forEach(findings::add);
        assertEquals(report.path("problems").asInt(), findings.stream().filter(f -> f.path("status").asText().equals("FAIL")).count());
        assertEquals(report.path("ok").asBoolean() ? 0 : 1, doctor.exit(), "exit code follows the report");
        if (Files.exists(Path.of("/usr/bin/chromium"))) {
            List<String> chromium = findings.stream().filter(f -> f.path("subject").asText().equals("chromium"))
                    .map(f -> f.path("code").asText()).toList();
            assertEquals(List.of("doctor.manifestOk", "doctor.helloOk"), chromium, doctor.out());
        }

        assertEquals(0, run(home, "uninstall", "--user").exit());
        try (Stream<Path> left = Files.walk(home)) {
            assertEquals(List.of(), left.filter(p -> p.toString().endsWith("org.cardbridge.host.json")).toList());
        }
    }

    @Test
    void pcscFindingNamesWhyPcscdCannotBeReached_andCountsTheReadersOfOneThatAnswers() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        // A socket path nobody listens on: libpcsclite's "no service", which doctor must name, not hide.
        Map<String, String> nobody = Map.of(Pcscd.SOCKET_ENV, tmp.resolve("nobody.comm").toString());
        Result down = run(home, nobody, "doctor", "--json");
        JsonNode pcsc = findings(down).stream().filter(f -> f.path("subject").asText().equals("pcscd")).findFirst().orElseThrow();
        assertEquals("doctor.pcscDown", pcsc.path("code").asText(), down.out());
        assertTrue(pcsc.path("message").asText().contains("SCARD_E_NO_SERVICE"), pcsc.toString());
        assertEquals(1, down.exit(), "a FAIL finding makes doctor exit 1");

        assumeTrue(Pcscd.available(), "pcscd and vsmartcard-vpcd are installed by .ci/setup.sh");
        try (Pcscd pcscd = Pcscd.start()) {
            Result up = run(home, pcscd.clientEnv(), "doctor", "--json");
            List<String> codes = findings(up).stream().filter(f -> f.path("subject").asText().equals("pcscd"))
                    .map(f -> f.path("code").asText()).toList();
            assertEquals(List.of("doctor.pcscOk"), codes, up.out());
            List<String> readers = findings(up).stream().filter(f -> f.path("code").asText().equals("doctor.readerEmpty"))
                    .map(f -> f.path("subject").asText()).toList();
            assertEquals(List.of(pcscd.readerName(0), pcscd.readerName(1)), readers, up.out());
        }
    }

    private static List<JsonNode> findings(Result r) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        Json.mapper().readTree(r.out()).path("findings").forEach(out::add);
        return out;
    }

    record Result(int exit, String out) {
    }

    private Result run(Path home, String... args) throws Exception {
        return run(home, Map.of(), args);
    }

    private Result run(Path home, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("XDG_CONFIG_HOME");
        pb.environment().putAll(hostEnv());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out);
    }

    private Map<String, String> hostEnv() {
        return Map.of("CARDBRIDGE_STATE_DIR", tmp.resolve("state").toString(), "CARDBRIDGE_POLICY", tmp.resolve("policy.json").toString());
    }
}
