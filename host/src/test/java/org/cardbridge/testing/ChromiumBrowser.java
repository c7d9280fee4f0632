package org.cardbridge.testing;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Debian's Chromium, headless, driven by its chromedriver, with a fresh profile per instance: the
 * unpacked CardBridge extension loaded (unless left out), and the host manifest in
 * {@code <user-data-dir>/NativeMessagingHosts/} pointing at the built launcher (unless left out). The
 * host inherits the browser's environment, so {@code CARDBRIDGE_POLICY}, {@code CARDBRIDGE_STATE_DIR},
 * {@code SOFTHSM2_CONF} and {@code DISPLAY} are set on the chromedriver service.
 */
public final class ChromiumBrowser implements Browser {
    public static final String CHROMIUM = "/usr/bin/chromium";
    public static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    public static final String HOST_NAME = "org.cardbridge.host";

    private final Path profile;
    private final ChromeDriverService service;
    private final ChromeDriver driver;

    private ChromiumBrowser(Builder b) throws IOException {
        profile = Files.createTempDirectory("cb-chromium-");
        if (b.preferences != null) {
            Files.createDirectories(profile.resolve("Default"));
            Files.writeString(profile.resolve("Default/Preferences"), b.preferences);
        }
        if (b.hostManifest) {
            writeHostManifest(profile.resolve("NativeMessagingHosts"), launcher());
        }
        ChromeDriverService.Builder sb = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .withLogOutput(java.io.OutputStream.nullOutputStream());
        Map<String, String> env = new HashMap<>(b.env);
        sb.withEnvironment(env);
        service = sb.build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(b.managedPolicy == null ? CHROMIUM : withManagedPolicy(profile, b.managedPolicy).toString());
        List<String> args = new ArrayList<>(List.of(
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile));
        if (b.headless) {
            args.addFirst("--headless=new");
        }
        if (b.extension != null) {
            // Chrome 137+ branded builds ignore --load-extension unless this feature is off; Debian's
            // Chromium honours it either way (checked with 156), the flag keeps other builds working.
            args.add("--disable-features=DisableLoadExtensionCommandLineSwitch");
            args.add("--load-extension=" + b.extension);
        }
        if (b.hostResolverRules != null) {
            args.add("--host-resolver-rules=" + b.hostResolverRules);
        }
        args.addAll(b.extraArgs);
        options.addArguments(args);
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(90));
    }

    /**
     * A launcher that starts Chromium in a private mount namespace where {@code /etc/chromium} holds its
     * usual files plus {@code policies/managed/cardbridge.json} = {@code policy}: the machine-wide policy an
     * administrator writes, seen by this browser only (other tests on the machine see the real directory).
     */
    private static Path withManagedPolicy(Path profile, String policy) throws IOException {
        Path etc = Files.createDirectories(profile.resolve("etc-chromium"));
        try (Stream<Path> s = Files.list(Path.of("/etc/chromium"))) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                Files.copy(f, etc.resolve(f.getFileName()));
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // no /etc/chromium: the bind mount below needs it as its mount point
            throw new IllegalStateException("/etc/chromium does not exist: Debian's chromium package creates it", e);
        }
        Files.writeString(Files.createDirectories(etc.resolve("policies/managed")).resolve("cardbridge.json"), policy);
        Path launcher = profile.resolve("chromium-with-policy");
        Files.writeString(launcher, """
                #!/bin/sh
                exec unshare --mount --propagation private sh -c 'mount --bind "$0" /etc/chromium && exec %s "$@"' '%s' "$@"
                """.formatted(CHROMIUM, etc));
        launcher.toFile().setExecutable(true);
        return launcher;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Kind kind() {
        return Kind.CHROMIUM;
    }

    @Override
    public ChromeDriver driver() {
        return driver;
    }

    public Path profile() {
        return profile;
    }

    /** The built host launcher, from the {@code cardbridge.launcher} system property failsafe sets. */
    public static Path launcher() {
        String p = System.getProperty("cardbridge.launcher");
        if (p == null || !Files.isExecutable(Path.of(p))) {
            throw new IllegalStateException("cardbridge.launcher not set or not executable (" + p + "): run after 'package'");
        }
        return Path.of(p).toAbsolutePath();
    }

    /** The unpacked extension in the repository (extension/ beside host/). */
    public static Path extensionDir() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.exists(dir.resolve("extension/manifest.json"))) {
                return dir.resolve("extension");
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("extension/manifest.json not found above " + Path.of("").toAbsolutePath());
    }

    /** The Chrome-family host manifest, written by the installer's own generator. */
    public static void writeHostManifest(Path dir, Path launcher) throws IOException {
        Files.createDirectories(dir);
        org.cardbridge.install.Manifests manifests = new org.cardbridge.install.Manifests(org.cardbridge.install.BrowserCatalog.load());
        Files.write(dir.resolve(manifests.fileName()), manifests.bytes(org.cardbridge.install.BrowserCatalog.Family.CHROME,
                launcher.toString(), org.cardbridge.policy.Policy.empty()));
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            deleteTree(profile);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static final class Builder {
        private Path extension = extensionDir();
        private boolean hostManifest = true;
        private final Map<String, String> env = new HashMap<>();
        private String hostResolverRules;
        private final List<String> extraArgs = new ArrayList<>();
        private boolean headless = true;
        private String preferences;
        private String managedPolicy;

        /**
         * The machine-wide managed policy (JSON, as in {@code /etc/chromium/policies/managed/}), e.g. the
         * extension's managed storage under {@code 3rdparty}; needs root and {@code unshare} (a private mount
         * namespace per browser).
         */
        public Builder managedPolicy(String json) {
            managedPolicy = json;
            return this;
        }

        /** A window on the display in the environment (Xvfb): for the browser's own dialogs, e.g. its PIN prompt. */
        public Builder headed() {
            headless = false;
            return this;
        }

        /** The profile's {@code Default/Preferences} (JSON) before the first start, e.g. content settings. */
        public Builder preferences(String json) {
            preferences = json;
            return this;
        }

        public Builder withoutExtension() {
            extension = null;
            return this;
        }

        public Builder withoutHostManifest() {
            hostManifest = false;
            return this;
        }

        /** Environment of chromedriver, hence of Chromium, hence of the host it starts. */
        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        /** e.g. {@code MAP ca.example 127.0.0.1}: lets a test page have a non-loopback host name. */
        public Builder hostResolverRules(String rules) {
            hostResolverRules = rules;
            return this;
        }

        public Builder arg(String arg) {
            extraArgs.add(arg);
            return this;
        }

        public ChromiumBrowser start() {
            try {
                return new ChromiumBrowser(this);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
