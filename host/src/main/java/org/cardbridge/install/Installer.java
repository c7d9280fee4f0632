package org.cardbridge.install;

import org.cardbridge.platform.Os;
import org.cardbridge.policy.Policy;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Registers the host with every browser in {@link BrowserCatalog} for one {@link Scope}, and removes that
 * registration. On Linux and macOS it writes the family's manifest into the first directory the browser
 * searches; on Windows it writes the manifests once and points every listed registry key at them.
 */
public final class Installer {
    private final BrowserCatalog catalog;
    private final Manifests manifests;
    private final Roots roots;
    private final Os os;
    private final Registry registry;

    /** What was written or removed, for the CLI to show and tests to check. */
    public record Change(String browsers, String where) {
    }

    public Installer(BrowserCatalog catalog, Roots roots, Os os, Registry registry) {
        this.catalog = catalog;
        this.manifests = new Manifests(catalog);
        this.roots = roots;
        this.os = os;
        this.registry = registry;
    }

    /**
     * Writes the manifest into every folder browsers.json lists for each browser: the folders are the
     * ones different builds of one browser read (64-bit Firefox on Fedora and openSUSE reads
     * /usr/lib64/mozilla, Mozilla's own and Debian's builds /usr/lib/mozilla), and which build is
     * installed — or will be — cannot be known here. System folders made here are rwxr-xr-x whatever
     * the umask: a browser running as the user must be able to enter them.
     */
    public List<Change> install(Scope scope, String hostPath, Policy policy) throws IOException {
        if (os == Os.WINDOWS) {
            return installWindows(scope, hostPath, policy);
        }
        Map<Path, List<BrowserCatalog.Browser>> targets = new LinkedHashMap<>();
        for (BrowserCatalog.Browser b : catalog.browsers()) {
            for (String d : b.on(os).map(l -> dirs(l, scope)).orElse(List.of())) {
                targets.computeIfAbsent(roots.resolve(d), k -> new ArrayList<>()).add(b);
            }
        }
        List<Change> out = new ArrayList<>();
        for (var e : targets.entrySet()) {
            BrowserCatalog.Family family = e.getValue().getFirst().family();
            if (e.getValue().stream().anyMatch(b -> b.family() != family)) {
                throw new IllegalStateException("browsers.json puts Chrome and Firefox manifests in one directory: " + e.getKey());
            }
            Path file = e.getKey().resolve(manifests.fileName());
            write(file, manifests.bytes(family, hostPath, policy), scope == Scope.SYSTEM);
            out.add(new Change(names(e.getValue()), file.toString()));
        }
        return out;
    }

    public List<Change> uninstall(Scope scope) throws IOException {
        if (os == Os.WINDOWS) {
            return uninstallWindows(scope);
        }
        Map<Path, List<BrowserCatalog.Browser>> found = new LinkedHashMap<>();
        for (BrowserCatalog.Browser b : catalog.browsers()) {
            for (String d : b.on(os).map(l -> dirs(l, scope)).orElse(List.of())) {
                found.computeIfAbsent(roots.resolve(d), k -> new ArrayList<>()).add(b);
            }
        }
        List<Change> out = new ArrayList<>();
        for (var e : found.entrySet()) {
            Path file = e.getKey().resolve(manifests.fileName());
            if (Files.deleteIfExists(file)) {
                out.add(new Change(names(e.getValue()), file.toString()));
                removeIfEmpty(e.getKey());
            }
        }
        return out;
    }

    private List<Change> installWindows(Scope scope, String hostPath, Policy policy) throws IOException {
        Path dir = windowsManifestDir(scope);
        Map<BrowserCatalog.Family, Path> files = new LinkedHashMap<>();
        for (BrowserCatalog.Family f : BrowserCatalog.Family.values()) {
            Path file = dir.resolve(f.name().toLowerCase(java.util.Locale.ROOT)).resolve(manifests.fileName());
            write(file, manifests.bytes(f, hostPath, policy), scope == Scope.SYSTEM);
            files.put(f, file);
        }
        List<Change> out = new ArrayList<>();
        for (var e : windowsKeys(scope).entrySet()) {
            registry.putDefault(e.getKey(), files.get(e.getValue().getFirst().family()).toString());
            out.add(new Change(names(e.getValue()), e.getKey()));
        }
        return out;
    }

    private List<Change> uninstallWindows(Scope scope) throws IOException {
        List<Change> out = new ArrayList<>();
        for (var e : windowsKeys(scope).entrySet()) {
            if (registry.defaultValue(e.getKey(), Registry.View.BITS_64).isPresent()) {
                registry.delete(e.getKey());
                out.add(new Change(names(e.getValue()), e.getKey()));
            }
        }
        Path dir = windowsManifestDir(scope);
        for (BrowserCatalog.Family f : BrowserCatalog.Family.values()) {
            Path sub = dir.resolve(f.name().toLowerCase(java.util.Locale.ROOT));
            Files.deleteIfExists(sub.resolve(manifests.fileName()));
            removeIfEmpty(sub);
        }
        return out;
    }

    /** Registry key (with hive) → browsers reading it; a key shared by two families is a data error. */
    Map<String, List<BrowserCatalog.Browser>> windowsKeys(Scope scope) {
        catalog.windowsHostKeys(); // refuses a key read by both families
        String hive = scope == Scope.USER ? "HKCU\\" : "HKLM\\";
        Map<String, List<BrowserCatalog.Browser>> keys = new LinkedHashMap<>();
        for (BrowserCatalog.Browser b : catalog.browsers()) {
            for (String k : b.on(Os.WINDOWS).map(BrowserCatalog.Locations::registry).orElse(List.of())) {
                keys.computeIfAbsent(hive + k + "\\" + catalog.hostName(), x -> new ArrayList<>()).add(b);
            }
        }
        return keys;
    }

    private Path windowsManifestDir(Scope scope) {
        return roots.resolve(scope == Scope.USER ? "%LOCALAPPDATA%\\CardBridge\\NativeMessagingHosts"
                : "%ProgramData%\\CardBridge\\NativeMessagingHosts");
    }

    static List<String> dirs(BrowserCatalog.Locations l, Scope scope) {
        return scope == Scope.USER ? l.user() : l.system();
    }

    private static String names(List<BrowserCatalog.Browser> browsers) {
        Set<String> ids = new LinkedHashSet<>();
        browsers.forEach(b -> ids.add(b.id()));
        return String.join(",", ids);
    }

    private static void write(Path file, byte[] bytes, boolean systemWide) throws IOException {
        createDirectories(file.getParent(), systemWide);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        if (Files.getFileAttributeView(tmp, java.nio.file.attribute.PosixFileAttributeView.class) != null) {
            // Browsers refuse nothing here, but a manifest others can rewrite would let them redirect the host.
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Creates the missing folders; system-wide ones get rwxr-xr-x, which a umask such as 027 would deny. */
    private static void createDirectories(Path dir, boolean systemWide) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path d = dir.toAbsolutePath(); d != null && !Files.isDirectory(d); d = d.getParent()) {
            missing.addFirst(d);
        }
        Files.createDirectories(dir);
        if (systemWide && Files.getFileAttributeView(dir, java.nio.file.attribute.PosixFileAttributeView.class) != null) {
            for (Path d : missing) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
    }

    private static void removeIfEmpty(Path dir) throws IOException {
        try {
            Files.deleteIfExists(dir);
        } catch (DirectoryNotEmptyException e) {
            // Other hosts live there too.
        }
    }
}
