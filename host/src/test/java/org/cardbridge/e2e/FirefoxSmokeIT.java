package org.cardbridge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.host.Version;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.testing.ChromiumBrowser;
import org.cardbridge.testing.FirefoxBrowser;
import org.cardbridge.testing.TestPages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The same extension in Debian's firefox-esr (Marionette, temporary add-on, host manifest under
 * $HOME/.mozilla/native-messaging-hosts): the page reaches the host, started the Firefox way.
 */
class FirefoxSmokeIT {
    @TempDir
    static Path dir;
    static TestPages pages;
    static FirefoxBrowser firefox;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(FirefoxBrowser.available(), "firefox-esr is not installed");
        pages = TestPages.http();
        Path policy = TestPages.writePolicy(dir, pages.origin("localhost"), "read", "sign");
        firefox = new FirefoxBrowser(Map.of(
                "CARDBRIDGE_POLICY", policy.toString(),
                "CARDBRIDGE_STATE_DIR", dir.resolve("state").toString()));
        assertEquals(ExtensionIds.FIREFOX, firefox.installExtension(ChromiumBrowser.extensionDir()));
    }

    @AfterAll
    static void stop() {
        if (firefox != null) {
            firefox.close();
        }
        if (pages != null) {
            pages.close();
        }
    }

    @Test
    void status_inFirefox_reachesTheHostThroughTheExtension() throws Exception {
        firefox.navigate(pages.url("localhost"));
        JsonNode s = firefox.callApi("status");
        assertEquals(Version.HOST, s.path("result").path("host").asText(), s.toString());
        assertEquals("0.1.0", s.path("result").path("extension").asText(), s.toString());
    }
}
