package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameStyle;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.RFC4519Style;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.ShownText;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Subject names for certificate requests: an RFC 4514 string ({@code "CN=Jan Kowalski,O=Firma,C=PL"},
 * most specific first) or the same as a list of RDNs, each a list of {@code {type, value}}, in the same
 * order. Attribute names follow RFC 4519 ({@code sn} is the surname) plus the X.520 names CAs use
 * ({@code serialNumber}, {@code organizationIdentifier}, {@code givenName}, …) or a dotted OID. Text is
 * encoded as UTF8String (Polish letters kept), C / serialNumber as PrintableString.
 */
final class Subjects {
    private static final Map<String, ASN1ObjectIdentifier> EXTRA = Map.of(
            "organizationidentifier", BCStyle.ORGANIZATION_IDENTIFIER, "givenname", BCStyle.GIVENNAME,
            "surname", BCStyle.SURNAME, "emailaddress", BCStyle.EmailAddress, "e", BCStyle.EmailAddress,
            "title", BCStyle.T, "pseudonym", BCStyle.PSEUDONYM, "initials", BCStyle.INITIALS,
            "generationqualifier", BCStyle.GENERATION);
    private static final X500NameStyle STYLE = RFC4519Style.INSTANCE;

    private Subjects() {
    }

    static X500Name parse(String field, JsonNode node) {
        if (node == null) {
            throw HostException.invalidArgument(field, "required subject is missing");
        }
        List<RDN> rdns = new ArrayList<>();
        try {
            if (node.isTextual()) {
                if (node.textValue().isBlank()) {
                    throw HostException.invalidArgument(field, "subject is empty");
                }
                for (String rdnText : splitRdns(node.textValue())) {
                    rdns.add(rdnFromString(field, rdnText));
                }
            } else if (node.isArray() && !node.isEmpty()) {
                for (JsonNode rdn : node) {
                    if (!rdn.isArray() || rdn.isEmpty()) {
                        throw HostException.invalidArgument(field, "each RDN must be a non-empty list of {type, value}");
                    }
                    List<AttributeTypeAndValue> atvs = new ArrayList<>();
                    for (JsonNode atv : rdn) {
                        if (!atv.isObject() || !atv.path("type").isTextual() || !atv.path("value").isTextual() || atv.size() != 2) {
                            throw HostException.invalidArgument(field, "each attribute must be {type, value} strings");
                        }
                        atvs.add(atv(field, atv.get("type").textValue(), atv.get("value").textValue()));
                    }
                    rdns.add(new RDN(atvs.toArray(new AttributeTypeAndValue[0])));
                }
            } else {
                throw HostException.invalidArgument(field, "must be an RFC 4514 string or a list of RDNs");
            }
        } catch (IllegalArgumentException e) {
            throw HostException.invalidArgument(field, "not a distinguished name: " + e.getMessage());
        }
        // RFC 4514 writes the most specific RDN first; the DER sequence starts with the least specific.
        Collections.reverse(rdns);
        return new X500Name(STYLE, rdns.toArray(new RDN[0]));
    }

    /** Splits at unescaped commas (or semicolons), keeping escapes for the value parser. */
    private static List<String> splitRdns(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean escaped = false;
        boolean quoted = false;
        for (char c : text.toCharArray()) {
            if (escaped) {
                cur.append(c);
                escaped = false;
            } else if (c == '\\') {
                cur.append(c);
                escaped = true;
            } else if (c == '"') {
                quoted = !quoted;
                cur.append(c);
            } else if ((c == ',' || c == ';') && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    private static RDN rdnFromString(String field, String text) {
        List<AttributeTypeAndValue> atvs = new ArrayList<>();
        for (String part : text.split("(?<!\\\\)\\+")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw HostException.invalidArgument(field, "expected type=value in '" + part.strip() + "'");
            }
            String value = unescape(field, part.substring(eq + 1).strip());
            atvs.add(atv(field, part.substring(0, eq).strip(), value));
        }
        return new RDN(atvs.toArray(new AttributeTypeAndValue[0]));
    }

    /** RFC 4514 value unescaping: {@code \\,} and friends, {@code \\C4\\85} hex pairs (UTF-8), quotes. */
    private static String unescape(String field, String value) {
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '\\') {
                int cp = value.codePointAt(i); // a letter outside the BMP is two chars: keep them together
                out.writeBytes(Character.toString(cp).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                i += Character.charCount(cp) - 1;
                continue;
            }
            if (i + 1 >= value.length()) {
                throw HostException.invalidArgument(field, "dangling backslash");
            }
            char n = value.charAt(i + 1);
            if (i + 2 < value.length() && Character.digit(n, 16) >= 0 && Character.digit(value.charAt(i + 2), 16) >= 0) {
                out.write(Integer.parseInt(value.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(n).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                i++;
            }
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static AttributeTypeAndValue atv(String field, String type, String value) {
        ASN1ObjectIdentifier oid = oid(field, type);
        if (value.isEmpty()) {
            throw HostException.invalidArgument(field, "empty value for " + type);
        }
        // Checked after unescaping: \E2\80\AE is U+202E too. The subject is shown in the confirmation.
        ShownText.require(field, value);
        ASN1Encodable encoded = oid.equals(BCStyle.EmailAddress) ? new DERIA5String(value, true)
                : STYLE.stringToValue(oid, value);
        return new AttributeTypeAndValue(oid, encoded);
    }

    private static ASN1ObjectIdentifier oid(String field, String type) {
        String lower = type.toLowerCase(Locale.ROOT);
        if (EXTRA.containsKey(lower)) {
            return EXTRA.get(lower);
        }
        if (type.matches("[0-2](\\.[0-9]+)+")) {
            return new ASN1ObjectIdentifier(type);
        }
        try {
            return STYLE.attrNameToOID(type);
        } catch (IllegalArgumentException e) {
            throw HostException.invalidArgument(field, "unknown attribute type '" + type + "'");
        }
    }
}
