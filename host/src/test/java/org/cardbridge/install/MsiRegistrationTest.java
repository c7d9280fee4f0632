package org.cardbridge.install;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.install.BrowserCatalog.Family;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.w3c.dom.ProcessingInstruction;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MSI's registration, generated from browsers.json. WiX and Windows Installer are not here: what is
 * checked is the WiX source jpackage gets (installer/windows/check-msi.sh also compiles it with wixl).
 */
class MsiRegistrationTest {
    static final BrowserCatalog CATALOG = BrowserCatalog.load();
    static final Path STAND_IN = Path.of(System.getProperty("user.dir")).resolveSibling("installer/windows/stand-in-main.wxs");
    static final String WIX3 = "http://schemas.microsoft.com/wix/2006/wi";
    @TempDir
    Path tmp;

    private Document generate(Path out, Policy policy) throws IOException {
        try (InputStream in = Files.newInputStream(STAND_IN)) {
            Path written = new MsiRegistration(CATALOG).write(out, "CardBridge.exe", policy, MsiRegistration.parse(in));
            try (InputStream back = Files.newInputStream(written)) {
                return MsiRegistration.parse(back); // also proves the output is well-formed
            }
        }
    }

    @Test
    void everyRegistryKeyOfBrowsersJsonPointsAtItsFamilysInstalledManifest() throws IOException {
        Document wxs = generate(tmp.resolve("res"), Policy.empty());

        Map<String, String> keyToFile = new TreeMap<>();
        for (Element k : elements(wxs, "RegistryKey")) {
            assertEquals("HKMU", k.getAttribute("Root"), "HKLM per machine, HKCU per user");
            assertEquals("yes", k.getAttribute("ForceDeleteOnUninstall"), k.getAttribute("Key"));
            List<Element> values = children(k, "RegistryValue");
            assertEquals(1, values.size());
            assertEquals("string", values.getFirst().getAttribute("Type"));
            assertFalse(values.getFirst().hasAttribute("Name"), "the key's default value is the manifest path");
            String before = keyToFile.put(k.getAttribute("Key"), values.getFirst().getAttribute("Value"));
            assertEquals(null, before, "key written twice: " + k.getAttribute("Key"));
        }
        Map<String, String> expected = new TreeMap<>();
        CATALOG.windowsHostKeys().forEach((key, family) -> expected.put(key, "[#" + MsiRegistration.componentId(family) + "File]"));
        assertEquals(expected, keyToFile);
        assertEquals("[#cardbridgeChromeManifestFile]", keyToFile.get("SOFTWARE\\Microsoft\\Edge\\NativeMessagingHosts\\org.cardbridge.host"));
        assertEquals("[#cardbridgeFirefoxManifestFile]", keyToFile.get("SOFTWARE\\Mozilla\\NativeMessagingHosts\\org.cardbridge.host"));
    }

    @Test
    void theMsiWritesTheSameKeysAsInstallSystemOnWindows() throws IOException {
        // One list for both ways of registering: the MSI (per machine) and `install --system` (HKLM).
        Map<String, String> reg = new LinkedHashMap<>();
        Installer installer = new Installer(CATALOG, new Roots(tmp.resolve("home"), tmp.resolve("sys"), tmp.resolve("home/.config"),
                Map.of("ProgramData", tmp.resolve("programdata").toString())), Os.WINDOWS, new MapRegistry(reg));
        installer.install(Scope.SYSTEM, "C:\\Program Files\\CardBridge\\CardBridge.exe", Policy.empty());

        Document wxs = generate(tmp.resolve("res"), Policy.empty());
        List<String> msiKeys = elements(wxs, "RegistryKey").stream().map(k -> "HKLM\\" + k.getAttribute("Key")).sorted().toList();
        assertEquals(reg.keySet().stream().sorted().toList(), msiKeys);
    }

    @Test
    void componentsSitInTheInstallFolderAndTheDefaultFeatureInstallsThem() throws IOException {
        Path out = tmp.resolve("res");
        Document wxs = generate(out, Policy.empty());

        Element feature = byId(wxs, "Feature", "DefaultFeature");
        assertTrue(children(feature, "ComponentGroupRef").stream().anyMatch(r -> r.getAttribute("Id").equals(MsiRegistration.COMPONENT_GROUP)));
        assertEquals(List.of("launcher"), children(feature, "ComponentRef").stream().map(e -> e.getAttribute("Id")).toList(),
                "jpackage's own references stay");
        Element group = byId(wxs, "ComponentGroup", MsiRegistration.COMPONENT_GROUP);
        List<String> refs = children(group, "ComponentRef").stream().map(e -> e.getAttribute("Id")).toList();
        assertEquals(List.of("cardbridgeChromeManifest", "cardbridgeFirefoxManifest"), refs);

        Element fragment = (Element) group.getParentNode();
        assertEquals("Fragment", fragment.getLocalName());
        assertEquals(wxs.getDocumentElement(), fragment.getParentNode(), "the Fragment follows the Product in the Wix root");
        Element dir = children(fragment, "DirectoryRef").getFirst();
        assertEquals("INSTALLDIR", dir.getAttribute("Id"));
        for (Family f : Family.values()) {
            Element c = byId(dir, "Component", MsiRegistration.componentId(f));
            assertNotNull(c, f.name());
            assertTrue(c.getAttribute("Guid").matches("\\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}}"), c.getAttribute("Guid"));
            Element file = children(c, "File").getFirst();
            assertEquals("yes", file.getAttribute("KeyPath"));
            assertEquals("org.cardbridge.host." + f.name().toLowerCase(java.util.Locale.ROOT) + ".json", file.getAttribute("Name"));
            Path source = Path.of(file.getAttribute("Source"));
            assertTrue(source.isAbsolute() && Files.isRegularFile(source), source.toString());
            assertEquals(out.toAbsolutePath().resolve(file.getAttribute("Name")), source);
        }
        for (Element e : elements(wxs, "Fragment")) {
            assertEquals(WIX3, e.getNamespaceURI(), "in main.wxs's namespace, so jpackage converts it with the rest for WiX 4/5");
        }
    }

    @Test
    void manifestsNameTheLauncherBesideThemAndAllowOurExtensionPerFamily() throws IOException {
        Path out = tmp.resolve("res");
        generate(out, Policy.empty());

        JsonNode chrome = Json.mapper().readTree(out.resolve("org.cardbridge.host.chrome.json").toFile());
        JsonNode firefox = Json.mapper().readTree(out.resolve("org.cardbridge.host.firefox.json").toFile());
        for (JsonNode m : List.of(chrome, firefox)) {
            assertEquals("org.cardbridge.host", m.path("name").asText());
            assertEquals("CardBridge.exe", m.path("path").asText(), "relative to the manifest's folder: the install folder");
            assertEquals("stdio", m.path("type").asText());
        }
        assertEquals(ExtensionIds.CHROME_ORIGIN, chrome.path("allowed_origins").get(0).asText());
        assertFalse(chrome.has("allowed_extensions"));
        assertEquals(ExtensionIds.FIREFOX, firefox.path("allowed_extensions").get(0).asText());
        assertFalse(firefox.has("allowed_origins"), "Firefox rejects a manifest with allowed_origins");
    }

    @Test
    void aCasBrandedPolicyAddsItsExtensionToTheMsiManifests() throws IOException {
        Path out = tmp.resolve("res");
        Policy branded = new Policy(List.of(), List.of(), List.of("abcdefghijklmnopabcdefghijklmnop"), Duration.ofSeconds(60), "INFO");
        generate(out, branded);
        JsonNode chrome = Json.mapper().readTree(out.resolve("org.cardbridge.host.chrome.json").toFile());
        assertEquals("chrome-extension://abcdefghijklmnopabcdefghijklmnop/", chrome.path("allowed_origins").get(1).asText());
    }

    @Test
    void jpackagesPreprocessorInstructionsSurviveThePatch() throws IOException {
        Document wxs = generate(tmp.resolve("res"), Policy.empty());
        List<String> pis = new ArrayList<>();
        collectPis(wxs, pis);
        assertEquals(List.of("define StandInVersion=\"0.1.0\" "), pis);
    }

    @Test
    void componentGuidsAreStableAndChangeWithTheKeysTheyWrite() throws IOException {
        Document a = generate(tmp.resolve("a"), Policy.empty());
        Document b = generate(tmp.resolve("b"), Policy.empty());
        List<String> guidsA = elements(a, "Component").stream().map(e -> e.getAttribute("Guid")).filter(g -> g.startsWith("{")).toList();
        List<String> guidsB = elements(b, "Component").stream().map(e -> e.getAttribute("Guid")).filter(g -> g.startsWith("{")).toList();
        assertEquals(2, guidsA.size());
        assertEquals(guidsA, guidsB, "a rebuild keeps the component identities");
        assertNotEquals(guidsA.get(0), guidsA.get(1));
        assertNotEquals(MsiRegistration.guid("c", List.of("K1")), MsiRegistration.guid("c", List.of("K1", "K2")));
    }

    @Test
    void theRunningJdksOwnMainWxsIsPatchedOrItsAbsenceSaidPlainly() throws IOException {
        // Only Windows JDKs carry jpackage's WiX project: there the real main.wxs is patched, elsewhere refused.
        Document jdkMain;
        try {
            jdkMain = MsiRegistration.jdkMainWxs();
        } catch (IOException e) {
            assertFalse(System.getProperty("os.name").startsWith("Windows"), e.getMessage());
            assertTrue(e.getMessage().contains("--main-wxs"), e.getMessage());
            return;
        }
        Path out = tmp.resolve("res");
        Path written = new MsiRegistration(CATALOG).write(out, "CardBridge.exe", Policy.empty(), jdkMain);
        try (InputStream in = Files.newInputStream(written)) {
            Document wxs = MsiRegistration.parse(in);
            assertNotNull(byId(wxs, "ComponentGroup", MsiRegistration.COMPONENT_GROUP));
            assertTrue(children(byId(wxs, "Feature", "DefaultFeature"), "ComponentGroupRef").stream()
                    .anyMatch(r -> r.getAttribute("Id").equals(MsiRegistration.COMPONENT_GROUP)));
        }
    }

    @Test
    void aMainWxsWithoutTheDefaultFeatureIsRefusedRatherThanBuiltWithoutRegistration() throws IOException {
        String other = "<Wix xmlns=\"" + WIX3 + "\"><Product Id=\"*\"><Feature Id=\"Main\"/></Product></Wix>";
        Document doc = MsiRegistration.parse(new ByteArrayInputStream(other.getBytes(StandardCharsets.UTF_8)));
        var e = assertThrows(IllegalStateException.class, () -> new MsiRegistration(CATALOG).patch(doc, Map.of()));
        assertTrue(e.getMessage().contains("DefaultFeature"), e.getMessage());
    }

    @Test
    void aRegistryKeyReadByBothFamiliesIsADataError() throws IOException {
        JsonNode bad = Json.mapper().readTree("""
                {"hostName": "org.cardbridge.host", "browsers": [
                  {"id": "a", "family": "chrome", "windows": {"registry": ["SOFTWARE\\\\Shared"]}},
                  {"id": "b", "family": "firefox", "windows": {"registry": ["SOFTWARE\\\\Shared"]}}]}""");
        BrowserCatalog catalog = BrowserCatalog.parse(bad);
        var e = assertThrows(IllegalStateException.class, catalog::windowsHostKeys);
        assertTrue(e.getMessage().contains("SOFTWARE\\Shared"), e.getMessage());
    }

    @Test
    void listKeysPrintsBrowsersJsonsKeysAndBadArgumentsAreRefused() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(0, MsiRegistration.run(new String[]{"--list-keys"}, o, e));
        assertEquals(List.copyOf(CATALOG.windowsHostKeys().keySet()), out.toString(StandardCharsets.UTF_8).lines().toList());

        assertEquals(2, MsiRegistration.run(new String[]{"--out", tmp.toString()}, o, e), "no launcher");
        assertEquals(2, MsiRegistration.run(new String[]{"--out", tmp.toString(), "--launcher", "bin\\CardBridge.exe",
                "--main-wxs", STAND_IN.toString()}, o, e), "the launcher must be beside the manifests");
        assertEquals(2, MsiRegistration.run(new String[]{"--nonsense", "x"}, o, e));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(), files.toList(), "nothing written when refused");
        }
    }

    static List<Element> elements(Document doc, String localName) {
        NodeList l = doc.getElementsByTagNameNS(WIX3, localName);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < l.getLength(); i++) {
            out.add((Element) l.item(i));
        }
        return out;
    }

    static List<Element> children(Element parent, String localName) {
        List<Element> out = new ArrayList<>();
        for (Node c = parent.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c instanceof Element e && localName.equals(e.getLocalName())) {
                out.add(e);
            }
        }
        return out;
    }

    static Element byId(Node root, String localName, String id) {
        if (root instanceof Element e && localName.equals(e.getLocalName()) && id.equals(e.getAttribute("Id"))) {
            return e;
        }
        for (Node c = root.getFirstChild(); c != null; c = c.getNextSibling()) {
            Element found = byId(c, localName, id);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    static void collectPis(Node n, List<String> out) {
        if (n instanceof ProcessingInstruction pi) {
            out.add(pi.getTarget() + " " + pi.getData());
        }
        for (Node c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
            collectPis(c, out);
        }
    }
}
