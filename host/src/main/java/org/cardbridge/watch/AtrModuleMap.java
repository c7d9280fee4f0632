package org.cardbridge.watch;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.platform.Os;
import org.cardbridge.protocol.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The ATR → PKCS#11 module map, read from the one data file
 * {@code org/cardbridge/token/atr-modules.json}: an array of
 * {@code {atr, mask?, name, modules:{linux:[…], windows:[…], macos:[…]}}}. Hex may contain {@code :} or
 * spaces; a mask (same length as the ATR) selects the bits that must match, so one entry covers a card
 * family whose ATR carries a version or chip byte. The first matching entry wins.
 */
public final class AtrModuleMap {
    // MERGE STOP-GAP (ext branch): token and vcard both created token/atr-modules.json in different formats;
    // the watcher reads its own copy until the lead unifies them into one file and one class.
    public static final String RESOURCE = "/org/cardbridge/watch/atr-modules.json";

    /** One card family and the modules that serve it on each OS, most specific first. */
    public record Entry(String name, byte[] atr, byte[] mask, Map<Os, List<String>> modules) {
        boolean matches(byte[] candidate) {
            if (candidate.length != atr.length) {
                return false;
            }
            for (int i = 0; i < atr.length; i++) {
                if ((candidate[i] & mask[i]) != (atr[i] & mask[i])) {
                    return false;
                }
            }
            return true;
        }

        /**
         * The module to use here: the first listed path that exists, else the first name as written
         * (a bare library name the OS loader resolves), empty when the entry names none for this OS.
         */
        public Optional<String> moduleFor(Os os) {
            List<String> candidates = modules.getOrDefault(os, List.of());
            for (String candidate : candidates) {
                Path p = Path.of(candidate);
                if (p.isAbsolute() && Files.isRegularFile(p)) {
                    return Optional.of(candidate);
                }
            }
            return candidates.stream().filter(c -> !Path.of(c).isAbsolute()).findFirst()
                    .or(() -> candidates.stream().findFirst());
        }
    }

    private final List<Entry> entries;

    public AtrModuleMap(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** The map shipped with the host. A broken file is a build error, caught by the tests. */
    public static AtrModuleMap standard() {
        try (InputStream in = AtrModuleMap.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the host");
            }
            return parse(Json.mapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    static AtrModuleMap parse(JsonNode root) {
        if (!root.isArray()) {
            throw new IllegalArgumentException("the ATR map must be a JSON array");
        }
        List<Entry> entries = new ArrayList<>();
        for (JsonNode node : root) {
            String name = node.path("name").asText("");
            byte[] atr = hex(node.path("atr").asText(""));
            if (name.isEmpty() || atr.length == 0) {
                throw new IllegalArgumentException("an ATR map entry needs a name and an atr: " + node);
            }
            byte[] mask;
            if (node.hasNonNull("mask")) {
                mask = hex(node.get("mask").asText());
                if (mask.length != atr.length) {
                    throw new IllegalArgumentException(name + ": mask and atr differ in length");
                }
            } else {
                mask = new byte[atr.length];
                java.util.Arrays.fill(mask, (byte) 0xFF);
            }
            Map<Os, List<String>> modules = new java.util.EnumMap<>(Os.class);
            JsonNode m = node.path("modules");
            for (Os os : Os.values()) {
                List<String> list = new ArrayList<>();
                m.path(os.name().toLowerCase(Locale.ROOT)).forEach(v -> list.add(v.asText()));
                modules.put(os, List.copyOf(list));
            }
            entries.add(new Entry(name, atr, mask, modules));
        }
        return new AtrModuleMap(entries);
    }

    public Optional<Entry> match(byte[] atr) {
        return entries.stream().filter(e -> e.matches(atr)).findFirst();
    }

    public List<Entry> entries() {
        return entries;
    }

    static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(":", "").replace(" ", ""));
    }
}
