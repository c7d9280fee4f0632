package org.cardbridge.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cardbridge.host.Version;
import org.cardbridge.install.BrowserCatalog;
import org.cardbridge.install.ClientAuth;
import org.cardbridge.install.Doctor;
import org.cardbridge.install.DoctorTexts;
import org.cardbridge.install.Finding;
import org.cardbridge.install.HostProbe;
import org.cardbridge.install.Installer;
import org.cardbridge.install.Registry;
import org.cardbridge.install.Roots;
import org.cardbridge.install.Scope;
import org.cardbridge.install.SystemChecks;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.Policy;
import org.cardbridge.policy.PolicyLoader;
import org.cardbridge.protocol.Json;
import org.cardbridge.protocol.Lang;
import org.cardbridge.token.AtrModuleMap;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code install}, {@code uninstall} and {@code doctor}: registering the host with browsers and checking it. */
final class InstallCommands {
    /** Set by the launcher: the path browsers must start (see host/src/main/launcher and installer/). */
    static final String EXECUTABLE_PROPERTY = "cardbridge.executable";

    private InstallCommands() {
    }

    static final class ScopeChoice {
        @Option(names = "--user", required = true, description = "Only for the current user (no root needed).")
        boolean user;
        @Option(names = "--system", required = true, description = "For every user (what the package does; needs root).")
        boolean system;

        Scope scope() {
            return user ? Scope.USER : Scope.SYSTEM;
        }
    }

    @Command(name = "install", mixinStandardHelpOptions = true, description = "Register the host with every supported browser.")
    static final class Install implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.ArgGroup(multiplicity = "1")
        ScopeChoice scope;
        @Option(names = "--host-path", description = "The executable the manifests name (default: this installation's).")
        String hostPath;
        @Option(names = "--root", description = "With --system: write under this directory instead of / (package builds).")
        Path root;
        @Option(names = "--policy", description = "Policy whose extra extension ids the manifests allow (default: the policy in force).")
        Path policy;
        @Option(names = "--client-auth", description = "Also let browsers log in to web sites with the card (TLS client "
                + "authentication): registers the card's PKCS#11 module in your browsers' NSS databases (Linux; with --user; "
                + "undone by uninstall --user).")
        boolean clientAuth;

        @Override
        public Integer call() throws Exception {
            DoctorTexts t = new DoctorTexts(Lang.ofSystem());
            PrintWriter out = spec.commandLine().getOut();
            String exe = hostPath != null ? hostPath : System.getProperty(EXECUTABLE_PROPERTY);
            if (exe == null || exe.isBlank()) {
                spec.commandLine().getErr().println(t.get("install.noHostPath"));
                return 2;
            }
            var loaded = policy != null ? PolicyLoader.load(policy) : PolicyLoader.load();
            if (loaded.problem() != null) {
                spec.commandLine().getErr().println(t.get("doctor.policyBad", loaded.path(), loaded.problem()));
                return 1;
            }
            if (root != null && scope.user) {
                spec.commandLine().getErr().println(t.get("install.rootNeedsSystem"));
                return 2;
            }
            if (clientAuth && !scope.user) {
                spec.commandLine().getErr().println(t.get("install.clientAuth.userOnly"));
                return 2;
            }
            // Browsers start only an absolute path (Linux, macOS): a relative one is taken from here.
            exe = Path.of(exe).toAbsolutePath().normalize().toString();
            try {
                var changes = installer(root).install(scope.scope(), exe, loaded.policy());
                changes.forEach(c -> out.println(t.get("install.done", c.browsers(), c.where())));
                return clientAuth ? installClientAuth(t, out, loaded.policy()) : 0;
            } catch (java.nio.file.AccessDeniedException e) {
                spec.commandLine().getErr().println(t.get("install.denied", e.getFile()));
                return 1;
            }
        }
    }

    @Command(name = "uninstall", mixinStandardHelpOptions = true, description = "Remove the host's registration from every supported browser.")
    static final class Uninstall implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.ArgGroup(multiplicity = "1")
        ScopeChoice scope;
        @Option(names = "--root", description = "With --system: work under this directory instead of /.")
        Path root;

        @Override
        public Integer call() throws Exception {
            DoctorTexts t = new DoctorTexts(Lang.ofSystem());
            if (root != null && scope.user) {
                spec.commandLine().getErr().println(t.get("install.rootNeedsSystem"));
                return 2;
            }
            List<Installer.Change> changes;
            try {
                changes = installer(root).uninstall(scope.scope());
            } catch (java.nio.file.AccessDeniedException e) {
                spec.commandLine().getErr().println(t.get("install.denied", e.getFile()));
                return 1;
            }
            PrintWriter out = spec.commandLine().getOut();
            // What install --user --client-auth registered goes too (only the module CardBridge added).
            List<ClientAuth.Change> clientAuth = scope.user && root == null
                    ? ClientAuth.real(Roots.real(), Os.current(), t).uninstall() : List.of();
            if (changes.isEmpty() && clientAuth.isEmpty()) {
                out.println(t.get("install.none"));
            }
            changes.forEach(c -> out.println(t.get("uninstall.done", c.browsers(), c.where())));
            clientAuth.forEach(c -> out.println(t.get("install." + c.outcome(), c.db().browser(), c.db().dir(), c.detail())));
            return clientAuth.stream().anyMatch(c -> c.outcome().equals("clientAuth.failed")) ? 1 : 0;
        }
    }

    @Command(name = "doctor", mixinStandardHelpOptions = true, description = "Check every browser's registration, the host, the policy, PKCS#11 modules and card readers.")
    static final class DoctorCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--json", description = "Machine-readable report (for a support ticket; contains no secrets).")
        boolean json;

        @Override
        public Integer call() throws Exception {
            DoctorTexts t = new DoctorTexts(Lang.ofSystem());
            Os os = Os.current();
            Roots roots = Roots.real();
            // One reading of the policy for both parts: the manifests' ids and the policy's own check.
            var loaded = PolicyLoader.load();
            Doctor doctor = new Doctor(BrowserCatalog.load(), roots, os, Registry.regExe(),
                    new HostProbe(Duration.ofSeconds(15), os), t, loaded);
            List<Finding> browsers = doctor.browsers();
            SystemChecks sys = new SystemChecks(roots, os, t);
            List<Finding> system = new ArrayList<>(sys.policy(loaded));
            system.addAll(sys.modules(loaded.policy().modules(), loaded.path()));
            system.addAll(sys.pcsc(AtrModuleMap.load(os).with(loaded.policy().atrModules())));
            List<Finding> clientAuth = ClientAuth.real(roots, os, t).check(cardModules(loaded.policy(), os));
            long broken = browsers.stream().filter(Finding::broken).count() + system.stream().filter(Finding::broken).count()
                    + clientAuth.stream().filter(Finding::broken).count();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report(browsers, system, clientAuth, broken, os)));
            } else {
                out.println("cardbridge-host " + Version.HOST + " — " + os + ", Java " + Runtime.version());
                print(out, t, t.get("doctor.section.browsers"), browsers);
                print(out, t, t.get("doctor.section.system"), system);
                print(out, t, t.get("doctor.section.clientAuth"), clientAuth);
                out.println();
                out.println(broken == 0 ? t.get("doctor.summary.ok") : t.get("doctor.summary.broken", broken));
            }
            return broken == 0 ? 0 : 1;
        }

        private static void print(PrintWriter out, DoctorTexts t, String title, List<Finding> findings) {
            out.println();
            out.println(title + ":");
            for (Finding f : findings) {
                String line = String.format("  %-4s %s", f.status(), f.message());
                out.println(f.fix() == null || f.status() == Finding.Status.OK ? line : line + " — " + t.get("fix.label") + ": " + f.fix());
            }
        }

        private static ObjectNode report(List<Finding> browsers, List<Finding> system, List<Finding> clientAuth, long broken, Os os) {
            ObjectNode root = Json.mapper().createObjectNode();
            root.put("ok", broken == 0);
            root.put("problems", broken);
            root.put("host", Version.HOST);
            root.put("protocol", Version.PROTOCOL);
            root.put("os", os.name().toLowerCase(java.util.Locale.ROOT));
            root.put("java", Runtime.version().toString());
            ArrayNode all = root.putArray("findings");
            for (List<Finding> group : List.of(browsers, system, clientAuth)) {
                for (Finding f : group) {
                    ObjectNode n = all.addObject();
                    n.put("status", f.status().name());
                    n.put("code", f.code());
                    n.put("subject", f.subject());
                    n.put("message", f.message());
                    if (f.fix() != null && f.status() != Finding.Status.OK) {
                        n.put("fix", f.fix());
                    }
                }
            }
            return root;
        }
    }

    /** install --user --client-auth: the card's module into the user's NSS databases; 1 when one could not be changed. */
    static int installClientAuth(DoctorTexts t, PrintWriter out, Policy policy) {
        Os os = Os.current();
        ClientAuth clientAuth = ClientAuth.real(Roots.real(), os, t);
        if (os != Os.LINUX) {
            out.println(t.get("install.clientAuth.notLinux"));
            return 0;
        }
        var module = ClientAuth.cardModule(cardModules(policy, os));
        if (module.isEmpty()) {
            out.println(t.get("install.clientAuth.noModule"));
            return 1;
        }
        List<ClientAuth.Change> changes = clientAuth.install(module.get());
        changes.forEach(c -> out.println(t.get("install." + c.outcome(), c.db().browser(), c.db().dir(), c.detail())));
        return changes.stream().anyMatch(c -> c.outcome().equals("clientAuth.failed")) ? 1 : 0;
    }

    /** The modules the host would use for a card, in its order (TokenManager.standard): the policy's, OpenSC's, vendors'. */
    static List<String> cardModules(Policy policy, Os os) {
        AtrModuleMap map = AtrModuleMap.load(os);
        List<String> out = new ArrayList<>(policy.modules());
        out.addAll(map.defaultPaths());
        out.addAll(map.vendorPaths());
        return out;
    }

    private static Installer installer(Path root) {
        Roots roots = Roots.real();
        if (root != null) {
            roots = roots.withSystem(root.toAbsolutePath());
        }
        return new Installer(BrowserCatalog.load(), roots, Os.current(), Registry.regExe());
    }
}
