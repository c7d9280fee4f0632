package org.cardbridge.host;

import org.cardbridge.command.CancelCommand;
import org.cardbridge.command.HelloCommand;
import org.cardbridge.command.OperationTable;
import org.cardbridge.command.PendingRequests;
import org.cardbridge.command.RenewalPagesCommand;
import org.cardbridge.command.token.CmpResponseCommand;
import org.cardbridge.command.token.CmpTransactions;
import org.cardbridge.command.token.CreateCsrCommand;
import org.cardbridge.command.token.GenerateKeyPairCommand;
import org.cardbridge.command.token.InstallCertificateCommand;
import org.cardbridge.command.token.KeyUpdateRequestCommand;
import org.cardbridge.command.token.ListCertificatesCommand;
import org.cardbridge.command.token.ListTokensCommand;
import org.cardbridge.command.token.LoginCommand;
import org.cardbridge.command.token.LogoutCommand;
import org.cardbridge.command.token.RemoveKeyCommand;
import org.cardbridge.command.token.SignCommand;
import org.cardbridge.command.token.TokenAccess;
import org.cardbridge.token.AtrModuleMap;
import org.cardbridge.token.TokenManager;
import org.cardbridge.watch.ReaderSubscription;
import org.cardbridge.watch.SubscribeCommand;
import org.cardbridge.watch.TokenSlotSource;
import org.cardbridge.watch.UnsubscribeCommand;

/** Builds the one operation table of a session: every protocol operation and its handler. */
public final class Operations {
    private Operations() {
    }

    /** A table whose reader events get token handles from {@code tokens}; for callers that close nothing else. */
    public static OperationTable standard(PendingRequests pending, TokenManager tokens) {
        return standard(pending, tokens, new ReaderSubscription(() -> AtrModuleMap.current(), new TokenSlotSource(tokens),
                ReaderSubscription.DEFAULT_POLL));
    }

    /**
     * {@code tokens} loads nothing until a token operation runs; the session closes it and {@code readers}
     * (which stops the watcher) at its end.
     */
    public static OperationTable standard(PendingRequests pending, TokenManager tokens, ReaderSubscription readers) {
        OperationTable table = new OperationTable();
        TokenAccess access = new TokenAccess(tokens);
        CmpTransactions cmp = new CmpTransactions(); // this connection's CMP transactions, bounded
        // Factories, as lambdas rather than constructor references (which would load each class when
        // the table is built): only the commands a session uses are ever loaded.
        table.register("hello", new HelloCommand(table::names))
                .register("cancel", new CancelCommand(pending))
                .register("renewalPages", () -> new RenewalPagesCommand())
                .register("diagnose", () -> new org.cardbridge.command.DiagnoseCommand())
                .register("listTokens", () -> new ListTokensCommand(access))
                .register("listCertificates", () -> new ListCertificatesCommand(access))
                .register("login", () -> new LoginCommand(access))
                .register("logout", () -> new LogoutCommand(access))
                .register("generateKeyPair", () -> new GenerateKeyPairCommand(access))
                .register("createCsr", () -> new CreateCsrCommand(access))
                .register("sign", () -> new SignCommand(access))
                .register("installCertificate", () -> new InstallCertificateCommand(access))
                .register("removeKey", () -> new RemoveKeyCommand(access))
                .register("changePin", () -> new org.cardbridge.command.token.ChangePinCommand(access))
                .register("unblockPin", () -> new org.cardbridge.command.token.UnblockPinCommand(access))
                .register("createKeyUpdateRequest", () -> new KeyUpdateRequestCommand(access, cmp))
                .register("acceptCmpResponse", () -> new CmpResponseCommand(access, cmp))
                .register("subscribe", () -> new SubscribeCommand(readers))
                .register("unsubscribe", () -> new UnsubscribeCommand(readers));
        return table;
    }
}
