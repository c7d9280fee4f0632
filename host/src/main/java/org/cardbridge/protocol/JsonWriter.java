package org.cardbridge.protocol;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;

/**
 * Compact JSON of a Jackson tree, byte for byte what Jackson's UTF-8 generator writes with its defaults:
 * short escapes for {@code \b \t \n \f \r}, {@code \\uXXXX} with upper-case hex for other control
 * characters and for every UTF-16 surrogate (so characters outside the BMP, and a lone surrogate that
 * came in a request id, are escapes), everything else as UTF-8. Kept apart from Jackson's generator for
 * the same start-up reason as {@link JsonReader}.
 */
final class JsonWriter {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    private final StringBuilder sb;

    private JsonWriter(int capacity) {
        sb = new StringBuilder(capacity);
    }

    static byte[] write(JsonNode node) {
        JsonWriter w = new JsonWriter(256);
        w.value(node);
        return w.sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void value(JsonNode node) {
        switch (node.getNodeType()) {
            case OBJECT -> {
                sb.append('{');
                boolean first = true;
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    string(e.getKey());
                    sb.append(':');
                    value(e.getValue());
                }
                sb.append('}');
            }
            case ARRAY -> {
                sb.append('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    value(node.get(i));
                }
                sb.append(']');
            }
            case STRING -> string(node.textValue());
            case NUMBER -> number(node);
            case BOOLEAN -> sb.append(node.booleanValue());
            case NULL, MISSING -> sb.append("null");
            case BINARY -> {
                try {
                    sb.append('"').append(Base64.getEncoder().encodeToString(node.binaryValue())).append('"');
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("a binary node holds its bytes", e);
                }
            }
            case POJO -> throw new IllegalArgumentException("a POJO node is written only by the data-binding mapper");
        }
    }

    private void number(JsonNode node) {
        switch (node.numberType()) {
            case INT -> sb.append(node.intValue());
            case LONG -> sb.append(node.longValue());
            case FLOAT -> {
                float f = node.floatValue();
                finite(Float.isFinite(f), Float.toString(f));
            }
            case DOUBLE -> {
                double d = node.doubleValue();
                finite(Double.isFinite(d), Double.toString(d));
            }
            // BigInteger, BigDecimal: their own text (BigDecimal's loads only when a node holds one).
            default -> sb.append(node.numberValue().toString());
        }
    }

    /** Jackson quotes NaN and the infinities by default: they are not JSON numbers. */
    private void finite(boolean finite, String text) {
        if (finite) {
            sb.append(text);
        } else {
            sb.append('"').append(text).append('"');
        }
    }

    private void string(String s) {
        sb.append('"');
        int n = s.length();
        int run = 0; // start of the characters not yet appended: copied in runs, not one by one
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\' && !Character.isSurrogate(c)) {
                continue;
            }
            sb.append(s, run, i);
            run = i + 1;
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\f' -> sb.append("\\f");
                case '\r' -> sb.append("\\r");
                default -> sb.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF]).append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
            }
        }
        sb.append(s, run, n).append('"');
    }
}
