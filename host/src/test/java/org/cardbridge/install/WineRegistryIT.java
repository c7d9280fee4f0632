package org.cardbridge.install;

import org.cardbridge.platform.Os;
import org.cardbridge.policy.Policy;
import org.cardbridge.policy.PolicyLoader;
import org.cardbridge.protocol.Lang;
import org.cardbridge.testing.Wine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * install/uninstall --user and doctor's registry search on Windows, through Windows' own reg.exe (Wine's)
 * in a private prefix: the values are written and read by the real program, in both registry views, and
 * a path with Polish letters comes back exact (reg query would print it in the OEM code page).
 */
class WineRegistryIT {
    static final BrowserCatalog CATALOG = BrowserCatalog.load();
    static final PolicyLoader.Loaded NO_POLICY = new PolicyLoader.Loaded(Path.of("policy.json"), Policy.empty(), null);
    static final String CHROME_KEY = "SOFTWARE\\Google\\Chrome\\NativeMessagingHosts\\org.cardbridge.host";
    @TempDir
    static Path tmp;
    static Wine wine;
    static Path reg;

    @BeforeAll
    static void prefix() throws IOException {
        if (System.getenv("CI") == null) {
            assumeTrue(Wine.binary().isPresent(), "Wine is not installed (Debian package wine64)");
        }
        wine = Wine.start(tmp);
        reg = wine.command(tmp, "reg");
    }

    @AfterAll
    static void stop() throws IOException, InterruptedException {
        if (wine != null) {
            wine.stop();
        }
    }

    Registry registry(Map<String, String> env) {
        return Registry.regExe(List.of(reg.toString()), env);
    }

    @Test
    void aUserInstallWithPolishLettersInItsPathIsFoundByDoctorAndRemovedByUninstall() throws IOException {
        Path local = Files.createDirectories(tmp.resolve("Users/Łukasz Żółć/AppData/Local"));
        Map<String, String> env = Map.of("LOCALAPPDATA", local.toString());
        Registry registry = registry(env);
        Roots roots = new Roots(tmp.resolve("home"), tmp.resolve("sys"), tmp.resolve("home/.config"), env);
        Installer installer = new Installer(CATALOG, roots, Os.WINDOWS, registry);
        // A doctor run reads each key once: each use below is a run of its own.
        java.util.function.Supplier<Doctor> doctor = () -> new Doctor(CATALOG, roots, Os.WINDOWS, registry, null, new DoctorTexts(Lang.EN), NO_POLICY);

        installer.install(Scope.USER, "C:\\Program Files\\CardBridge\\CardBridge.exe", Policy.empty());
        for (BrowserCatalog.Browser b : CATALOG.browsers()) {
            Doctor.Found found = DoctorTest.find(doctor.get(), b);
            assertEquals(Scope.USER, found.scope(), b.id());
            assertTrue(found.file().startsWith(local), b.id() + " found " + found.file());
            assertTrue(Files.isRegularFile(found.file()), b.id() + ": " + found.file() + " is not the manifest written");
            String family = b.family().name().toLowerCase(java.util.Locale.ROOT);
            assertEquals(family, found.file().getParent().getFileName().toString(), b.id() + " reads the other family's manifest");
        }
        // Written to the 64-bit view, as a 64-bit MSI writes; HKCU\SOFTWARE is one for both views.
        assertTrue(registry.defaultValue("HKCU\\" + CHROME_KEY, Registry.View.BITS_64).isPresent());

        installer.uninstall(Scope.USER);
        for (String key : CATALOG.windowsHostKeys().keySet()) {
            for (Registry.View view : Registry.View.values()) {
                assertEquals(Optional.empty(), registry.defaultValue("HKCU\\" + key, view), key + " " + view + " is left");
            }
        }
        for (BrowserCatalog.Browser b : CATALOG.browsers()) {
            assertTrue(doctor.get().find(b.family(), b.on(Os.WINDOWS).orElseThrow()).isEmpty(), b.id());
        }
    }

    @Test
    void hklmHasTwoViewsAndChromiumReadsThe32BitOneFirst() throws IOException {
        Registry registry = registry(Map.of());
        java.util.function.Supplier<Doctor> doctor = () -> new Doctor(CATALOG, Roots.of(tmp, tmp), Os.WINDOWS, registry, null,
                new DoctorTexts(Lang.EN), NO_POLICY);
        BrowserCatalog.Browser chrome = CATALOG.browser("chrome").orElseThrow();

        registry.putDefault("HKLM\\" + CHROME_KEY, "C:\\Program Files\\CardBridge\\org.cardbridge.host.chrome.json");
        assertEquals(Optional.of("C:\\Program Files\\CardBridge\\org.cardbridge.host.chrome.json"),
                registry.defaultValue("HKLM\\" + CHROME_KEY, Registry.View.BITS_64));
        assertEquals(Optional.empty(), registry.defaultValue("HKLM\\" + CHROME_KEY, Registry.View.BITS_32));
        assertEquals(Path.of("C:\\Program Files\\CardBridge\\org.cardbridge.host.chrome.json"), DoctorTest.find(doctor.get(), chrome).file());

        // What a 32-bit installer writes (WOW6432Node) shadows it for Chrome, and doctor says which file that is.
        assertEquals(0, wine.run(List.of("reg", "add", "HKLM\\" + CHROME_KEY, "/ve", "/d", "C:\\Old\\manifest.json", "/f", "/reg:32"), 60));
        assertEquals(Path.of("C:\\Old\\manifest.json"), DoctorTest.find(doctor.get(), chrome).file());

        registry.delete("HKLM\\" + CHROME_KEY);
        assertEquals(Optional.empty(), registry.defaultValue("HKLM\\" + CHROME_KEY, Registry.View.BITS_64));
        assertEquals(Optional.of("C:\\Old\\manifest.json"), registry.defaultValue("HKLM\\" + CHROME_KEY, Registry.View.BITS_32),
                "delete touches only the 64-bit view, the one install writes");
        registry.delete("HKLM\\SOFTWARE\\CardBridgeNeverWritten\\org.cardbridge.host"); // absent: no error
    }

    @Test
    void anExpandableValueIsExpandedAndAFailedWriteSaysWhy() throws IOException {
        Registry registry = registry(Map.of("LocalAppData", "C:\\Users\\Zażółć\\AppData\\Local"));
        String key = "HKCU\\SOFTWARE\\Mozilla\\NativeMessagingHosts\\org.cardbridge.host";
        assertEquals(0, wine.run(List.of("reg", "add", key, "/ve", "/t", "REG_EXPAND_SZ",
                "/d", "%LOCALAPPDATA%\\CardBridge\\NativeMessagingHosts\\firefox\\org.cardbridge.host.json", "/f"), 60));
        assertEquals(Optional.of("C:\\Users\\Zażółć\\AppData\\Local\\CardBridge\\NativeMessagingHosts\\firefox\\org.cardbridge.host.json"),
                registry.defaultValue(key, Registry.View.BITS_64));
        assertEquals(0, wine.run(List.of("reg", "delete", key, "/f"), 60));

        IOException e = assertThrows(IOException.class, () -> registry.putDefault("HKNOWHERE\\SOFTWARE\\x", "y"));
        assertTrue(e.getMessage().startsWith("reg add HKNOWHERE\\SOFTWARE\\x"), e.getMessage());
    }
}
