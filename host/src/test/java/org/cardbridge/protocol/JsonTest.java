package org.cardbridge.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streaming tree reader/writer must read and write exactly what the data-binding mapper does. */
class JsonTest {
    static final String SAMPLE = """
            {"id":"7","n":[0,-1,2147483648,123456789012345678901234567890,1.5,-2.5e-3],
             "t":true,"f":false,"z":null,"s":"zażółć \\"gęślą\\" \\u0000 \\ud83d\\ude00",
             "o":{"a":{"b":[[],{}]}}}""";

    @Test
    void readsLikeTheMapper() throws IOException {
        JsonNode ours = Json.readTree(SAMPLE);
        JsonNode mappers = Json.mapper().readTree(SAMPLE);
        assertEquals(mappers, ours);
        assertTrue(ours.get("n").get(2).isLong());
        assertTrue(ours.get("n").get(3).isBigInteger());
        assertTrue(ours.get("n").get(4).isDouble());
        assertEquals(ours, Json.readTree(SAMPLE.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void atrModuleMap_isReadByTheTreeReader_asTheMapperReadIt() throws IOException {
        // AtrModuleMap reads its resource with Json.readTree (no data binding before a first card answer).
        try (java.io.InputStream in = JsonTest.class.getResourceAsStream("/org/cardbridge/token/atr-modules.json")) {
            byte[] bytes = in.readAllBytes();
            JsonNode ours = Json.readTree(bytes);
            assertEquals(Json.mapper().readTree(bytes), ours);
            assertTrue(ours.path("modules").size() > 0);
        }
    }

    @Test
    void writesLikeTheMapper() throws IOException {
        JsonNode tree = Json.readTree(SAMPLE);
        assertArrayEquals(Json.mapper().writeValueAsBytes(tree), Json.write(tree));
    }

    @Test
    void strict_duplicateKeysTrailingDataAndDeepNestingAreErrors() {
        assertThrows(IOException.class, () -> Json.readTree("{\"a\":1,\"a\":2}"));
        assertThrows(IOException.class, () -> Json.readTree("{\"a\":1} {}"));
        assertThrows(IOException.class, () -> Json.readTree("{\"a\":1} x"));
        assertThrows(IOException.class, () -> Json.readTree("{\"a\":"));
        assertThrows(IOException.class, () -> Json.readTree("[1,]"));
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        assertThrows(IOException.class, () -> Json.readTree(deep));
        String deepest = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertTrue(assertDoesNotThrowIo(deepest).isArray());
    }

    @Test
    void utf8_isStrict_butARealReplacementCharacterIsText() throws Exception {
        assertEquals("zażółć \uFFFD 😀", Json.utf8("zażółć \uFFFD 😀".getBytes(StandardCharsets.UTF_8)));
        for (byte[] bad : new byte[][]{{(byte) 0xC3}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                {'a', (byte) 0xFF, 'b'}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}}) {
            assertThrows(java.nio.charset.CharacterCodingException.class, () -> Json.utf8(bad));
        }
    }

    @Test
    void unicodeEscapes_takeAsciiHexDigitsOnly() throws IOException {
        assertEquals("A", Json.readTree("\"\\u0041\"").textValue());
        assertEquals("\u00ff", Json.readTree("\"\\u00fF\"").textValue());
        assertThrows(IOException.class, () -> Json.readTree("\"\\u\uFF10\uFF10\uFF14\uFF11\""), "fullwidth digits");
        assertThrows(IOException.class, () -> Json.readTree("\"\\u\u0660\u0660\u0664\u0661\""), "Arabic-Indic digits");
    }

    @Test
    void files_mayStartWithAByteOrderMark_orBeUtf16WithOne() throws IOException {
        String json = "{\"origins\":[\"zażółć\"]}";
        JsonNode expected = Json.readTree(json);
        byte[] utf8 = json.getBytes(StandardCharsets.UTF_8);
        byte[] bom = new byte[utf8.length + 3];
        bom[0] = (byte) 0xEF; bom[1] = (byte) 0xBB; bom[2] = (byte) 0xBF;
        System.arraycopy(utf8, 0, bom, 3, utf8.length);
        assertEquals(expected, Json.readFile(bom));
        assertEquals(expected, Json.readFile(utf8));
        assertEquals(expected, Json.readFile(("\uFEFF" + json).getBytes(StandardCharsets.UTF_16LE)));
        assertEquals(expected, Json.readFile(("\uFEFF" + json).getBytes(StandardCharsets.UTF_16BE)));
        assertThrows(IOException.class, () -> Json.readTree(bom), "frames take no byte-order mark");
    }

    @Test
    void emptyInputIsNull() throws IOException {
        assertNull(Json.readTree(""));
        assertNull(Json.readTree("   "));
    }

    enum Colour { RED }

    record Pair(String a, int b) {
    }

    @Test
    void toTree_plainValuesLikeTheMapper_othersThroughIt() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "x");
        m.put("i", 1);
        m.put("l", 1L << 40);
        m.put("b", true);
        m.put("e", Colour.RED);
        m.put("null", null);
        m.put("list", List.of(1, "two", Map.of("k", false)));
        m.put("tree", Json.object().put("t", 1));
        m.put("record", new Pair("p", 2));
        m.put("big", new BigDecimal("1.25"));
        m.put("bigint", BigInteger.TEN.pow(30));
        m.put("double", 0.5);
        assertEquals(Json.mapper().valueToTree(m), Json.toTree(m));
    }

    @Test
    void writer_escapesLikeJackson_andLoneSurrogatesAsEscapes() throws IOException {
        String controls = "a\u0000\u0001\b\t\n\f\r\u001f \"q\" \\ / \u007f é 😀";
        JsonNode tree = Json.object().put("s", controls).put(controls, 1);
        assertArrayEquals(Json.mapper().writeValueAsBytes(tree), Json.write(tree));
        byte[] lone = Json.write(Json.object().put("id", "x\ud800y\udc00"));
        assertEquals("{\"id\":\"x\\uD800y\\uDC00\"}", new String(lone, StandardCharsets.UTF_8));
        assertEquals("x\ud800y\udc00", Json.readTree(lone).get("id").textValue(), "and reads back the same");
    }

    /**
     * Differential test against Jackson's parser with the same settings: random documents and
     * mutations of them are accepted or refused alike, and accepted ones give equal trees.
     */
    @Test
    void readsAndRefusesExactlyWhatJacksonDoes() {
        java.util.Random random = new java.util.Random(20261121);
        String[] atoms = {"0", "-0", "1", "-1", "12", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
                "9223372036854775808", "1.5", "-0.0", "1e3", "1E-3", "2.5e+10", "1e400", "true", "false", "null",
                "\"\"", "\"a\"", "\"\\u00e9\\n\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"é😀\""};
        String[] junk = {"", " ", ",", ":", "{", "}", "[", "]", "\"", "\\", "01", "1.", ".5", "+1", "-", "1e", "NaN",
                "tru", "nul", "'a'", "/*c*/", "\u0000", "\t", "\u00a0", "\"\\x\"", "\"\\u12\"", "\"\u0001\"", "a"};
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            String doc = document(random, atoms, 0);
            if (random.nextInt(3) == 0) {
                StringBuilder m = new StringBuilder(doc);
                int at = random.nextInt(m.length() + 1);
                switch (random.nextInt(3)) {
                    case 0 -> m.insert(at, junk[random.nextInt(junk.length)]);
                    case 1 -> m.delete(at, Math.min(m.length(), at + 1 + random.nextInt(3)));
                    default -> m.replace(at, Math.min(m.length(), at + 1), junk[random.nextInt(junk.length)]);
                }
                doc = m.toString();
            }
            JsonNode jackson;
            try {
                jackson = Json.mapper().readTree(doc);
                if (jackson != null && jackson.isMissingNode()) {
                    jackson = null;
                }
            } catch (IOException e) {
                jackson = ERROR;
            }
            JsonNode ours;
            try {
                ours = Json.readTree(doc);
            } catch (IOException e) {
                ours = ERROR;
            }
            assertEquals(jackson, ours, doc);
            if (ours != ERROR) {
                accepted++;
            }
        }
        assertTrue(accepted > 5_000 && accepted < 19_000, "both kinds were tried: " + accepted + " accepted");
    }

    private static final JsonNode ERROR = Json.object().put("<error>", true);

    private static String document(java.util.Random r, String[] atoms, int depth) {
        int kind = depth > 4 ? 2 : r.nextInt(3);
        String ws = r.nextInt(4) == 0 ? " \n\t\r".substring(r.nextInt(4)) : "";
        if (kind == 0) {
            StringBuilder sb = new StringBuilder("{");
            int n = r.nextInt(4);
            for (int i = 0; i < n; i++) {
                sb.append(i > 0 ? "," : "").append(ws).append("\"k").append(r.nextInt(5)).append("\"").append(ws).append(':')
                        .append(document(r, atoms, depth + 1));
            }
            return sb.append(ws).append('}').toString();
        }
        if (kind == 1) {
            StringBuilder sb = new StringBuilder("[");
            int n = r.nextInt(4);
            for (int i = 0; i < n; i++) {
                sb.append(i > 0 ? "," : "").append(document(r, atoms, depth + 1)).append(ws);
            }
            return sb.append(']').toString();
        }
        return ws + atoms[r.nextInt(atoms.length)] + ws;
    }

    private static JsonNode assertDoesNotThrowIo(String json) {
        try {
            return Json.readTree(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
