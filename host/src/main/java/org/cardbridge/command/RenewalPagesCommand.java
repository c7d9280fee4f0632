package org.cardbridge.command;

import org.cardbridge.policy.OperationClass;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.Params;

import java.util.List;

/**
 * {@code renewalPages}: where the policy says each CA's renewal page is, so the extension's expiry
 * watch can link a user whose certificate expires to it. Only the extension's own pages may ask: which
 * CAs an administrator trusts is none of a web page's business.
 */
public final class RenewalPagesCommand implements Command<Void, RenewalPagesCommand.Result> {
    public record Page(String origin, String renewalUrl, List<String> issuers) {
    }

    public record Result(List<Page> pages) {
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.EXTENSION;
    }

    @Override
    public Void parse(Params params) {
        return null;
    }

    @Override
    public Result execute(Void args, CommandContext context) {
        return new Result(pages(context.policy()));
    }

    static List<Page> pages(Policy policy) {
        return policy.origins().stream()
                .filter(e -> e.renewalUrl() != null)
                .map(e -> new Page(e.origin().toString(), e.renewalUrl(), e.issuers()))
                .toList();
    }
}
