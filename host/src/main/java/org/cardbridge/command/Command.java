package org.cardbridge.command;

import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;

/**
 * One operation of the protocol. The dispatcher refuses an origin that can never do the operation, then
 * calls {@link #parse} — it only validates and has no side effects, so bad input changes nothing — then
 * {@link #precheck}, which refuses what cannot succeed without asking the person anything; only then may a
 * window appear (read consent for the origin, then the command's own confirmation and PIN in
 * {@link #execute}).
 *
 * <p>{@code R} is the operation's result: a record, or a sealed interface of records when an operation
 * answers in more than one shape ({@code sign}: one signature or a batch). The dispatcher writes it as the
 * response's {@code result} with the host's own JSON writer; the page API's types ({@code cardbridge.d.ts})
 * and the result tables of {@code docs/protocol.md} are generated from these types
 * ({@code ProtocolTypesTest}), so a result field is declared once, here.
 *
 * @param <A> the validated arguments
 * @param <R> the result
 */
public interface Command<A, R> {
    OperationClass operationClass();

    /** Reads and checks every parameter; throws INVALID_ARGUMENT naming the field. */
    A parse(Params params);

    /**
     * Refuses, before any window, what can be known to fail without the PIN: the card absent, the key or
     * certificate not on it, a certificate out of its validity, an algorithm or size the card cannot do, a
     * write-protected card, a blocked PIN. Reads the card but changes nothing and asks nothing. {@link #execute}
     * runs right after it on the same thread and may rely on what it checked.
     */
    default void precheck(A args) {
    }

    /** Runs the operation; the result is serialised as the response's {@code result}. */
    R execute(A args, CommandContext context);
}
