package org.cardbridge.install;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeSet;

/**
 * Builds the two host manifests. Chrome-family browsers want {@code allowed_origins}; Firefox wants
 * {@code allowed_extensions} and rejects a manifest that also has {@code allowed_origins}, so each family
 * gets its own file. The extension ids come from {@link ExtensionIds} (plus a CA's branded ids from the
 * policy, each into the family whose form it has), the ids the host accepts at start-up.
 */
public final class Manifests {
    private final BrowserCatalog catalog;

    public Manifests(BrowserCatalog catalog) {
        this.catalog = catalog;
    }

    public ObjectNode manifest(BrowserCatalog.Family family, String hostPath, Policy policy) {
        ObjectNode m = Json.mapper().createObjectNode();
        m.put("name", catalog.hostName());
        m.put("description", catalog.description());
        m.put("path", hostPath);
        m.put("type", "stdio");
        ArrayNode allowed = m.putArray(listName(family));
        // Sorted with ours first so the files are byte-for-byte reproducible (the package build diffs them).
        allowed.add(family == BrowserCatalog.Family.CHROME ? ExtensionIds.CHROME_ORIGIN : ExtensionIds.FIREFOX);
        policyIds(family, policy).forEach(allowed::add);
        return m;
    }

    /** The list a manifest of this family allows extensions in. */
    static String listName(BrowserCatalog.Family family) {
        return family == BrowserCatalog.Family.CHROME ? "allowed_origins" : "allowed_extensions";
    }

    /**
     * The ids the policy adds that a manifest of this family lists after ours, sorted, in the list's form
     * (Chrome: origins). Firefox gets only Firefox add-on ids: one entry of another form (a CA's Chrome id)
     * makes Firefox reject the whole file. doctor checks a manifest against the same list.
     */
    static List<String> policyIds(BrowserCatalog.Family family, Policy policy) {
        TreeSet<String> ids = new TreeSet<>(family == BrowserCatalog.Family.CHROME ? ExtensionIds.chromeOrigins(policy)
                : ExtensionIds.firefoxIds(policy).stream().filter(ExtensionIds::isFirefoxId).toList());
        ids.remove(family == BrowserCatalog.Family.CHROME ? ExtensionIds.CHROME_ORIGIN : ExtensionIds.FIREFOX);
        return List.copyOf(ids);
    }

    public byte[] bytes(BrowserCatalog.Family family, String hostPath, Policy policy) {
        try {
            String text = Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(manifest(family, hostPath, policy));
            return (text + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String fileName() {
        return catalog.hostName() + ".json";
    }
}
