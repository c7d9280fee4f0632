package org.cardbridge.watch;

import org.cardbridge.log.Log;

import javax.smartcardio.CardException;
import javax.smartcardio.CardTerminal;
import javax.smartcardio.CardTerminals;
import java.util.ArrayList;
import java.util.List;

/**
 * The readers whose card another program holds exclusively (a vendor card manager, a signing application):
 * a shared connection to such a card fails with SCARD_E_SHARING_VIOLATION, which is the one sure sign, since
 * javax.smartcardio does not expose SCARD_STATE_EXCLUSIVE. The connection is dropped at once, leaving the card
 * as it was; a card the host's own module uses is shared and connects.
 */
public final class ExclusiveUse {
    private static final Log LOG = Log.get(ExclusiveUse.class);

    private ExclusiveUse() {
    }

    /** Empty when PC/SC is not there or answers nothing: then nothing is known to be busy. */
    public static List<String> busyReaders() {
        List<String> busy = new ArrayList<>();
        try {
            for (CardTerminal terminal : PcscAccess.open().list(CardTerminals.State.CARD_PRESENT)) {
                try {
                    terminal.connect("*").disconnect(false);
                } catch (CardException e) {
                    if (PcscAccess.describe(e).contains("SCARD_E_SHARING_VIOLATION")) {
                        busy.add(terminal.getName());
                    }
                }
            }
        } catch (CardException | RuntimeException e) {
            LOG.fine("cannot ask PC/SC which cards are in use: " + PcscAccess.describe(e));
        }
        return busy;
    }
}
