package org.cardbridge.install;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Windows registry as far as native messaging needs it: the default value of
 * {@code HKCU|HKLM\<browser key>\org.cardbridge.host} is the manifest's path.
 *
 * <p>A 64-bit Windows keeps two views of {@code HKLM\SOFTWARE}, and browsers read both (in the order
 * {@link BrowserCatalog.Family#registrySearch()} gives), so reads name a view. Writes go to the 64-bit
 * view, the one a 64-bit MSI and a 64-bit host's {@code reg.exe} use.
 */
public interface Registry {

    /** The two views of a 64-bit Windows; {@code BITS_32} is what 32-bit programs see (WOW6432Node). */
    enum View {
        BITS_32, BITS_64
    }

    Optional<String> defaultValue(String key, View view);

    /** Sets the key's default value (a string) in the 64-bit view, creating the key. */
    void putDefault(String key, String value) throws IOException;

    /** Deletes the key from the 64-bit view. */
    void delete(String key) throws IOException;

    /** {@code reg.exe}, present on every Windows since XP; keeps the host free of JNI. */
    static Registry regExe() {
        return new RegExe(List.of("reg"), System.getenv());
    }

    /** Tests: {@code reg.exe} started by another command (Wine's, on Linux), expanding from {@code env}. */
    static Registry regExe(List<String> command, Map<String, String> env) {
        return new RegExe(command, env);
    }
}
