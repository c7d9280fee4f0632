package org.cardbridge.policy;

import org.cardbridge.protocol.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The policy's {@code atrModules}: the map's update path without a host release, checked at load. */
class PolicyAtrModulesTest {

    private static Policy parse(String json) throws Exception {
        return PolicyLoader.parse(Json.readFile(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static String entry(String fields) {
        return "{\"atrModules\": [" + fields + "]}";
    }

    @Test
    void atrModule_asSmartcardListPrintsIt_isReadWithAFullMaskByDefault() throws Exception {
        Policy p = parse(entry("{\"name\": \"Certum cryptoCertum\", \"product\": \"proCertum CardManager\","
                + " \"atr\": \"3B DD 96 FF 81 31 FE 45 80 59 5F 53 74 64 5F 49 6E 69 74 81 05 9B\","
                + " \"paths\": [\"/opt/proCertumSmartSign/libcryptoCertum3PKCS.so\"]}"));
        Policy.AtrModule m = p.atrModules().getFirst();
        assertEquals("Certum cryptoCertum", m.name());
        assertArrayEquals(HexFormat.of().parseHex("3BDD96FF8131FE4580595F5374645F496E697481059B"), m.atr());
        assertEquals(22, m.mask().length);
        assertTrue(new String(HexFormat.of().formatHex(m.mask())).matches("(ff)+"));
        assertEquals(List.of("/opt/proCertumSmartSign/libcryptoCertum3PKCS.so"), m.paths());
    }

    @Test
    void atrModule_withABadField_makesThePolicyInvalid_sayingWhichEntryAndWhy() {
        String ok = "\"name\": \"X\", \"product\": \"X soft\", \"paths\": [\"/opt/x/p11.so\"]";
        assertMessage("not hex", entry("{" + ok + ", \"atr\": \"3B ZZ\"}"));
        assertMessage("not an ATR", entry("{" + ok + ", \"atr\": \"00 11 22\"}"));
        assertMessage("mask has 2 bytes, atr 3", entry("{" + ok + ", \"atr\": \"3B0102\", \"mask\": \"FFFF\"}"));
        assertMessage("absolute", entry("{\"name\": \"X\", \"product\": \"X soft\", \"atr\": \"3B0102\", \"paths\": [\"p11.so\"]}"));
        assertMessage("lists no module", entry("{\"name\": \"X\", \"product\": \"X soft\", \"atr\": \"3B0102\", \"paths\": []}"));
        assertMessage("'product'", entry("{\"name\": \"X\", \"atr\": \"3B0102\", \"paths\": [\"/opt/x/p11.so\"]}"));
        assertMessage("unknown field 'atrs'", entry("{" + ok + ", \"atrs\": []}"));
        assertMessage("'atrModules' must be a list", "{\"atrModules\": {}}");
    }

    private static void assertMessage(String part, String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(json), json);
        assertTrue(e.getMessage().contains(part), e.getMessage() + " should say " + part);
        if (json.contains("\"name\": \"X\"") && !part.startsWith("unknown") && !part.startsWith("'product'")) {
            assertTrue(e.getMessage().contains("atrModules entry 'X'"), e.getMessage());
        }
    }
}
