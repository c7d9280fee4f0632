package org.cardbridge.command;

import org.cardbridge.policy.Origin;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.Lang;
import org.cardbridge.ui.UserInterface;

import java.util.Map;
import java.util.function.Supplier;

/**
 * What a command knows about the request it serves: the checked origin, the dialog language, the
 * policy in force, the user interface, a progress channel and the request's cancellation state.
 */
public record CommandContext(String requestId, Origin origin, Lang lang, Policy policy, Supplier<UserInterface> dialogs,
                             ProgressSink progress, Cancellation cancellation) {

    /** The user interface, made on first use: most requests never show a dialog. */
    public UserInterface ui() {
        return dialogs.get();
    }

    /** Sends a {@code progress} message for this request. */
    @FunctionalInterface
    public interface ProgressSink {
        void report(Map<String, Object> progress);
    }
}
