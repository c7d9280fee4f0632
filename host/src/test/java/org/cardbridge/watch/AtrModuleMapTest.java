package org.cardbridge.watch;

import org.cardbridge.platform.Os;
import org.cardbridge.protocol.Json;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtrModuleMapTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    @Test
    void standard_shippedFile_parsesAndEveryEntryNamesAModuleForEveryOs() {
        AtrModuleMap map = AtrModuleMap.standard();
        assertFalse(map.entries().isEmpty());
        for (var entry : map.entries()) {
            for (Os os : Os.values()) {
                assertTrue(entry.moduleFor(os).isPresent(), entry.name() + " has no module for " + os);
            }
        }
    }

    @Test
    void match_knownAtr_findsEntryAndOpenscModuleOnLinux() {
        var entry = AtrModuleMap.standard().match(hex("3BF81300008131FE454A434F5076323431B7"));
        assertTrue(entry.isPresent());
        assertTrue(entry.get().moduleFor(Os.LINUX).orElseThrow().contains("opensc-pkcs11"));
    }

    @Test
    void match_unknownOrTruncatedAtr_findsNothing() {
        AtrModuleMap map = AtrModuleMap.standard();
        assertTrue(map.match(hex("3B8980014342756E6B6E6F776E61")).isEmpty());
        assertTrue(map.match(hex("3BF81300008131FE454A434F50763234")).isEmpty());
    }

    @Test
    void match_maskedByte_ignoresOnlyTheMaskedBits() throws Exception {
        AtrModuleMap map = AtrModuleMap.parse(Json.mapper().readTree("""
                [{"name":"family","atr":"3B:02:14:50","mask":"FF:FF:FF:F0","modules":{"linux":["x.so"]}}]"""));
        assertTrue(map.match(hex("3B02145F")).isPresent());
        assertTrue(map.match(hex("3B021440")).isEmpty());
        assertEquals("x.so", map.match(hex("3B021450")).orElseThrow().moduleFor(Os.LINUX).orElseThrow());
    }

    @Test
    void parse_maskOfOtherLength_isRefused() throws Exception {
        var json = Json.mapper().readTree("""
                [{"name":"bad","atr":"3B0214","mask":"FFFF","modules":{}}]""");
        assertThrows(IllegalArgumentException.class, () -> AtrModuleMap.parse(json));
    }
}
