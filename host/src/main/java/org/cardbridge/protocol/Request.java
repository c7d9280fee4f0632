package org.cardbridge.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One request from the browser. {@code origin} is the page origin the extension's background took
 * from the browser's sender data; {@code lang} selects the language of the host's dialogs.
 */
public record Request(String id, String op, String origin, ObjectNode params, Lang lang) {
}
