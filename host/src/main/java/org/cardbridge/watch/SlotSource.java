package org.cardbridge.watch;

import java.util.List;

/**
 * The tokens the PKCS#11 modules see, polled by the watcher every interval. Tokens in PC/SC readers
 * (OpenSC names its slots after the readers) give the watcher's PC/SC events their {@code token} handle
 * and module; the others (SoftHSM, tokens with their own driver) get events of their own. A source must
 * be cheap enough to call every poll interval.
 */
@FunctionalInterface
public interface SlotSource {
    /** A present token: {@code reader} is the slot's description, {@code token} the stable handle. */
    record PresentToken(String reader, String token, String module) {
    }

    List<PresentToken> present() throws Exception;

    SlotSource NONE = List::of;
}
