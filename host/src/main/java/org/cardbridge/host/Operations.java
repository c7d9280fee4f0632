package org.cardbridge.host;

import org.cardbridge.command.CancelCommand;
import org.cardbridge.command.HelloCommand;
import org.cardbridge.command.OperationTable;
import org.cardbridge.command.PendingRequests;
import org.cardbridge.watch.ReaderSubscription;
import org.cardbridge.watch.SubscribeCommand;
import org.cardbridge.watch.UnsubscribeCommand;

/** Builds the one operation table of a session: every protocol operation and its handler. */
public final class Operations {
    private Operations() {
    }

    public static OperationTable standard(PendingRequests pending, ReaderSubscription readers) {
        OperationTable table = new OperationTable();
        table.register("hello", new HelloCommand(table::names))
                .register("cancel", new CancelCommand(pending))
                .register("subscribe", new SubscribeCommand(readers))
                .register("unsubscribe", new UnsubscribeCommand(readers));
        return table;
    }
}
