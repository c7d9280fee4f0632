package org.cardbridge.command.token;

import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CMP transactions of one connection: what the host sent in a key update request, so that the CA's
 * answer can be checked against it (transaction id, nonce, the key the new certificate must be for).
 * Bounded: at most {@link #MAX} transactions; a new one evicts the oldest. Nothing here is secret.
 */
public final class CmpTransactions {
    static final int MAX = 8;

    /** Where a transaction stands: the request went out; the certificate was installed and certConf went out. */
    enum State { REQUESTED, CONFIRMED }

    /**
     * One transaction: {@code oldCertificate} (handle {@code oldHandle}, key {@code oldKeyId}) on token
     * {@code token} authenticated a request for {@code newKey}; {@code nonce} is the request's senderNonce,
     * which the CA's answer must return as its recipNonce ({@code confirmNonce} likewise for the certConf).
     */
    static final class Transaction {
        final byte[] id;
        final String token;
        final String oldHandle;
        final X509Certificate oldCertificate;
        final byte[] oldKeyId;
        final PublicKey newKey;
        final byte[] requestNonce;
        byte[] confirmNonce;
        /** The senderNonce of the last pollReq, once the CA asked to wait: its next answer must return it. */
        byte[] pollNonce;
        State state = State.REQUESTED;
        /** Once installed: the certConf sent, kept so that the same kup again gives the same answer. */
        Object confirmed;

        Transaction(byte[] id, String token, String oldHandle, X509Certificate oldCertificate, byte[] oldKeyId,
                    PublicKey newKey, byte[] nonce) {
            this.id = id.clone();
            this.token = token;
            this.oldHandle = oldHandle;
            this.oldCertificate = oldCertificate;
            this.oldKeyId = oldKeyId.clone();
            this.newKey = newKey;
            this.requestNonce = nonce.clone();
        }

        String idHex() {
            return HexFormat.of().formatHex(id);
        }
    }

    private final Map<String, Transaction> open = new LinkedHashMap<>();

    synchronized void add(Transaction t) {
        open.put(t.idHex(), t);
        while (open.size() > MAX) {
            open.remove(open.keySet().iterator().next());
        }
    }

    /** The transaction with this id; CMP_TRANSACTION_MISMATCH when this connection started none such. */
    synchronized Transaction find(byte[] id) {
        Transaction t = id == null ? null : open.get(HexFormat.of().formatHex(id));
        if (t == null) {
            throw new HostException(ErrorCode.CMP_TRANSACTION_MISMATCH,
                    "the CMP message belongs to no transaction this connection started", Map.of("field", "message"));
        }
        return t;
    }

    synchronized void close(Transaction t) {
        open.remove(t.idHex());
    }

    synchronized List<String> ids() {
        return List.copyOf(open.keySet());
    }
}
