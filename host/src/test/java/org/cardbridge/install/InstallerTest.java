package org.cardbridge.install;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InstallerTest {
    static final BrowserCatalog CATALOG = BrowserCatalog.load();
    static final String HOST = "/opt/cardbridge/bin/cardbridge-host";
    @TempDir
    Path tmp;

    @Test
    void catalogListsEveryBrowserOnEveryOs() {
        List<String> ids = CATALOG.browsers().stream().map(BrowserCatalog.Browser::id).toList();
        assertEquals(List.of("chrome", "chromium", "edge", "brave", "vivaldi", "opera", "firefox", "librewolf"), ids);
        for (BrowserCatalog.Browser b : CATALOG.browsers()) {
            for (Os os : List.of(Os.LINUX, Os.MACOS)) {
                var l = b.on(os).orElseThrow();
                assertFalse(l.user().isEmpty(), b.id() + " user dir on " + os);
                assertFalse(l.system().isEmpty(), b.id() + " system dir on " + os);
                assertFalse(l.detect().isEmpty(), b.id() + " detection on " + os);
            }
            assertFalse(b.on(Os.WINDOWS).orElseThrow().registry().isEmpty(), b.id() + " registry keys");
        }
        assertEquals(List.of("SOFTWARE\\Microsoft\\Edge\\NativeMessagingHosts", "SOFTWARE\\Chromium\\NativeMessagingHosts",
                "SOFTWARE\\Google\\Chrome\\NativeMessagingHosts"), CATALOG.browser("edge").orElseThrow().on(Os.WINDOWS).orElseThrow().registry());
        assertEquals("org.cardbridge.host", CATALOG.hostName());
    }

    @ParameterizedTest
    @EnumSource(value = Os.class, names = {"LINUX", "MACOS"})
    void userInstallWritesTheRightManifestWhereEveryBrowserLooksAndUninstallRemovesIt(Os os) throws IOException {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Roots roots = Roots.of(home, tmp.resolve("sys"));
        Installer installer = new Installer(CATALOG, roots, os, null);

        installer.install(Scope.USER, HOST, Policy.empty());

        for (BrowserCatalog.Browser b : CATALOG.browsers()) {
            Path file = roots.resolve(b.on(os).orElseThrow().user().getFirst()).resolve("org.cardbridge.host.json");
            assertTrue(file.startsWith(home), file + " is inside HOME");
            JsonNode m = Json.mapper().readTree(file.toFile());
            assertEquals("org.cardbridge.host", m.path("name").asText());
            assertEquals(HOST, m.path("path").asText());
            assertEquals("stdio", m.path("type").asText());
            if (b.family() == BrowserCatalog.Family.CHROME) {
                assertEquals(ExtensionIds.CHROME_ORIGIN, m.path("allowed_origins").get(0).asText(), b.id());
                assertFalse(m.has("allowed_extensions"), b.id());
            } else {
                assertEquals(ExtensionIds.FIREFOX, m.path("allowed_extensions").get(0).asText(), b.id());
                assertFalse(m.has("allowed_origins"), b.id() + ": Firefox rejects a manifest with allowed_origins");
            }
            assertEquals(PosixFilePermissions.fromString("rw-r--r--"), Files.getPosixFilePermissions(file));
        }
        assertFalse(Files.exists(tmp.resolve("sys")), "a user install writes nothing outside HOME");

        var removed = installer.uninstall(Scope.USER);

        // One manifest per folder: browsers sharing a folder (Brave reads Chrome's on macOS) share the file.
        long folders = CATALOG.browsers().stream().flatMap(b -> b.on(os).orElseThrow().user().stream()).distinct().count();
        assertEquals(folders, removed.size());
        try (Stream<Path> left = Files.walk(home)) {
            assertEquals(List.of(), left.filter(Files::isRegularFile).toList());
        }
    }

    @Test
    void systemInstallUnderARootWritesOnlyThereAndUninstallLeavesNoManifest() throws IOException {
        Path sys = tmp.resolve("root");
        Roots roots = Roots.of(tmp.resolve("home"), sys);
        Installer installer = new Installer(CATALOG, roots, Os.LINUX, null);

        var written = installer.install(Scope.SYSTEM, HOST, Policy.empty());

        Set<Path> expected = new HashSet<>();
        for (BrowserCatalog.Browser b : CATALOG.browsers()) {
            for (String d : b.on(Os.LINUX).orElseThrow().system()) {
                expected.add(roots.resolve(d).resolve("org.cardbridge.host.json"));
            }
        }
        assertEquals(expected, new HashSet<>(written.stream().map(c -> Path.of(c.where())).toList()));
        assertTrue(Files.isRegularFile(sys.resolve("etc/chromium/native-messaging-hosts/org.cardbridge.host.json")));
        assertTrue(Files.isRegularFile(sys.resolve("usr/lib/mozilla/native-messaging-hosts/org.cardbridge.host.json")));
        // Brave and Opera read Chrome's system folder (brave-core's main delegate, Opera's docs): no folder of their own.
        assertTrue(written.stream().anyMatch(c -> c.browsers().equals("chrome,brave,opera")
                && c.where().endsWith("etc/opt/chrome/native-messaging-hosts/org.cardbridge.host.json")), written.toString());
        assertFalse(Files.exists(sys.resolve("etc/opt/brave")));
        assertFalse(Files.exists(tmp.resolve("home")));

        installer.uninstall(Scope.SYSTEM);
        try (Stream<Path> left = Files.walk(sys)) {
            assertEquals(List.of(), left.filter(Files::isRegularFile).toList());
        }
    }

    @Test
    void everyListedFolderIsWrittenForBuildsReadingDifferentOnesAndUninstallRemovesThemAll() throws IOException {
        // Fedora's 64-bit Firefox reads /usr/lib64/mozilla, Mozilla's and Debian's builds /usr/lib/mozilla.
        Path sys = tmp.resolve("root");
        Installer installer = new Installer(CATALOG, Roots.of(tmp.resolve("home"), sys), Os.LINUX, null);

        var written = installer.install(Scope.SYSTEM, HOST, Policy.empty());

        Set<Path> expected = new HashSet<>();
        for (BrowserCatalog.Browser b : CATALOG.browsers()) {
            for (String d : b.on(Os.LINUX).orElseThrow().system()) {
                expected.add(sys.resolve(d.substring(1)).resolve("org.cardbridge.host.json"));
            }
        }
        assertEquals(expected, new HashSet<>(written.stream().map(c -> Path.of(c.where())).toList()));
        Path lib64 = sys.resolve("usr/lib64/mozilla/native-messaging-hosts/org.cardbridge.host.json");
        assertTrue(Files.isRegularFile(lib64));
        assertEquals(Files.readString(sys.resolve("usr/lib/mozilla/native-messaging-hosts/org.cardbridge.host.json")), Files.readString(lib64));
        assertTrue(Json.mapper().readTree(lib64.toFile()).has("allowed_extensions"), "a Firefox folder gets the Firefox manifest");

        assertEquals(expected.size(), installer.uninstall(Scope.SYSTEM).size());
        try (Stream<Path> left = Files.walk(sys)) {
            assertEquals(List.of(), left.filter(Files::isRegularFile).toList());
        }
    }

    @Test
    void brandedPolicyAddsTheCaExtensionIdsToBothManifests() {
        Policy branded = new Policy(List.of(), List.of(), List.of("abcdefghijklmnopabcdefghijklmnop", "cardbridge@ca.example"),
                Duration.ofSeconds(60), "INFO");
        Manifests m = new Manifests(CATALOG);
        JsonNode chrome = m.manifest(BrowserCatalog.Family.CHROME, HOST, branded);
        JsonNode firefox = m.manifest(BrowserCatalog.Family.FIREFOX, HOST, branded);
        assertEquals(List.of(ExtensionIds.CHROME_ORIGIN, "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"), texts(chrome.path("allowed_origins")));
        assertTrue(texts(firefox.path("allowed_extensions")).containsAll(List.of(ExtensionIds.FIREFOX, "cardbridge@ca.example")));
    }

    @Test
    void theExamplesInManifestsFolderAreWhatTheHostGenerates() throws IOException {
        // manifests/ shows packagers the files; they must never drift from the generator.
        Path dir = Path.of(System.getProperty("user.dir")).resolveSibling("manifests");
        Manifests m = new Manifests(CATALOG);
        assertEquals(new String(m.bytes(BrowserCatalog.Family.CHROME, HOST, Policy.empty())),
                Files.readString(dir.resolve("chrome/org.cardbridge.host.json")));
        assertEquals(new String(m.bytes(BrowserCatalog.Family.FIREFOX, HOST, Policy.empty())),
                Files.readString(dir.resolve("firefox/org.cardbridge.host.json")));
    }

    @ParameterizedTest
    @EnumSource(Scope.class)
    void windowsWritesEachFamilysManifestOnceAndEveryRegistryKeyBrowsersRead(Scope scope) throws IOException {
        // The registry is a map here: reg.exe exists only on Windows. What is checked is which keys get which file.
        Map<String, String> reg = new LinkedHashMap<>();
        Registry fake = new MapRegistry(reg);
        Roots roots = new Roots(tmp.resolve("home"), tmp.resolve("sys"), tmp.resolve("home/.config"),
                Map.of("LOCALAPPDATA", tmp.resolve("local").toString(), "ProgramData", tmp.resolve("programdata").toString()));
        Installer installer = new Installer(CATALOG, roots, Os.WINDOWS, fake);
        String hive = scope == Scope.USER ? "HKCU\\" : "HKLM\\";

        installer.install(scope, "C:\\Program Files\\CardBridge\\cardbridge-host.exe", Policy.empty());

        String chrome = reg.get(hive + "SOFTWARE\\Google\\Chrome\\NativeMessagingHosts\\org.cardbridge.host");
        String firefox = reg.get(hive + "SOFTWARE\\Mozilla\\NativeMessagingHosts\\org.cardbridge.host");
        assertTrue(Files.isRegularFile(Path.of(chrome)));
        assertTrue(Files.isRegularFile(Path.of(firefox)));
        assertTrue(Path.of(chrome).startsWith(tmp.resolve(scope == Scope.USER ? "local" : "programdata")), chrome);
        assertEquals(chrome, reg.get(hive + "SOFTWARE\\Microsoft\\Edge\\NativeMessagingHosts\\org.cardbridge.host"));
        assertEquals(chrome, reg.get(hive + "SOFTWARE\\Chromium\\NativeMessagingHosts\\org.cardbridge.host"));
        assertTrue(Json.mapper().readTree(Path.of(firefox).toFile()).has("allowed_extensions"));
        assertEquals("C:\\Program Files\\CardBridge\\cardbridge-host.exe", Json.mapper().readTree(Path.of(chrome).toFile()).path("path").asText());
        // Every key browsers.json names, each pointing at its family's manifest, and nothing else.
        Map<String, String> expected = new LinkedHashMap<>();
        CATALOG.windowsHostKeys().forEach((k, f) -> expected.put(hive + k, f == BrowserCatalog.Family.CHROME ? chrome : firefox));
        assertEquals(expected, reg);

        installer.uninstall(scope);
        assertEquals(Map.of(), reg);
        assertFalse(Files.exists(Path.of(chrome)));
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }
}
