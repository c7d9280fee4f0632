package org.cardbridge.policy;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.protocol.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.TreeSet;
import org.cardbridge.log.Level;
import org.cardbridge.log.Log;

/**
 * Origins a user allowed to read their cards and asked us to remember (per user, in the state
 * directory). Only {@code read} is ever remembered; sign and enroll need the policy.
 */
public final class ConsentStore {
    private static final Log LOG = Log.get(ConsentStore.class);
    private final Path file;

    public ConsentStore(Path file) {
        this.file = file;
    }

    public synchronized boolean allowsRead(Origin origin) {
        return load().contains(origin.toString());
    }

    public synchronized void rememberRead(Origin origin) {
        Set<String> origins = load();
        origins.add(origin.toString());
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "consent", ".tmp");
            Files.write(tmp, Json.writeValue(java.util.Map.of("read", origins))); // no data-binding mapper on a browser's path
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remember consent", e);
        }
    }

    private Set<String> load() {
        Set<String> out = new TreeSet<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        try {
            JsonNode root = Json.readFile(Files.readAllBytes(file));
            JsonNode read = root == null ? null : root.get("read");
            if (read != null && read.isArray()) {
                read.forEach(n -> out.add(n.asText()));
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "ignoring unreadable consent file " + file, e);
        }
        return out;
    }
}
