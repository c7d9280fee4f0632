package org.cardbridge.host;

import org.cardbridge.command.PendingRequests;
import org.cardbridge.log.LogSetup;
import org.cardbridge.platform.UserDirs;
import org.cardbridge.policy.ConsentStore;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.policy.OriginPolicy;
import org.cardbridge.policy.Policy;
import org.cardbridge.policy.PolicyLoader;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.FrameReader;
import org.cardbridge.protocol.FrameWriter;
import org.cardbridge.protocol.Messages;
import org.cardbridge.protocol.HostException;
import org.cardbridge.token.TokenManager;
import org.cardbridge.ui.SwingUserInterface;
import org.cardbridge.ui.UserInterface;
import org.cardbridge.watch.ExclusiveUse;
import org.cardbridge.watch.PcscCards;
import org.cardbridge.watch.ReaderSubscription;
import org.cardbridge.watch.TokenSlotSource;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.cardbridge.log.Log;

/** Native-messaging mode: wires a {@link HostSession} to stdin/stdout for the browser that started us. */
public final class NativeHost {
    public static final int EXIT_CALLER_NOT_ALLOWED = 3;
    private static final Log LOG = Log.get(NativeHost.class);

    private NativeHost() {
    }

    /**
     * Called from {@link Main} with the process's stdin and stdout, and from {@link AotTraining} with
     * in-memory streams, so the training runs exactly this code. Takes over stdout for frames, so
     * nothing else can write there.
     */
    public static int serve(LaunchMode mode, InputStream stdin, OutputStream stdout) {
        OutputStream frames = new BufferedOutputStream(stdout);
        System.setOut(System.err);
        return serve(mode, new BufferedInputStream(stdin), frames,
                Lazy.of(() -> SwingDialogs.create()), UserDirs.state(), PolicyLoader.load());
    }

    public static int serve(LaunchMode mode, InputStream in, OutputStream out, Supplier<UserInterface> ui,
                            Path stateDir, PolicyLoader.Loaded loaded) {
        Policy policy = loaded.policy();
        LogSetup.configure(stateDir, policy.logLevel());
        if (loaded.problem() != null) {
            LOG.warning("policy " + loaded.path() + " " + loaded.problem());
        }
        if (!callerAllowed(mode, policy)) {
            LOG.warning("refusing caller " + mode.caller().orElse("?"));
            try {
                new FrameWriter(out).write(Messages.error(null, new HostException(ErrorCode.ORIGIN_NOT_ALLOWED,
                        "this host serves only the CardBridge extension, not " + mode.caller().orElse("?"), Map.of())));
            } catch (IOException ignored) {
                // The caller is not ours; nothing more to tell it.
            }
            return EXIT_CALLER_NOT_ALLOWED;
        }
        LOG.info("serving " + mode.caller().orElse("?"));
        PendingRequests pending = new PendingRequests();
        OriginPolicy originPolicy = new OriginPolicy(policy, new ConsentStore(stateDir.resolve("consent.json")), ui);
        // Lambdas: javax.smartcardio is touched only when a card is missing or a vendor module is installed, never at start-up.
        TokenManager tokens = TokenManager.standard(policy, () -> PcscCards.present()).withReaderProbe(() -> ExclusiveUse.busyReaders());
        // The session closes both at its end: the watcher stops first, then the token sessions.
        ReaderSubscription readers = new ReaderSubscription(() -> tokens.atrMap(), new TokenSlotSource(tokens),
                ReaderSubscription.DEFAULT_POLL);
        HostSession session = new HostSession(Operations.standard(pending, tokens, readers), originPolicy, ui, pending,
                List.of(readers, tokens), FrameReader.DEFAULT_MAX_INCOMING);
        int code = session.run(in, out);
        LOG.info("session ended with exit code " + code);
        return code;
    }

    static boolean callerAllowed(LaunchMode mode, Policy policy) {
        if (mode instanceof LaunchMode.Chrome c) {
            return ExtensionIds.chromeOrigins(policy).contains(c.callerOrigin());
        }
        if (mode instanceof LaunchMode.Portal) {
            // The old portal checked our manifest's allowed_extensions against the add-on id itself
            // (see LaunchMode.Portal) and passes no id on; what a page may do is still the policy's.
            return true;
        }
        return mode instanceof LaunchMode.Firefox f && ExtensionIds.firefoxIds(policy).contains(f.addonId());
    }

    /** A class of its own, called from a lambda (not a method reference, which links it at once), so
     * Swing is neither loaded nor verified until the first dialog. */
    private static final class SwingDialogs {
        static UserInterface create() {
            return new SwingUserInterface();
        }
    }
}
