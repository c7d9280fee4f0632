package org.cardbridge.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OriginTest {

    @ParameterizedTest
    @ValueSource(strings = {"https://ca.example", "https://ca.example:8443", "http://localhost:8080", "http://127.0.0.1:9", "https://xn--bcher-kva.example",
            "https://10.0.0.255", "https://255.255.255.255:65535", "https://a.b-c.d9", "https://0.example"})
    void parse_canonicalOrigin_roundTrips(String text) {
        assertEquals(text, Origin.parse(text).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "https://ca.example/", "https://ca.example/renew", "https://ca.example?x=1", "https://ca.example#f",
            "https://user@ca.example", "https://user:pw@ca.example", "HTTPS://ca.example", "https://CA.example",
            "https://ca.example.", "https://ca.example:443", "http://localhost:80", "https://ca.example:0",
            "https://ca.example:65536", "https://ca.example:08443", "https://ca..example", "https://-ca.example",
            "https://bücher.example", "https://[::1]", "ftp://ca.example", "chrome-extension://abc/", "null",
            "", "https://", "https://ca.example:", " https://ca.example", "https://ca.example ", "https://ca_example.com",
            "https://ca.example\u0000.evil.example", "https://ca.example%2f.evil.example", "file:///etc/passwd",
            "https://ca-.example", "https://ca.example:123456", "https://ca.example:1a", "https://ca.example:+1",
            "https://.ca.example", "https://ca.exa mple", "https://ca.Example"})
    void parse_anythingButTheCanonicalForm_isRefused(String text) {
        assertThrows(IllegalArgumentException.class, () -> Origin.parse(text));
    }

    /**
     * Every spelling the URL standard reads as an IPv4 address other than four decimal octets: browsers
     * report all of them as https://127.0.0.1 (or refuse them), so a request naming one is not from a browser.
     */
    @ParameterizedTest
    @ValueSource(strings = {"https://2130706433", "https://0x7f000001", "https://0x7F000001", "https://127.1", "https://127.0.1",
            "https://0177.0.0.1", "https://0177.1", "https://127.0.0.01", "https://0x7f.0.0.1", "https://127.0.0.0x1",
            "https://1.2.3.4.5", "https://256.0.0.1", "https://999.1.1.1", "https://ca.example.123", "https://ca.example.0x",
            "https://0x", "https://0", "http://2130706433:8080", "https://127.0.0.1.", "https://[::ffff:127.0.0.1]",
            "https://[0:0:0:0:0:0:0:1]", "https://[::1]:443", "https://%31%32%37.0.0.1", "https://127。0。0。1",
            "https://ＣＡ.example", "https://xn--bcher-kva.example.", "https://XN--bcher-kva.example", "https://localhost:443",
            "http://LOCALHOST"})
    void parse_nonCanonicalIpv4Ipv6AndHostForms_areRefused(String text) {
        assertThrows(IllegalArgumentException.class, () -> Origin.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://127.0.0.1", "https://0.0.0.0", "https://1.2.3.4:8443", "https://1x.example", "https://0xg.example",
            "https://ca.example1", "https://123.example", "https://a.0a"})
    void parse_dottedQuadsAndNamesThatOnlyLookNumeric_areAccepted(String text) {
        assertEquals(text, Origin.parse(text).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bücher:bcher-kva", "münchen:mnchen-3ya", "日本語:wgv71a119e", "\uD83D\uDCA9:ls8h", "zażółć:za-6ja4f8n1l",
            "łódź:d-uga0v4h"})
    void punycode_encodesAndDecodesAsRfc3492(String pair) {
        String unicode = pair.substring(0, pair.indexOf(':'));
        String ascii = pair.substring(pair.indexOf(':') + 1);
        assertEquals(ascii, Punycode.encode(unicode));
        assertEquals(unicode, Punycode.decode(ascii));
    }

    @Test
    void punycode_roundTripsRandomLabels_andNeverThrowsOnRandomInput() {
        java.util.Random r = new java.util.Random(12);
        int[] alphabet = {'a', 'z', '0', '-', 0xe9, 0x105, 0x142, 0x17c, 0x4e2d, 0x65e5, 0x1F4A9, 0x0634, 0x05d0};
        for (int n = 0; n < 5000; n++) {
            StringBuilder s = new StringBuilder();
            for (int i = 1 + r.nextInt(12); i > 0; i--) {
                s.appendCodePoint(alphabet[r.nextInt(alphabet.length)]);
            }
            assertEquals(s.toString(), Punycode.decode(Punycode.encode(s.toString())), s.toString());
            StringBuilder garbage = new StringBuilder();
            for (int i = r.nextInt(63); i > 0; i--) {
                garbage.append("abcxyz0189-".charAt(r.nextInt(11)));
            }
            Punycode.decode(garbage.toString()); // null or a string; never an exception
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://xn--mnchen-3ya.de", "https://xn--wgv71a119e.jp", "https://xn--ls8h.example", "https://xn--d-uga0v4h.pl:8443"})
    void parse_idnInTheBrowsersPunycode_isAccepted(String text) {
        assertEquals(text, Origin.parse(text).toString());
    }

    /** xn-- labels a browser would never report: not Punycode, ASCII only, upper case, not NFC, invisible or bidi characters. */
    @ParameterizedTest
    @ValueSource(strings = {"xn--a", "xn--99999999999", "xn--0", "Übung", "u\u0308bung", "\u202Eabc\u00e9", "a\u200Bb\u00e9",
            "ab\u00e9\u0000"})
    void parse_xnLabelThatIsNotTheBrowsersPunycode_isRefused(String label) {
        String ascii = label.startsWith("xn--") ? label : "xn--" + Punycode.encode(label);
        assertThrows(IllegalArgumentException.class, () -> Origin.parse("https://" + ascii + ".example"), ascii);
    }

    @Test
    void labelsUpTo63Characters_hostsUpTo253() {
        String label63 = "a".repeat(63);
        assertEquals(label63 + ".example", Origin.parse("https://" + label63 + ".example").host());
        assertThrows(IllegalArgumentException.class, () -> Origin.parse("https://" + label63 + "b.example"));
        String host253 = (label63 + ".").repeat(3) + "a".repeat(61);
        assertEquals(253, host253.length());
        Origin.parse("https://" + host253);
        assertThrows(IllegalArgumentException.class, () -> Origin.parse("https://" + host253 + "a"));
    }

    @Test
    void equalOrigins_areEqualWithEqualHashes() {
        Origin a = Origin.parse("https://ca.example:8443");
        Origin b = new Origin("https", "ca.example", 8443);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertTrue(!a.equals(Origin.parse("https://ca.example")) && !a.equals(Origin.parse("http://ca.example:8443")));
    }

    @Test
    void chromeExtensionIds_are32LettersAToP() {
        assertTrue(ExtensionIds.isChromeId(ExtensionIds.CHROME));
        assertTrue(!ExtensionIds.isChromeId("ofgjjddghmifhcdedhlchefmbecfflcq"));
        assertTrue(!ExtensionIds.isChromeId("ofgjjddghmifhcdedhlchefmbecfflc"));
        assertTrue(!ExtensionIds.isChromeId("OFGJJDDGHMIFHCDEDHLCHEFMBECFFLCH"));
    }

    @ParameterizedTest
    @ValueSource(strings = {ExtensionIds.FIREFOX, "cardbridge@ca.example", "@ca.example", "A.b-c_d@X-Y.Z",
            "{8a2f6c1e-0b3d-4e5f-9a7b-1c2d3e4f5a6b}", "{8A2F6C1E-0B3D-4E5F-9A7B-1C2D3E4F5A6B}"})
    void firefoxAddonIds_areNameAtDomainOrABracedGuid(String id) {
        assertTrue(ExtensionIds.isFirefoxId(id), id);
    }

    @ParameterizedTest
    @ValueSource(strings = {ExtensionIds.CHROME, "cardbridge@", "cardbridge", "a@b@c", "a b@c.example", "ą@ca.example",
            "\u212a@ca.example", "8a2f6c1e-0b3d-4e5f-9a7b-1c2d3e4f5a6b", "{8a2f6c1e-0b3d-4e5f-9a7b-1c2d3e4f5a6g}",
            "{8a2f6c1e0b3d-4e5f-9a7b-1c2d3e4f5a6b-}", ""})
    void otherStringsAreNoFirefoxAddonIds(String id) {
        assertTrue(!ExtensionIds.isFirefoxId(id), id);
    }

    @Test
    void parse_defaultPorts_areImplicit() {
        assertEquals(443, Origin.parse("https://ca.example").port());
        assertEquals(80, Origin.parse("http://localhost").port());
    }

    @Test
    void parse_extensionMarker_isTheExtensionOrigin() {
        assertTrue(Origin.parse("cardbridge:extension").isExtension());
        assertEquals("cardbridge:extension", Origin.EXTENSION.toString());
    }
}
