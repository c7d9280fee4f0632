package org.cardbridge.host;

import org.cardbridge.policy.ExtensionIds;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** The argument shapes browsers and the services of sandboxed browsers start the host with (see LaunchMode). */
class LaunchModeTest {
    static final String MANIFEST = "/home/ola/.mozilla/native-messaging-hosts/org.cardbridge.host.json";

    @Test
    void portalOrProxyInMozillaMode_isFirefoxWithTheAddonId() {
        LaunchMode m = LaunchMode.of(new String[]{MANIFEST, ExtensionIds.FIREFOX}, "xdg-desktop-por");
        assertEquals(new LaunchMode.Firefox(MANIFEST, ExtensionIds.FIREFOX), m);
    }

    @Test
    void proxyInChromiumMode_isChromeWithTheOrigin() {
        assertEquals(new LaunchMode.Chrome(ExtensionIds.CHROME_ORIGIN),
                LaunchMode.of(new String[]{ExtensionIds.CHROME_ORIGIN}, "xdg-native-mes"));
    }

    @Test
    void noArgumentFromTheOldPortal_isAPortalStart() {
        assertInstanceOf(LaunchMode.Portal.class, LaunchMode.of(new String[0], "xdg-desktop-por"));
        assertEquals("xdg-desktop-portal", LaunchMode.of(new String[0], "xdg-desktop-por").caller().orElseThrow());
    }

    @Test
    void noArgumentFromAShellOrAnyOtherParent_isTheCli() {
        for (String parent : new String[]{"bash", "", "java", "firefox", "xdg-native-mes"}) {
            assertInstanceOf(LaunchMode.Cli.class, LaunchMode.of(new String[0], parent), parent);
        }
    }

    @Test
    void aCommandFromThePortal_isStillTheCli() {
        assertInstanceOf(LaunchMode.Cli.class, LaunchMode.of(new String[]{"doctor"}, "xdg-desktop-por"));
    }

    @Test
    void thisTestsParent_isNotThePortal() {
        // The real lookup: surefire's JVM is not started by xdg-desktop-portal.
        assertInstanceOf(LaunchMode.Cli.class, LaunchMode.of(new String[0]));
    }
}
