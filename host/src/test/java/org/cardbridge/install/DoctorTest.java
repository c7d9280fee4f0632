package org.cardbridge.install;

import org.cardbridge.platform.Os;
import org.cardbridge.policy.Policy;
import org.cardbridge.policy.PolicyLoader;
import org.cardbridge.protocol.Lang;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * doctor against broken registrations on a fake machine (temporary HOME and system root). The hosts here
 * are small shell scripts that misbehave on purpose; the real host answering is DoctorIT.
 */
class DoctorTest {
    static final BrowserCatalog CATALOG = BrowserCatalog.load();
    @TempDir
    Path tmp;
    Path home;
    Path sys;
    Roots roots;
    Path chromiumManifest;
    Path firefoxManifest;
    /** The policy in force for doctor (what the host would load). */
    Policy policy = Policy.empty();

    @BeforeEach
    void machineWithChromiumAndFirefox() throws IOException {
        home = Files.createDirectories(tmp.resolve("home"));
        sys = Files.createDirectories(tmp.resolve("sys"));
        roots = Roots.of(home, sys);
        touch(sys.resolve("usr/bin/chromium"));
        touch(sys.resolve("usr/bin/firefox"));
        chromiumManifest = home.resolve(".config/chromium/NativeMessagingHosts/org.cardbridge.host.json");
        firefoxManifest = home.resolve(".mozilla/native-messaging-hosts/org.cardbridge.host.json");
    }

    Doctor doctor(Duration timeout) {
        return new Doctor(CATALOG, roots, Os.LINUX, null,
                new HostProbe(timeout, Os.LINUX, Map.of("CARDBRIDGE_STATE_DIR", tmp.resolve("state").toString())),
                new DoctorTexts(Lang.EN), loaded(policy));
    }

    PolicyLoader.Loaded loaded(Policy p) {
        return new PolicyLoader.Loaded(tmp.resolve("policy.json"), p, null);
    }

    List<Finding> check(String browser) {
        return check(browser, Duration.ofSeconds(10));
    }

    List<Finding> check(String browser, Duration timeout) {
        return doctor(timeout).browsers().stream().filter(f -> f.subject().equals(browser)).toList();
    }

    Path script(String name, String body) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    void installUser(Path host) throws IOException {
        new Installer(CATALOG, roots, Os.LINUX, null).install(Scope.USER, host.toString(), Policy.empty());
    }

    /** A host that answers hello when started with the arguments a browser passes, as the real one does. */
    Path answeringHost() throws IOException {
        return script("host", """
                case "$1" in
                  chrome-extension://ofgjjddghmifhcdedhlchefmbecfflch/) ;;
                  */org.cardbridge.host.json) [ "$2" = cardbridge@cardbridge.org ] || exit 9 ;;
                  *) exit 8 ;;
                esac
                reply='{"id":"doctor","result":{"host":"sh","protocol":"1.0.0","operations":["hello"]}}'
                len=$(printf %o ${#reply})
                printf "\\\\$len\\\\000\\\\000\\\\000%s" "$reply"
                """);
    }

    static List<String> codes(List<Finding> findings) {
        return findings.stream().map(Finding::code).toList();
    }

    static Finding only(List<Finding> findings, Finding.Status status) {
        List<Finding> matching = findings.stream().filter(f -> f.status() == status).toList();
        assertEquals(1, matching.size(), () -> "one " + status + " in " + findings);
        return matching.getFirst();
    }

    @Test
    void missingManifestNamesEveryPlaceTheBrowserLooksAndTheFix() {
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.noManifest", f.code());
        assertTrue(f.message().contains(home.resolve(".config/chromium/NativeMessagingHosts").toString()), f.message());
        assertTrue(f.message().contains(sys.resolve("etc/chromium/native-messaging-hosts").toString()), f.message());
        assertEquals("run: cardbridge-host install --user   (or reinstall the CardBridge package for all users)", f.fix());
    }

    @Test
    void badJson() throws IOException {
        installUser(script("host", "exit 0"));
        Files.writeString(chromiumManifest, "{\"name\": \"org.cardbridge.host\",");
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.badJson", f.code());
        assertTrue(f.message().startsWith("Chromium: manifest " + chromiumManifest + " is not valid JSON"), f.message());
    }

    @Test
    void wrongPath() throws IOException {
        installUser(tmp.resolve("no-such-host"));
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.pathMissing", f.code());
        assertEquals("Chromium: manifest " + chromiumManifest + " names the host " + tmp.resolve("no-such-host") + ", which does not exist", f.message());
    }

    @Test
    void relativePathIsRefusedOnLinux() throws IOException {
        installUser(script("host", "exit 0"));
        Files.writeString(chromiumManifest, Files.readString(chromiumManifest).replace(tmp.resolve("host").toString(), "bin/host"));
        assertEquals("doctor.pathRelative", only(check("chromium"), Finding.Status.FAIL).code());
    }

    @Test
    void notExecutable() throws IOException {
        Path host = script("host", "exit 0");
        Files.setPosixFilePermissions(host, PosixFilePermissions.fromString("rw-r--r--"));
        installUser(host);
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.notExecutable", f.code());
        assertEquals("run: chmod 755 " + host + "   (or reinstall CardBridge)", f.fix());
    }

    @Test
    void wrongExtensionId() throws IOException {
        installUser(script("host", "exit 0"));
        Files.writeString(chromiumManifest, Files.readString(chromiumManifest).replace("ofgjjddghmifhcdedhlchefmbecfflch", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.extensionNotAllowed", f.code());
        assertTrue(f.message().contains("chrome-extension://ofgjjddghmifhcdedhlchefmbecfflch/"), f.message());

        // Firefox passes over a file that does not allow the add-on; with no other file, it has none.
        Files.writeString(firefoxManifest, Files.readString(firefoxManifest).replace("cardbridge@cardbridge.org", "other@example.org"));
        List<Finding> firefox = check("firefox");
        assertEquals("doctor.extensionNotAllowed", only(firefox, Finding.Status.WARN).code());
        assertEquals("doctor.noUsableManifest", only(firefox, Finding.Status.FAIL).code());
    }

    @Test
    void wrongName() throws IOException {
        installUser(script("host", "exit 0"));
        Files.writeString(chromiumManifest, Files.readString(chromiumManifest).replace("\"org.cardbridge.host\"", "\"org.cardbridge.hots\""));
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.wrongName", f.code());
        assertTrue(f.message().contains("\"org.cardbridge.hots\""), f.message());
    }

    @Test
    void firefoxManifestWithAllowedOriginsIsRejected() throws IOException {
        installUser(script("host", "exit 0"));
        Files.writeString(firefoxManifest, Files.readString(firefoxManifest)
                .replace("\"allowed_extensions\"", "\"allowed_origins\" : [ \"chrome-extension://ofgjjddghmifhcdedhlchefmbecfflch/\" ],\n  \"allowed_extensions\""));
        List<Finding> firefox = check("firefox");
        assertEquals("doctor.firefoxOrigins", only(firefox, Finding.Status.WARN).code());
        assertEquals("doctor.noUsableManifest", only(firefox, Finding.Status.FAIL).code());
    }

    @Test
    void aPerUserManifestFirefoxSkipsIsAWarningAndTheNextOneIsCheckedAndStarted() throws IOException {
        Path host = answeringHost();
        new Installer(CATALOG, roots, Os.LINUX, null).install(Scope.SYSTEM, host.toString(), Policy.empty());
        installUser(host);
        Path systemFirefox = sys.resolve("usr/lib/mozilla/native-messaging-hosts/org.cardbridge.host.json");
        String good = Files.readString(firefoxManifest);
        // Each way NativeManifests.sys.mjs refuses a file, and the finding that names it.
        Map<String, String> broken = new java.util.LinkedHashMap<>();
        broken.put("doctor.badJson", "{\"name\": ");
        broken.put("doctor.wrongName", good.replace("\"org.cardbridge.host\"", "\"org.cardbridge.other\""));
        broken.put("doctor.wrongType", good.replace("\"stdio\"", "\"pkcs11\""));
        broken.put("doctor.pathRelative", good.replace(host.toString(), "bin/host"));
        broken.put("doctor.extensionNotAllowed", good.replace("cardbridge@cardbridge.org", "other@example.org"));
        broken.put("doctor.firefoxOrigins", good.replace("\"allowed_extensions\"", "\"allowed_origins\": [], \"allowed_extensions\""));
        broken.put("doctor.firefoxUnknownField", good.replace("\"allowed_extensions\"", "\"comment\": \"x\", \"allowed_extensions\""));
        broken.put("doctor.firefoxNoDescription", good.replaceFirst("\"description\" : \"[^\"]*\",", ""));
        broken.put("doctor.firefoxBadId", good.replace("\"cardbridge@cardbridge.org\"", "\"cardbridge@cardbridge.org\", \"abcdefghijklmnopabcdefghijklmnop\""));
        for (var e : broken.entrySet()) {
            Files.writeString(firefoxManifest, e.getValue());
            List<Finding> firefox = check("firefox");
            assertEquals(List.of(e.getKey(), "doctor.manifestOk", "doctor.helloOk"), codes(firefox), () -> e.getKey() + ": " + firefox);
            Finding skipped = firefox.getFirst();
            assertEquals(Finding.Status.WARN, skipped.status(), skipped::toString);
            assertTrue(skipped.message().startsWith("Mozilla Firefox: manifest " + firefoxManifest), skipped.message());
            assertTrue(skipped.message().endsWith("; Mozilla Firefox skips this file and goes on searching"), skipped.message());
            assertEquals("run: cardbridge-host install --user   (it writes the file again), or delete the file to use the system-wide one", skipped.fix());
            assertEquals("Mozilla Firefox: manifest " + systemFirefox + " is correct", firefox.get(1).message());
            assertTrue(firefox.stream().noneMatch(Finding::broken), firefox::toString);
        }

        // Chromium stops at the first file: the same kind of fault there is a failure, the system file unused.
        Files.writeString(chromiumManifest, Files.readString(chromiumManifest).replace("\"org.cardbridge.host\"", "\"org.cardbridge.other\""));
        Finding chromium = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.wrongName", chromium.code());
        assertTrue(chromium.message().contains(chromiumManifest.toString()), chromium.message());
    }

    @Test
    void aPerUserManifestFirefoxUsesIsReportedEvenWhenItsHostIsMissing() throws IOException {
        // Firefox does not look at the host's path before using a file: a stale per-user one breaks it.
        new Installer(CATALOG, roots, Os.LINUX, null).install(Scope.SYSTEM, answeringHost().toString(), Policy.empty());
        installUser(tmp.resolve("gone"));
        Finding f = only(check("firefox"), Finding.Status.FAIL);
        assertEquals("doctor.pathMissing", f.code());
        assertTrue(f.message().contains(firefoxManifest.toString()), f.message());
    }

    @Test
    void firefoxLooksForAManifestPerAddOnAndChromiumDoesNot() throws IOException {
        // The system manifests allow a CA's extensions, the older per-user ones do not.
        policy = new Policy(List.of(), List.of(), List.of("abcdefghijklmnopabcdefghijklmnop", "cardbridge@ca.example"),
                Duration.ofSeconds(60), "INFO");
        Path host = answeringHost();
        new Installer(CATALOG, roots, Os.LINUX, null).install(Scope.SYSTEM, host.toString(), policy);
        installUser(host);
        // Firefox passes over the per-user file for the CA's add-on and finds the system one.
        assertEquals(List.of("doctor.manifestOk", "doctor.helloOk"), codes(check("firefox")));
        // Chromium takes the per-user file for every extension and refuses the CA's.
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.policyIdMissing", f.code());
        assertTrue(f.message().contains(chromiumManifest.toString()), f.message());

        // install writes both folders Firefox builds read (/usr/lib and /usr/lib64): without either, no usable file.
        Files.delete(sys.resolve("usr/lib/mozilla/native-messaging-hosts/org.cardbridge.host.json"));
        Files.delete(sys.resolve("usr/lib64/mozilla/native-messaging-hosts/org.cardbridge.host.json"));
        Finding firefox = only(check("firefox"), Finding.Status.FAIL);
        assertEquals("doctor.policyIdMissing", firefox.code());
        assertTrue(firefox.message().contains("cardbridge@ca.example"), firefox.message());
    }

    @Test
    void hostThatDoesNotAnswer() throws IOException {
        installUser(script("host", "exec sleep 30"));
        Finding f = only(check("chromium", Duration.ofMillis(700)), Finding.Status.FAIL);
        assertEquals("doctor.noAnswer", f.code());
        assertTrue(f.message().endsWith("did not answer hello within 700 ms"), f.message());
    }

    @Test
    void hostThatExitsShowsItsCodeAndFirstErrorLine() throws IOException {
        installUser(script("host", "echo 'Error: Could not find or load main class' >&2; exit 7"));
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.hostExited", f.code());
        assertTrue(f.message().contains("exit code 7") && f.message().endsWith("Could not find or load main class"), f.message());
    }

    @Test
    void hostThatPrintsToStdoutIsCaught() throws IOException {
        installUser(script("host", "echo 'Picked up JAVA_TOOL_OPTIONS: -Xmx1g'; exec sleep 5"));
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.wrongAnswer", f.code());
        assertTrue(f.message().contains("something prints to stdout"), f.message());
    }

    @Test
    void browsersAreStartedWithTheirOwnArguments() throws IOException {
        // The host answers hello only when started with exactly the browser's arguments.
        installUser(answeringHost());
        List<Finding> chromium = check("chromium");
        assertEquals(List.of("doctor.manifestOk", "doctor.helloOk"), chromium.stream().map(Finding::code).toList(), chromium::toString);
        List<Finding> firefox = check("firefox");
        assertEquals(List.of("doctor.manifestOk", "doctor.helloOk"), firefox.stream().map(Finding::code).toList(), firefox::toString);
    }

    @Test
    void aBrokenUserManifestShadowsAGoodSystemOneAndIsTheOneReported() throws IOException {
        Path host = script("host", "exit 0");
        new Installer(CATALOG, roots, Os.LINUX, null).install(Scope.SYSTEM, host.toString(), Policy.empty());
        installUser(tmp.resolve("gone"));
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.pathMissing", f.code());
        assertTrue(f.message().contains(chromiumManifest.toString()), f.message());
    }

    @Test
    void systemManifestProblemsSuggestReinstallingThePackage() throws IOException {
        new Installer(CATALOG, roots, Os.LINUX, null).install(Scope.SYSTEM, tmp.resolve("gone").toString(), Policy.empty());
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertTrue(f.fix().startsWith("reinstall the CardBridge package"), f.fix());
    }

    @Test
    void anExtensionIdThePolicyAddsMustBeInTheSystemManifestsThePackageBuilt() throws IOException {
        // The .deb's manifests are written when the package is built, from the build's (empty) policy.
        Installer installer = new Installer(CATALOG, roots, Os.LINUX, null);
        installer.install(Scope.SYSTEM, answeringHost().toString(), Policy.empty());
        policy = new Policy(List.of(), List.of(), List.of("abcdefghijklmnopabcdefghijklmnop", "cardbridge@ca.example"),
                Duration.ofSeconds(60), "INFO");

        List<Finding> chromium = check("chromium");
        assertEquals(List.of("doctor.policyIdMissing", "doctor.helloOk"), codes(chromium), chromium::toString);
        Finding f = only(chromium, Finding.Status.FAIL);
        assertEquals("Chromium: manifest " + sys.resolve("etc/chromium/native-messaging-hosts/org.cardbridge.host.json")
                + " does not list chrome-extension://abcdefghijklmnopabcdefghijklmnop/ in allowed_origins, although the policy "
                + tmp.resolve("policy.json") + " adds it in extensionIds; the browser refuses that extension", f.message());
        assertTrue(f.fix().startsWith("run: sudo cardbridge-host install --system"), f.fix());
        // Each id counts for its own family only: Firefox is told about the add-on id, not the Chrome one.
        Finding firefox = only(check("firefox"), Finding.Status.FAIL);
        assertEquals("doctor.policyIdMissing", firefox.code());
        assertTrue(firefox.message().contains(" does not list cardbridge@ca.example in allowed_extensions"), firefox.message());

        // What the fix says: install --system writes the policy's ids, and doctor is content.
        installer.install(Scope.SYSTEM, tmp.resolve("host").toString(), policy);
        List<Finding> all = doctor(Duration.ofSeconds(10)).browsers();
        assertTrue(all.stream().noneMatch(Finding::broken), all::toString);
        assertEquals(List.of("doctor.manifestOk", "doctor.helloOk"), codes(check("chromium")));
    }

    @Test
    void aPerUserManifestWithoutThePolicysIdIsFixedByAPerUserInstall() throws IOException {
        installUser(answeringHost());
        policy = new Policy(List.of(), List.of(), List.of("abcdefghijklmnopabcdefghijklmnop"), Duration.ofSeconds(60), "INFO");
        Finding f = only(check("chromium"), Finding.Status.FAIL);
        assertEquals("doctor.policyIdMissing", f.code());
        assertTrue(f.message().contains("abcdefghijklmnopabcdefghijklmnop"), f.message());
        assertEquals("run: cardbridge-host install --user   (it writes the extension ids of the policy into your manifests)", f.fix());
    }

    @Test
    void browsersNotInstalledAreSkippedAndNoBrowserAtAllIsAWarning() throws IOException {
        assertEquals("doctor.notInstalled", only(check("edge"), Finding.Status.INFO).code());
        Files.delete(sys.resolve("usr/bin/chromium"));
        Files.delete(sys.resolve("usr/bin/firefox"));
        List<Finding> all = doctor(Duration.ofSeconds(1)).browsers();
        assertTrue(all.stream().noneMatch(Finding::broken), all::toString);
        assertEquals("doctor.noBrowser", only(all, Finding.Status.WARN).code());
    }

    @Test
    void snapAndFlatpakBrowsersAreRecognisedWithWhatWorks() throws IOException {
        Files.createDirectories(sys.resolve("snap/chromium"));
        Files.createDirectories(sys.resolve("snap/firefox"));
        Files.createDirectories(home.resolve(".local/share/flatpak/app/com.brave.Browser"));
        Finding chromium = doctor(Duration.ofSeconds(1)).browsers().stream().filter(f -> f.code().startsWith("doctor.snap")).filter(f -> f.subject().equals("chromium")).findFirst().orElseThrow();
        assertEquals(Finding.Status.WARN, chromium.status());
        assertEquals("doctor.snap.none", chromium.code());
        Finding firefox = check("firefox").stream().filter(f -> f.code().startsWith("doctor.snap")).findFirst().orElseThrow();
        assertEquals("doctor.snap.portal", firefox.code());
        assertEquals("doctor.flatpak", only(check("brave"), Finding.Status.WARN).code());
    }

    /** What Ubuntu's transitional chromium-browser .deb installs as /usr/bin/chromium-browser. */
    static final String UBUNTU_CHROMIUM_WRAPPER = """
            #!/bin/sh

            if ! [ -x /snap/bin/chromium ]; then
                echo "" >&2
                echo "Command '$0' requires the chromium snap to be installed." >&2
                echo "Please install it with:" >&2
                echo "" >&2
                echo "snap install chromium" >&2
                echo "" >&2
                exit 1
            fi

            exec /snap/bin/chromium "$@"
            """;

    @Test
    void ubuntusSnapWrapperIsNoChromiumAndSnapOnlyBrowsersAreAFailure() throws IOException {
        // Ubuntu with only the Chromium Snap: the wrapper script, the snap, and the package's manifests.
        Files.delete(sys.resolve("usr/bin/chromium"));
        Files.delete(sys.resolve("usr/bin/firefox"));
        Files.writeString(sys.resolve("usr/bin/chromium-browser"), UBUNTU_CHROMIUM_WRAPPER);
        Files.createDirectories(sys.resolve("snap/chromium/current"));
        new Installer(CATALOG, roots, Os.LINUX, null).install(Scope.SYSTEM, answeringHost().toString(), Policy.empty());

        List<Finding> all = doctor(Duration.ofSeconds(10)).browsers();
        List<Finding> chromium = all.stream().filter(f -> f.subject().equals("chromium")).toList();
        assertEquals(List.of("doctor.snap.none"), codes(chromium), chromium::toString);
        Finding f = only(all, Finding.Status.FAIL);
        assertEquals("doctor.onlySandboxed", f.code());
        assertEquals("No browser that can start CardBridge is installed; the ones found are Snap or Flatpak packages, "
                + "which cannot start programs outside their sandbox: Chromium", f.message());
        assertTrue(f.fix().startsWith("install a browser from a regular package, not a Snap or Flatpak: Google Chrome's .deb"), f.fix());

        // A link into /snap is the Snap too.
        Files.delete(sys.resolve("usr/bin/chromium-browser"));
        Path chrome = sys.resolve("snap/chromium/current/usr/lib/chromium-browser/chrome");
        touch(chrome);
        Files.createSymbolicLink(sys.resolve("usr/bin/chromium"), sys.resolve("usr/bin").relativize(chrome));
        assertEquals("doctor.onlySandboxed", only(doctor(Duration.ofSeconds(10)).browsers(), Finding.Status.FAIL).code());
    }

    @Test
    void aRegularBrowserBesideASnapOneIsEnough() throws IOException {
        Files.delete(sys.resolve("usr/bin/chromium"));
        Files.delete(sys.resolve("usr/bin/firefox"));
        Files.writeString(sys.resolve("usr/bin/chromium-browser"), UBUNTU_CHROMIUM_WRAPPER);
        Files.createDirectories(sys.resolve("snap/chromium"));
        touch(sys.resolve("opt/google/chrome/chrome"));
        new Installer(CATALOG, roots, Os.LINUX, null).install(Scope.SYSTEM, answeringHost().toString(), Policy.empty());

        List<Finding> all = doctor(Duration.ofSeconds(10)).browsers();
        assertTrue(all.stream().noneMatch(Finding::broken), all::toString);
        assertEquals(List.of("doctor.manifestOk", "doctor.helloOk"), codes(check("chrome")));
        assertEquals(List.of("doctor.snap.none"), codes(check("chromium")));
    }

    @Test
    void firefoxsSnapStillCountsItReachesTheHostThroughThePortal() throws IOException {
        // Ubuntu's default: Firefox and Chromium as Snaps, both behind wrapper scripts.
        Files.delete(sys.resolve("usr/bin/chromium"));
        Files.writeString(sys.resolve("usr/bin/chromium-browser"), UBUNTU_CHROMIUM_WRAPPER);
        Files.writeString(sys.resolve("usr/bin/firefox"), "#!/bin/sh\nexec /snap/bin/firefox \"$@\"\n");
        Files.createDirectories(sys.resolve("snap/chromium"));
        Files.createDirectories(sys.resolve("snap/firefox"));
        SandboxedFirefoxTest.ubuntusPortal(sys);
        new Installer(CATALOG, roots, Os.LINUX, null).install(Scope.SYSTEM, answeringHost().toString(), Policy.empty());

        List<Finding> all = doctor(Duration.ofSeconds(10)).browsers();
        assertTrue(all.stream().noneMatch(Finding::broken), all::toString);
        assertEquals(List.of("doctor.snap.portal", "doctor.manifestOk", "doctor.helloOk"), codes(check("firefox")));
    }

    @Test
    void polishMessages() {
        Doctor pl = new Doctor(CATALOG, roots, Os.LINUX, null, new HostProbe(Duration.ofSeconds(1), Os.LINUX), new DoctorTexts(Lang.PL), loaded(policy));
        Finding f = pl.browsers().stream().filter(x -> x.subject().equals("chromium")).findFirst().orElseThrow();
        assertTrue(f.message().startsWith("Chromium: brak manifestu CardBridge"), f.message());
        assertTrue(f.fix().startsWith("uruchom: cardbridge-host install --user"), f.fix());
    }

    @Test
    void onWindowsTheRegistrationFoundIsTheOneEachBrowserReadsFirst() {
        // The registry is maps here; WineRegistryIT checks the real reg.exe, views included.
        Map<String, String> v64 = new java.util.HashMap<>();
        Map<String, String> v32 = new java.util.HashMap<>();
        // A doctor run reads each key once: every find below is a run of its own, after the registry changed.
        java.util.function.Supplier<Doctor> doctor = () -> new Doctor(CATALOG, roots, Os.WINDOWS, new MapRegistry(v64, v32), null,
                new DoctorTexts(Lang.EN), loaded(policy));
        BrowserCatalog.Browser chrome = CATALOG.browser("chrome").orElseThrow();
        BrowserCatalog.Browser firefox = CATALOG.browser("firefox").orElseThrow();
        String chromeKey = "SOFTWARE\\Google\\Chrome\\NativeMessagingHosts\\org.cardbridge.host";
        String mozillaKey = "SOFTWARE\\Mozilla\\NativeMessagingHosts\\org.cardbridge.host";

        v64.put("HKLM\\" + chromeKey, "C:\\ours-64.json");
        v64.put("HKLM\\" + mozillaKey, "C:\\ours-64.json");
        assertEquals(Path.of("C:\\ours-64.json"), find(doctor.get(), chrome).file());
        assertEquals(Scope.SYSTEM, find(doctor.get(), chrome).scope());

        // A stale 32-bit registration (WOW6432Node, say from an old 32-bit installer) wins in both families.
        v32.put("HKLM\\" + chromeKey, "C:\\stale-32.json");
        v32.put("HKLM\\" + mozillaKey, "C:\\stale-32.json");
        assertEquals(Path.of("C:\\stale-32.json"), find(doctor.get(), chrome).file());
        assertEquals(Path.of("C:\\stale-32.json"), find(doctor.get(), firefox).file());

        // A per-user one wins over both; Firefox reads HKCU in the 64-bit view only.
        v32.put("HKCU\\" + chromeKey, "C:\\user-32.json");
        v32.put("HKCU\\" + mozillaKey, "C:\\user-32.json");
        assertEquals(Path.of("C:\\user-32.json"), find(doctor.get(), chrome).file());
        assertEquals(Scope.USER, find(doctor.get(), chrome).scope());
        assertEquals(Path.of("C:\\stale-32.json"), find(doctor.get(), firefox).file());
        v64.put("HKCU\\" + mozillaKey, "C:\\user-64.json");
        assertEquals(Path.of("C:\\user-64.json"), find(doctor.get(), firefox).file());

        // Within one place, browsers.json's key order: Edge reads its own key before Chrome's.
        BrowserCatalog.Browser edge = CATALOG.browser("edge").orElseThrow();
        v64.put("HKLM\\SOFTWARE\\Microsoft\\Edge\\NativeMessagingHosts\\org.cardbridge.host", "C:\\edge.json");
        v32.clear();
        v64.remove("HKCU\\" + mozillaKey);
        assertEquals(Path.of("C:\\edge.json"), find(doctor.get(), edge).file());
        assertEquals(Path.of("C:\\ours-64.json"), find(doctor.get(), chrome).file());
    }

    @Test
    void onWindowsOneRunReadsEachRegistryKeyOnce_thoughBrowsersShareKeys() {
        // Each read starts reg.exe; five browsers read Chrome's key, in up to four places each.
        List<String> reads = new java.util.ArrayList<>();
        Registry registry = new Registry() {
            @Override
            public java.util.Optional<String> defaultValue(String key, View view) {
                reads.add(view + " " + key);
                return java.util.Optional.empty();
            }

            @Override
            public void putDefault(String key, String value) {
            }

            @Override
            public void delete(String key) {
            }
        };
        Doctor doctor = new Doctor(CATALOG, roots, Os.WINDOWS, registry, null, new DoctorTexts(Lang.EN), loaded(policy));
        for (BrowserCatalog.Browser b : CATALOG.browsers()) {
            assertTrue(doctor.find(b.family(), b.on(Os.WINDOWS).orElseThrow()).isEmpty(), b.id());
        }
        assertEquals(new java.util.HashSet<>(reads).size(), reads.size(), reads::toString);
        assertTrue(reads.contains("BITS_32 HKCU\\SOFTWARE\\Google\\Chrome\\NativeMessagingHosts\\org.cardbridge.host"), reads::toString);
    }

    static Doctor.Found find(Doctor doctor, BrowserCatalog.Browser b) {
        return doctor.find(b.family(), b.on(Os.WINDOWS).orElseThrow()).orElseThrow(() -> new AssertionError(b.id() + ": nothing found"));
    }

    static void touch(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "");
    }
}
