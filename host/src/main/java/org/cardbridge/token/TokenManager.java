package org.cardbridge.token;

import org.cardbridge.protocol.Wire;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.cardbridge.log.Log;

/**
 * The PKCS#11 modules of a connection and the sessions open on their tokens.
 *
 * <p>Nothing is loaded until the first token request. Candidates come from the policy's {@code modules},
 * OpenSC's default paths and the vendor modules of the ATR map that are installed; several load at once.
 * Slots are enumerated afresh for every request, so a card that was pulled and put back is found again
 * under its stable handle. Sessions (and so the login) are kept until {@link #close()}, which the host
 * calls when the browser closes the connection.
 */
public final class TokenManager implements AutoCloseable {
    private static final Log LOG = Log.get(TokenManager.class);

    /** Loads one module; the seam through which tests wrap the real module. */
    @FunctionalInterface
    public interface Loader {
        Pkcs11 load(String library) throws IOException;
    }

    /**
     * The readers whose card another program holds exclusively (PC/SC). PKCS#11 has no word for it: OpenSC
     * (0.23, reader-pcsc.c) turns SCARD_E_SHARING_VIOLATION into SC_ERROR_READER_LOCKED, then CKR_DEVICE_ERROR
     * for the first C_GetSlotInfo and a slot without a token for the next second. Asked only when a
     * request would otherwise fail for want of a card, so a normal request costs nothing.
     */
    @FunctionalInterface
    public interface ReaderProbe {
        List<String> busyReaders();
    }

    /** One slot as {@code listTokens} reports it; token fields are null when no card is present. */
    public record Slot(@Wire.Nullable String token, String module, long slotId, String readerName, boolean present,
                       @Wire.Nullable String label, @Wire.Nullable String manufacturer, @Wire.Nullable String model,
                       @Wire.Nullable String serial, @Wire.Nullable Boolean loginRequired, @Wire.Nullable Boolean loggedIn,
                       @Wire.Nullable Boolean pinPad, @Wire.Nullable @Wire.OneOf(PinState.class) String pinState,
                       @Wire.OneOf(KeyAlgorithm.class) List<String> algorithms) {
    }

    private final Supplier<List<String>> candidateList;
    private List<String> candidates;
    private final Loader loader;
    private final Map<String, Pkcs11> loaded = new LinkedHashMap<>();
    /** The real paths ({@link Path#toRealPath}) of the files in {@link #loaded}. */
    private final Set<String> loadedRealPaths = new java.util.HashSet<>();
    private final Map<String, String> problems = new LinkedHashMap<>();
    private final Map<String, TokenSession> sessions = new LinkedHashMap<>();
    /** Tokens that refused a PIN on this connection since their last successful login. */
    private final Set<String> pinRejected = new java.util.HashSet<>();
    private volatile ReaderProbe readerProbe = List::of;

    public TokenManager(List<String> candidates, Loader loader) {
        this(() -> candidates, loader);
    }

    /** {@code candidates} is asked once, on the first token request: nothing is read at start-up. */
    public TokenManager(Supplier<List<String>> candidates, Loader loader) {
        this.candidateList = candidates;
        this.loader = loader;
    }

    /** The host's manager: policy modules first, then OpenSC, then installed vendor modules. */
    public static TokenManager standard(Policy policy) {
        // Lambdas, not method references, and nothing read here: the ATR map and the JDK's PKCS#11
        // wrapper are touched only when a token request needs them, never at start-up.
        return new TokenManager(() -> {
            AtrModuleMap map = AtrModuleMap.current();
            List<String> candidates = new ArrayList<>(policy.modules());
            candidates.addAll(map.defaultPaths());
            candidates.addAll(map.vendorPaths().stream().filter(p -> Files.isRegularFile(Path.of(p))).toList());
            return candidates;
        }, path -> WrapperPkcs11.load(path));
    }

    /** Asks {@code probe} which readers another program holds before answering that a card is not there. */
    public TokenManager withReaderProbe(ReaderProbe probe) {
        this.readerProbe = probe;
        return this;
    }

    /**
     * TOKEN_BUSY when no slot has a usable token and another program holds a card exclusively: the card the
     * person means is most likely that one, and "no card" would send them looking for the wrong fault.
     */
    public void failIfOnlyBusy(List<Slot> slots) {
        if (slots.stream().noneMatch(s -> s.token() != null)) {
            failIfBusy();
        }
    }

    private void failIfBusy() {
        List<String> busy = readerProbe.busyReaders();
        if (!busy.isEmpty()) {
            throw TokenErrors.busy(busy);
        }
    }

    private synchronized List<String> candidates() {
        if (candidates == null) {
            candidates = List.copyOf(new LinkedHashSet<>(candidateList.get()));
        }
        return candidates;
    }

    /** The loaded modules; loads any candidate not loaded yet. MODULE_NOT_FOUND when none loads. */
    public synchronized List<Pkcs11> modules() {
        for (String candidate : candidates()) {
            if (loaded.containsKey(candidate)) {
                continue;
            }
            Path path = Path.of(candidate);
            if (!Files.isRegularFile(path)) {
                problems.put(candidate, "not found");
                continue;
            }
            String real = realPath(path);
            // The same file under another name (Debian links opensc-pkcs11.so twice, a policy may name a link):
            // compared by real path on every call, not only the first, or it would be loaded again later.
            if (loadedRealPaths.contains(real)) {
                continue;
            }
            try {
                loaded.put(candidate, loader.load(candidate));
                loadedRealPaths.add(real);
                problems.remove(candidate);
                LOG.info("loaded PKCS#11 module " + candidate);
            } catch (IOException | RuntimeException e) {
                problems.put(candidate, "cannot load: " + e.getMessage());
                LOG.warning("cannot load PKCS#11 module " + candidate + ": " + e.getMessage());
            }
        }
        if (loaded.isEmpty()) {
            List<Map<String, String>> tried = new ArrayList<>();
            candidates().forEach(c -> tried.add(Map.of("path", c, "problem", problems.getOrDefault(c, "not tried"))));
            throw new HostException(ErrorCode.MODULE_NOT_FOUND,
                    "no PKCS#11 module could be loaded: install OpenSC or the card's vendor software, or list its module in the policy",
                    Map.of("tried", tried));
        }
        return List.copyOf(loaded.values());
    }

    private static String realPath(Path path) {
        try {
            return path.toRealPath().toString();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize().toString();
        }
    }

    /** Every slot of every module, with the token in it if any. */
    public synchronized List<Slot> slots() {
        List<Slot> out = new ArrayList<>();
        for (Pkcs11 p11 : modules()) {
            long[] slotIds;
            try {
                slotIds = p11.slots();
            } catch (Pkcs11Error e) {
                LOG.warning("listing slots of " + p11.library() + " failed: " + e.ckrName());
                continue;
            }
            for (long slotId : slotIds) {
                try {
                    out.add(describe(p11, slotId));
                } catch (Pkcs11Error e) {
                    // A card pulled between the two calls reads as an empty slot.
                    LOG.fine("slot " + slotId + " of " + p11.library() + ": " + e.ckrName());
                }
            }
        }
        return out;
    }

    private Slot describe(Pkcs11 p11, long slotId) {
        Pkcs11.SlotInfo slot = p11.slotInfo(slotId);
        if (!slot.tokenPresent()) {
            return new Slot(null, p11.library(), slotId, slot.description(), false, null, null, null, null,
                    null, null, null, null, List.of());
        }
        Pkcs11.TokenInfo info = p11.tokenInfo(slotId);
        if (!info.has(Ck.CKF_TOKEN_INITIALIZED)) {
            // SoftHSM2's spare slot and blank cards: nothing a CA page can use.
            return new Slot(null, p11.library(), slotId, slot.description(), true, null, info.manufacturer(), info.model(),
                    info.serial(), null, null, null, null, List.of());
        }
        String handle = Handles.token(p11.library(), info);
        TokenSession open = sessions.get(handle);
        boolean loggedIn = false;
        if (open != null) {
            try {
                loggedIn = open.loggedIn();
            } catch (HostException e) {
                loggedIn = false;
            }
        }
        Set<Long> mechs = new java.util.HashSet<>();
        for (long m : p11.mechanisms(slotId)) {
            mechs.add(m);
        }
        return new Slot(handle, p11.library(), slotId, slot.description(), true, info.label(), info.manufacturer(),
                info.model(), info.serial(), info.has(Ck.CKF_LOGIN_REQUIRED), loggedIn,
                info.has(Ck.CKF_PROTECTED_AUTHENTICATION_PATH), pinState(handle, info).wireName(),
                algorithms(p11, slotId, mechs).stream().map(KeyAlgorithm::wireName).toList());
    }

    /**
     * The PIN state of a token: its flags, and at least "count low" after it refused a PIN on this connection
     * since its last successful login. That is CKF_USER_PIN_COUNT_LOW's own definition, and a module may not
     * know it: OpenSC learns an IsoApplet card's counter only from a failed VERIFY and never its maximum, so
     * it can say "final try" and "locked" but never "count low".
     */
    public synchronized PinState pinState(String handle, Pkcs11.TokenInfo info) {
        return PinState.of(info).atLeast(pinRejected.contains(handle) ? PinState.COUNT_LOW : PinState.OK);
    }

    /** Records the card's answer to a PIN for {@link #pinState}. */
    synchronized void pinAnswered(String handle, boolean accepted) {
        if (accepted) {
            pinRejected.remove(handle);
        } else {
            pinRejected.add(handle);
        }
    }

    /** The key algorithms a slot's mechanisms allow: key generation in range and a way to sign. */
    static List<KeyAlgorithm> algorithms(Pkcs11 p11, long slotId, Set<Long> mechs) {
        List<KeyAlgorithm> out = new ArrayList<>();
        boolean rsaSign = mechs.contains(Ck.CKM_RSA_PKCS) || mechs.contains(Ck.CKM_RSA_PKCS_PSS);
        if (rsaSign && mechs.contains(Ck.CKM_RSA_PKCS_KEY_PAIR_GEN)) {
            Pkcs11.MechanismInfo info = p11.mechanismInfo(slotId, Ck.CKM_RSA_PKCS_KEY_PAIR_GEN);
            for (KeyAlgorithm a : KeyAlgorithm.values()) {
                if (a.isRsa() && inRange(info, a.bits(), true)) {
                    out.add(a);
                }
            }
        }
        if (mechs.contains(Ck.CKM_ECDSA) && mechs.contains(Ck.CKM_EC_KEY_PAIR_GEN)) {
            Pkcs11.MechanismInfo info = p11.mechanismInfo(slotId, Ck.CKM_EC_KEY_PAIR_GEN);
            for (KeyAlgorithm a : KeyAlgorithm.values()) {
                if (!a.isRsa() && inRange(info, a.bits(), false)) {
                    out.add(a);
                }
            }
        }
        return out;
    }

    private static boolean inRange(Pkcs11.MechanismInfo info, int bits, boolean rsa) {
        // Some modules report 0 for "no limit"; some old RSA drivers report bytes, not bits.
        long min = info.minKeySize();
        long max = info.maxKeySize() == 0 ? Long.MAX_VALUE : info.maxKeySize();
        if (rsa && max < 1024) {
            max *= 8;
            min *= 8;
        }
        return bits >= min && bits <= max;
    }

    /**
     * The session for a token handle: the one already open, or a new one on whichever slot the card is in
     * now. TOKEN_NOT_FOUND when no module has that card.
     */
    public synchronized TokenSession open(String handle) {
        TokenSession current = sessions.get(handle);
        if (current != null) {
            try {
                // Same card still in the same slot: no need to walk every slot of every module. The slot is
                // asked before the session: OpenSC answers session and object calls from its cache for a card
                // pulled out between two requests, and only polling the slot makes it see the card changed
                // and close its sessions (a card pulled and put back would otherwise keep a dead session).
                // These three calls are the per-request check that keeps what the session read of the card (its
                // certificates and keys) from serving another card: see TokenSession.
                if (current.module().slotInfo(current.slot()).tokenPresent()) {
                    Pkcs11.TokenInfo info = current.module().tokenInfo(current.slot());
                    if (handle.equals(Handles.token(current.library(), info)) && stillOpen(current)) {
                        current.checked(info);
                        return current;
                    }
                }
            } catch (Pkcs11Error e) {
                LOG.fine("the card of an open session changed: " + e.ckrName());
            }
        }
        for (Pkcs11 p11 : modules()) {
            long[] slotIds;
            try {
                slotIds = p11.slots();
            } catch (Pkcs11Error e) {
                continue;
            }
            for (long slotId : slotIds) {
                Pkcs11.TokenInfo info;
                try {
                    if (!p11.slotInfo(slotId).tokenPresent()) {
                        continue;
                    }
                    info = p11.tokenInfo(slotId);
                } catch (Pkcs11Error e) {
                    continue;
                }
                if (!handle.equals(Handles.token(p11.library(), info))) {
                    continue;
                }
                TokenSession existing = sessions.get(handle);
                if (existing != null && existing.slot() == slotId && existing.module() == p11 && stillOpen(existing)) {
                    // The quick check above failed (an error on the slot, the token or the session), yet the card is
                    // here with its session open: keep the session and its login, read its objects again.
                    existing.checked(info);
                    existing.forgetObjects();
                    return existing;
                }
                if (existing != null) {
                    sessions.remove(handle);
                    existing.closeQuietly();
                }
                long session;
                try {
                    session = p11.openSession(slotId);
                } catch (Pkcs11Error e) {
                    throw TokenErrors.map(e, "opening the card");
                }
                TokenSession opened = new TokenSession(this, p11, slotId, handle, session, info);
                sessions.put(handle, opened);
                return opened;
            }
        }
        // Before any window: a card held by another program reads as absent, and the request cannot succeed.
        failIfBusy();
        throw new HostException(ErrorCode.TOKEN_NOT_FOUND, "no card with this handle is present", Map.of("token", handle));
    }

    private static boolean stillOpen(TokenSession s) {
        try {
            s.module().sessionState(s.sessionHandle());
            return true;
        } catch (Pkcs11Error e) {
            return false;
        }
    }

    /** Drops a session whose card went away; the next {@link #open} starts afresh. */
    synchronized void forget(TokenSession session) {
        sessions.remove(session.handle(), session);
        session.closeQuietly();
    }

    /** Logs out and closes every session (end of the browser connection). Modules stay loaded for the JVM. */
    @Override
    public synchronized void close() {
        // A copy: a session whose card is gone removes itself from the map (forget) while we walk it.
        for (TokenSession s : List.copyOf(sessions.values())) {
            try {
                if (s.loggedIn()) {
                    s.logout();
                }
            } catch (HostException e) {
                LOG.fine("logout at close: " + e.getMessage());
            }
            s.closeQuietly();
        }
        sessions.clear();
    }
}
