package org.cardbridge.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.math.BigInteger;

/**
 * A strict RFC 8259 reader that builds Jackson trees: no comments, single quotes, trailing commas,
 * leading zeros, NaN or unescaped control characters; duplicate keys, trailing data, nesting deeper
 * than {@link Json#MAX_DEPTH} and numbers longer than {@link #MAX_NUMBER_LENGTH} are errors. It
 * reads what Jackson's parser with those settings reads, into the same node types (int, long,
 * BigInteger, double).
 *
 * <p>Why not Jackson's parser: initialising it initialises {@code java.math.BigDecimal}, whose static
 * initialiser computes 5^65536 on JDK 25 (~25 ms), and a browser waits for that at every host start.
 */
final class JsonReader {
    /**
     * Jackson's default limit: longer digit strings make BigInteger parsing quadratic. Counted over the whole
     * number (sign and exponent included), so a number of exactly 1000 digits with a sign is refused here
     * and read by Jackson: stricter, never looser.
     */
    static final int MAX_NUMBER_LENGTH = 1000;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final String in;
    private int pos;
    private int depth;

    private JsonReader(String in) {
        this.in = in;
    }

    /** One JSON value and nothing but whitespace after it; null when there is only whitespace. */
    static JsonNode read(String json) throws IOException {
        JsonReader r = new JsonReader(json);
        r.skipWhitespace();
        if (r.pos == json.length()) {
            return null;
        }
        JsonNode root = r.value();
        r.skipWhitespace();
        if (r.pos != json.length()) {
            throw r.error("trailing data after the JSON value");
        }
        return root;
    }

    private JsonNode value() throws IOException {
        if (pos >= in.length()) {
            throw error("unexpected end of input");
        }
        char c = in.charAt(pos);
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return NODES.textNode(string());
            case 't':
                literal("true");
                return NODES.booleanNode(true);
            case 'f':
                literal("false");
                return NODES.booleanNode(false);
            case 'n':
                literal("null");
                return NODES.nullNode();
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected character " + describe(c));
        }
    }

    private ObjectNode object() throws IOException {
        enter();
        pos++;
        ObjectNode o = NODES.objectNode();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return o;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a field name in double quotes");
            }
            String name = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            if (o.has(name)) {
                throw error("duplicate field '" + name + "'");
            }
            o.set(name, value());
            skipWhitespace();
            char c = next();
            if (c == '}') {
                depth--;
                return o;
            }
            if (c != ',') {
                throw error("expected ',' or '}'");
            }
        }
    }

    private ArrayNode array() throws IOException {
        enter();
        pos++;
        ArrayNode a = NODES.arrayNode();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return a;
        }
        while (true) {
            skipWhitespace();
            a.add(value());
            skipWhitespace();
            char c = next();
            if (c == ']') {
                depth--;
                return a;
            }
            if (c != ',') {
                throw error("expected ',' or ']'");
            }
        }
    }

    private void enter() throws IOException {
        if (++depth > Json.MAX_DEPTH) {
            throw error("nesting deeper than " + Json.MAX_DEPTH);
        }
    }

    private String string() throws IOException {
        pos++; // the opening quote
        int start = pos;
        // Fast path: no escapes.
        while (pos < in.length()) {
            char c = in.charAt(pos);
            if (c == '"') {
                return in.substring(start, pos++);
            }
            if (c == '\\' || c < 0x20) {
                break;
            }
            pos++;
        }
        StringBuilder sb = new StringBuilder(in.length() - start < 64 ? 16 : 64).append(in, start, pos);
        while (true) {
            char c = next();
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw error("unescaped control character " + describe(c) + " in a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> sb.append(hex4());
                default -> throw error("invalid escape \\" + describe(e));
            }
        }
    }

    private char hex4() throws IOException {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            char c = next();
            // ASCII hex only: Character.digit would also take fullwidth and other scripts' digits.
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) {
                throw error("invalid \\u escape");
            }
            v = v << 4 | d;
        }
        return (char) v;
    }

    private JsonNode number() throws IOException {
        int start = pos;
        boolean integral = true;
        if (peek() == '-') {
            pos++;
        }
        char first = peek();
        if (first == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("leading zeros are not allowed");
            }
        } else if (isDigit(first)) {
            digits();
        } else {
            throw error("expected a digit");
        }
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("expected a digit after '.'");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("expected a digit in the exponent");
            }
            digits();
        }
        if (pos - start > MAX_NUMBER_LENGTH) {
            throw error("number longer than " + MAX_NUMBER_LENGTH + " characters");
        }
        String text = in.substring(start, pos);
        if (!integral) {
            return NODES.numberNode(Double.parseDouble(text));
        }
        int digits = text.length() - (text.charAt(0) == '-' ? 1 : 0);
        if (digits <= 9) {
            return NODES.numberNode(Integer.parseInt(text));
        }
        if (digits <= 18) {
            long l = Long.parseLong(text);
            return l == (int) l ? NODES.numberNode((int) l) : NODES.numberNode(l);
        }
        BigInteger b = new BigInteger(text);
        if (b.bitLength() <= 31) {
            return NODES.numberNode(b.intValue());
        }
        return b.bitLength() <= 63 ? NODES.numberNode(b.longValue()) : NODES.numberNode(b);
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void literal(String word) throws IOException {
        if (!in.startsWith(word, pos)) {
            throw error("invalid literal");
        }
        pos += word.length();
    }

    private void expect(char c) throws IOException {
        if (next() != c) {
            throw error("expected '" + c + "'");
        }
    }

    /** The current character, or NUL at the end (never valid where it is looked at). */
    private char peek() {
        return pos < in.length() ? in.charAt(pos) : '\0';
    }

    private char next() throws IOException {
        if (pos >= in.length()) {
            throw error("unexpected end of input");
        }
        return in.charAt(pos++);
    }

    private void skipWhitespace() {
        while (pos < in.length()) {
            char c = in.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private static String describe(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private IOException error(String what) {
        return new IOException("invalid JSON at character " + pos + ": " + what);
    }
}
