package org.cardbridge.command.token;

import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;
import org.cardbridge.ui.PinChange;

/**
 * {@code changePin {token}}: the person changes the card's user PIN in the host's own window: the current PIN
 * once, the new PIN twice, checked there against each other and the card's length rules before C_SetPIN. A PIN
 * that is blocked is refused before any window (PIN_LOCKED: unblockPin is the way). Nothing of the PINs reaches
 * the page; the result says only that the PIN changed. Operation class PIN: a web origin needs
 * {@code enroll} for it, as it writes to the card; the extension's popup may ask it for the person's own card
 * (the connection's login, if any, stays).
 */
public final class ChangePinCommand implements Command<String, ChangePinCommand.Result> {
    /** {@code changed}: always true in a result (a refusal is an error). */
    public record Result(boolean changed) {
    }

    private final TokenAccess access;

    public ChangePinCommand(TokenAccess access) {
        this.access = access;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.PIN;
    }

    @Override
    public String parse(Params params) {
        return params.text("token");
    }

    /** Card present and writable, and what it shows without a PIN allows the change: before any window. */
    @Override
    public void precheck(String token) {
        PinChanges.precheck(access.session(token), PinChange.Kind.CHANGE);
    }

    @Override
    public Result execute(String token, CommandContext context) {
        PinChanges.run(access.session(token), context, PinChange.Kind.CHANGE);
        return new Result(true);
    }
}
