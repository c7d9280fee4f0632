package org.cardbridge.command.token;

import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.Handles;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;
import org.cardbridge.ui.Texts;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code removeKey {key}}: removes a pending key (one with no certificate) the user abandons. A key that
 * has a certificate is refused: removing it would leave that certificate unusable.
 */
public final class RemoveKeyCommand implements Command<Handles.ObjectHandle> {
    public record Result(boolean removed) {
    }

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

    @Override
    public Object execute(Handles.ObjectHandle key, CommandContext context) {
        TokenSession session = access.session(key.token());
        byte[] id = key.keyId();
        if (session.certificates().stream().anyMatch(c -> Arrays.equals(c.id(), id))) {
            throw new HostException(ErrorCode.INVALID_ARGUMENT,
                    "key: this key has a certificate; only keys waiting for a certificate can be removed",
                    Map.of("field", "key"));
        }
        List<TokenObjects.Key> publicKeys = session.publicKeys().stream().filter(k -> Arrays.equals(k.id(), id)).toList();
        String label = publicKeys.isEmpty() ? "" : publicKeys.getFirst().label();
        Texts t = TokenAccess.texts(context);
        access.confirm(context, "action.removeKey", List.of(t.plain("fact.token", session.info().label()),
                t.plain("fact.label", label)));
        access.login(session, context, null);
        TokenObjects.Key privateKey = TokenAccess.privateKey(session, key);
        session.destroy(privateKey.handle(), "removing the key");
        for (TokenObjects.Key pub : session.publicKeys()) {
            if (Arrays.equals(pub.id(), id)) {
                session.destroy(pub.handle(), "removing the public key");
            }
        }
        return new Result(true);
    }
}
