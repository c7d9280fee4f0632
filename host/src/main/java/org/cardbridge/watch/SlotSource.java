package org.cardbridge.watch;

import java.util.List;

/**
 * Tokens that PC/SC does not show (SoftHSM, tokens with their own driver), polled by the watcher.
 * A source must be cheap to call every poll interval and must not list tokens of PC/SC readers,
 * which the watcher reports already.
 */
@FunctionalInterface
public interface SlotSource {
    /** A present token: {@code reader} is the slot's description, unique within the source. */
    record PresentToken(String reader, String token, String module) {
    }

    List<PresentToken> present() throws Exception;

    SlotSource NONE = List::of;
}
