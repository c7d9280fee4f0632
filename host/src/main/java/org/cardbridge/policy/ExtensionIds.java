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
        policy.extraExtensionIds().forEach(id -> {
            if (id.matches("[a-p]{32}")) {
                out.add("chrome-extension://" + id + "/");
            }
        });
        return out;
    }

    public static Set<String> firefoxIds(Policy policy) {
        var out = new java.util.HashSet<String>();
        out.add(FIREFOX);
        out.addAll(policy.extraExtensionIds());
        return out;
    }
}
