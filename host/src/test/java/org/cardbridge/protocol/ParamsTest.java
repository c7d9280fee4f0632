package org.cardbridge.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
