package org.cardbridge.command.token;

import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;

/** {@code login {token}}: asks the PIN in the native dialog (or on the PIN-pad); holds for the connection. */
public final class LoginCommand implements Command<String, LoginCommand.Result> {
    public record Result(boolean loggedIn) {
    }

    private final TokenAccess access;

    public LoginCommand(TokenAccess access) {
        this.access = access;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.READ;
    }

    @Override
    public String parse(Params params) {
        return params.text("token");
    }

    /** The card present and its PIN not blocked: before read consent and the PIN window. */
    @Override
    public void precheck(String token) {
        Preflight.requirePinUsable(access.session(token));
    }

    @Override
    public Result execute(String token, CommandContext context) {
        access.login(access.session(token), context, null);
        return new Result(true);
    }
}
