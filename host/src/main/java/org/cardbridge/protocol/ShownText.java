package org.cardbridge.protocol;

import java.util.Locale;

/**
 * Text from a page that a host window shows (a signature's {@code description}, a new key's {@code label},
 * the values of a request's {@code subject}). A window must show what the text says, so characters that
 * change how the rest is drawn or that cannot be seen are refused, not dropped or drawn differently:
 * <ul>
 *   <li>bidi controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C): {@code abc\u202Egpj.exe} is
 *       drawn as "abcexe.jpg";</li>
 *   <li>every other format character (Unicode category Cf: zero-width spaces and joiners, the soft hyphen,
 *       U+FEFF, tag characters, …): invisible, so two texts that look the same can differ;</li>
 *   <li>control characters (Cc), NUL, tab and line breaks included, and the line and paragraph separators
 *       (Zl, Zp): they could start a new line that looks like a line of the window's own;</li>
 *   <li>lone surrogates (Cs), which are not text at all.</li>
 * </ul>
 * Letters, digits, punctuation, symbols and spaces of every script (Polish letters included) pass.
 */
public final class ShownText {
    private ShownText() {
    }

    /** {@code value} when a window may show it; otherwise INVALID_ARGUMENT naming {@code field} and the character. */
    public static String require(String field, String value) {
        String problem = problem(value);
        if (problem != null) {
            throw HostException.invalidArgument(field, problem);
        }
        return value;
    }

    /**
     * Null when a window may show {@code value}; else what is wrong with it, naming the first character refused
     * ("contains U+202E, a bidi control, …").
     */
    public static String problem(String value) {
        for (int i = 0; i < value.length(); ) {
            int cp = value.codePointAt(i);
            String kind = kind(cp);
            if (kind != null) {
                return "contains " + codePoint(cp) + ", " + kind
                        + ", which would make the host's window show something other than the text; remove it";
            }
            i += Character.charCount(cp);
        }
        return null;
    }

    /** What kind of refused character {@code cp} is, or null when it may be shown. */
    static String kind(int cp) {
        if (isBidiControl(cp)) {
            return "a bidi control";
        }
        return switch (Character.getType(cp)) {
            case Character.FORMAT -> "an invisible format character";
            case Character.CONTROL -> "a control character";
            case Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> "a line break";
            case Character.SURROGATE -> "a lone surrogate";
            default -> null;
        };
    }

    private static boolean isBidiControl(int cp) {
        return cp >= 0x202A && cp <= 0x202E || cp >= 0x2066 && cp <= 0x2069 || cp == 0x200E || cp == 0x200F || cp == 0x061C;
    }

    private static String codePoint(int cp) {
        return "U+" + String.format(Locale.ROOT, "%04X", cp);
    }
}
