package org.cardbridge.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/** Builds the host → browser messages: result, error, progress and event. */
public final class Messages {
    private Messages() {
    }

    /** A result is written straight from its record (no intermediate tree): results can be ~1 MiB. */
    private record ResultMessage(String id, Object result) {
    }

    public static byte[] result(String id, Object result) {
        if (result instanceof JsonNode || result instanceof Map<?, ?>) {
            // Trees and maps are written as trees: no class introspection (hello, at every start), and
            // a ~1 MiB string in a map is copied in runs rather than through the mapper.
            ObjectNode root = Json.object();
            root.put("id", id);
            root.set("result", Json.toTree(result));
            return bytes(root);
        }
        try {
            return Json.mapper().writeValueAsBytes(new ResultMessage(id, result == null ? Map.of() : result));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the result does not serialise", e);
        }
    }

    public static byte[] error(String id, HostException e) {
        return error(id, e.code(), e.getMessage(), e.details());
    }

    public static byte[] error(String id, ErrorCode code, String message, Map<String, Object> details) {
        ObjectNode root = Json.object();
        root.put("id", id);
        ObjectNode error = root.putObject("error");
        error.put("code", code.name());
        error.put("message", message == null ? code.name() : message);
        error.set("details", Json.toTree(details));
        return bytes(root);
    }

    public static byte[] progress(String id, Map<String, Object> progress) {
        ObjectNode root = Json.object();
        root.put("id", id);
        root.set("progress", Json.toTree(progress));
        return bytes(root);
    }

    public static byte[] event(String name, Object data) {
        ObjectNode root = Json.object();
        root.put("event", name);
        root.set("data", Json.toTree(data == null ? Map.of() : data));
        return bytes(root);
    }

    private static byte[] bytes(ObjectNode node) {
        return Json.write(node);
    }
}
