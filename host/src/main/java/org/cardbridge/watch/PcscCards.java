package org.cardbridge.watch;

import org.cardbridge.log.Log;
import org.cardbridge.token.TokenManager;

import javax.smartcardio.Card;
import javax.smartcardio.CardException;
import javax.smartcardio.CardTerminal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The cards in the readers and their ATRs, for {@link TokenManager}'s choice of vendor module. Asked on token
 * requests only, never at start-up: the first use loads the JDK's PC/SC library (see docs/benchmarks.md).
 */
public final class PcscCards {
    private static final Log LOG = Log.get(PcscCards.class);

    private PcscCards() {
    }

    /** Empty when PC/SC cannot be asked (no service or no library); no readers is an empty list. */
    public static Optional<List<TokenManager.CardInReader>> present() {
        List<CardTerminal> terminals;
        try {
            terminals = PcscAccess.open().list();
        } catch (CardException | RuntimeException e) {
            String why = PcscAccess.describe(e);
            if (why.contains("SCARD_E_NO_READERS_AVAILABLE")) {
                return Optional.of(List.of());
            }
            if (why.contains("SCARD_E_NO_SERVICE") || why.contains("SCARD_E_SERVICE_STOPPED")
                    || why.contains("SCARD_E_INVALID_HANDLE")) {
                // The JDK keeps a dead context for good; the next request starts a new one.
                PcscAccess.resetContext();
            }
            LOG.info("cannot list the card readers: " + why);
            return Optional.empty();
        }
        List<TokenManager.CardInReader> cards = new ArrayList<>();
        for (CardTerminal t : terminals) {
            try {
                if (t.isCardPresent()) {
                    readAtr(t).ifPresent(atr -> cards.add(new TokenManager.CardInReader(t.getName(), atr)));
                }
            } catch (CardException e) {
                LOG.fine("reader " + t.getName() + ": " + PcscAccess.describe(e));
            }
        }
        return Optional.of(cards);
    }

    /** Shared connection just long enough to read the ATR; the card is left as it was. */
    public static Optional<byte[]> readAtr(CardTerminal terminal) {
        try {
            Card card = terminal.connect("*");
            try {
                return Optional.of(card.getATR().getBytes());
            } finally {
                card.disconnect(false);
            }
        } catch (CardException | RuntimeException e) {
            // Mute card, or another program holds it exclusively: no ATR to go by.
            LOG.info("cannot read the ATR in " + terminal.getName() + ": " + PcscAccess.describe(e));
            return Optional.empty();
        }
    }
}
