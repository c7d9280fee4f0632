package org.cardbridge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.host.Version;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.protocol.Json;
import org.cardbridge.testing.ChromiumBrowser;
import org.cardbridge.testing.FirefoxBrowser;
import org.cardbridge.testing.TestPages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The .xpi that installer/build-extension.sh makes for addons.mozilla.org — not the source folder — in
 * Debian's firefox-esr: it installs (from the file, as a temporary add-on: it is not signed yet), keeps
 * the add-on id the host serves, and a CA's page reaches the host through it. Proves the manifest the
 * packaging writes for Firefox (background scripts only, data_collection_permissions, strict_min_version
 * 140) is one Firefox runs.
 */
class FirefoxStorePackageIT {
    @TempDir
    Path dir;

    @Test
    void theStoreXpi_installsInFirefox_andThePageReachesTheHostThroughIt() throws Exception {
        if (!FirefoxBrowser.available()) {
            assertFalse("true".equals(System.getenv("CI")), "firefox-esr is not installed (" + FirefoxBrowser.FIREFOX + ")");
            org.junit.jupiter.api.Assumptions.abort("firefox-esr is not installed");
        }
        Path extension = ChromiumBrowser.extensionDir();
        Process build = new ProcessBuilder("node", extension.resolveSibling("installer/store/package-extension.mjs").toString(),
                extension.toString(), dir.resolve("packages").toString()).redirectErrorStream(true).start();
        String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(build.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, build.exitValue(), out);
        Path xpi = Path.of(out.lines().filter(l -> l.endsWith(".xpi")).findFirst().orElseThrow(() -> new AssertionError(out)));
        try (ZipFile zip = new ZipFile(xpi.toFile())) {
            JsonNode m = Json.mapper().readTree(zip.getInputStream(zip.getEntry("manifest.json")));
            assertTrue(m.path("background").path("service_worker").isMissingNode(), m.toString());
            assertTrue(zip.getEntry("test/") == null && zip.stream().noneMatch(e -> e.getName().startsWith("api/")));
        }

        try (TestPages pages = TestPages.http()) {
            Path policy = TestPages.writePolicy(dir, pages.origin("localhost"), List.of(), "read");
            try (FirefoxBrowser firefox = new FirefoxBrowser(Map.of("CARDBRIDGE_POLICY", policy.toString(),
                    "CARDBRIDGE_STATE_DIR", dir.resolve("state").toString()))) {
                assertEquals(ExtensionIds.FIREFOX, firefox.installExtension(xpi));
                firefox.navigate(pages.url("localhost"));
                JsonNode status = firefox.callApi("status");
                assertEquals(Version.HOST, status.path("result").path("host").asText(), status.toString());
                assertEquals(Version.PROTOCOL, status.path("result").path("protocol").asText(), status.toString());
            }
        }
    }
}
