package org.cardbridge.bench;

import org.cardbridge.testing.vcard.AtrCard;
import org.cardbridge.testing.vcard.Pcscd;
import org.cardbridge.testing.vcard.VpcdCard;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@link FirstAnswerBenchmark} with a private pcscd whose first reader holds a card answering with the ATR
 * given: the common case since the host reads the ATRs of the cards present on a token request (module
 * selection). Every launcher measured sees the same reader and card. Not a test: results go to
 * docs/benchmarks.md.
 *
 * <pre>PCSCLITE_CSOCK_NAME=/tmp/b/pcscd.comm java ... FirstAnswerWithCardInReader ATR RUNS now=... [old=...]</pre>
 */
public final class FirstAnswerWithCardInReader {
    private FirstAnswerWithCardInReader() {
    }

    public static void main(String[] args) throws Exception {
        String socket = System.getenv(Pcscd.SOCKET_ENV);
        if (socket == null) {
            throw new IllegalStateException(Pcscd.SOCKET_ENV + " must name the private pcscd's socket (the hosts inherit it)");
        }
        Path path = Path.of(socket);
        try (Pcscd pcscd = Pcscd.start(path.getParent(), path);
             VpcdCard card = new VpcdCard(pcscd.port(0), AtrCard.of(args[0]))) {
            card.insert();
            FirstAnswerBenchmark.main(Arrays.copyOfRange(args, 1, args.length));
        }
    }
}
