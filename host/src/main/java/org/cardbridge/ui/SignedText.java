package org.cardbridge.ui;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * What-you-sign-is-what-you-see: data to be signed is shown as text only when the text shown is exactly the
 * bytes signed, and reads the same to the person as to the software. That is: valid UTF-8 (strictly decoded,
 * nothing replaced), no byte-order mark, and no character that is invisible or moves other text — control
 * characters other than line feed and tab (a carriage return, a NUL), Unicode format characters (bidi
 * overrides and isolates, zero-width characters), line and paragraph separators — and not larger than a
 * person could read in a window. Anything else is treated as binary: the window shows the page's
 * description and the fingerprint, labelled as such.
 */
public final class SignedText {
    /** 256 KiB: far above an application form, far below what would stall the window. */
    public static final int MAX_BYTES = 256 * 1024;

    private SignedText() {
    }

    /** The text the bytes are, or null when they are not text to show as is. */
    public static String of(byte[] data) {
        if (data.length == 0 || data.length > MAX_BYTES) {
            return null;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (c == '\n' || c == '\t') {
                continue;
            }
            int type = Character.getType(c);
            if (Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.UNASSIGNED || type == Character.PRIVATE_USE
                    || type == Character.SURROGATE) {
                return null;
            }
        }
        return text.isBlank() ? null : text;
    }

    /** A fingerprint for people: hex in groups of four, e.g. {@code 3f2a 9b01 …}. */
    public static String fingerprint(byte[] hash) {
        String hex = java.util.HexFormat.of().formatHex(hash);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < hex.length(); i += 4) {
            if (i > 0) {
                out.append(' ');
            }
            out.append(hex, i, Math.min(hex.length(), i + 4));
        }
        return out.toString();
    }
}
