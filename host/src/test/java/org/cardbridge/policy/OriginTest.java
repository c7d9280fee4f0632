package org.cardbridge.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OriginTest {

    @ParameterizedTest
    @ValueSource(strings = {"https://ca.example", "https://ca.example:8443", "http://localhost:8080", "http://127.0.0.1:9", "https://xn--bcher-kva.example"})
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
            "https://ca.example\u0000.evil.example", "https://ca.example%2f.evil.example", "file:///etc/passwd"})
    void parse_anythingButTheCanonicalForm_isRefused(String text) {
        assertThrows(IllegalArgumentException.class, () -> Origin.parse(text));
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
