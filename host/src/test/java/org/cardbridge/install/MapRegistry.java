package org.cardbridge.install;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The Windows registry as two maps, one per view (reg.exe exists only on Windows; WineRegistryIT runs the
 * real one under Wine): tests check which keys get which file and which registration a browser finds.
 */
record MapRegistry(Map<String, String> values, Map<String, String> values32) implements Registry {
    /** The 64-bit view in {@code values}; an empty 32-bit view. */
    MapRegistry(Map<String, String> values) {
        this(values, new HashMap<>());
    }

    @Override
    public Optional<String> defaultValue(String key, View view) {
        return Optional.ofNullable((view == View.BITS_32 ? values32 : values).get(key));
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
