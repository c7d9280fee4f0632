package org.cardbridge.command;

import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;

/**
 * One operation of the protocol. The dispatcher calls {@link #parse} first — it only validates and
 * has no side effects, so bad input changes nothing — then checks the origin against
 * {@link #operationClass()}, and only then calls {@link #execute}.
 *
 * @param <A> the validated arguments
 */
public interface Command<A> {
    OperationClass operationClass();

    /** Reads and checks every parameter; throws INVALID_ARGUMENT naming the field. */
    A parse(Params params);

    /** Runs the operation; the result is serialised as the response's {@code result}. */
    Object execute(A args, CommandContext context);
}
