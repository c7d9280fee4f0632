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
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.cardbridge.log.Log;

/**
 * The PKCS#11 modules of a connection and the sessions open on their tokens.
 *
 * <p>Nothing is loaded until the first token request. Candidates come from the policy's {@code modules} and
 * OpenSC's default paths; a vendor module of the ATR map is added when a card in a reader has one of its
 * ATRs (or, when PC/SC cannot be asked, every installed one), and its token is then listed instead of
 * OpenSC's view of the same card. Several modules load at once.
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

    /** A card in a reader, as PC/SC reports it. */
    public record CardInReader(String reader, byte[] atr) {
        public CardInReader {
            atr = atr.clone();
        }

        @Override
        public byte[] atr() {
            return atr.clone();
        }
    }

    /** The cards in the readers now; empty when PC/SC cannot be asked (no service, no library). */
    @FunctionalInterface
    public interface CardReaders {
        Optional<List<CardInReader>> present();
    }

    /** A card whose ATR names a vendor module that is not installed here. */
    private record Missing(String reader, String atr, AtrModuleMap.Entry entry) {
    }

    private final Supplier<List<String>> candidateList;
    private List<String> candidates;
    private final Loader loader;
    private final Supplier<AtrModuleMap> atrMapSource;
    private AtrModuleMap atrMap;
    private final CardReaders readers;
    /** Vendor modules added because a card asked for them (kept loaded for the JVM, like every module). */
    private final Set<String> selected = new LinkedHashSet<>();
    /** Reader name → the vendor module chosen for its card, as of the last request. */
    private Map<String, String> vendorReaders = Map.of();
    private List<Missing> missing = List.of();
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
        this(candidates, loader, AtrModuleMap::empty, () -> Optional.of(List.of()));
    }

    /**
     * {@code atrMap} and {@code readers} pick vendor modules by the ATRs of the cards present; both are asked
     * on token requests only.
     */
    public TokenManager(Supplier<List<String>> candidates, Loader loader, Supplier<AtrModuleMap> atrMap, CardReaders readers) {
        this.candidateList = candidates;
        this.loader = loader;
        this.atrMapSource = atrMap;
        this.readers = readers;
    }

    /** {@link #standard(Policy, CardReaders)} without PC/SC: every installed vendor module is loaded. */
    public static TokenManager standard(Policy policy) {
        return standard(policy, () -> Optional.empty());
    }

    /**
     * The host's manager: policy modules first, then OpenSC, then the vendor modules the cards in
     * {@code readers} need by the ATR map (the host's, with the policy's {@code atrModules} over it).
     */
    public static TokenManager standard(Policy policy, CardReaders readers) {
        // Lambdas, not method references, and nothing read here: the ATR map, PC/SC and the JDK's PKCS#11
        // wrapper are touched only when a token request needs them, never at start-up.
        return new TokenManager(() -> {
            List<String> candidates = new ArrayList<>(policy.modules());
            candidates.addAll(AtrModuleMap.current().defaultPaths());
            return candidates;
        }, path -> WrapperPkcs11.load(path), () -> AtrModuleMap.current().with(policy.atrModules()), readers);
    }

    /** The ATR map this manager selects by (the policy's entries included); read on first use. */
    public synchronized AtrModuleMap atrMap() {
        if (atrMap == null) {
            atrMap = atrMapSource.get();
        }
        return atrMap;
    }

    /**
     * Reads the ATRs of the cards present and adds the vendor module each one's ATR names. A card whose module
     * is not installed is remembered for {@link #moduleNotInstalled}. Asked afresh each time (a card may have
     * been swapped for another make): one PC/SC status read and a shared connect per card, no APDU.
     */
    private void selectByAtr() {
        selectByAtr(readers.present());
    }

    private void selectByAtr(Optional<List<CardInReader>> cards) {
        AtrModuleMap map = atrMap();
        if (cards.isEmpty()) {
            // PC/SC cannot be asked: the old rule, every installed vendor module, rather than none.
            map.entries().stream().filter(e -> !e.isDefault()).forEach(e -> e.installedPath().ifPresent(selected::add));
            vendorReaders = Map.of();
            missing = List.of();
            return;
        }
        Map<String, String> chosen = new LinkedHashMap<>();
        List<Missing> notInstalled = new ArrayList<>();
        for (CardInReader card : cards.get()) {
            map.vendorFor(card.atr()).ifPresent(entry -> entry.installedPath().ifPresentOrElse(path -> {
                selected.add(path);
                chosen.put(card.reader(), path);
            }, () -> notInstalled.add(new Missing(card.reader(), HexFormat.of().withUpperCase().formatHex(card.atr()), entry))));
        }
        vendorReaders = chosen;
        missing = notInstalled;
    }

    /** A few stat calls: whether any vendor module of the map is on this computer. */
    private boolean anyVendorInstalled() {
        return atrMap().entries().stream().anyMatch(e -> !e.isDefault() && e.installedPath().isPresent());
    }

    private static Optional<List<CardInReader>> await(java.util.concurrent.FutureTask<Optional<List<CardInReader>>> cards) {
        try {
            return cards.get();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warning("reading the cards' ATRs failed: " + e.getCause());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static HostException moduleNotInstalled(Missing m) {
        return new HostException(ErrorCode.MODULE_NOT_INSTALLED,
                "the card in " + m.reader() + " needs " + m.entry().product() + ", which is not installed",
                Map.of("reader", m.reader(), "atr", m.atr(), "card", m.entry().name(), "product", m.entry().product(),
                        "paths", m.entry().paths()));
    }

    /**
     * True when a slot is another module's view of a card whose vendor module is loaded: OpenSC names its
     * slots after the reader (cut to 64 bytes), so the reader's name is how the two views meet.
     */
    private boolean shownByItsVendor(Pkcs11 p11, String slotDescription) {
        String d = slotDescription.strip();
        for (Map.Entry<String, String> e : vendorReaders.entrySet()) {
            Pkcs11 vendor = loaded.get(e.getValue());
            boolean sameReader = e.getKey().equals(d) || (d.length() >= 60 && e.getKey().startsWith(d));
            if (vendor != null && vendor != p11 && sameReader) {
                return true;
            }
        }
        return false;
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
        LinkedHashSet<String> all = new LinkedHashSet<>(candidates);
        all.addAll(selected);
        return List.copyOf(all);
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
            if (!missing.isEmpty()) {
                // More precise than "no module": we know the card and what it needs.
                throw moduleNotInstalled(missing.getFirst());
            }
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
        // PC/SC is asked only when a vendor module of the map is installed (else no ATR can change which
        // module serves a card: it is needed only to name a missing product, below), and then on another
        // thread while the modules load, so the first answer does not wait for it (docs/benchmarks.md).
        java.util.concurrent.FutureTask<Optional<List<CardInReader>>> cards = null;
        if (anyVendorInstalled()) {
            cards = new java.util.concurrent.FutureTask<>(readers::present);
            Thread.ofPlatform().daemon().name("cardbridge-atr").start(cards);
        } else {
            vendorReaders = Map.of();
            missing = List.of();
        }
        boolean anyModule;
        try {
            modules();
            anyModule = true;
        } catch (HostException e) {
            // No module yet: the ATRs may add one, or say which product is missing; modules() below decides.
            anyModule = false;
        }
        if (cards != null) {
            selectByAtr(await(cards));
        } else if (!anyModule) {
            selectByAtr();
        }
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
                    Slot slot = describe(p11, slotId);
                    if (!shownByItsVendor(p11, slot.readerName())) {
                        out.add(slot);
                    }
                } catch (Pkcs11Error e) {
                    // A card pulled between the two calls reads as an empty slot.
                    LOG.fine("slot " + slotId + " of " + p11.library() + ": " + e.ckrName());
                }
            }
        }
        if (out.stream().noneMatch(s -> s.token() != null)) {
            if (cards == null && anyModule) {
                selectByAtr();
            }
            if (!missing.isEmpty()) {
                // No module shows any card, and one card's ATR names a module that is not here: say what to install.
                throw moduleNotInstalled(missing.getFirst());
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
        // A handle from another connection: its card's vendor module may not be loaded yet.
        if (anyVendorInstalled()) {
            selectByAtr();
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
