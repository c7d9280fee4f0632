package org.cardbridge.command;

import org.cardbridge.policy.Origin;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.Lang;
import org.cardbridge.ui.UserInterface;

import java.util.Map;

/**
 * What a command knows about the request it serves: the checked origin, the dialog language, the
 * policy in force, the user interface, a progress channel, the connection's event channel and the
 * request's cancellation state.
 */
public record CommandContext(String requestId, Origin origin, Lang lang, Policy policy, UserInterface ui,
                             ProgressSink progress, EventSink events, Cancellation cancellation) {

    /** Without an event channel (events are dropped): for callers that have no connection. */
    public CommandContext(String requestId, Origin origin, Lang lang, Policy policy, UserInterface ui,
                          ProgressSink progress, Cancellation cancellation) {
        this(requestId, origin, lang, policy, ui, progress, (event, data) -> { }, cancellation);
    }

    /** Sends a {@code progress} message for this request. */
    @FunctionalInterface
    public interface ProgressSink {
        void report(Map<String, Object> progress);
    }

    /**
     * Sends an {@code event} message on this request's connection. Unlike progress it outlives the
     * request: a command may keep it (subscribe does) for as long as the session lasts.
     */
    @FunctionalInterface
    public interface EventSink {
        void send(String event, Object data);
    }
}
