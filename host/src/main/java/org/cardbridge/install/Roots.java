package org.cardbridge.install;

import java.nio.file.Path;
import java.util.Map;

/**
 * Turns the location templates of {@code browsers.json} into paths. {@code home} and {@code system} are
 * injectable so tests and the package build work in temporary directories: an absolute template
 * {@code /etc/x} becomes {@code system/etc/x}; {@code ~/x} becomes {@code home/x}; {@code {config}} is
 * {@code $XDG_CONFIG_HOME} or {@code ~/.config} (as Chromium reads it); {@code %VAR%} are Windows
 * environment variables.
 */
public record Roots(Path home, Path system, Path configHome, Map<String, String> env) {

    /** The real machine: the user's home ($HOME first, as browsers read it), the file-system root, the environment. */
    public static Roots real() {
        String envHome = System.getenv("HOME");
        Path home = Path.of(envHome != null && !envHome.isBlank() ? envHome : System.getProperty("user.home"));
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path config = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".config");
        return new Roots(home, Path.of("/").toAbsolutePath(), config, System.getenv());
    }

    /** A fake machine under temporary directories (tests, package staging). */
    public static Roots of(Path home, Path system) {
        return new Roots(home, system, home.resolve(".config"), Map.of());
    }

    public Roots withSystem(Path newSystem) {
        return new Roots(home, newSystem, configHome, env);
    }

    public Path resolve(String template) {
        String t = template;
        if (t.startsWith("{config}")) {
            return configHome.resolve(strip(t.substring("{config}".length())));
        }
        if (t.equals("~") || t.startsWith("~/")) {
            return home.resolve(strip(t.substring(1)));
        }
        if (t.startsWith("%")) {
            int end = t.indexOf('%', 1);
            String value = end > 0 ? env.get(t.substring(1, end)) : null;
            if (value != null) {
                return Path.of(value, strip(t.substring(end + 1).replace('\\', '/')));
            }
            return system.resolve(strip(t.replace('\\', '/')));
        }
        return system.resolve(strip(t));
    }

    private static String strip(String s) {
        String out = s;
        while (out.startsWith("/")) {
            out = out.substring(1);
        }
        return out;
    }
}
