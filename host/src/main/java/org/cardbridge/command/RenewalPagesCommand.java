package org.cardbridge.command;

import org.cardbridge.policy.OperationClass;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Params;

import java.util.List;
import java.util.Map;

/**
 * {@code renewalPages}: where the policy says each CA's renewal page is, so the extension's expiry
 * watch can link a user whose certificate expires to it. Only the extension's own pages may ask: which
 * CAs an administrator trusts is none of a web page's business.
 */
public final class RenewalPagesCommand implements Command<Void> {
    public record Page(String origin, String renewalUrl, List<String> issuers) {
    }

    public record Result(List<Page> pages) {
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
    public Object execute(Void args, CommandContext context) {
        if (!context.origin().isExtension()) {
            throw new HostException(ErrorCode.ORIGIN_NOT_ALLOWED, "only the extension's own pages may read the policy's renewal pages",
                    Map.of("origin", context.origin().toString(), "operationClass", "read"));
        }
        return new Result(pages(context.policy()));
    }

    static List<Page> pages(Policy policy) {
        return policy.origins().stream()
                .filter(e -> e.renewalUrl() != null)
                .map(e -> new Page(e.origin().toString(), e.renewalUrl(), e.issuers()))
                .toList();
    }
}
