package org.cardbridge.token;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * The opaque handles pages pass back. A token handle depends only on what identifies the card (module
 * file name, manufacturer, model, serial, label), so the same card has the same handle after reinsertion
 * and on another computer. Key and certificate handles add the key's CKA_ID or the certificate's hash.
 */
public final class Handles {
    private static final char SEP = '~';

    private Handles() {
    }

    public static String token(String library, Pkcs11.TokenInfo info) {
        String id = moduleName(library) + '\0' + info.manufacturer() + '\0' + info.model() + '\0' + info.serial()
                + '\0' + info.label();
        return "t" + Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(id.getBytes(StandardCharsets.UTF_8)))
                .substring(0, 22);
    }

    /** {@code libsofthsm2.so} and {@code softhsm2.dll} are the same module on two systems. */
    static String moduleName(String library) {
        String name = Path.of(library).getFileName().toString();
        int dot = name.indexOf('.');
        if (dot > 0) {
            name = name.substring(0, dot);
        }
        return name.startsWith("lib") ? name.substring(3) : name;
    }

    public static String key(String token, byte[] ckaId) {
        return token + SEP + "k" + HexFormat.of().formatHex(ckaId);
    }

    public static String certificate(String token, byte[] der) {
        return token + SEP + "c" + HexFormat.of().formatHex(sha256(der), 0, 16);
    }

    /** A parsed key or certificate handle: the token's handle and the object's part. */
    public record ObjectHandle(String token, char kind, String value) {
        public byte[] keyId() {
            return HexFormat.of().parseHex(value);
        }
    }

    /** Splits a key handle; anything malformed is INVALID_ARGUMENT for {@code field}. */
    public static ObjectHandle parseKey(String field, String handle) {
        return parse(field, handle, 'k');
    }

    public static ObjectHandle parseCertificate(String field, String handle) {
        return parse(field, handle, 'c');
    }

    private static ObjectHandle parse(String field, String handle, char kind) {
        int sep = handle.indexOf(SEP);
        if (sep <= 0 || sep + 2 > handle.length() || handle.charAt(sep + 1) != kind) {
            throw HostException.invalidArgument(field, "not a " + (kind == 'k' ? "key" : "certificate") + " handle");
        }
        String value = handle.substring(sep + 2);
        if (value.isEmpty() || value.length() % 2 != 0 || !value.chars().allMatch(Handles::isHexDigit)) {
            throw HostException.invalidArgument(field, "not a " + (kind == 'k' ? "key" : "certificate") + " handle");
        }
        return new ObjectHandle(handle.substring(0, sep), kind, value);
    }

    /** ASCII hex only: Character.digit also takes other scripts' digits, which HexFormat then rejects. */
    private static boolean isHexDigit(int c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new HostException(ErrorCode.INTERNAL_ERROR, "SHA-256 missing", Map.of(), e);
        }
    }
}
