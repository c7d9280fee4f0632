package org.cardbridge.command.token;

import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;
import org.cardbridge.ui.PinChange;

/**
 * {@code unblockPin {token}}: the person unblocks (resets) the user PIN with the PUK in the host's own window: the
 * PUK once, the new PIN twice, checked there before anything reaches the card; then C_Login as SO with the PUK,
 * C_InitPIN, C_Logout. Works whether or not the PIN is blocked; a blocked PUK is refused before any window
 * (PUK_LOCKED). A login of this connection ends first. Operation class PIN, as changePin. A blocked PIN under
 * OpenSC goes through C_SetPIN with the PUK in a session without login, which OpenSC does only with
 * {@code user_pin_unblock_style = set_pin_in_unlogged_session} in opensc.conf; with its default ({@code none}) the
 * answer is PIN_CHANGE_NOT_SUPPORTED before any window, from the opensc.conf OpenSC reads (token.OpenScConf).
 */
public final class UnblockPinCommand implements Command<String, UnblockPinCommand.Result> {
    /** {@code unblocked}: always true in a result (a refusal is an error). */
    public record Result(boolean unblocked) {
    }

    private final TokenAccess access;

    public UnblockPinCommand(TokenAccess access) {
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
        PinChanges.precheck(access.session(token), PinChange.Kind.UNBLOCK);
    }

    @Override
    public Result execute(String token, CommandContext context) {
        PinChanges.run(access.session(token), context, PinChange.Kind.UNBLOCK);
        return new Result(true);
    }
}
