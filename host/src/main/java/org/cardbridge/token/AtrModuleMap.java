package org.cardbridge.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The ATR → PKCS#11 module map, read from the one data file {@code org/cardbridge/token/atr-modules.json},
 * with the policy's {@code atrModules} laid over it ({@link #with}). Module discovery uses its paths, the
 * token manager picks a card's vendor module by its ATR, and the reader watcher reports the match.
 */
public final class AtrModuleMap {
    /**
     * One module: its name, whether it is the default (OpenSC), ATR patterns, candidate paths for this OS and
     * the product a person installs to get it (empty for the default).
     */
    public record Entry(String name, boolean isDefault, List<AtrPattern> atrs, List<String> paths, String product) {
        public Entry {
            atrs = List.copyOf(atrs);
            paths = List.copyOf(paths);
        }

        /** The first candidate path that is a file here. */
        public Optional<String> installedPath() {
            return paths.stream().filter(p -> Files.isRegularFile(Path.of(p))).findFirst();
        }
    }

    /** An ATR with a mask: a card matches when its ATR has the same length and agrees on every masked bit. */
    public record AtrPattern(byte[] atr, byte[] mask) {
        public boolean matches(byte[] cardAtr) {
            if (cardAtr.length != atr.length) {
                return false;
            }
            for (int i = 0; i < atr.length; i++) {
                if (((cardAtr[i] ^ atr[i]) & mask[i]) != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    private static final String RESOURCE = "/org/cardbridge/token/atr-modules.json";
    private final List<Entry> entries;

    private AtrModuleMap(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** A map that knows no card and no module (tests, and managers given their modules by name). */
    public static AtrModuleMap empty() {
        return new AtrModuleMap(List.of());
    }

    /** The map for this computer's OS, read once, on first use. */
    public static AtrModuleMap current() {
        return Current.MAP;
    }

    /** Holder: the resource is parsed when first asked for, not when the class loads. */
    private static final class Current {
        static final AtrModuleMap MAP = load(Os.current());
    }

    public static AtrModuleMap load(Os os) {
        try (InputStream in = AtrModuleMap.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the host");
            }
            // The host's own reader, not the data-binding mapper: this runs before a browser's first card answer.
            JsonNode root = Json.readTree(in.readAllBytes());
            String osKey = os.name().toLowerCase(Locale.ROOT);
            List<Entry> entries = new ArrayList<>();
            for (JsonNode m : root.path("modules")) {
                List<AtrPattern> atrs = new ArrayList<>();
                for (JsonNode a : m.path("atrs")) {
                    byte[] atr = HexFormat.of().parseHex(a.path("atr").asText());
                    byte[] mask = HexFormat.of().parseHex(a.path("mask").asText());
                    if (atr.length != mask.length) {
                        throw new IllegalStateException(RESOURCE + ": ATR and mask lengths differ for " + m.path("name").asText());
                    }
                    atrs.add(new AtrPattern(atr, mask));
                }
                List<String> paths = new ArrayList<>();
                m.path("paths").path(osKey).forEach(p -> paths.add(p.asText()));
                entries.add(new Entry(m.path("name").asText(), m.path("default").asBoolean(false), atrs, paths,
                        m.path("product").asText("")));
            }
            return new AtrModuleMap(entries);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * This map with the policy's {@code atrModules}: entries named like one of the map's replace it (all its
     * ATRs and paths: the administrator's list is the whole truth for that module), others are added; several
     * policy entries of one name are one module with several ATRs. Policy entries come first, so they win a
     * match.
     */
    public AtrModuleMap with(List<Policy.AtrModule> overrides) {
        if (overrides.isEmpty()) {
            return this;
        }
        Map<String, Entry> fromPolicy = new LinkedHashMap<>();
        for (Policy.AtrModule m : overrides) {
            String key = m.name().toLowerCase(Locale.ROOT);
            Entry was = fromPolicy.get(key);
            List<AtrPattern> atrs = new ArrayList<>(was == null ? List.of() : was.atrs());
            atrs.add(new AtrPattern(m.atr(), m.mask()));
            List<String> paths = new ArrayList<>(was == null ? List.of() : was.paths());
            m.paths().stream().filter(p -> !paths.contains(p)).forEach(paths::add);
            fromPolicy.put(key, new Entry(m.name(), false, atrs, paths, m.product()));
        }
        List<Entry> merged = new ArrayList<>(fromPolicy.values());
        entries.stream().filter(e -> !fromPolicy.containsKey(e.name().toLowerCase(Locale.ROOT))).forEach(merged::add);
        return new AtrModuleMap(merged);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The first vendor (not default) module whose ATR patterns match the card's ATR. */
    public Optional<Entry> vendorFor(byte[] atr) {
        return match(atr).stream().filter(e -> !e.isDefault()).findFirst();
    }

    /** Modules whose ATR patterns match the card's ATR. */
    public List<Entry> match(byte[] atr) {
        return entries.stream().filter(e -> e.atrs().stream().anyMatch(p -> p.matches(atr))).toList();
    }

    /** The default module's (OpenSC's) candidate paths on this OS. */
    public List<String> defaultPaths() {
        return entries.stream().filter(Entry::isDefault).flatMap(e -> e.paths().stream()).toList();
    }

    /** Vendor modules' candidate paths on this OS. */
    public List<String> vendorPaths() {
        return entries.stream().filter(e -> !e.isDefault()).flatMap(e -> e.paths().stream()).toList();
    }
}
