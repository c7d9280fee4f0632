package org.cardbridge.install;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.host.Version;
import org.cardbridge.protocol.Json;
import org.cardbridge.testing.ChromiumBrowser;
import org.cardbridge.testing.PageApi;
import org.cardbridge.testing.TestPages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A page in Chromium reaches the host the .deb installed: no manifest in the profile, only the package's
 * /etc/chromium/native-messaging-hosts one. Runs from installer/ci-deb-test.sh while the package is
 * installed ({@code -Dcardbridge.systemHost=true}); left out of the ordinary build by the failsafe excludes in
 * host/pom.xml, where no package is. Run by hand without the package, it is skipped, never passed.
 */
class SystemInstalledHostIT {
    static final Path SYSTEM_MANIFEST = Path.of("/etc/chromium/native-messaging-hosts/org.cardbridge.host.json");
    static final String INSTALLED_JAVA = "/opt/cardbridge/lib/runtime/bin/java";
    @TempDir
    Path dir;

    @Test
    void chromiumWithoutAProfileManifestReachesTheSystemInstalledHost() throws Exception {
        assumeTrue(Boolean.getBoolean("cardbridge.systemHost"), "only with the .deb installed (installer/ci-deb-test.sh)");
        JsonNode manifest = Json.mapper().readTree(SYSTEM_MANIFEST.toFile());
        assertEquals("/opt/cardbridge/bin/cardbridge-host", manifest.path("path").asText());

        try (TestPages pages = TestPages.http()) {
            Path policy = TestPages.writePolicy(dir, pages.origin("localhost"), "read");
            try (ChromiumBrowser browser = ChromiumBrowser.builder().withoutHostManifest()
                    .env("CARDBRIDGE_POLICY", policy.toString())
                    .env("CARDBRIDGE_STATE_DIR", dir.resolve("state").toString()).start()) {
                assertFalse(Files.exists(browser.profile().resolve("NativeMessagingHosts/org.cardbridge.host.json")), "no per-profile manifest");
                browser.driver().get(pages.url("localhost"));

                JsonNode status = new PageApi(browser.driver()).call("status").ok();

                assertEquals(Version.HOST, status.path("host").asText(), status.toString());
                assertEquals(Version.PROTOCOL, status.path("protocol").asText());
                // The tab's port keeps the host running: it is the bundled runtime, started as Chromium starts it.
                Optional<List<String>> host = ProcessHandle.allProcesses()
                        .map(p -> p.info().arguments().map(a -> List.of(p.info().command().orElse(""), String.join(" ", a))))
                        .flatMap(Optional::stream)
                        .filter(c -> c.get(0).equals(INSTALLED_JAVA) && c.get(1).contains("chrome-extension://"))
                        .findFirst();
                assertTrue(host.isPresent(), "no process of " + INSTALLED_JAVA + " serving the extension");
                assertTrue(Arrays.asList(host.get().get(1).split(" ")).contains("-Xlog:disable"), host.get().toString());
            }
        }
    }
}
