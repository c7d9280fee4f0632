package org.cardbridge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.host.Version;
import org.cardbridge.testing.ChromiumBrowser;
import org.cardbridge.testing.PageApi;
import org.cardbridge.testing.TestPages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page API end to end through the real pieces: a page in Debian's Chromium → the unpacked extension →
 * the built host (started by the browser through the host manifest in the profile) → back. One browser
 * for the class; the test policy allows only http://localhost:PORT. (A page outside the policy trying to
 * sign or enroll is in {@link BrowserTokenIT}, which has real handles to try with.)
 */
class BrowserApiIT {
    @TempDir
    static Path dir;
    static TestPages pages;
    static ChromiumBrowser browser;
    static PageApi api;

    @BeforeAll
    static void start() throws Exception {
        pages = TestPages.http();
        Path policy = TestPages.writePolicy(dir, pages.origin("localhost"), "read", "sign", "enroll");
        browser = ChromiumBrowser.builder()
                .env("CARDBRIDGE_POLICY", policy.toString())
                .env("CARDBRIDGE_STATE_DIR", dir.resolve("state").toString())
                .hostResolverRules("MAP insecure.example 127.0.0.1")
                .start();
        api = new PageApi(browser.driver());
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (pages != null) {
            pages.close();
        }
    }

    @Test
    void status_allowedLocalhostPage_reportsExtensionHostAndProtocol() {
        browser.driver().get(pages.url("localhost"));
        JsonNode s = api.call("status").ok();
        assertEquals("0.1.0", s.path("extension").asText(), s.toString());
        assertEquals(Version.HOST, s.path("host").asText());
        assertEquals(Version.PROTOCOL, s.path("protocol").asText());
        assertTrue(s.path("operations").toString().contains("\"hello\""), s.toString());
    }

    @Test
    void popup_hostInstalled_showsHostVersionAndProtocol() {
        browser.driver().get("chrome-extension://" + org.cardbridge.policy.ExtensionIds.CHROME + "/popup/popup.html");
        JsonNode text = api.await("const e = document.getElementById('host-ok'); return e && e.textContent", java.time.Duration.ofSeconds(20));
        assertTrue(text.asText().contains(Version.HOST) && text.asText().contains(Version.PROTOCOL), text.toString());
    }

    @Test
    void anyCall_plainHttpNonLoopbackPage_rejectedContextInsecure() {
        browser.driver().get(pages.url("insecure.example"));
        PageApi.Outcome status = api.call("status");
        assertEquals("CONTEXT_INSECURE", status.code(), status.toString());
        PageApi.Outcome list = api.call("listTokens");
        assertEquals("CONTEXT_INSECURE", list.code(), list.toString());
    }
}
