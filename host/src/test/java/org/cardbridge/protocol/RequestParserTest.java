package org.cardbridge.protocol;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestParserTest {

    private static ErrorCode failure(byte[] frame) {
        return assertThrows(HostException.class, () -> RequestParser.parse(frame)).code();
    }

    private static ErrorCode failure(String json) {
        return failure(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parse_fullRequest_keepsEveryField() {
        Request r = RequestParser.parse("{\"id\":\"7\",\"op\":\"hello\",\"origin\":\"https://ca.example\",\"params\":{\"x\":1},\"lang\":\"pl\"}"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals("7", r.id());
        assertEquals("hello", r.op());
        assertEquals("https://ca.example", r.origin());
        assertEquals(1, r.params().get("x").intValue());
        assertEquals(Lang.PL, r.lang());
    }

    @Test
    void parse_withoutParams_givesEmptyParams() {
        Request r = RequestParser.parse("{\"id\":\"1\",\"op\":\"hello\",\"origin\":\"https://a.example\"}".getBytes());
        assertTrue(r.params().isEmpty());
    }

    @Test
    void parse_invalidUtf8_isInvalidMessage() {
        byte[] frame = {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xc3, (byte) 0x28, '"', '}'};
        assertEquals(ErrorCode.INVALID_MESSAGE, failure(frame));
    }

    @Test
    void parse_emptyFrame_isInvalidMessage() {
        assertEquals(ErrorCode.INVALID_MESSAGE, failure(new byte[0]));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{", "[]", "\"text\"", "42", "null",
            "{\"id\":\"1\",\"op\":\"hello\",\"origin\":\"https://a.example\"} trailing",
            "{\"id\":\"1\",\"id\":\"2\",\"op\":\"hello\",\"origin\":\"https://a.example\"}",
            "{\"id\":1,\"op\":\"hello\",\"origin\":\"https://a.example\"}",
            "{\"id\":\"\",\"op\":\"hello\",\"origin\":\"https://a.example\"}",
            "{\"op\":\"hello\",\"origin\":\"https://a.example\"}",
            "{\"id\":\"1\",\"origin\":\"https://a.example\"}",
            "{\"id\":\"1\",\"op\":\"hello\"}",
            "{\"id\":\"1\",\"op\":\"hello\",\"origin\":\"https://a.example\",\"params\":[]}",
            "{\"id\":\"1\",\"op\":\"hello\",\"origin\":\"https://a.example\",\"extra\":true}",
    })
    void parse_malformedRequest_isInvalidMessage(String json) {
        assertEquals(ErrorCode.INVALID_MESSAGE, failure(json));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"de\"", "\"PL\"", "\"pl-PL\"", "\"en-GB\"", "\"\"", "\" pl\"", "1", "true", "[\"pl\"]", "{}"})
    void parse_langOtherThanPlOrEn_isInvalidArgumentNamingLang(String lang) {
        HostException e = assertThrows(HostException.class, () -> RequestParser.parse(
                ("{\"id\":\"1\",\"op\":\"hello\",\"origin\":\"https://a.example\",\"lang\":" + lang + "}").getBytes(StandardCharsets.UTF_8)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertEquals("lang", e.details().get("field"));
    }

    @Test
    void parse_langPlOrEn_orNone_givesThatLanguage_orTheSystems() {
        String base = "{\"id\":\"1\",\"op\":\"hello\",\"origin\":\"https://a.example\"";
        assertEquals(Lang.PL, RequestParser.parse((base + ",\"lang\":\"pl\"}").getBytes(StandardCharsets.UTF_8)).lang());
        assertEquals(Lang.EN, RequestParser.parse((base + ",\"lang\":\"en\"}").getBytes(StandardCharsets.UTF_8)).lang());
        assertEquals(Lang.ofSystem(), RequestParser.parse((base + ",\"lang\":null}").getBytes(StandardCharsets.UTF_8)).lang());
        assertEquals(Lang.ofSystem(), RequestParser.parse((base + "}").getBytes(StandardCharsets.UTF_8)).lang());
    }

    @Test
    void parse_deepNesting_isInvalidMessageNotStackOverflow() {
        String deep = "{\"id\":\"1\",\"op\":\"x\",\"origin\":\"https://a.example\",\"params\":{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}}";
        assertEquals(ErrorCode.INVALID_MESSAGE, failure(deep));
    }

    @Test
    void idOf_recoversIdOfARequestThatFailsLater() {
        assertEquals("9", RequestParser.idOf("{\"id\":\"9\",\"op\":5}".getBytes()));
        assertNull(RequestParser.idOf("not json".getBytes()));
    }
}
