package org.cardbridge.cli;

import org.cardbridge.host.Version;
import org.cardbridge.policy.PolicyLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code cardbridge-host} for people: version, policy, install, uninstall and doctor.
 * {@link #run} is what {@code main} and in-process tests both call.
 */
@Command(name = "cardbridge-host", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class,
        description = "CardBridge native-messaging host. Browsers start it; people use these commands.",
        subcommands = {Cli.VersionCommand.class, Cli.PolicyCommand.class, InstallCommands.Install.class,
                InstallCommands.Uninstall.class, InstallCommands.DoctorCommand.class})
public final class Cli implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new Cli());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"cardbridge-host " + Version.HOST + " (protocol " + Version.PROTOCOL + ")"};
        }
    }

    @Command(name = "version", mixinStandardHelpOptions = true, description = "Print the host and protocol versions.")
    static final class VersionCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(new VersionProvider().getVersion()[0]);
            return 0;
        }
    }

    @Command(name = "policy", mixinStandardHelpOptions = true, description = "Show where the policy file is and what it allows.")
    static final class PolicyCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            var loaded = PolicyLoader.load();
            PrintWriter out = spec.commandLine().getOut();
            out.println("policy file: " + loaded.path());
            if (loaded.problem() != null) {
                out.println("problem: " + loaded.problem());
            }
            loaded.policy().origins().forEach(e -> out.println("  " + e.origin() + " " + e.allow()));
            loaded.policy().modules().forEach(m -> out.println("  module " + m));
            return loaded.problem() == null ? 0 : 1;
        }
    }
}
