package org.cardbridge.protocol;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParamsTest {
    private static Params params(String json) throws Exception {
        return new Params((ObjectNode) Json.mapper().readTree(json));
    }

    @Test
    void text_missing_namesTheField() throws Exception {
        HostException e = assertThrows(HostException.class, () -> params("{}").text("token"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertEquals("token", e.details().get("field"));
    }

    @Test
    void text_wrongType_namesTheField() throws Exception {
        HostException e = assertThrows(HostException.class, () -> params("{\"token\":5}").text("token"));
        assertEquals("token", e.details().get("field"));
    }

    /** One of each class of character a window must not be given: the JSON escapes reach the host as these code points. */
    @ParameterizedTest
    @ValueSource(ints = {
            0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C, // bidi controls
            0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E, 0xFFF9, 0xE0001, 0xE0041,                 // other Cf
            0x0000, 0x0001, 0x0009, 0x000A, 0x000D, 0x001B, 0x007F, 0x0085, 0x009B,                           // Cc
            0x2028, 0x2029,                                                                                  // Zl, Zp
            0xD800, 0xDFFF})                                                                                 // lone surrogates
    void shownText_bidiFormatControlOrSeparatorCharacter_isInvalidArgumentNamingFieldAndCharacter(int cp) {
        String value = "abc" + new String(Character.isBmpCodePoint(cp) ? new char[]{(char) cp} : Character.toChars(cp)) + "gpj.exe";
        ObjectNode node = JsonNodeFactory.instance.objectNode().put("description", value);
        HostException e = assertThrows(HostException.class, () -> new Params(node).shownText("description"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertEquals("description", e.details().get("field"));
        assertTrue(e.getMessage().startsWith("description: contains " + String.format("U+%04X", cp) + ", "), e.getMessage());
    }

    @Test
    void shownText_fromJsonEscapes_nulAndRightToLeftOverride_areRefusedNotDropped() throws Exception {
        for (String escape : new String[]{"\\u0000", "\\u202e", "\\u2066", "\\n"}) {
            HostException e = assertThrows(HostException.class, () -> params("{\"label\":\"a" + escape + "b\"}").shownText("label"));
            assertEquals("label", e.details().get("field"), escape);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Wniosek o odnowienie certyfikatu — Zażółć gęślą jaźń", "Renewal 2026-12-05 (RSA-2048)", "日本語 العربية עברית",
            "emoji \uD83D\uDE00 ok", "a\u00A0b", "x"})
    void shownText_lettersOfAnyScriptPunctuationSymbolsAndSpaces_pass(String value) {
        assertEquals(value, new Params(JsonNodeFactory.instance.objectNode().put("label", value)).shownText("label"));
        assertNull(ShownText.problem(value));
    }

    @Test
    void done_unreadField_isRefusedByName() throws Exception {
        Params p = params("{\"token\":\"a\",\"tokne\":\"b\"}");
        p.text("token");
        HostException e = assertThrows(HostException.class, p::done);
        assertEquals("tokne", e.details().get("field"));
    }

    @Test
    void integer_outOfRange_isInvalidArgument() throws Exception {
        assertThrows(HostException.class, () -> params("{\"n\":99}").integer("n", 1, 1, 10));
        assertThrows(HostException.class, () -> params("{\"n\":1.5}").integer("n", 1, 1, 10));
        assertEquals(7, params("{\"n\":7}").integer("n", 1, 1, 10));
    }

    @Test
    void textList_mixedTypes_isInvalidArgument() throws Exception {
        assertThrows(HostException.class, () -> params("{\"l\":[\"a\",1]}").textList("l", true));
        assertEquals(2, params("{\"l\":[\"a\",\"b\"]}").textList("l", true).size());
    }
}
