package org.cardbridge.command.token;

import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.Handles;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;
import org.cardbridge.ui.Texts;

import java.util.Arrays;
import java.util.List;

/**
 * {@code removeKey {key}}: removes a pending key (one with no certificate) the user abandons. A key that
 * has a certificate is refused: removing it would leave that certificate unusable.
 */
public final class RemoveKeyCommand implements Command<Handles.ObjectHandle, RemoveKeyCommand.Result> {
    public record Result(boolean removed) {
    }

    private static final String ONLY_PENDING = "only keys waiting for a certificate can be removed";
    private final TokenAccess access;

    public RemoveKeyCommand(TokenAccess access) {
        this.access = access;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.ENROLL;
    }

    @Override
    public Handles.ObjectHandle parse(Params params) {
        return Handles.parseKey("key", params.text("key"));
    }

    /** Card present and writable, the key on it and pending, the PIN not blocked: before the confirmation. */
    @Override
    public void precheck(Handles.ObjectHandle key) {
        TokenSession session = access.session(key.token());
        Preflight.requireWritable(session);
        Preflight.pendingKey(session, key, ONLY_PENDING);
        Preflight.requirePinUsable(session);
    }

    @Override
    public Result execute(Handles.ObjectHandle key, CommandContext context) {
        TokenSession session = access.freshSession(key.token());
        byte[] id = key.keyId();
        TokenAccess.requireNoCertificate(session, id, "key", ONLY_PENDING);
        List<TokenObjects.Key> publicKeys = session.publicKeys().stream().filter(k -> Arrays.equals(k.id(), id)).toList();
        String label = publicKeys.isEmpty() ? "" : publicKeys.getFirst().label();
        Texts t = TokenAccess.texts(context);
        org.cardbridge.token.KeyAlgorithm algorithm = publicKeys.isEmpty() ? null : publicKeys.getFirst().algorithm();
        access.approve(session, context, "action.removeKey", List.of(t.plain("fact.token", session.info().label()),
                t.plain("fact.pendingKey", algorithm == null ? t.get("key.unknown") : PlainWords.key(algorithm, t), label)), null, null);
        TokenAccess.requireNoCertificate(session, id, "key", ONLY_PENDING); // private certificates show only now
        TokenObjects.Key privateKey = TokenAccess.privateKey(session, key);
        // Public key first: if the card goes between the two, a lone private key is still a pending key the
        // user can remove again, while a lone public key would look like one that removeKey cannot remove.
        for (TokenObjects.Key pub : session.publicKeys()) {
            if (Arrays.equals(pub.id(), id)) {
                session.destroy(pub.handle(), "removing the public key");
            }
        }
        session.destroy(privateKey.handle(), "removing the key");
        return new Result(true);
    }
}
