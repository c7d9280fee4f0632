package org.cardbridge.install;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.Json;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code install --user --client-auth}, {@code uninstall --user} and doctor's client-authentication lines,
 * through the real built launcher in a temporary HOME whose NSS databases are made with NSS's own
 * {@code certutil}, and a SoftHSM2 token (the policy's module) standing in for the card.
 */
class ClientAuthIT {
    static final Path LAUNCHER = Path.of(System.getProperty("cardbridge.launcher", "target/cardbridge-host"));
    private static final String LABEL = "Karta CEPiK Żółć";
    private static final String SUBJECT = "CN=Operator Stacji,O=CardBridge Test,C=PL";

    @TempDir
    Path tmp;
    Path home;
    Path chromium;
    Path firefox;
    SoftHsm2 store;
    Path policy;

    @BeforeEach
    void setUp() throws IOException {
        home = Files.createDirectories(tmp.resolve("home"));
        chromium = home.resolve(".pki/nssdb");
        firefox = home.resolve(".mozilla/firefox/k4rt4.default-esr");
        store = SoftHsm2.create(tmp.resolve("softhsm"), List.of(LABEL));
        policy = tmp.resolve("policy.json");
        Files.writeString(policy, "{\"origins\": [], \"modules\": [\"" + SoftHsm2.MODULE + "\"]}");
    }

    @Test
    void installThenUninstall_leaveEveryNssModuleListAsItWas() throws Exception {
        newDb(chromium);
        newDb(firefox);
        // A module the person registered themselves: install and uninstall must leave it alone.
        tool("modutil", "-dbdir", "sql:" + firefox, "-add", "Mój token", "-libfile", SoftHsm2.MODULE, "-force");
        Files.createDirectories(home.resolve(".mozilla/firefox/bez-bazy.default")); // a profile never started: no database
        String chromiumBefore = modules(chromium);
        String firefoxBefore = modules(firefox);

        Result install = cli("install", "--user", "--client-auth");
        assertEquals(0, install.exit(), install.toString());
        assertTrue(install.out().contains("the card is now available for logging in to web sites (" + SoftHsm2.MODULE + " in " + chromium),
                install.out());
        assertTrue(install.out().contains("Firefox (k4rt4.default-esr): the card is already available (Mój token)"), install.out());
        assertTrue(modules(chromium).contains(ClientAuth.MODULE_NAME), modules(chromium));
        assertEquals(firefoxBefore, modules(firefox), "the profile that already shows the card is not touched");
        assertFalse(Files.exists(home.resolve(".mozilla/firefox/bez-bazy.default/cert9.db")), "no database is made");

        Result uninstall = cli("uninstall", "--user");
        assertEquals(0, uninstall.exit(), uninstall.toString());
        assertTrue(uninstall.out().contains("the card's module CardBridge added is removed from " + chromium), uninstall.out());
        assertEquals(chromiumBefore, modules(chromium));
        assertEquals(firefoxBefore, modules(firefox));
    }

    @Test
    void p11KitProxyRegistered_countsAsTheCard_installLeavesItAlone_doctorComparesThroughIt() throws Exception {
        // p11-kit's convention: the proxy in NSS, the card's module in p11-kit's configuration (SoftHSM2's
        // package ships /usr/share/p11-kit/modules/softhsm2.module, as OpenSC's ships opensc-pkcs11.module).
        Path proxy = Stream.of("/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so", "/usr/lib/aarch64-linux-gnu/p11-kit-proxy.so",
                "/usr/lib64/p11-kit-proxy.so").map(Path::of).filter(Files::isRegularFile).findFirst()
                .orElseThrow(() -> new AssertionError("p11-kit-proxy.so missing: .ci/setup.sh installs p11-kit-modules"));
        assertTrue(Files.readString(Path.of("/usr/share/p11-kit/modules/softhsm2.module")).contains("libsofthsm2.so"));
        newDb(firefox);
        tool("modutil", "-dbdir", "sql:" + firefox, "-add", "p11-kit-proxy", "-libfile", proxy.toString(), "-force");
        X509Certificate cert = put(Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(365)), "SSL CEPiK", 1);
        String before = modules(firefox);

        Result install = cli("install", "--user", "--client-auth");
        assertTrue(install.out().contains("Firefox (k4rt4.default-esr): the card is already available (p11-kit-proxy)"), install.out());
        assertEquals(before, modules(firefox));
        List<JsonNode> report = doctor();
        assertTrue(finding(report, firefox, "doctor.clientAuth.registered").path("message").asText().contains(proxy.toString()));
        assertTrue(finding(report, firefox, "doctor.clientAuth.offersNewest").path("message").asText()
                .contains(cert.getSerialNumber().toString(16)));
    }

    @Test
    void usableForLogin_followsTheRegistrationInThatBrowsersDatabase() throws Exception {
        newDb(chromium);
        newDb(firefox);
        ClientAuth check = new ClientAuth(Roots.of(home, Path.of("/")), org.cardbridge.platform.Os.LINUX,
                new Nss().withEnvironment(store.environment()), null, library -> List.of());
        assertEquals(java.util.Optional.of(false), check.usableForLogin(ClientAuth.Browser.CHROME, SoftHsm2.MODULE));
        tool("modutil", "-dbdir", "sql:" + chromium, "-add", "OpenSC", "-libfile", SoftHsm2.MODULE, "-force");
        assertEquals(java.util.Optional.of(true), check.usableForLogin(ClientAuth.Browser.CHROME, SoftHsm2.MODULE));
        assertEquals(java.util.Optional.of(false), check.usableForLogin(ClientAuth.Browser.FIREFOX, SoftHsm2.MODULE),
                "registered for Chromium only");
        assertEquals(java.util.Optional.empty(), new ClientAuth(Roots.of(home, Path.of("/")), org.cardbridge.platform.Os.WINDOWS,
                new Nss(), null, library -> List.of()).usableForLogin(ClientAuth.Browser.CHROME, SoftHsm2.MODULE));
    }

    @Test
    void usableForLogin_noDatabaseOfThatBrowser_cannotBeTold() throws Exception {
        ClientAuth check = new ClientAuth(Roots.of(home, Path.of("/")), org.cardbridge.platform.Os.LINUX,
                new Nss().withEnvironment(store.environment()), null, library -> List.of());
        assertEquals(java.util.Optional.empty(), check.usableForLogin(ClientAuth.Browser.CHROME, SoftHsm2.MODULE), "no ~/.pki/nssdb");
        newDb(chromium);
        assertEquals(java.util.Optional.of(false), check.usableForLogin(ClientAuth.Browser.CHROME, SoftHsm2.MODULE));
        assertEquals(java.util.Optional.empty(), check.usableForLogin(ClientAuth.Browser.FIREFOX, SoftHsm2.MODULE),
                "no Firefox profile where doctor looks: the one Firefox uses is elsewhere");
        Files.createDirectories(home.resolve(".mozilla/firefox/bez-bazy.default"));
        assertEquals(java.util.Optional.empty(), check.usableForLogin(ClientAuth.Browser.FIREFOX, SoftHsm2.MODULE),
                "a profile folder without a database");
    }

    @Test
    void doctor_moduleNotRegistered_saysSoWithTheInstallCommandAsTheFix() throws Exception {
        newDb(chromium);
        JsonNode f = finding(doctor(), chromium, "doctor.clientAuth.notRegistered");
        assertEquals("WARN", f.path("status").asText());
        assertTrue(f.path("message").asText().contains("the card is not available for logging in to web sites"), f.toString());
        assertEquals("close the browser, then run: cardbridge-host install --user --client-auth", f.path("fix").asText());
    }

    @Test
    void doctor_registered_offersTheCardsNewestCertificate() throws Exception {
        newDb(chromium);
        X509Certificate cert = put(Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(365)), "SSL CEPiK", 1);
        assertEquals(0, cli("install", "--user", "--client-auth").exit());

        List<JsonNode> report = doctor();
        assertEquals("OK", finding(report, chromium, "doctor.clientAuth.registered").path("status").asText());
        JsonNode offered = finding(report, chromium, "doctor.clientAuth.offersNewest");
        assertEquals("OK", offered.path("status").asText());
        assertTrue(offered.path("message").asText().contains("number " + cert.getSerialNumber().toString(16)), offered.toString());
    }

    @Test
    void doctor_registeredButTheCardHoldsOnlyTheOldExpiredCertificate_failsWithRenewAsTheFix() throws Exception {
        newDb(chromium);
        X509Certificate old = put(Instant.now().minus(Duration.ofDays(400)), Instant.now().minus(Duration.ofDays(2)), "SSL CEPiK", 1);
        assertEquals(0, cli("install", "--user", "--client-auth").exit());

        Result r = cliResult("doctor", "--json");
        JsonNode f = finding(findings(r), chromium, "doctor.clientAuth.onlyExpired");
        assertEquals("FAIL", f.path("status").asText());
        assertTrue(f.path("message").asText().contains("holds only an expired certificate (number " + old.getSerialNumber().toString(16)),
                f.toString());
        assertEquals("renew the certificate on your certification authority's page", f.path("fix").asText());
        assertEquals(1, r.exit(), "a FAIL makes doctor exit 1");
    }

    @Test
    void doctor_oldCertificateStillBesideTheNewOne_warnsThatTheOldOneIsOfferedToo() throws Exception {
        newDb(chromium);
        X509Certificate old = put(Instant.now().minus(Duration.ofDays(300)), Instant.now().plus(Duration.ofDays(20)), "SSL CEPiK", 1);
        X509Certificate renewed = put(Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(365)), "SSL CEPiK 2027", 2);
        assertEquals(0, cli("install", "--user", "--client-auth").exit());

        List<JsonNode> report = doctor();
        assertTrue(finding(report, chromium, "doctor.clientAuth.offersNewest").path("message").asText()
                .contains(renewed.getSerialNumber().toString(16)));
        JsonNode f = finding(report, chromium, "doctor.clientAuth.oldStillOffered");
        assertEquals("WARN", f.path("status").asText());
        assertTrue(f.path("message").asText().contains("the old certificate (number " + old.getSerialNumber().toString(16)), f.toString());
    }

    @Test
    void doctor_missingDatabase_reportedAndNothingMade() throws Exception {
        JsonNode f = finding(doctor(), chromium, "doctor.clientAuth.noDb");
        assertEquals("INFO", f.path("status").asText());
        assertFalse(Files.exists(chromium), "doctor made no database");
        Result install = cli("install", "--user", "--client-auth");
        assertTrue(install.out().contains("no certificate database in " + chromium + " yet"), install.out());
        assertFalse(Files.exists(chromium.resolve("cert9.db")), "install made no database either");
    }

    @Test
    void doctorAndInstall_corruptDatabase_reportedAndLeftUnchanged() throws Exception {
        newDb(chromium);
        byte[] junk = new byte[8192];
        new java.util.Random(16).nextBytes(junk);
        Files.write(chromium.resolve("cert9.db"), junk);
        Map<String, String> before = digests(chromium);

        JsonNode f = finding(doctor(), chromium, "doctor.clientAuth.unreadable");
        assertEquals("WARN", f.path("status").asText());
        assertTrue(f.path("message").asText().contains("cannot be opened, nothing was changed"), f.toString());
        Result install = cli("install", "--user", "--client-auth");
        assertEquals(1, install.exit(), install.toString());
        assertTrue(install.out().contains(chromium + " was not changed"), install.out());
        assertEquals(before, digests(chromium));
    }

    @Test
    void doctorAndInstall_databaseLockedByAnotherProgram_reportedAndLeftUnchanged() throws Exception {
        newDb(chromium);
        Map<String, String> before = digests(chromium);
        // Another program holds SQLite's exclusive lock on cert9.db while doctor runs.
        Process locker = new ProcessBuilder("python3", "-c", """
                import sqlite3, sys, time
                c = sqlite3.connect(sys.argv[1], isolation_level=None)
                c.execute('BEGIN EXCLUSIVE')
                print('locked', flush=True)
                time.sleep(120)
                """, chromium.resolve("cert9.db").toString()).redirectErrorStream(true).start();
        try {
            assertEquals("locked", new String(locker.getInputStream().readNBytes(6), StandardCharsets.UTF_8));
            JsonNode f = finding(doctor(), chromium, "doctor.clientAuth.unreadable");
            assertEquals("WARN", f.path("status").asText());
            assertTrue(f.path("fix").asText().startsWith("close the browser and run cardbridge-host doctor again"), f.toString());
            // install (and uninstall) meet the same lock: each says so and writes nothing.
            Result install = cli("install", "--user", "--client-auth");
            assertEquals(1, install.exit(), install.toString());
            assertTrue(install.out().contains(chromium + " was not changed"), install.out());
            assertEquals(before, digests(chromium));
        } finally {
            locker.destroy();
            locker.waitFor(10, TimeUnit.SECONDS);
        }
        assertEquals(before, digests(chromium));
    }

    // ---- helpers ----

    /** A key and its certificate on the card (the SoftHSM2 token), valid between the two instants. */
    private X509Certificate put(Instant from, Instant until, String label, int id) throws Exception {
        TestCa ca = new TestCa("CardBridge doctor CA");
        KeyPair keys = TestCa.rsa(2048);
        X509Certificate cert = ca.issue(keys.getPublic(), SUBJECT, from, until);
        store.tokens().getFirst().importKey(keys, cert, new byte[]{(byte) id}, label);
        return cert;
    }

    private void newDb(Path dir) throws Exception {
        Files.createDirectories(dir);
        tool("certutil", "-N", "-d", "sql:" + dir, "--empty-password");
    }

    /** {@code modutil -list}: every module and the slots and tokens it shows. */
    private String modules(Path db) throws Exception {
        return tool("modutil", "-dbdir", "sql:" + db, "-list");
    }

    private String tool(String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(store.environment());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
        return out;
    }

    private static Map<String, String> digests(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                out.put(p.getFileName().toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }

    private static JsonNode finding(List<JsonNode> findings, Path db, String code) {
        return findings.stream().filter(f -> f.path("subject").asText().equals("nss:" + db) && f.path("code").asText().equals(code))
                .findFirst().orElseThrow(() -> new AssertionError(code + " for " + db + " in " + findings));
    }

    private List<JsonNode> doctor() throws Exception {
        return findings(cliResult("doctor", "--json"));
    }

    private static List<JsonNode> findings(Result r) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        Json.mapper().readTree(r.out()).path("findings").forEach(out::add);
        return out;
    }

    record Result(int exit, String out) {
    }

    private Result cli(String... args) throws Exception {
        return cliResult(args);
    }

    private Result cliResult(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("XDG_CONFIG_HOME");
        pb.environment().put("LANG", "C.UTF-8"); // English, and UTF-8 on stdout (Polish names in the output)
        pb.environment().remove("LC_ALL");
        pb.environment().put("CARDBRIDGE_STATE_DIR", tmp.resolve("state").toString());
        pb.environment().put("CARDBRIDGE_POLICY", policy.toString());
        pb.environment().putAll(store.environment());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertNotEquals(null, out);
        return new Result(p.exitValue(), out);
    }
}
