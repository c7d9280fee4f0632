package org.cardbridge.install;

import java.util.Map;
import java.util.Optional;

/** The Windows registry as a map (reg.exe exists only on Windows): tests check which keys get which file. */
record MapRegistry(Map<String, String> values) implements Registry {
    @Override
    public Optional<String> defaultValue(String key) {
        return Optional.ofNullable(values.get(key));
    }

    @Override
    public void putDefault(String key, String value) {
        values.put(key, value);
    }

    @Override
    public void delete(String key) {
        values.remove(key);
    }
}
