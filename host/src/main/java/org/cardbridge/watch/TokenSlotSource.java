package org.cardbridge.watch;

import org.cardbridge.token.TokenManager;

import java.util.List;
import java.util.function.Supplier;

/** The watcher's view of the connection's {@link TokenManager}: its present, initialised tokens. */
public final class TokenSlotSource implements SlotSource {
    private final Supplier<List<TokenManager.Slot>> slots;

    public TokenSlotSource(TokenManager tokens) {
        this(tokens::slots);
    }

    TokenSlotSource(Supplier<List<TokenManager.Slot>> slots) {
        this.slots = slots;
    }

    @Override
    public List<PresentToken> present() {
        return slots.get().stream().filter(s -> s.present() && s.token() != null)
                .map(s -> new PresentToken(s.readerName(), s.token(), s.module())).toList();
    }
}
