package org.cardbridge.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.host.Version;
import org.cardbridge.testing.Browser;
import org.cardbridge.testing.InEachBrowser;
import org.cardbridge.testing.PageApi;
import org.cardbridge.testing.TestPages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ArgumentsSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page API end to end through the real pieces, the class once in Debian's Chromium and once in firefox-esr: a page → the unpacked extension →
 * the built host (started by the browser through the host manifest in the profile) → back. One browser
 * for the class; the test policy allows only http://localhost:PORT. (A page outside the policy trying to
 * sign or enroll is in {@link BrowserTokenIT}, which has real handles to try with.)
 */
@ParameterizedClass(name = "{0}")
@ArgumentsSource(InEachBrowser.Kinds.class)
class BrowserApiIT {
    @TempDir
    static Path dir;
    static TestPages pages;
    static Browser browser;
    /** This invocation's browser (start() takes it too, to set up the class's one browser). */
    @Parameter
    Browser.Kind kind;
    static PageApi api;

    @BeforeParameterizedClassInvocation
    static void start(Browser.Kind kind) throws Exception {
        kind.requireInstalled();
        Path dir = java.nio.file.Files.createDirectories(BrowserApiIT.dir.resolve(kind.id()));
        pages = TestPages.http();
        Path policy = TestPages.writePolicy(dir, pages.origin("localhost"), "read", "sign", "enroll");
        browser = kind.start(java.util.Map.of(
                "CARDBRIDGE_POLICY", policy.toString(),
                "CARDBRIDGE_STATE_DIR", dir.resolve("state").toString()), "en-GB", java.util.List.of("insecure.example"));
        api = new PageApi(browser.driver());
    }

    @AfterParameterizedClassInvocation
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
    void popup_hostInstalled_saysReadyWithTheProgramVersion_protocolInTheTooltip() {
        browser.driver().get(browser.extensionPage("popup/popup.html"));
        JsonNode seen = api.await("const e = document.getElementById('host-ok'); return e && [e.textContent, e.title]", java.time.Duration.ofSeconds(20));
        assertEquals("CardBridge is ready (program version " + Version.HOST + ").", seen.get(0).asText(), seen.toString());
        assertEquals("protocol " + Version.PROTOCOL, seen.get(1).asText(), seen.toString());
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
