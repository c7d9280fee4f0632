package org.cardbridge.install;

import org.cardbridge.install.Finding.Status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code doctor} for Firefox as a Snap or a Flatpak: what the person must allow, and what can be checked
 * of it from outside the sandbox. Such a Firefox cannot start the host itself; a service outside does
 * (docs/install.md, "How Snap and Flatpak Firefox start the host"):
 * <ul>
 * <li>Snap: Ubuntu's WebExtensions portal in xdg-desktop-portal. It asks "Allow Firefox to start
 * WebExtension backend?" once and keeps the answer in the permission store, table {@code webextensions},
 * entry = the host's name, app {@code snap.firefox} (ubuntu/xdg-desktop-portal nmp-1.18-backport,
 * src/web-extensions.c {@code handle_start_in_thread}; src/xdp-utils.c:816 for the app id). Firefox uses it
 * unless {@code widget.use-xdg-desktop-portal.native-messaging} is 0.
 * <li>Flatpak, from Firefox 157 (Mozilla bug 1955255): xdg-native-messaging-proxy on the session bus as
 * {@code org.freedesktop.NativeMessagingProxy}; the Flatpak must be allowed to talk to that name, and
 * Firefox uses it when {@code widget.use-xdg-desktop-portal.native-messaging-proxy} is 1 (or 2).
 * </ul>
 * Files are read through {@link Roots}, so tests use a fake machine; the permission store is asked (over
 * D-Bus, with gdbus) only through {@link Permissions}.
 */
final class SandboxedFirefox {
    static final String PORTAL_INTERFACE = "/usr/share/dbus-1/interfaces/org.freedesktop.portal.WebExtensions.xml";
    static final String PROXY_NAME = "org.freedesktop.NativeMessagingProxy";
    static final List<String> PROXY_SERVICE = List.of("/usr/share/dbus-1/services/" + PROXY_NAME + ".service",
            "/usr/local/share/dbus-1/services/" + PROXY_NAME + ".service", "~/.local/share/dbus-1/services/" + PROXY_NAME + ".service");
    static final String SNAP_PREF = "widget.use-xdg-desktop-portal.native-messaging";
    static final String PROXY_PREF = "widget.use-xdg-desktop-portal.native-messaging-proxy";
    static final int PROXY_SINCE = 157;

    /** The answer kept in the portal's permission store for an app: "yes", "no", "ask"; empty if none or unknown. */
    interface Permissions {
        Optional<String> lookup(String table, String id, String app);
    }

    /**
     * The environment systemd's user manager gives its services — the portal's and the proxy's, and so the
     * host's when they start it (their unit files set none of their own); empty where unknown.
     */
    interface ServiceEnvironment {
        Optional<java.util.Map<String, String>> get();
    }

    private final Roots roots;
    private final DoctorTexts texts;
    private final String hostName;
    private final Permissions permissions;
    private final ServiceEnvironment serviceEnvironment;

    SandboxedFirefox(Roots roots, DoctorTexts texts, String hostName, Permissions permissions, ServiceEnvironment serviceEnvironment) {
        this.roots = roots;
        this.texts = texts;
        this.hostName = hostName;
        this.permissions = permissions;
        this.serviceEnvironment = serviceEnvironment;
    }

    /** The real machine's store and user manager; a fake root (tests, package staging) asks neither. */
    static SandboxedFirefox of(Roots roots, DoctorTexts texts, String hostName) {
        boolean real = roots.system().equals(Path.of("/").toAbsolutePath());
        return new SandboxedFirefox(roots, texts, hostName, real ? SandboxedFirefox::gdbusLookup : (t, i, a) -> Optional.empty(),
                real ? SandboxedFirefox::userManagerEnvironment : Optional::empty);
    }

    /**
     * The host's PIN and confirmation windows are Swing, which needs an X display (XWayland under
     * Wayland): started by the portal or the proxy, the host has only what the user manager has.
     */
    private Optional<Finding> display(String id, String name) {
        return serviceEnvironment.get().filter(env -> env.getOrDefault("DISPLAY", "").isEmpty())
                .map(env -> texts.finding(Status.FAIL, "doctor.sandbox.noDisplay", id, "sandbox.noDisplay", name));
    }

    /** Snap Firefox ({@code snap}: the Snap's name): the portal is there, Firefox uses it, and was allowed. */
    List<Finding> snap(String id, String name, String snap) {
        List<Finding> out = new ArrayList<>();
        boolean portal = Files.isRegularFile(roots.resolve(PORTAL_INTERFACE));
        if (!portal && proxyService().isEmpty()) {
            out.add(texts.finding(Status.FAIL, "doctor.sandbox.noPortal", id, "sandbox.noPortal", name, snap, PORTAL_INTERFACE));
        }
        for (Path prefs : prefFiles("~/snap/" + snap + "/common/.mozilla/firefox")) {
            if (pref(prefs, SNAP_PREF).filter("0"::equals).isPresent()) {
                out.add(texts.finding(Status.FAIL, "doctor.sandbox.prefOff", id, "sandbox.prefOff", name, snap, prefs.getParent(), SNAP_PREF));
            }
        }
        Optional<String> answer = permissions.lookup("webextensions", hostName, "snap." + snap);
        if (answer.filter("no"::equals).isPresent()) {
            out.add(texts.finding(Status.FAIL, "doctor.sandbox.denied", id, "sandbox.denied", name, "snap." + snap, hostName));
        } else if (answer.filter("yes"::equals).isPresent()) {
            out.add(texts.finding(Status.OK, "doctor.sandbox.allowed", id, null, name, "snap." + snap, hostName));
        }
        display(id, name).ifPresent(out::add);
        return out;
    }

    /** Flatpak Firefox ({@code app}: its Flatpak id): the proxy, the permission to talk to it, the pref, the version. */
    List<Finding> flatpak(String id, String name, String app) {
        List<Finding> out = new ArrayList<>();
        out.add(texts.finding(Status.INFO, "doctor.flatpak.proxy", id, null, name, app));
        if (proxyService().isEmpty()) {
            out.add(texts.finding(Status.FAIL, "doctor.flatpak.noProxy", id, "flatpak.noProxy", name, app,
                    roots.resolve(PROXY_SERVICE.getFirst())));
        }
        if (!"talk".equals(busPolicy(app))) {
            out.add(texts.finding(Status.FAIL, "doctor.flatpak.noTalk", id, "flatpak.noTalk", name, app, PROXY_NAME));
        }
        firefoxVersion(app).filter(v -> v < PROXY_SINCE).ifPresent(v ->
                out.add(texts.finding(Status.FAIL, "doctor.flatpak.old", id, "flatpak.old", name, app, Integer.toString(v),
                        Integer.toString(PROXY_SINCE))));
        List<Path> profiles = new ArrayList<>(prefFiles("~/.var/app/" + app + "/.mozilla/firefox"));
        profiles.addAll(prefFiles("~/.var/app/" + app + "/config/mozilla/firefox"));
        for (Path prefs : profiles) {
            Optional<String> v = pref(prefs, PROXY_PREF);
            if (v.isEmpty() || !(v.get().equals("1") || v.get().equals("2"))) {
                out.add(texts.finding(Status.WARN, "doctor.flatpak.prefOff", id, "flatpak.prefOff", name, app, prefs.getParent(), PROXY_PREF));
            }
        }
        display(id, name).ifPresent(out::add);
        return out;
    }

    private Optional<Path> proxyService() {
        return PROXY_SERVICE.stream().map(roots::resolve).filter(Files::isRegularFile).findFirst();
    }

    /**
     * The Flatpak's session-bus policy for the proxy's name as Flatpak applies it: the app's metadata, then
     * the system-wide overrides (global, then the app's), then the user's; the last one that names it wins.
     */
    String busPolicy(String app) {
        String policy = null;
        for (String file : List.of("/var/lib/flatpak/app/" + app + "/current/active/metadata",
                "~/.local/share/flatpak/app/" + app + "/current/active/metadata",
                "/var/lib/flatpak/overrides/global", "/var/lib/flatpak/overrides/" + app,
                "~/.local/share/flatpak/overrides/global", "~/.local/share/flatpak/overrides/" + app)) {
            String section = "";
            for (String line : lines(roots.resolve(file))) {
                String l = line.strip();
                if (l.startsWith("[") && l.endsWith("]")) {
                    section = l;
                } else if (section.equals("[Session Bus Policy]") && l.startsWith(PROXY_NAME + "=")) {
                    policy = l.substring(PROXY_NAME.length() + 1).strip();
                }
            }
        }
        return policy;
    }

    /** The major version in the Flatpak's application.ini, where its files can be read. */
    Optional<Integer> firefoxVersion(String app) {
        for (String base : List.of("/var/lib/flatpak/app/", "~/.local/share/flatpak/app/")) {
            for (String line : lines(roots.resolve(base + app + "/current/active/files/lib/firefox/application.ini"))) {
                Matcher m = Pattern.compile("^Version=(\\d+)").matcher(line);
                if (m.find()) {
                    return Optional.of(Integer.parseInt(m.group(1)));
                }
            }
        }
        return Optional.empty();
    }

    /** Every profile's prefs.js under a Firefox folder (the profiles are its subfolders). */
    private List<Path> prefFiles(String firefoxDir) {
        Path dir = roots.resolve(firefoxDir);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.resolve("prefs.js")).filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** A preference's value as Firefox saved it: {@code user_pref("name", value);}. */
    static Optional<String> pref(Path prefsJs, String name) {
        String prefix = "user_pref(\"" + name + "\",";
        Optional<String> value = Optional.empty();
        for (String line : lines(prefsJs)) {
            String l = line.strip();
            if (l.startsWith(prefix) && l.endsWith(");")) {
                value = Optional.of(l.substring(prefix.length(), l.length() - 2).strip());
            }
        }
        return value;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of();
        }
    }

    /**
     * Asks the permission store (org.freedesktop.impl.portal.PermissionStore.Lookup) with gdbus; its
     * answer looks like {@code ({'snap.firefox': ['yes']}, <byte 0x00>)}, an error when nothing was ever
     * asked. No session bus, no gdbus, no answer within 3 s: unknown.
     */
    static Optional<String> gdbusLookup(String table, String id, String app) {
        try {
            Process p = new ProcessBuilder("gdbus", "call", "--session", "--timeout", "3",
                    "--dest", "org.freedesktop.impl.portal.PermissionStore",
                    "--object-path", "/org/freedesktop/impl/portal/PermissionStore",
                    "--method", "org.freedesktop.impl.portal.PermissionStore.Lookup", table, id)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return p.exitValue() == 0 ? permissionIn(out, app) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** {@code systemctl --user show-environment}: NAME=value lines; no systemd, no answer within 5 s: unknown. */
    static Optional<java.util.Map<String, String>> userManagerEnvironment() {
        try {
            Process p = new ProcessBuilder("systemctl", "--user", "show-environment")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return p.exitValue() == 0 ? Optional.of(environmentIn(out)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    static java.util.Map<String, String> environmentIn(String showEnvironment) {
        java.util.Map<String, String> env = new java.util.HashMap<>();
        for (String line : showEnvironment.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    static Optional<String> permissionIn(String gdbusOutput, String app) {
        Matcher m = Pattern.compile("'" + Pattern.quote(app) + "': \\['(\\w+)'").matcher(gdbusOutput);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
