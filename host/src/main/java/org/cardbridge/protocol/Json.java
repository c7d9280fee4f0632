package org.cardbridge.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * JSON for the whole host: strict on input (duplicate keys, trailing tokens, nesting depth), stable on
 * output. Trees (Jackson's node classes) are read by {@link JsonReader} and written by
 * {@link JsonWriter}, which also writes records and plain values (every result, event and error), so no
 * request a browser sends needs data binding; Jackson's parser, generator and data-binding
 * {@link ObjectMapper} are set up only for the CLI's reports and the doctor. A browser starts the host
 * for every connection and waits for its first answer; setting Jackson up costs tens of milliseconds and
 * ~500 classes that no request needs.
 */
public final class Json {
    /** Deeply nested junk must be an INVALID_MESSAGE, not a StackOverflowError. */
    static final int MAX_DEPTH = 64;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {
    }

    /** The data-binding mapper, configured like the tree reader; built on first use. */
    public static ObjectMapper mapper() {
        return Mapper.MAPPER;
    }

    public static ObjectNode object() {
        return NODES.objectNode();
    }

    /** Parses one JSON value; null for empty input. Invalid JSON, duplicate keys or trailing data throw. */
    public static JsonNode readTree(String json) throws IOException {
        return JsonReader.read(json);
    }

    /** As {@link #readTree(String)}, for UTF-8 bytes; malformed UTF-8 is an error too. */
    public static JsonNode readTree(byte[] json) throws IOException {
        try {
            return JsonReader.read(utf8(json));
        } catch (CharacterCodingException e) {
            throw new IOException("invalid JSON: not UTF-8", e);
        }
    }

    /**
     * A JSON file an administrator or a tool wrote: UTF-8 with or without a byte-order mark, or UTF-16
     * with one (Windows PowerShell writes both by default). Frames from the browser are never read this
     * way: they are UTF-8 without a mark.
     */
    public static JsonNode readFile(byte[] bytes) throws IOException {
        if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xFE) {
            return JsonReader.read(strict(bytes, 2, StandardCharsets.UTF_16LE));
        }
        if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0xFE && (bytes[1] & 0xFF) == 0xFF) {
            return JsonReader.read(strict(bytes, 2, StandardCharsets.UTF_16BE));
        }
        if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF) {
            return JsonReader.read(strict(bytes, 3, StandardCharsets.UTF_8));
        }
        return readTree(bytes);
    }

    private static String strict(byte[] bytes, int skip, Charset charset) throws IOException {
        try {
            return strictDecoder(charset).decode(ByteBuffer.wrap(bytes, skip, bytes.length - skip)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("invalid JSON: not " + charset.name(), e);
        }
    }

    /** A decoder that refuses malformed input instead of replacing it. */
    private static CharsetDecoder strictDecoder(Charset charset) {
        return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /**
     * Strict UTF-8 decoding at the speed of {@code new String}: the lenient decoder turns every malformed
     * sequence into U+FFFD, so only text that holds one needs the strict decoder's verdict.
     */
    public static String utf8(byte[] bytes) throws CharacterCodingException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.indexOf('\uFFFD') >= 0) {
            strictDecoder(StandardCharsets.UTF_8).decode(ByteBuffer.wrap(bytes));
        }
        return text;
    }

    /**
     * Compact UTF-8 JSON of a plain value, a record or a tree, written as the data-binding mapper writes it
     * but without it (see {@link JsonWriter}).
     */
    public static byte[] writeValue(Object value) {
        return JsonWriter.writeValue(value);
    }

    /** Compact UTF-8 JSON of a tree. */
    public static byte[] write(JsonNode node) {
        return JsonWriter.write(node);
    }

    /**
     * A tree of plain values — null, strings, ints, longs, booleans, enums (by name), maps (keys by their
     * string form), lists and trees — built without the mapper; anything else (other numbers, records)
     * goes through the mapper's data binding, which writes these the same way.
     */
    public static JsonNode toTree(Object value) {
        // instanceof, not a type switch: a pattern switch spins classes at run time on first use.
        if (value == null) {
            return NODES.nullNode();
        } else if (value instanceof JsonNode n) {
            return n;
        } else if (value instanceof String s) {
            return NODES.textNode(s);
        } else if (value instanceof Integer i) {
            return NODES.numberNode(i);
        } else if (value instanceof Long l) {
            return NODES.numberNode(l);
        } else if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        } else if (value instanceof Enum<?> e) {
            return NODES.textNode(e.name());
        } else if (value instanceof Map<?, ?> m) {
            ObjectNode o = NODES.objectNode();
            m.forEach((k, v) -> o.set(String.valueOf(k), toTree(v)));
            return o;
        } else if (value instanceof Iterable<?> items) {
            ArrayNode a = NODES.arrayNode();
            items.forEach(v -> a.add(toTree(v)));
            return a;
        }
        return mapper().valueToTree(value);
    }

    /** Holder: the mapper is made when {@link #mapper()} is first called, not when trees are. */
    private static final class Mapper {
        static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                        .build())
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
    }
}
