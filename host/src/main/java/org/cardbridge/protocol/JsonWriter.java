package org.cardbridge.protocol;

import com.fasterxml.jackson.databind.JsonNode;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
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
 *
 * <p>It also writes plain values the way Jackson's data binding does with the host's settings, so that a
 * command's record result never needs the data-binding mapper (~500 classes and tens of milliseconds
 * before a browser's first card answer): records as objects of their components in declaration order
 * (nulls written, or left out for an {@link OmitNullFields} record), strings, booleans, {@code int}/
 * {@code long}/{@code short}/{@code byte}, {@code double}/{@code float}, enums by name, maps (keys by
 * their string form, enums by name), collections and arrays as arrays, {@code byte[]} as base64, Jackson
 * trees. Anything else (a {@code BigDecimal}, a {@code java.time} value, a plain class) is handed to the
 * mapper, which writes it as it always did. {@code ResultJsonTest} checks every result type byte for byte
 * against the mapper.
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
        return w.bytes();
    }

    /** Compact UTF-8 JSON of a plain value, a record or a tree (see the class comment). */
    static byte[] writeValue(Object value) {
        JsonWriter w = new JsonWriter(256);
        w.any(value);
        return w.bytes();
    }

    /** An object of named members, written in the given order: {@code {"a":1,"b":...}}. */
    static byte[] object(String name1, Object value1, String name2, Object value2) {
        JsonWriter w = new JsonWriter(256);
        w.sb.append('{');
        w.string(name1);
        w.sb.append(':');
        w.any(value1);
        w.sb.append(',');
        w.string(name2);
        w.sb.append(':');
        w.any(value2);
        w.sb.append('}');
        return w.bytes();
    }

    private byte[] bytes() {
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    // instanceof, not a type switch: a pattern switch spins classes at run time on first use.
    private void any(Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            string(s);
        } else if (v instanceof JsonNode n) {
            value(n);
        } else if (v instanceof Boolean b) {
            sb.append(b.booleanValue());
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            sb.append(((Number) v).longValue());
        } else if (v instanceof Double d) {
            finite(Double.isFinite(d), d.toString());
        } else if (v instanceof Float f) {
            finite(Float.isFinite(f), f.toString());
        } else if (v instanceof Enum<?> e) {
            string(e.name());
        } else if (v instanceof Record r) {
            record(r);
        } else if (v instanceof Map<?, ?> m) {
            map(m);
        } else if (v instanceof Iterable<?> items) {
            sb.append('[');
            boolean first = true;
            for (Object item : items) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                any(item);
            }
            sb.append(']');
        } else if (v instanceof byte[] b) {
            sb.append('"').append(Base64.getEncoder().encodeToString(b)).append('"');
        } else if (v instanceof Object[] items) {
            sb.append('[');
            for (int i = 0; i < items.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                any(items[i]);
            }
            sb.append(']');
        } else {
            value(Json.mapper().valueToTree(v));
        }
    }

    private void map(Map<?, ?> m) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            Object k = e.getKey();
            string(k instanceof Enum<?> en ? en.name() : String.valueOf(k));
            sb.append(':');
            any(e.getValue());
        }
        sb.append('}');
    }

    private void record(Record r) {
        Component[] components = COMPONENTS.get(r.getClass());
        boolean omitNulls = r instanceof OmitNullFields;
        sb.append('{');
        boolean first = true;
        for (Component c : components) {
            Object v = c.get(r);
            if (v == null && omitNulls) {
                continue;
            }
            if (!first) {
                sb.append(',');
            }
            first = false;
            string(c.name);
            sb.append(':');
            any(v);
        }
        sb.append('}');
    }

    /** A record component: its JSON name and accessor, looked up once per record class. */
    private record Component(String name, Method accessor) {
        Object get(Record r) {
            try {
                return accessor.invoke(r);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalArgumentException("cannot read " + name + " of " + r.getClass().getName(), e);
            }
        }
    }

    private static final ClassValue<Component[]> COMPONENTS = new ClassValue<>() {
        @Override
        protected Component[] computeValue(Class<?> type) {
            RecordComponent[] rc = type.getRecordComponents();
            Component[] out = new Component[rc.length];
            for (int i = 0; i < rc.length; i++) {
                Method m = rc[i].getAccessor();
                m.setAccessible(true); // a nested record of a package-private class, in the host's own module
                out[i] = new Component(rc[i].getName(), m);
            }
            return out;
        }
    };

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
