package org.cardbridge.command.token;

import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.TokenManager;

import java.util.List;

/**
 * {@code listTokens {}}: every slot of every loaded module, with its card if one is in it; TOKEN_BUSY instead
 * when no card is usable because another program holds one exclusively.
 */
public final class ListTokensCommand implements Command<Void, ListTokensCommand.Result> {
    public record Result(List<TokenManager.Slot> tokens) {
    }

    private final TokenAccess access;

    public ListTokensCommand(TokenAccess access) {
        this.access = access;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.READ;
    }

    @Override
    public Void parse(Params params) {
        return null;
    }

    @Override
    public Result execute(Void args, CommandContext context) {
        List<TokenManager.Slot> slots = access.manager().slots();
        access.manager().failIfOnlyBusy(slots);
        return new Result(slots);
    }
}
