package org.cardbridge.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the host → browser messages: result, error, progress and event. Every one is written by the
 * host's own {@link JsonWriter}, straight from the value (no intermediate tree: results can be ~1 MiB),
 * so no message a browser triggers loads Jackson's data-binding mapper.
 */
public final class Messages {
    private Messages() {
    }

    public static byte[] result(String id, Object result) {
        try {
            return JsonWriter.object("id", id, "result", result == null ? Map.of() : result);
        } catch (RuntimeException e) {
            // A value the writer hands to the mapper and the mapper cannot write (MessageChannel answers INTERNAL_ERROR).
            throw new IllegalArgumentException("the result does not serialise", e);
        }
    }

    public static byte[] error(String id, HostException e) {
        return error(id, e.code(), e.getMessage(), e.details());
    }

    public static byte[] error(String id, ErrorCode code, String message, Map<String, Object> details) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code.name());
        error.put("message", message == null ? code.name() : message);
        error.put("details", details);
        return JsonWriter.object("id", id, "error", error);
    }

    public static byte[] progress(String id, Map<String, Object> progress) {
        return JsonWriter.object("id", id, "progress", progress);
    }

    public static byte[] event(String name, Object data) {
        return JsonWriter.object("event", name, "data", data == null ? Map.of() : data);
    }
}
