package org.cardbridge.install;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.platform.Os;
import org.cardbridge.protocol.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The browsers CardBridge registers with, read from {@code browsers.json} next to this class: the one
 * place that says where each browser looks for native-messaging manifests on each OS.
 */
public record BrowserCatalog(String hostName, String description, List<Browser> browsers) {
    public static final String RESOURCE = "browsers.json";

    /**
     * Chrome-family manifests carry {@code allowed_origins}; Firefox ones {@code allowed_extensions}. On
     * Windows each family's code searches the registry in its own order: per place below, the keys
     * browsers.json lists. Chromium (native_process_launcher_win.cc): HKCU, then HKLM, each in the 32-bit
     * view first. Firefox (NativeManifests.sys.mjs): HKCU's 64-bit view, then HKLM's 32-bit and 64-bit.
     */
    public enum Family {
        CHROME(List.of(new RegistryPlace(Scope.USER, Registry.View.BITS_32), new RegistryPlace(Scope.USER, Registry.View.BITS_64),
                new RegistryPlace(Scope.SYSTEM, Registry.View.BITS_32), new RegistryPlace(Scope.SYSTEM, Registry.View.BITS_64))),
        FIREFOX(List.of(new RegistryPlace(Scope.USER, Registry.View.BITS_64),
                new RegistryPlace(Scope.SYSTEM, Registry.View.BITS_32), new RegistryPlace(Scope.SYSTEM, Registry.View.BITS_64)));

        private final List<RegistryPlace> registrySearch;

        Family(List<RegistryPlace> registrySearch) {
            this.registrySearch = registrySearch;
        }

        public List<RegistryPlace> registrySearch() {
            return registrySearch;
        }
    }

    /** A hive (HKCU for {@code USER}, HKLM for {@code SYSTEM}) in one registry view. */
    public record RegistryPlace(Scope scope, Registry.View view) {
        public String hive() {
            return scope == Scope.USER ? "HKCU" : "HKLM";
        }
    }

    /** How much of native messaging works for a sandboxed (Snap/Flatpak) build of a browser. */
    public enum SandboxSupport {
        NONE, PORTAL
    }

    public record Sandbox(String name, SandboxSupport support) {
    }

    /** Where one browser looks on one OS. Directory lists and registry keys are in the browser's search order. */
    public record Locations(List<String> user, List<String> system, List<String> registry, List<String> detect,
                            Optional<Sandbox> snap, Optional<Sandbox> flatpak) {
    }

    public record Browser(String id, String name, Family family, Map<Os, Locations> locations) {
        public Optional<Locations> on(Os os) {
            return Optional.ofNullable(locations.get(os));
        }
    }

    public BrowserCatalog {
        browsers = List.copyOf(browsers);
    }

    public static BrowserCatalog load() {
        try (InputStream in = BrowserCatalog.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the host's resources");
            }
            return parse(Json.mapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BrowserCatalog parse(JsonNode root) {
        List<Browser> out = new ArrayList<>();
        for (JsonNode b : root.path("browsers")) {
            Map<Os, Locations> byOs = new EnumMap<>(Os.class);
            for (Os os : Os.values()) {
                JsonNode l = b.get(os.name().toLowerCase(java.util.Locale.ROOT));
                if (l != null) {
                    byOs.put(os, new Locations(strings(l, "user"), strings(l, "system"), strings(l, "registry"),
                            strings(l, "detect"), sandbox(l.get("snap"), "name"), sandbox(l.get("flatpak"), "id")));
                }
            }
            out.add(new Browser(b.path("id").asText(), b.path("name").asText(),
                    Family.valueOf(b.path("family").asText().toUpperCase(java.util.Locale.ROOT)), byOs));
        }
        return new BrowserCatalog(root.path("hostName").asText(), root.path("description").asText(), out);
    }

    /**
     * Windows: every registry key a browser reads for this host (under HKCU for one user, HKLM for all;
     * written here without the hive), in file order, with the manifest family that key must point to.
     * The installer, the MSI build and doctor all take the keys from here.
     *
     * @throws IllegalStateException if browsers.json has a Chrome-family and a Firefox browser reading one key
     */
    public Map<String, Family> windowsHostKeys() {
        Map<String, Family> keys = new java.util.LinkedHashMap<>();
        for (Browser b : browsers) {
            for (String k : b.on(Os.WINDOWS).map(Locations::registry).orElse(List.of())) {
                Family before = keys.putIfAbsent(k + "\\" + hostName, b.family());
                if (before != null && before != b.family()) {
                    throw new IllegalStateException("browsers.json: Chrome-family and Firefox browsers share the registry key " + k);
                }
            }
        }
        return keys;
    }

    public Optional<Browser> browser(String id) {
        return browsers.stream().filter(b -> b.id().equals(id)).findFirst();
    }

    private static List<String> strings(JsonNode node, String field) {
        List<String> out = new ArrayList<>();
        node.path(field).forEach(v -> out.add(v.asText()));
        return List.copyOf(out);
    }

    private static Optional<Sandbox> sandbox(JsonNode node, String nameField) {
        if (node == null) {
            return Optional.empty();
        }
        return Optional.of(new Sandbox(node.path(nameField).asText(),
                SandboxSupport.valueOf(node.path("support").asText().toUpperCase(java.util.Locale.ROOT))));
    }
}
