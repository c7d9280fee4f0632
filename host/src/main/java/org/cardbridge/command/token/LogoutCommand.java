package org.cardbridge.command.token;

import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.TokenSession;

/** {@code logout {token}}: ends the login; the next operation that needs it asks the PIN again. */
public final class LogoutCommand implements Command<String, LogoutCommand.Result> {
    public record Result(boolean loggedIn) {
    }

    private final TokenAccess access;

    public LogoutCommand(TokenAccess access) {
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

    /** The card present: before read consent. */
    @Override
    public void precheck(String token) {
        access.session(token);
    }

    @Override
    public Result execute(String token, CommandContext context) {
        TokenSession session = access.session(token);
        if (session.loggedIn()) {
            session.logout();
        }
        return new Result(false);
    }
}
