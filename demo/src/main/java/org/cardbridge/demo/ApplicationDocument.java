package org.cardbridge.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The renewal application ("wniosek"): what the user reads and signs with the old certificate's key.
 * It carries everything the CA acts on — the code, the point of service (POK), the validity choice, the old
 * certificate and the CSR —
 * so that the CA, on submission, acts only on bytes covered by the signature. The human-readable
 * statement is part of the signed bytes too.
 */
public record ApplicationDocument(String id, Instant created, String code, String pok, Validity validity,
                                  byte[] oldCertificate, byte[] csr, List<String> statement) {
    public static final String TYPE = "cardbridge-demo-renewal-application/1";
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    public ApplicationDocument {
        statement = List.copyOf(statement);
    }

    public byte[] encode() {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("type", TYPE);
        o.put("id", id);
        o.put("created", created.toString());
        ArrayNode text = o.putArray("statement");
        statement.forEach(text::add);
        o.put("code", code);
        o.put("pok", pok);
        o.put("validity", validity.wire());
        o.put("oldCertificate", Der.b64(oldCertificate));
        o.put("csr", Der.b64(csr));
        try {
            return MAPPER.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @throws IllegalArgumentException when the bytes are not a complete application of this CA */
    public static ApplicationDocument parse(byte[] bytes) {
        JsonNode o;
        try {
            o = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON", e);
        }
        if (o == null || !o.isObject() || !TYPE.equals(o.path("type").asText())) {
            throw new IllegalArgumentException("not a renewal application");
        }
        Validity v = Validity.parse(text(o, "validity"));
        if (v == null) {
            throw new IllegalArgumentException("unknown validity");
        }
        List<String> statement = new ArrayList<>();
        o.path("statement").forEach(n -> statement.add(n.asText()));
        try {
            return new ApplicationDocument(text(o, "id"), Instant.parse(text(o, "created")), text(o, "code"), text(o, "pok"), v,
                    Der.unb64(text(o, "oldCertificate")), Der.unb64(text(o, "csr")), statement);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bad field: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        if (n == null || !n.isTextual() || n.asText().isEmpty()) {
            throw new IllegalArgumentException("missing " + field);
        }
        return n.asText();
    }
}
