package org.cardbridge.policy;

import java.util.Set;

/**
 * The one place that names our extension. The Chrome id follows from the public key pinned in
 * extension/manifest.json ({@code key}); the Firefox id is the add-on id in its gecko settings.
 */
public final class ExtensionIds {
    public static final String CHROME = "ofgjjddghmifhcdedhlchefmbecfflch";
    public static final String FIREFOX = "cardbridge@cardbridge.org";
    public static final String CHROME_ORIGIN = "chrome-extension://" + CHROME + "/";

    private ExtensionIds() {
    }

    /** Chrome-family caller origins we serve: ours, plus any a CA's branded build adds in the policy. */
    public static Set<String> chromeOrigins(Policy policy) {
        var out = new java.util.HashSet<String>();
        out.add(CHROME_ORIGIN);
        for (String id : policy.extraExtensionIds()) {
            if (isChromeId(id)) {
                out.add("chrome-extension://" + id + "/");
            }
        }
        return out;
    }

    /** [a-p]{32}, checked by hand: no regular expression is compiled at a host start. */
    public static boolean isChromeId(String id) {
        if (id.length() != 32) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            if (id.charAt(i) < 'a' || id.charAt(i) > 'p') {
                return false;
            }
        }
        return true;
    }

    /**
     * What Firefox accepts as an add-on id (its schema type {@code manifest.ExtensionID}, which also types
     * a host manifest's {@code allowed_extensions}): a GUID in braces, or {@code name@domain} of ASCII
     * letters, digits and {@code - . _} (case-insensitive, the part before the {@code @} may be empty).
     * Firefox rejects a whole host manifest whose {@code allowed_extensions} lists anything else — a
     * Chrome id, say.
     */
    public static boolean isFirefoxId(String id) {
        if (id.length() == 38 && id.charAt(0) == '{' && id.charAt(37) == '}') {
            for (int i = 1; i < 37; i++) {
                char c = id.charAt(i);
                boolean dash = i == 9 || i == 14 || i == 19 || i == 24;
                if (dash ? c != '-' : !(isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                    return false;
                }
            }
            return true;
        }
        int at = id.indexOf('@');
        if (at < 0 || at == id.length() - 1) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (i != at && !(isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * Add-on ids the host serves when Firefox starts it: ours plus every id the policy adds, whatever its
     * form (one that is no Firefox id can never be presented, so accepting it costs nothing).
     */
    public static Set<String> firefoxIds(Policy policy) {
        var out = new java.util.HashSet<String>();
        out.add(FIREFOX);
        out.addAll(policy.extraExtensionIds());
        return out;
    }
}
