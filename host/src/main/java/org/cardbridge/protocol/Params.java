package org.cardbridge.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Typed access to a request's {@code params}. Every read names its field, so a missing or mistyped
 * value is an INVALID_ARGUMENT that says which field; {@link #done()} then refuses any field the
 * command did not read, so a typo in a page's call is an error instead of being silently ignored.
 */
public final class Params {
    private final ObjectNode node;
    private final Set<String> read = new HashSet<>();

    public Params(ObjectNode node) {
        this.node = node;
    }

    public String text(String field) {
        String value = optText(field);
        if (value == null) {
            throw HostException.invalidArgument(field, "required string is missing");
        }
        return value;
    }

    /**
     * A required string that a host window will show: refused (INVALID_ARGUMENT naming the field) when it holds
     * bidi controls, other format characters, control characters or line breaks (see {@link ShownText}).
     */
    public String shownText(String field) {
        return ShownText.require(field, text(field));
    }

    public String optText(String field) {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw HostException.invalidArgument(field, "must be a string");
        }
        return v.textValue();
    }

    public boolean bool(String field, boolean fallback) {
        JsonNode v = get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw HostException.invalidArgument(field, "must be true or false");
        }
        return v.booleanValue();
    }

    public int integer(String field, int fallback, int min, int max) {
        JsonNode v = get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            throw HostException.invalidArgument(field, "must be an integer from " + min + " to " + max);
        }
        return v.intValue();
    }

    public List<String> textList(String field, boolean required) {
        JsonNode v = get(field);
        if (v == null) {
            if (required) {
                throw HostException.invalidArgument(field, "required list is missing");
            }
            return List.of();
        }
        if (!v.isArray()) {
            throw HostException.invalidArgument(field, "must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : v) {
            if (!item.isTextual()) {
                throw HostException.invalidArgument(field, "must be a list of strings");
            }
            out.add(item.textValue());
        }
        return List.copyOf(out);
    }

    /** The raw node of a structured parameter (the command checks its shape); null when absent. */
    public JsonNode node(String field) {
        return get(field);
    }

    /** Refuses any parameter no read has asked for. Call once every field has been read. */
    public void done() {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!read.contains(name)) {
                throw HostException.invalidArgument(name, "unknown parameter");
            }
        }
    }

    private JsonNode get(String field) {
        read.add(field);
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }
}
