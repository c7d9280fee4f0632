package org.cardbridge.install;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.install.BrowserCatalog.Browser;
import org.cardbridge.install.BrowserCatalog.Family;
import org.cardbridge.install.BrowserCatalog.Locations;
import org.cardbridge.install.Finding.Status;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.policy.PolicyLoader;
import org.cardbridge.protocol.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * {@code cardbridge-host doctor}, browser part: for every browser present, the manifest it would find,
 * that manifest's content (the extension ids the policy adds included), and the host it names started
 * exactly as that browser starts it. The machine ({@link Roots}), the OS, the registry, the probe and the
 * policy are injected so tests use temporary directories.
 */
public final class Doctor {
    private final BrowserCatalog catalog;
    private final Roots roots;
    private final Os os;
    private final Registry registry;
    private final HostProbe probe;
    private final DoctorTexts texts;
    private final PolicyLoader.Loaded policy;
    private final Map<List<String>, HostProbe.Outcome> probed = new HashMap<>();

    /** The manifest a browser would use and whether it is the per-user or the system-wide one. */
    record Found(Path file, Scope scope) {
    }

    /** Checks against the policy in force, the one the host loads ({@link PolicyLoader#load()}). */
    public Doctor(BrowserCatalog catalog, Roots roots, Os os, Registry registry, HostProbe probe, DoctorTexts texts) {
        this(catalog, roots, os, registry, probe, texts, PolicyLoader.load());
    }

    /** {@code policy}: whose {@code extensionIds} the manifests must allow besides ours. */
    public Doctor(BrowserCatalog catalog, Roots roots, Os os, Registry registry, HostProbe probe, DoctorTexts texts,
                  PolicyLoader.Loaded policy) {
        this.catalog = catalog;
        this.roots = roots;
        this.os = os;
        this.registry = registry;
        this.probe = probe;
        this.texts = texts;
        this.policy = policy;
    }

    public List<Finding> browsers() {
        List<Finding> out = new ArrayList<>();
        boolean any = false;
        for (Browser b : catalog.browsers()) {
            Optional<Locations> loc = b.on(os);
            if (loc.isEmpty()) {
                continue;
            }
            out.addAll(sandboxes(b, loc.get()));
            if (!installed(loc.get())) {
                out.add(texts.finding(Status.INFO, "doctor.notInstalled", b.id(), null, b.name()));
                continue;
            }
            any = true;
            out.addAll(check(b, loc.get()));
        }
        if (!any) {
            out.add(texts.finding(Status.WARN, "doctor.noBrowser", "browsers", "noBrowser"));
        }
        return out;
    }

    /** Checks one browser's registration as if it were installed. */
    public List<Finding> check(Browser b, Locations loc) {
        List<Finding> out = new ArrayList<>();
        Optional<Found> found = find(b.family(), loc);
        if (found.isEmpty()) {
            List<String> where = os == Os.WINDOWS ? loc.registry()
                    : concat(loc.user(), loc.system()).stream().map(d -> roots.resolve(d).toString()).toList();
            out.add(texts.finding(Status.FAIL, "doctor.noManifest", b.id(), "install", b.name(), String.join(", ", where)));
            return out;
        }
        Path file = found.get().file();
        String fix = found.get().scope() == Scope.USER ? "install" : "reinstall";
        JsonNode m;
        try {
            m = Json.mapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            out.add(texts.finding(Status.FAIL, "doctor.badJson", b.id(), fix, b.name(), file, firstLine(e.getMessage())));
            return out;
        }
        if (m == null || !m.isObject()) {
            out.add(texts.finding(Status.FAIL, "doctor.badJson", b.id(), fix, b.name(), file, "not a JSON object"));
            return out;
        }
        int before = out.size();
        if (!catalog.hostName().equals(m.path("name").asText())) {
            out.add(texts.finding(Status.FAIL, "doctor.wrongName", b.id(), fix, b.name(), file, m.path("name").asText(), catalog.hostName()));
        }
        if (!"stdio".equals(m.path("type").asText())) {
            out.add(texts.finding(Status.FAIL, "doctor.wrongType", b.id(), fix, b.name(), file, m.path("type").asText()));
        }
        if (b.family() == Family.FIREFOX && m.has("allowed_origins")) {
            out.add(texts.finding(Status.FAIL, "doctor.firefoxOrigins", b.id(), fix, b.name(), file));
        }
        String listName = listName(b.family());
        String ours = b.family() == Family.CHROME ? ExtensionIds.CHROME_ORIGIN : ExtensionIds.FIREFOX;
        boolean allowed = false;
        for (JsonNode v : m.path(listName)) {
            allowed |= ours.equals(v.asText());
        }
        if (!allowed) {
            out.add(texts.finding(Status.FAIL, "doctor.extensionNotAllowed", b.id(), fix, b.name(), file, listName, ours));
        }
        String hostPath = m.path("path").asText();
        Path exe = hostPath.isEmpty() ? null : resolveHostPath(file, hostPath);
        if (exe == null) {
            out.add(texts.finding(Status.FAIL, "doctor.pathRelative", b.id(), fix, b.name(), file, hostPath));
        } else if (!Files.isRegularFile(exe)) {
            out.add(texts.finding(Status.FAIL, "doctor.pathMissing", b.id(), fix, b.name(), file, exe));
        } else if (!Files.isExecutable(exe)) {
            out.add(texts.finding(Status.FAIL, "doctor.notExecutable", b.id(), "chmod", b.name(), file, exe));
        }
        if (out.size() > before) {
            return out;
        }
        List<Finding> missing = policyIdsMissing(b, file, found.get().scope(), m);
        out.addAll(missing);
        if (missing.isEmpty()) {
            out.add(texts.finding(Status.OK, "doctor.manifestOk", b.id(), null, b.name(), file));
        }
        // Our extension can use this manifest even where a CA's cannot: the host is asked all the same.
        out.add(hello(b, exe, file));
        return out;
    }

    /**
     * The host also serves the extension ids the policy adds ({@link ExtensionIds}); a browser lets such an
     * extension connect only if the manifest allows it too. The .deb's and .rpm's manifests were written
     * when the package was built: an id an administrator adds later is missing from them until
     * {@code install} writes them again (it takes the policy's ids). Each id counts for the family whose
     * form it has: a Chrome id for Chrome-family manifests, a Firefox add-on id for Firefox's.
     */
    private List<Finding> policyIdsMissing(Browser b, Path file, Scope scope, JsonNode m) {
        List<Finding> out = new ArrayList<>();
        String listName = listName(b.family());
        List<String> listed = new ArrayList<>();
        m.path(listName).forEach(v -> listed.add(v.asText()));
        for (String id : policyIds(b.family())) {
            if (!listed.contains(id)) {
                out.add(texts.finding(Status.FAIL, "doctor.policyIdMissing", b.id(), scope == Scope.USER ? "policyIdsUser" : "policyIdsSystem",
                        b.name(), file, listName, id, policy.path()));
            }
        }
        return out;
    }

    /** The policy's extra ids of this family, as the manifest lists them (Chrome: as origins), sorted. */
    private List<String> policyIds(Family family) {
        TreeSet<String> ids = new TreeSet<>(family == Family.CHROME ? ExtensionIds.chromeOrigins(policy.policy())
                : ExtensionIds.firefoxIds(policy.policy()).stream().filter(ExtensionIds::isFirefoxId).toList());
        ids.remove(family == Family.CHROME ? ExtensionIds.CHROME_ORIGIN : ExtensionIds.FIREFOX);
        return List.copyOf(ids);
    }

    private static String listName(Family family) {
        return family == Family.CHROME ? "allowed_origins" : "allowed_extensions";
    }

    private Finding hello(Browser b, Path exe, Path manifest) {
        List<String> cmd = HostProbe.browserCommand(b.family(), exe.toString(), manifest, os);
        // Browsers sharing a host and family are asked once: each probe starts a JVM.
        HostProbe.Outcome o = probed.computeIfAbsent(cmd, k -> probe.hello(b.family(), exe.toString(), manifest));
        return switch (o) {
            case HostProbe.Answered a -> texts.finding(Status.OK, "doctor.helloOk", b.id(), null, b.name(), exe, a.millis(), a.host(), a.protocol());
            case HostProbe.NoAnswer n -> texts.finding(Status.FAIL, "doctor.noAnswer", b.id(), "hostLog", b.name(), exe, n.waitedMillis());
            case HostProbe.Exited e -> texts.finding(Status.FAIL, "doctor.hostExited", b.id(), "hostLog", b.name(), exe, e.code(), firstLine(e.stderr()));
            case HostProbe.WrongAnswer w -> texts.finding(Status.FAIL, "doctor.wrongAnswer", b.id(), "hostLog", b.name(), exe, w.detail());
            case HostProbe.CannotStart c -> texts.finding(Status.FAIL, "doctor.cannotStart", b.id(), "reinstall", b.name(), exe, firstLine(c.detail()));
        };
    }

    /** The manifest the browser would load: per-user before system-wide, as Chromium and Firefox search. */
    Optional<Found> find(Family family, Locations loc) {
        if (os == Os.WINDOWS) {
            for (BrowserCatalog.RegistryPlace place : family.registrySearch()) {
                for (String key : loc.registry()) {
                    String full = place.hive() + "\\" + key + "\\" + catalog.hostName();
                    Optional<String> v = registry.defaultValue(full, place.view());
                    if (v.isPresent()) {
                        return Optional.of(new Found(Path.of(v.get()), place.scope()));
                    }
                }
            }
            return Optional.empty();
        }
        for (Scope s : Scope.values()) {
            for (String d : Installer.dirs(loc, s)) {
                Path f = roots.resolve(d).resolve(catalog.hostName() + ".json");
                if (Files.exists(f)) {
                    return Optional.of(new Found(f, s));
                }
            }
        }
        return Optional.empty();
    }

    boolean installed(Locations loc) {
        return loc.detect().stream().anyMatch(d -> Files.exists(roots.resolve(d)));
    }

    private List<Finding> sandboxes(Browser b, Locations loc) {
        List<Finding> out = new ArrayList<>();
        loc.snap().filter(s -> Files.isDirectory(roots.resolve("/snap/" + s.name())))
                .ifPresent(s -> out.add(texts.finding(s.support() == BrowserCatalog.SandboxSupport.PORTAL ? Status.INFO : Status.WARN,
                        "doctor.snap." + s.support().name().toLowerCase(java.util.Locale.ROOT), b.id(),
                        "snap." + s.support().name().toLowerCase(java.util.Locale.ROOT), b.name(), s.name())));
        loc.flatpak().filter(f -> Files.isDirectory(roots.resolve("/var/lib/flatpak/app/" + f.name()))
                        || Files.isDirectory(roots.resolve("~/.local/share/flatpak/app/" + f.name())))
                .ifPresent(f -> out.add(texts.finding(Status.WARN, "doctor.flatpak", b.id(), "flatpak", b.name(), f.name())));
        return out;
    }

    /** Chrome resolves a relative {@code path} only on Windows (against the manifest's folder). */
    private Path resolveHostPath(Path manifest, String hostPath) {
        Path p = Path.of(hostPath);
        if (p.isAbsolute()) {
            return p;
        }
        return os == Os.WINDOWS ? manifest.resolveSibling(p) : null;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    static String firstLine(String s) {
        if (s == null || s.isBlank()) {
            return "-";
        }
        String line = s.strip().lines().findFirst().orElse("");
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
