package org.cardbridge.command.token;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.testing.TestCa;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A connection keeps at most {@link CmpTransactions#MAX} CMP transactions; the oldest is forgotten first. */
class CmpTransactionsTest {
    @Test
    void moreThanMax_forgetsTheOldest_whoseAnswerThenBelongsToNoTransaction() throws Exception {
        KeyPair keys = TestCa.rsa(2048);
        X509Certificate cert = TokenFixture.issue(keys);
        CmpTransactions transactions = new CmpTransactions();
        List<CmpTransactions.Transaction> made = new ArrayList<>();
        for (int i = 0; i <= CmpTransactions.MAX; i++) {
            CmpTransactions.Transaction t = new CmpTransactions.Transaction(CmpMessages.random16(), "t", "t~c00", cert,
                    new byte[]{1}, keys.getPublic(), CmpMessages.random16());
            transactions.add(t);
            made.add(t);
        }
        assertEquals(CmpTransactions.MAX, transactions.ids().size());
        HostException e = assertThrows(HostException.class, () -> transactions.find(made.getFirst().id));
        assertEquals(ErrorCode.CMP_TRANSACTION_MISMATCH, e.code());
        assertSame(made.getLast(), transactions.find(made.getLast().id));
        transactions.close(made.getLast());
        assertThrows(HostException.class, () -> transactions.find(made.getLast().id));
    }
}
