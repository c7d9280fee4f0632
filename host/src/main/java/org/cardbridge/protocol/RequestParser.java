package org.cardbridge.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** Turns a frame into a {@link Request}, or an INVALID_MESSAGE error that names what is wrong. */
public final class RequestParser {
    private static final Set<String> FIELDS = Set.of("id", "op", "origin", "params", "lang");
    private static final int MAX_ID_LENGTH = 128;

    private RequestParser() {
    }

    /** Best effort: the request id of a frame that failed to parse, so the error can still be correlated. */
    public static String idOf(byte[] frame) {
        try {
            JsonNode node = Json.readTree(frame);
            JsonNode id = node == null ? null : node.get("id");
            if (id != null && id.isTextual() && id.textValue().length() <= MAX_ID_LENGTH) {
                return id.textValue();
            }
        } catch (Exception ignored) {
            // Unparseable frames are answered with a null id.
        }
        return null;
    }

    public static Request parse(byte[] frame) {
        String text;
        try {
            text = Json.utf8(frame);
        } catch (CharacterCodingException e) {
            throw invalid("the frame is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = Json.readTree(text);
        } catch (IOException e) {
            throw invalid("the frame is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw invalid("a request must be a JSON object");
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw invalid("unknown field '" + name + "'");
            }
        }
        String id = requiredText(root, "id");
        if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            throw invalid("'id' must be 1 to " + MAX_ID_LENGTH + " characters");
        }
        String op = requiredText(root, "op");
        String origin = requiredText(root, "origin");
        JsonNode params = root.get("params");
        ObjectNode paramsObject;
        if (params == null || params.isNull()) {
            paramsObject = JsonNodeFactory.instance.objectNode();
        } else if (params.isObject()) {
            paramsObject = (ObjectNode) params;
        } else {
            throw invalid("'params' must be an object");
        }
        JsonNode langNode = root.get("lang");
        Lang lang;
        if (langNode == null || langNode.isNull()) {
            lang = Lang.ofSystem();
        } else if (langNode.isTextual() && langNode.textValue().equals("pl")) {
            lang = Lang.PL;
        } else if (langNode.isTextual() && langNode.textValue().equals("en")) {
            lang = Lang.EN;
        } else {
            // The page chooses the language (through the page API): a wrong value is the page's argument,
            // refused like any other before a window could appear, rather than shown in a language it did not ask for.
            throw HostException.invalidArgument("lang", "must be \"pl\" or \"en\" (lower case, no region)");
        }
        return new Request(id, op, origin, paramsObject, lang);
    }

    private static String requiredText(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || !node.isTextual()) {
            throw invalid("'" + field + "' must be a string");
        }
        return node.textValue();
    }

    private static HostException invalid(String why) {
        return new HostException(ErrorCode.INVALID_MESSAGE, why, Map.of());
    }
}
