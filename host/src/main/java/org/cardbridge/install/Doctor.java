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
import java.util.Set;

/**
 * {@code cardbridge-host doctor}, browser part: for every browser present, the manifest it would find,
 * that manifest's content (the extension ids the policy adds included), and the host it names started
 * exactly as that browser starts it. The machine ({@link Roots}), the OS, the registry, the probe and the
 * policy are injected so tests use temporary directories.
 */
public final class Doctor {
    /** The fields of Firefox's schema for a host manifest (manifest.NativeManifest); it refuses any other. */
    private static final Set<String> FIREFOX_FIELDS = Set.of("name", "description", "path", "type", "allowed_extensions");
    private final BrowserCatalog catalog;
    private final Roots roots;
    private final Os os;
    private final Registry registry;
    private final HostProbe probe;
    private final DoctorTexts texts;
    private final PolicyLoader.Loaded policy;
    private final Map<List<String>, HostProbe.Outcome> probed = new HashMap<>();
    /** Registry reads by view and key: browsers share keys (five read Chrome's), and each read starts reg.exe. */
    private final Map<String, Optional<String>> registryValues = new HashMap<>();

    /** The manifest a browser would use and whether it is the per-user or the system-wide one. */
    record Found(Path file, Scope scope) {
    }

    /** {@code policy}: whose {@code extensionIds} the manifests must allow besides ours (the CLI: the one in force). */
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

    /**
     * Every browser of the catalog: its Snap and Flatpak packages, and the registration of each one
     * CardBridge can work with — installed from a regular package, or a sandboxed one that reaches hosts
     * through the WebExtensions portal (which reads the same manifests). A machine whose only browsers are
     * sandboxed ones that cannot start a host is a failure: nothing there can use CardBridge.
     */
    public List<Finding> browsers() {
        List<Finding> out = new ArrayList<>();
        boolean any = false;
        List<String> sandboxedOnly = new ArrayList<>();
        for (Browser b : catalog.browsers()) {
            Optional<Locations> loc = b.on(os);
            if (loc.isEmpty()) {
                continue;
            }
            List<Finding> sandboxed = sandboxes(b, loc.get());
            out.addAll(sandboxed);
            if (installed(loc.get()) || throughPortal(loc.get())) {
                any = true;
                out.addAll(check(b, loc.get()));
            } else if (sandboxed.isEmpty()) {
                out.add(texts.finding(Status.INFO, "doctor.notInstalled", b.id(), null, b.name()));
            } else {
                sandboxedOnly.add(b.name());
            }
        }
        if (!any) {
            out.add(sandboxedOnly.isEmpty() ? texts.finding(Status.WARN, "doctor.noBrowser", "browsers", "noBrowser")
                    : texts.finding(Status.FAIL, "doctor.onlySandboxed", "browsers", "onlySandboxed", String.join(", ", sandboxedOnly)));
        }
        return out;
    }

    /** Checks one browser's registration as if it were installed. */
    public List<Finding> check(Browser b, Locations loc) {
        if (b.family() == Family.FIREFOX && os != Os.WINDOWS) {
            return checkFirefox(b, loc);
        }
        Optional<Found> found = find(b.family(), loc);
        if (found.isEmpty()) {
            return List.of(texts.finding(Status.FAIL, "doctor.noManifest", b.id(), "install", b.name(), searched(loc)));
        }
        // Chromium stops at the first file it finds, usable or not; so does Firefox on Windows (the registry's).
        Found f = found.get();
        Read r = read(f.file());
        if (r.problem() != null) {
            return List.of(finding(Status.FAIL, b, f, r.problem()));
        }
        List<Problem> problems = new ArrayList<>(b.family() == Family.CHROME ? chromeRejects(r.json())
                : firefoxRejects(r.json(), ExtensionIds.FIREFOX));
        return use(b, f, r.json(), problems, List.of(f));
    }

    /**
     * Firefox on Linux and macOS ({@code NativeManifests.sys.mjs}, {@code _tryPaths}) reads the per-user
     * folder, then the system-wide one, and passes over a file it cannot use (see {@link #firefoxRejects})
     * to the next: such a file is a warning, and the file Firefox goes on to is the one checked and started.
     */
    private List<Finding> checkFirefox(Browser b, Locations loc) {
        List<Finding> out = new ArrayList<>();
        List<Found> files = present(loc);
        for (Found f : files) {
            Read r = read(f.file());
            List<Problem> rejects = r.problem() != null ? List.of(r.problem()) : firefoxRejects(r.json(), ExtensionIds.FIREFOX);
            if (rejects.isEmpty()) {
                out.addAll(use(b, f, r.json(), new ArrayList<>(), files));
                return out;
            }
            for (Problem p : rejects) {
                out.add(new Finding(Status.WARN, p.code(), b.id(), texts.get(p.code(), args(b, f, p)) + texts.get("doctor.firefoxSkips", b.name()),
                        texts.get(f.scope() == Scope.USER ? "fix.firefoxSkipped" : "fix.reinstall")));
            }
        }
        out.add(files.isEmpty() ? texts.finding(Status.FAIL, "doctor.noManifest", b.id(), "install", b.name(), searched(loc))
                : texts.finding(Status.FAIL, "doctor.noUsableManifest", b.id(), "install", b.name(), searched(loc)));
        return out;
    }

    /**
     * The manifest the browser uses: {@code problems} (what the browser refuses in it) and its host's path;
     * if all is well, the policy's extension ids, then the host is started. {@code searched}: the files the
     * browser would try, in order, for another extension (Firefox looks per extension; Chromium has one).
     */
    private List<Finding> use(Browser b, Found f, JsonNode m, List<Problem> problems, List<Found> searched) {
        String hostPath = m.path("path").isTextual() ? m.path("path").asText() : "";
        Path exe = hostPath.isEmpty() ? null : resolveHostPath(f.file(), hostPath);
        if (exe == null) {
            if (problems.stream().noneMatch(p -> p.code().equals("doctor.pathRelative"))) {
                problems.add(new Problem("doctor.pathRelative", null, hostPath));
            }
        } else if (!Files.isRegularFile(exe)) {
            problems.add(new Problem("doctor.pathMissing", null, exe));
        } else if (!Files.isExecutable(exe)) {
            problems.add(new Problem("doctor.notExecutable", "chmod", exe));
        }
        List<Finding> out = new ArrayList<>();
        if (!problems.isEmpty()) {
            problems.forEach(p -> out.add(finding(Status.FAIL, b, f, p)));
            return out;
        }
        out.addAll(policyIdsMissing(b, f, m, searched));
        if (out.isEmpty()) {
            out.add(texts.finding(Status.OK, "doctor.manifestOk", b.id(), null, b.name(), f.file()));
        }
        // Our extension can use this manifest even where a CA's cannot: the host is asked all the same.
        out.add(hello(b, exe, f.file()));
        return out;
    }

    /** What a Chrome-family browser refuses in a manifest (the host's path is checked by {@link #use}). */
    private List<Problem> chromeRejects(JsonNode m) {
        List<Problem> out = new ArrayList<>();
        if (!catalog.hostName().equals(m.path("name").asText())) {
            out.add(new Problem("doctor.wrongName", null, m.path("name").asText(), catalog.hostName()));
        }
        if (!"stdio".equals(m.path("type").asText())) {
            out.add(new Problem("doctor.wrongType", null, m.path("type").asText()));
        }
        if (!strings(m.path("allowed_origins")).contains(ExtensionIds.CHROME_ORIGIN)) {
            out.add(new Problem("doctor.extensionNotAllowed", null, "allowed_origins", ExtensionIds.CHROME_ORIGIN));
        }
        return out;
    }

    /**
     * What makes Firefox refuse a manifest for the add-on {@code addonId}, from its source
     * ({@code NativeManifests.sys.mjs}: {@code _tryPath} and {@code parseManifest}; the schema
     * {@code native_manifest.json}): the file cannot be read or is not JSON (checked by {@link #read});
     * it does not fit the schema — an object with exactly {@code name}, {@code description}, {@code path},
     * {@code type} (strings) and {@code allowed_extensions} (one add-on id or more, each of the add-on id
     * form), and no other field, so {@code allowed_origins} is refused too; {@code type} is not "stdio";
     * {@code name} is not the host's; {@code path} is not absolute (Linux and macOS only); or
     * {@code allowed_extensions} does not list the add-on. That the host exists is not checked: Firefox
     * takes such a file and fails to start the host.
     */
    private List<Problem> firefoxRejects(JsonNode m, String addonId) {
        List<Problem> out = new ArrayList<>();
        for (var it = m.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (field.equals("allowed_origins")) {
                out.add(new Problem("doctor.firefoxOrigins", null));
            } else if (!FIREFOX_FIELDS.contains(field)) {
                out.add(new Problem("doctor.firefoxUnknownField", null, field));
            }
        }
        if (!m.path("name").isTextual() || !catalog.hostName().equals(m.path("name").asText())) {
            out.add(new Problem("doctor.wrongName", null, m.path("name").asText(), catalog.hostName()));
        }
        if (!m.path("description").isTextual()) {
            out.add(new Problem("doctor.firefoxNoDescription", null));
        }
        if (!m.path("type").isTextual() || !"stdio".equals(m.path("type").asText())) {
            out.add(new Problem("doctor.wrongType", null, m.path("type").asText()));
        }
        String hostPath = m.path("path").isTextual() ? m.path("path").asText() : "";
        if (hostPath.isEmpty() || (os != Os.WINDOWS && !Path.of(hostPath).isAbsolute())) {
            out.add(new Problem("doctor.pathRelative", null, hostPath));
        }
        JsonNode allowed = m.path("allowed_extensions");
        if (allowed.isArray()) {
            for (JsonNode id : allowed) {
                if (!id.isTextual() || !ExtensionIds.isFirefoxId(id.asText())) {
                    out.add(new Problem("doctor.firefoxBadId", null, id.isTextual() ? id.asText() : id.toString()));
                }
            }
        }
        if (!allowed.isArray() || !strings(allowed).contains(addonId)) {
            out.add(new Problem("doctor.extensionNotAllowed", null, "allowed_extensions", addonId));
        }
        return out;
    }

    /**
     * The host also serves the extension ids the policy adds ({@link ExtensionIds}); a browser lets such an
     * extension connect only if a manifest allows it too. The .deb's and .rpm's manifests were written
     * when the package was built: an id an administrator adds later is missing from them until
     * {@code install} writes them again (it takes the policy's ids). Each id counts for the family whose
     * form it has: a Chrome id for Chrome-family manifests, a Firefox add-on id for Firefox's. Firefox on
     * Linux and macOS looks for a usable manifest per add-on, so an id may be served by a later file.
     */
    private List<Finding> policyIdsMissing(Browser b, Found f, JsonNode m, List<Found> searched) {
        List<Finding> out = new ArrayList<>();
        String listName = Manifests.listName(b.family());
        List<String> listed = strings(m.path(listName));
        for (String id : Manifests.policyIds(b.family(), policy.policy())) {
            boolean allowed = b.family() == Family.FIREFOX && os != Os.WINDOWS
                    ? searched.stream().anyMatch(s -> usableFor(s, id))
                    : listed.contains(id);
            if (!allowed) {
                out.add(texts.finding(Status.FAIL, "doctor.policyIdMissing", b.id(), f.scope() == Scope.USER ? "policyIdsUser" : "policyIdsSystem",
                        b.name(), f.file(), listName, id, policy.path()));
            }
        }
        return out;
    }

    private boolean usableFor(Found f, String addonId) {
        Read r = read(f.file());
        return r.problem() == null && firefoxRejects(r.json(), addonId).isEmpty();
    }


    /** One thing a browser refuses in a manifest: message key, fix key (null: by the file's scope), arguments after browser and file. */
    private record Problem(String code, String fix, Object... args) {
    }

    /** A manifest read: its JSON object, or why it is none. */
    private record Read(JsonNode json, Problem problem) {
    }

    private static Read read(Path file) {
        JsonNode m;
        try {
            m = Json.mapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            return new Read(null, new Problem("doctor.badJson", null, firstLine(e.getMessage())));
        }
        if (m == null || !m.isObject()) {
            return new Read(null, new Problem("doctor.badJson", null, "not a JSON object"));
        }
        return new Read(m, null);
    }

    private Finding finding(Status status, Browser b, Found f, Problem p) {
        String fix = p.fix() != null ? p.fix() : f.scope() == Scope.USER ? "install" : "reinstall";
        return texts.finding(status, p.code(), b.id(), fix, args(b, f, p));
    }

    /** A problem's message arguments: the browser's name, the file, then the problem's own. */
    private static Object[] args(Browser b, Found f, Problem p) {
        Object[] args = new Object[p.args().length + 2];
        args[0] = b.name();
        args[1] = f.file();
        System.arraycopy(p.args(), 0, args, 2, p.args().length);
        return args;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }

    /** Where the browser looks, for a message: registry keys on Windows, folders elsewhere. */
    private String searched(Locations loc) {
        List<String> where = os == Os.WINDOWS ? loc.registry()
                : concat(loc.user(), loc.system()).stream().map(d -> roots.resolve(d).toString()).toList();
        return String.join(", ", where);
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

    /**
     * The manifest the browser would load as Chromium searches, and Firefox on Windows: the first file found,
     * per-user before system-wide. (Firefox on Linux and macOS goes on past a file it cannot use: {@link #checkFirefox}.)
     */
    Optional<Found> find(Family family, Locations loc) {
        if (os == Os.WINDOWS) {
            for (BrowserCatalog.RegistryPlace place : family.registrySearch()) {
                for (String key : loc.registry()) {
                    String full = place.hive() + "\\" + key + "\\" + catalog.hostName();
                    Optional<String> v = registryValues.computeIfAbsent(place.view() + " " + full,
                            k -> registry.defaultValue(full, place.view()));
                    if (v.isPresent()) {
                        return Optional.of(new Found(Path.of(v.get()), place.scope()));
                    }
                }
            }
            return Optional.empty();
        }
        return present(loc).stream().findFirst();
    }

    /** Linux and macOS: the manifest files present where the browser looks, in its search order. */
    private List<Found> present(Locations loc) {
        List<Found> out = new ArrayList<>();
        for (Scope s : Scope.values()) {
            for (String d : Installer.dirs(loc, s)) {
                Path f = roots.resolve(d).resolve(catalog.hostName() + ".json");
                if (Files.exists(f)) {
                    out.add(new Found(f, s));
                }
            }
        }
        return out;
    }

    /** Installed from a regular package: a detect path exists and is not a Snap's stand-in. */
    boolean installed(Locations loc) {
        return loc.detect().stream().map(roots::resolve).anyMatch(p -> Files.exists(p) && !(os == Os.LINUX && snapLauncher(p)));
    }

    /**
     * Whether a detect path only starts a Snap. Ubuntu's transitional .debs (chromium-browser since 19.10,
     * firefox since 22.04) keep /usr/bin/chromium-browser and /usr/bin/firefox as short shell scripts that
     * {@code exec /snap/bin/<name> "$@"}; snapd's commands (/snap/bin/…) are links to /usr/bin/snap. So the
     * rule: a link whose target lies under /snap, or a script ({@code #!}) whose first 4 KiB contain
     * {@code /snap/bin/} or {@code snap run}. Told by the file itself rather than by which package owns it:
     * the wrapper is a .deb's file too (the transitional package's), so ownership alone does not tell, and
     * asking dpkg or rpm costs a process per path. A real build is neither — an executable, or a script
     * that runs one outside /snap (Debian's /usr/bin/chromium runs /usr/lib/chromium/chromium).
     */
    boolean snapLauncher(Path p) {
        Path snap = roots.resolve("/snap");
        Path cur = p;
        try {
            for (int hops = 0; hops < 40 && Files.isSymbolicLink(cur); hops++) {
                Path target = Files.readSymbolicLink(cur);
                cur = target.isAbsolute() ? roots.resolve(target.toString()) : cur.resolveSibling(target).normalize();
                if (cur.startsWith(snap)) {
                    return true;
                }
            }
            if (!Files.isRegularFile(cur)) {
                return false;
            }
            byte[] head;
            try (java.io.InputStream in = Files.newInputStream(cur)) {
                head = in.readNBytes(4096);
            }
            String text = new String(head, java.nio.charset.StandardCharsets.ISO_8859_1);
            return text.startsWith("#!") && (text.contains("/snap/bin/") || text.contains("snap run "));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** A sandboxed build present that reaches native hosts through the WebExtensions portal (Firefox's Snap). */
    private boolean throughPortal(Locations loc) {
        return java.util.stream.Stream.of(snap(loc), flatpak(loc)).flatMap(Optional::stream)
                .anyMatch(s -> s.support() == BrowserCatalog.SandboxSupport.PORTAL);
    }

    private Optional<BrowserCatalog.Sandbox> snap(Locations loc) {
        return loc.snap().filter(s -> Files.isDirectory(roots.resolve("/snap/" + s.name())));
    }

    private Optional<BrowserCatalog.Sandbox> flatpak(Locations loc) {
        return loc.flatpak().filter(f -> Files.isDirectory(roots.resolve("/var/lib/flatpak/app/" + f.name()))
                || Files.isDirectory(roots.resolve("~/.local/share/flatpak/app/" + f.name())));
    }

    private List<Finding> sandboxes(Browser b, Locations loc) {
        List<Finding> out = new ArrayList<>();
        snap(loc).ifPresent(s -> out.add(texts.finding(s.support() == BrowserCatalog.SandboxSupport.PORTAL ? Status.INFO : Status.WARN,
                "doctor.snap." + s.support().name().toLowerCase(java.util.Locale.ROOT), b.id(),
                "snap." + s.support().name().toLowerCase(java.util.Locale.ROOT), b.name(), s.name())));
        // Firefox's Snap and Flatpak: what to allow, and what of it can be seen from here (SandboxedFirefox).
        SandboxedFirefox firefox = SandboxedFirefox.of(roots, texts, catalog.hostName());
        snap(loc).filter(s -> s.support() == BrowserCatalog.SandboxSupport.PORTAL)
                .ifPresent(s -> out.addAll(firefox.snap(b.id(), b.name(), s.name())));
        flatpak(loc).ifPresent(f -> out.addAll(f.support() == BrowserCatalog.SandboxSupport.PORTAL ? firefox.flatpak(b.id(), b.name(), f.name())
                : List.of(texts.finding(Status.WARN, "doctor.flatpak", b.id(), "flatpak", b.name(), f.name()))));
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
