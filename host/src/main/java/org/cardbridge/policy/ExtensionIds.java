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
    static boolean isChromeId(String id) {
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

    public static Set<String> firefoxIds(Policy policy) {
        var out = new java.util.HashSet<String>();
        out.add(FIREFOX);
        out.addAll(policy.extraExtensionIds());
        return out;
    }
}
