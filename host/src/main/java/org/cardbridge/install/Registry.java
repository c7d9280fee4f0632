package org.cardbridge.install;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The Windows registry as far as native messaging needs it: the default value of
 * {@code HKCU|HKLM\<browser key>\org.cardbridge.host} is the manifest's path.
 */
public interface Registry {
    Optional<String> defaultValue(String key);

    void putDefault(String key, String value) throws IOException;

    void delete(String key) throws IOException;

    /** {@code reg.exe}, present on every Windows since XP; keeps the host free of JNI. */
    static Registry regExe() {
        return new Registry() {
            @Override
            public Optional<String> defaultValue(String key) {
                try {
                    String out = run(List.of("reg", "query", key, "/ve"));
                    for (String line : out.split("\\R")) {
                        int at = line.indexOf("REG_SZ");
                        if (at >= 0) {
                            return Optional.of(line.substring(at + "REG_SZ".length()).trim());
                        }
                    }
                } catch (IOException e) {
                    // Absent key: reg exits non-zero.
                }
                return Optional.empty();
            }

            @Override
            public void putDefault(String key, String value) throws IOException {
                run(List.of("reg", "add", key, "/ve", "/t", "REG_SZ", "/d", value, "/f"));
            }

            @Override
            public void delete(String key) throws IOException {
                if (defaultValue(key).isPresent()) {
                    run(List.of("reg", "delete", key, "/f"));
                }
            }

            private String run(List<String> command) throws IOException {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
                try {
                    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                        throw new IOException(String.join(" ", command) + ": " + out.strip());
                    }
                    return out;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        };
    }
}
