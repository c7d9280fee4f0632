package org.cardbridge.token;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.DigestInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.DefaultDigestAlgorithmIdentifierFinder;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.cardbridge.log.Level;
import org.cardbridge.log.Log;

/**
 * One open session on one token, kept by {@link TokenManager} for the connection so a login serves every
 * later request. Every PKCS#11 call goes through {@link #call}: a removed card becomes TOKEN_REMOVED and
 * the session is dropped, so the next request finds the card again (hot-plug).
 *
 * <p><b>What the session keeps of the card.</b> The certificates and keys it read (values parsed, key
 * attributes, CKA_ALWAYS_AUTHENTICATE) and the token information {@link TokenManager#open} read for the
 * current request are kept with the session, so a request signs without re-reading the card. They live
 * exactly as long as this session, and are dropped (read again when next asked):
 * <ul>
 * <li>on a card event: {@link TokenManager#open} checks at every request that the slot still holds a card,
 *     that its token information (manufacturer, model, serial, label) still gives this handle and that the
 *     session is still open; a card taken out, swapped or put back fails one of these, and the next request
 *     gets a new session with nothing kept. A removal error (CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT,
 *     CKR_SESSION_HANDLE_INVALID, ...) drops the session as well;</li>
 * <li>on the host's own writes and on login and logout (a card shows its private objects only when logged
 *     in): {@link #generateKeyPair}, {@link #createCertificate}, {@link #destroy}, {@link #login}, {@link #logout};</li>
 * <li>on an object-handle error (CKR_OBJECT_HANDLE_INVALID, CKR_KEY_HANDLE_INVALID);</li>
 * <li>when asked: {@link #forgetObjects()} (listings and writing commands start from what the card holds now).</li>
 * </ul>
 * Another program (the extension's second host, for its watcher, or the card's own software) may change the
 * card while it stays in the reader; what this session kept is then stale until one of the above. Staleness
 * is accepted only where it cannot give a wrong answer: a lookup by id or handle ({@link #privateKey},
 * {@link #publicKey}, {@link #certificate}) reads the card again once before saying "not there"; a key found
 * in what was kept is checked to still carry its CKA_ID under its handle (one attribute read, once per
 * request); a signature made with a key handle the card no longer knows is made again, once, with the key
 * found afresh. A kept certificate is not checked (its value never changes in place): a certificate another
 * program deleted while its key stays can still be named by a page that listed it before, until a listing,
 * a write or a card event on this connection.
 */
public final class TokenSession {
    private static final Log LOG = Log.get(TokenSession.class);
    private static final long REMOVAL_GRACE_NANOS = 1_500_000_000L;

    private final TokenManager manager;
    private final Pkcs11 p11;
    private final long slot;
    private final String handle;
    private final long session;
    private Set<Long> mechanisms;
    // What was read of the card (see the class comment); null: not read, or dropped. Guarded by this.
    private Pkcs11.TokenInfo info;
    private List<TokenObjects.Certificate> certificates;
    private List<TokenObjects.Key> privateKeys;
    private List<TokenObjects.Key> publicKeys;
    private final java.util.Map<Long, Boolean> alwaysAuthenticate = new java.util.HashMap<>();
    /** How many times object lists were read from the card: tells a lookup whether it saw a fresh read. */
    private int reads;
    /** Counts {@link TokenManager#open}'s checks: a kept key's handle is checked once per check (per request). */
    private long checks;
    private final java.util.Map<Long, Long> keyCheckedAt = new java.util.HashMap<>();
    /** The protocol handle of each kept certificate (a SHA-256 of its value), by its value's identity. */
    private final java.util.Map<byte[], String> certificateHandles = new java.util.IdentityHashMap<>();

    TokenSession(TokenManager manager, Pkcs11 p11, long slot, String handle, long session, Pkcs11.TokenInfo info) {
        this.manager = manager;
        this.p11 = p11;
        this.slot = slot;
        this.handle = handle;
        this.session = session;
        this.info = info;
    }

    /** The token information {@link TokenManager#open} has just read to check the card is still this one. */
    synchronized void checked(Pkcs11.TokenInfo current) {
        info = current;
        checks++;
    }

    /** Drops every object read from the card: the next question reads it again. */
    public synchronized void forgetObjects() {
        certificates = null;
        privateKeys = null;
        publicKeys = null;
        alwaysAuthenticate.clear();
        keyCheckedAt.clear();
        certificateHandles.clear();
    }

    public String handle() {
        return handle;
    }

    public String library() {
        return p11.library();
    }

    public long slot() {
        return slot;
    }

    Pkcs11 module() {
        return p11;
    }

    long sessionHandle() {
        return session;
    }

    /** Runs one PKCS#11 step; a failure becomes a protocol error (removal also drops this session). */
    public <T> T call(String what, Supplier<T> step) {
        try {
            return step.get();
        } catch (Pkcs11Error e) {
            if (TokenErrors.isRemoval(e.ckr()) || TokenErrors.mayMeanRemoval(e.ckr()) && cardWentAway()) {
                manager.forget(this);
                throw TokenErrors.removed(e, what);
            }
            if (staleHandle(e)) {
                forgetObjects();
            }
            throw TokenErrors.map(e, what);
        }
    }

    /**
     * After a generic failure: is the card gone? A card pulled mid-command fails that command with a
     * transmission error first; the reader reports the removal a moment later, so look for up to a second.
     */
    private boolean cardWentAway() {
        long deadline = System.nanoTime() + REMOVAL_GRACE_NANOS;
        while (true) {
            try {
                if (!p11.slotInfo(slot).tokenPresent()) {
                    return true;
                }
            } catch (Pkcs11Error probe) {
                if (TokenErrors.isRemoval(probe.ckr())) {
                    return true;
                }
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private void run(String what, Runnable step) {
        call(what, () -> {
            step.run();
            return null;
        });
    }

    /** The token information, as read at this request's start (see {@link TokenManager#open}) or after a login. */
    public Pkcs11.TokenInfo info() {
        synchronized (this) {
            if (info != null) {
                return info;
            }
        }
        Pkcs11.TokenInfo read = call("reading the card", () -> p11.tokenInfo(slot));
        synchronized (this) {
            info = read;
        }
        return read;
    }

    private static boolean staleHandle(Pkcs11Error e) {
        return e.ckr() == Ck.CKR_OBJECT_HANDLE_INVALID || e.ckr() == Ck.CKR_KEY_HANDLE_INVALID;
    }

    public boolean loggedIn() {
        long state = call("reading the session", () -> p11.sessionState(session));
        return state == Ck.CKS_RO_USER_FUNCTIONS || state == Ck.CKS_RW_USER_FUNCTIONS;
    }

    /**
     * Logs the user in; {@code pin} null logs in through the reader's PIN-pad. The caller wipes the PIN.
     * Wrong PIN is PIN_INCORRECT with the PIN state read afterwards ({@link #pinState}); a blocked PIN is
     * PIN_LOCKED. Never retried.
     */
    public void login(byte[] pin) {
        // Whatever the card answers, its PIN flags may have changed and its private objects may show now.
        synchronized (this) {
            info = null;
        }
        forgetObjects();
        try {
            p11.login(session, pin);
            manager.pinAnswered(handle, true);
        } catch (Pkcs11Error e) {
            if (e.ckr() == Ck.CKR_USER_ALREADY_LOGGED_IN) {
                return;
            }
            if (e.ckr() == Ck.CKR_PIN_INCORRECT || e.ckr() == Ck.CKR_PIN_LEN_RANGE) {
                if (e.ckr() == Ck.CKR_PIN_INCORRECT) {
                    manager.pinAnswered(handle, false); // a PIN of the wrong length never reached the card's counter
                }
                PinState after = pinStateOrUnknown();
                throw new HostException(after == PinState.LOCKED ? ErrorCode.PIN_LOCKED : ErrorCode.PIN_INCORRECT,
                        after == PinState.LOCKED ? "wrong PIN: the PIN is now blocked" : "wrong PIN",
                        Map.of("pinState", after.wireName(), "pkcs11", e.ckrName()), e);
            }
            if (e.ckr() == Ck.CKR_PIN_LOCKED) {
                throw lockedError();
            }
            if (TokenErrors.isRemoval(e.ckr())) {
                manager.forget(this);
            }
            throw TokenErrors.map(e, "logging in");
        }
    }

    /** The PIN state as the token and this connection know it (see {@link TokenManager#pinState}). */
    public PinState pinState(Pkcs11.TokenInfo info) {
        return manager.pinState(handle, info);
    }

    private PinState pinStateOrUnknown() {
        try {
            return pinState(p11.tokenInfo(slot));
        } catch (Pkcs11Error e) {
            return manager.pinState(handle, new Pkcs11.TokenInfo("", "", "", "", 0));
        }
    }

    /**
     * Changes the user PIN (C_SetPIN in this session, logged in or not); both null: the PIN-pad reader asks.
     * The caller wipes both. A wrong current PIN is PIN_INCORRECT (with the PIN state after it, as for a login);
     * a new PIN the card refuses (length, characters) is INVALID_ARGUMENT naming {@code newPin}, the PIN
     * unchanged; a module without C_SetPIN is PIN_CHANGE_NOT_SUPPORTED. Never retried.
     */
    public void changePin(byte[] oldPin, byte[] newPin) {
        // See unblocksWithSetPin: without a login this OpenSC setting would take the current PIN for a PUK.
        boolean loginFirst = unblocksWithSetPin() && !loggedIn();
        if (loginFirst) {
            login(oldPin);
        }
        try {
            p11.setPin(session, oldPin, newPin);
            manager.pinAnswered(handle, true);
        } catch (UnsupportedOperationException e) {
            throw notSupported(e.getMessage());
        } catch (Pkcs11Error e) {
            if (e.ckr() == Ck.CKR_PIN_INCORRECT) {
                manager.pinAnswered(handle, false);
                PinState after = pinStateOrUnknown();
                throw new HostException(after == PinState.LOCKED ? ErrorCode.PIN_LOCKED : ErrorCode.PIN_INCORRECT,
                        after == PinState.LOCKED ? "wrong PIN: the PIN is now blocked" : "wrong PIN",
                        Map.of("pinState", after.wireName(), "secret", "pin", "pkcs11", e.ckrName()), e);
            }
            throw pinChangeError(e, "changing the PIN");
        } finally {
            if (loginFirst) {
                logout();
            }
        }
    }

    /**
     * Unblocks (sets) the user PIN with the PUK: C_Login as CKU_SO with {@code puk}, C_InitPIN, C_Logout. A
     * user login of this connection is ended first (the card allows one user type at a time). On PKCS#15 cards
     * OpenSC takes the PUK as the SO login when configured to ({@code user_pin_unblock_style =
     * init_pin_in_so_session}, where the PUK is the SO PIN); SoftHSM2 takes its SO PIN. A blocked PIN under OpenSC
     * goes the way OpenSC documents for PKCS#15 cards instead ({@link #unblockWithSetPin}). Null PUK and PIN: the PIN-pad reader asks. A wrong
     * PUK is PIN_INCORRECT with {@code secret: "puk"} and the PUK's state; a blocked PUK is PUK_LOCKED; a module
     * that refuses the SO login or C_InitPIN is PIN_CHANGE_NOT_SUPPORTED. The caller wipes both.
     */
    public void unblockPin(byte[] puk, byte[] newPin, boolean withSetPin) {
        if (loggedIn()) {
            logout();
        }
        if (withSetPin) {
            unblockWithSetPin(puk, newPin);
            return;
        }
        try {
            p11.loginSo(session, puk);
        } catch (Pkcs11Error e) {
            if (e.ckr() == Ck.CKR_PIN_INCORRECT || e.ckr() == Ck.CKR_PIN_LEN_RANGE) {
                PinState after = soPinStateOrOk();
                if (after == PinState.LOCKED) {
                    throw pukLocked();
                }
                throw new HostException(ErrorCode.PIN_INCORRECT, "wrong PUK",
                        Map.of("pinState", after.wireName(), "secret", "puk", "pkcs11", e.ckrName()), e);
            }
            if (e.ckr() == Ck.CKR_PIN_LOCKED) {
                throw pukLocked();
            }
            if (e.ckr() == Ck.CKR_USER_TYPE_INVALID) {
                throw notSupported("the card's module does not take the PUK as a security officer login (C_Login CKU_SO: "
                        + e.ckrName() + ")");
            }
            throw pinChangeError(e, "checking the PUK");
        }
        try {
            p11.initPin(session, newPin);
            manager.pinAnswered(handle, true);
        } catch (UnsupportedOperationException e) {
            throw notSupported(e.getMessage());
        } catch (Pkcs11Error e) {
            if (e.ckr() == Ck.CKR_PIN_INCORRECT || e.ckr() == Ck.CKR_PIN_LOCKED) {
                // OpenSC (init_pin_in_so_session) keeps the PUK of the SO login and checks it only now, with the
                // RESET RETRY COUNTER that sets the new PIN.
                PinState after = soPinStateOrOk();
                if (e.ckr() == Ck.CKR_PIN_LOCKED || after == PinState.LOCKED) {
                    throw pukLocked();
                }
                throw new HostException(ErrorCode.PIN_INCORRECT, "wrong PUK",
                        Map.of("pinState", after.wireName(), "secret", "puk", "pkcs11", e.ckrName()), e);
            }
            if (e.ckr() == Ck.CKR_GENERAL_ERROR || e.ckr() == Ck.CKR_FUNCTION_FAILED) {
                // OpenSC with its default user_pin_unblock_style (none) lets a PKCS#15 card without an SO PIN log in as
                // SO without checking anything, then C_InitPIN tries to create a PIN and fails: the PUK was never
                // used and the PIN is as it was. With init_pin_in_so_session the same calls unblock with the PUK.
                throw notSupported("the card's module did not unblock the PIN with the PUK (C_InitPIN: " + e.ckrName()
                        + "); OpenSC unblocks a blocked PIN with the PUK when user_pin_unblock_style = set_pin_in_unlogged_session");
            }
            throw pinChangeError(e, "setting the new PIN");
        } finally {
            try {
                p11.logout(session);
            } catch (Pkcs11Error e) {
                LOG.fine("logging out the PUK: " + e.getMessage());
            }
        }
    }

    /**
     * True when C_SetPIN in a session that is not logged in unblocks instead of changing: OpenSC with
     * {@code user_pin_unblock_style = set_pin_in_unlogged_session} then takes the old PIN as the PUK, whether the
     * PIN is blocked or not (src/pkcs11/framework-pkcs15.c, pkcs15_change_pin). So {@link #unblockPin} goes that
     * way ({@link #unblockWithSetPin}) — right also in a fresh OpenSC process, which does not know yet that the
     * PIN is blocked — and {@link #changePin} logs in first, or the current PIN would be spent as a PUK try.
     */
    public boolean unblocksWithSetPin() {
        return OpenScConf.isOpenSc(p11.library()) && "set_pin_in_unlogged_session".equals(OpenScConf.unblockStyle());
    }

    /**
     * OpenSC's own way on PKCS#15 cards, whose PUK is the PIN's unblocking code and not an SO PIN: C_SetPIN in a
     * session that is not logged in, the PUK as the old PIN, when opensc.conf says
     * {@code user_pin_unblock_style = set_pin_in_unlogged_session} (OpenSC then sends RESET RETRY COUNTER, as
     * {@code pkcs15-tool --unblock-pin} does). Used only while the PIN is blocked: without that setting OpenSC
     * would take the PUK for a current PIN, which on a PIN that still works would cost one of its tries. Then a
     * blocked PIN answers CKR_PIN_LOCKED, as a blocked PUK does; the two cannot be told apart from here.
     */
    private void unblockWithSetPin(byte[] puk, byte[] newPin) {
        try {
            p11.setPin(session, puk, newPin);
            manager.pinAnswered(handle, true);
        } catch (UnsupportedOperationException e) {
            throw notSupported(e.getMessage());
        } catch (Pkcs11Error e) {
            if (e.ckr() == Ck.CKR_PIN_INCORRECT) {
                throw new HostException(ErrorCode.PIN_INCORRECT, "wrong PUK",
                        Map.of("pinState", soPinStateOrOk().wireName(), "secret", "puk", "pkcs11", e.ckrName()), e);
            }
            if (e.ckr() == Ck.CKR_PIN_LOCKED) {
                throw notSupported("the card refused to unblock the PIN (" + e.ckrName() + "): its PUK is blocked, or OpenSC is not "
                        + "set to unblock with the PUK (user_pin_unblock_style = set_pin_in_unlogged_session in opensc.conf)");
            }
            throw pinChangeError(e, "unblocking the PIN");
        }
    }

    private HostException pinChangeError(Pkcs11Error e, String what) {
        if (e.ckr() == Ck.CKR_PIN_LEN_RANGE || e.ckr() == Ck.CKR_PIN_INVALID) {
            return new HostException(ErrorCode.INVALID_ARGUMENT, "the card refused the new PIN (" + e.ckrName() + ")",
                    Map.of("field", "newPin", "pkcs11", e.ckrName()), e);
        }
        if (e.ckr() == Ck.CKR_PIN_LOCKED) {
            return lockedError();
        }
        if (e.ckr() == Ck.CKR_FUNCTION_NOT_SUPPORTED) {
            return notSupported("the card's module has no " + what + " (" + e.ckrName() + ")");
        }
        if (TokenErrors.isRemoval(e.ckr())) {
            manager.forget(this);
        }
        return TokenErrors.map(e, what);
    }

    private PinState soPinStateOrOk() {
        try {
            return PinState.ofSo(p11.tokenInfo(slot));
        } catch (Pkcs11Error e) {
            return PinState.OK;
        }
    }

    public static HostException pukLocked() {
        return new HostException(ErrorCode.PUK_LOCKED, "the PUK is blocked: only the card's issuer can help",
                Map.of("pukState", PinState.LOCKED.wireName()));
    }

    public static HostException notSupported(String why) {
        return new HostException(ErrorCode.PIN_CHANGE_NOT_SUPPORTED, why, Map.of());
    }

    public static HostException lockedError() {
        return new HostException(ErrorCode.PIN_LOCKED,
                "the PIN is blocked: unblock it with the PUK (unblockPin) or at the card's issuer",
                Map.of("pinState", PinState.LOCKED.wireName()));
    }

    public void logout() {
        forgetObjects();
        try {
            p11.logout(session);
        } catch (Pkcs11Error e) {
            if (e.ckr() != Ck.CKR_USER_NOT_LOGGED_IN) {
                if (TokenErrors.isRemoval(e.ckr())) {
                    manager.forget(this);
                }
                throw TokenErrors.map(e, "logging out");
            }
        }
    }

    public synchronized Set<Long> mechanisms() {
        if (mechanisms == null) {
            long[] list = call("reading the card's mechanisms", () -> p11.mechanisms(slot));
            Set<Long> set = new HashSet<>();
            Arrays.stream(list).forEach(set::add);
            mechanisms = Set.copyOf(set);
        }
        return mechanisms;
    }

    /** The key algorithms this token can generate and sign with. */
    public List<KeyAlgorithm> algorithms() {
        Set<Long> mechs = mechanisms();
        return call("reading the card's mechanisms", () -> TokenManager.algorithms(p11, slot, mechs));
    }

    // ---- objects ----------------------------------------------------------------------------------

    /** The X.509 certificates the JDK parses, as last read ({@link #forgetObjects()} reads them again). */
    public List<TokenObjects.Certificate> certificates() {
        synchronized (this) {
            if (certificates != null) {
                return certificates;
            }
        }
        List<TokenObjects.Certificate> read = List.copyOf(readCertificates());
        synchronized (this) {
            certificates = read;
        }
        return read;
    }

    private List<TokenObjects.Certificate> readCertificates() {
        counted();
        long[] found = call("listing certificates", () -> p11.find(session, List.of(
                Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_CERTIFICATE), Pkcs11.Attr.of(Ck.CKA_CERTIFICATE_TYPE, Ck.CKC_X_509))));
        List<TokenObjects.Certificate> out = new ArrayList<>();
        for (long h : found) {
            List<Pkcs11.Attr> a = call("reading a certificate", () -> p11.attributes(session, h, Ck.CKA_VALUE, Ck.CKA_ID, Ck.CKA_LABEL));
            byte[] der = (byte[]) a.get(0).value();
            if (der == null) {
                continue;
            }
            try {
                X509Certificate cert = parseCertificate(der);
                out.add(new TokenObjects.Certificate(h, bytes(a.get(1)), text(a.get(2)), cert, der));
            } catch (CertificateException e) {
                LOG.warning("skipping a certificate object the card holds that does not parse: " + e.getMessage());
            }
        }
        return out;
    }

    /**
     * The CKA_ID of every certificate object on the token, of any type, whether or not its value can be read
     * or parsed: {@link #certificates()} shows only those the JDK parses, but a key whose certificate the host
     * cannot read still has a certificate, one that may well work elsewhere.
     */
    public List<byte[]> certificateIds() {
        long[] found = call("listing certificates", () -> p11.find(session, List.of(Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_CERTIFICATE))));
        List<byte[]> out = new ArrayList<>();
        for (long h : found) {
            out.add(bytes(call("reading a certificate", () -> p11.attributes(session, h, Ck.CKA_ID)).getFirst()));
        }
        return out;
    }

    /** True when a certificate object with this CKA_ID is on the token, readable or not (see {@link #certificateIds()}). */
    public boolean hasCertificate(byte[] keyId) {
        long[] found = call("looking up certificates", () -> p11.find(session, List.of(
                Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_CERTIFICATE), Pkcs11.Attr.of(Ck.CKA_ID, keyId))));
        return found.length > 0;
    }

    /** The private keys the card shows now (all, when logged in), as last read. */
    public List<TokenObjects.Key> privateKeys() {
        synchronized (this) {
            if (privateKeys != null) {
                return privateKeys;
            }
        }
        List<TokenObjects.Key> read = List.copyOf(keys(Ck.CKO_PRIVATE_KEY));
        synchronized (this) {
            privateKeys = read;
        }
        return read;
    }

    public List<TokenObjects.Key> publicKeys() {
        synchronized (this) {
            if (publicKeys != null) {
                return publicKeys;
            }
        }
        List<TokenObjects.Key> read = List.copyOf(keys(Ck.CKO_PUBLIC_KEY));
        synchronized (this) {
            publicKeys = read;
        }
        return read;
    }

    /** The private key with this CKA_ID; see {@link #lookup}. Its handle is checked once per request. */
    public Optional<TokenObjects.Key> privateKey(byte[] id) {
        return lookup(this::privateKeys, k -> Arrays.equals(k.id(), id), k -> keyStillThere(k.handle(), k.id()));
    }

    /** The public key object with this CKA_ID; see {@link #lookup}. Its handle is checked once per request. */
    public Optional<TokenObjects.Key> publicKey(byte[] id) {
        return lookup(this::publicKeys, k -> Arrays.equals(k.id(), id), k -> keyStillThere(k.handle(), k.id()));
    }

    /**
     * The certificate {@code which} picks; see {@link #lookup}. A kept certificate is not checked against the
     * card: its value is what it was (a certificate is never changed in place), and the key it signs with is
     * checked when it is looked up; {@code listCertificates} reads afresh.
     */
    public Optional<TokenObjects.Certificate> certificate(java.util.function.Predicate<TokenObjects.Certificate> which) {
        return lookup(this::certificates, which, c -> true);
    }

    /** The certificate with this protocol handle ({@link Handles#certificate}); see {@link #certificate(java.util.function.Predicate)}. */
    public Optional<TokenObjects.Certificate> certificate(String certificateHandle) {
        return certificate(c -> certificateHandle.equals(handleOf(c)));
    }

    private synchronized String handleOf(TokenObjects.Certificate c) {
        return certificateHandles.computeIfAbsent(c.der(), der -> Handles.certificate(handle, der));
    }

    /**
     * An object found in what was read, if {@code stillThere} (the card has it under that handle); otherwise,
     * and when it is not among what was read, found again in a fresh read, once. So another program's change
     * to the card can make a lookup read the card again, never answer "not there" or hand out a dead key handle
     * from what was kept.
     */
    private <T> Optional<T> lookup(Supplier<List<T>> list, java.util.function.Predicate<T> which,
                                   java.util.function.Predicate<T> stillThere) {
        int before = reads();
        Optional<T> kept = list.get().stream().filter(which).findFirst();
        if (reads() != before) {
            return kept; // read from the card just now
        }
        if (kept.isPresent() && stillThere.test(kept.get())) {
            return kept;
        }
        forgetObjects();
        return list.get().stream().filter(which).findFirst();
    }

    /** The key still has this CKA_ID under this handle: read once per {@link TokenManager#open} check. */
    private boolean keyStillThere(long object, byte[] id) {
        synchronized (this) {
            Long at = keyCheckedAt.get(object);
            if (at != null && at == checks) {
                return true;
            }
        }
        boolean there = stillThere(object, id);
        if (there) {
            synchronized (this) {
                keyCheckedAt.put(object, checks);
            }
        }
        return there;
    }

    private synchronized int reads() {
        return reads;
    }

    private synchronized void counted() {
        reads++;
    }

    private boolean stillThere(long object, byte[] id) {
        try {
            return Arrays.equals(bytes(call("reading an object", () -> p11.attributes(session, object, Ck.CKA_ID)).getFirst()), id);
        } catch (HostException e) {
            if (e.getCause() instanceof Pkcs11Error p && staleHandle(p)) {
                return false;
            }
            throw e;
        }
    }

    private List<TokenObjects.Key> keys(long cls) {
        counted();
        long[] found = call("listing keys", () -> p11.find(session, List.of(Pkcs11.Attr.of(Ck.CKA_CLASS, cls))));
        List<TokenObjects.Key> out = new ArrayList<>();
        for (long h : found) {
            out.add(readKey(h, cls == Ck.CKO_PRIVATE_KEY));
        }
        return out;
    }

    private TokenObjects.Key readKey(long h, boolean isPrivate) {
        List<Pkcs11.Attr> a = call("reading a key", () -> p11.attributes(session, h, Ck.CKA_ID, Ck.CKA_LABEL,
                Ck.CKA_KEY_TYPE, Ck.CKA_MODULUS, Ck.CKA_PUBLIC_EXPONENT, Ck.CKA_EC_PARAMS, Ck.CKA_EC_POINT));
        Long keyType = (Long) a.get(2).value();
        KeyAlgorithm algorithm = null;
        PublicKey publicKey = null;
        byte[] modulus = bytes(a.get(3));
        byte[] exponent = bytes(a.get(4));
        byte[] ecParams = bytes(a.get(5));
        byte[] ecPoint = bytes(a.get(6));
        try {
            if (keyType != null && keyType == Ck.CKK_RSA && modulus.length > 0) {
                BigInteger n = new BigInteger(1, modulus);
                algorithm = KeyAlgorithm.ofRsaBits(n.bitLength()).orElse(null);
                if (exponent.length > 0) {
                    publicKey = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, new BigInteger(1, exponent)));
                }
            } else if (keyType != null && keyType == Ck.CKK_EC && ecParams.length > 0) {
                ASN1Primitive params = ASN1Primitive.fromByteArray(ecParams);
                if (params instanceof ASN1ObjectIdentifier oid) {
                    algorithm = KeyAlgorithm.ofCurve(oid.getId()).orElse(null);
                    if (ecPoint.length > 0) {
                        publicKey = ecPublicKey(oid, ecPoint);
                    }
                }
            }
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            LOG.log(Level.FINE, "cannot rebuild a public key from the card's attributes", e);
        }
        return new TokenObjects.Key(h, isPrivate, bytes(a.get(0)), text(a.get(1)), algorithm, publicKey);
    }

    static PublicKey ecPublicKey(ASN1ObjectIdentifier curve, byte[] ecPoint) throws IOException, GeneralSecurityException {
        byte[] point = ecPoint;
        // CKA_EC_POINT is a DER OCTET STRING by the standard; some modules give the bare point. A bare point
        // can parse as DER too (0x04, then X's first byte as a length), so the wrapped form is taken only
        // when what it wraps is an uncompressed point of this curve's length.
        int pointLength = 1 + 2 * fieldBytes(curve);
        if (ecPoint.length > 2 && ecPoint[0] == 0x04) {
            try {
                ASN1Primitive p = ASN1Primitive.fromByteArray(ecPoint);
                if (p instanceof ASN1OctetString os && os.getOctets().length == pointLength && os.getOctets()[0] == 0x04) {
                    point = os.getOctets();
                }
            } catch (IOException notDer) {
                point = ecPoint;
            }
        }
        SubjectPublicKeyInfo spki = new SubjectPublicKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, curve), point);
        return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki.getEncoded()));
    }

    /** The size in bytes of a coordinate on the named curve, as the JDK (which builds the key) knows it. */
    private static int fieldBytes(ASN1ObjectIdentifier curve) throws GeneralSecurityException {
        AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
        parameters.init(new ECGenParameterSpec(curve.getId()));
        return (parameters.getParameterSpec(ECParameterSpec.class).getCurve().getField().getFieldSize() + 7) / 8;
    }

    /** The public key of a private key: from its own attributes (RSA) or the public key object with its CKA_ID. */
    public Optional<PublicKey> publicKeyOf(TokenObjects.Key privateKey, List<TokenObjects.Key> publicKeys) {
        if (privateKey.publicKey() != null) {
            return Optional.of(privateKey.publicKey());
        }
        return publicKeys.stream().filter(k -> Arrays.equals(k.id(), privateKey.id()) && k.publicKey() != null)
                .map(TokenObjects.Key::publicKey).findFirst();
    }

    /** True when any object of the token has this CKA_ID. */
    public boolean idInUse(byte[] id) {
        long[] found = call("looking up a key id", () -> p11.find(session, List.of(Pkcs11.Attr.of(Ck.CKA_ID, id))));
        return found.length > 0;
    }

    // ---- key generation ---------------------------------------------------------------------------

    /**
     * Generates a key pair on the card with our CKA_ID and UTF-8 label: token object, private, sensitive,
     * never extractable, sign-capable. If reading the new public key back fails, the half-made pair is
     * destroyed so no orphan stays on the card.
     */
    public TokenObjects.Key generateKeyPair(KeyAlgorithm algorithm, byte[] id, String label) {
        byte[] labelBytes = label.getBytes(StandardCharsets.UTF_8);
        List<Pkcs11.Attr> pub = new ArrayList<>(List.of(
                Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_PUBLIC_KEY), Pkcs11.Attr.of(Ck.CKA_KEY_TYPE, algorithm.keyType()),
                Pkcs11.Attr.of(Ck.CKA_TOKEN, true), Pkcs11.Attr.of(Ck.CKA_PRIVATE, false), Pkcs11.Attr.of(Ck.CKA_VERIFY, true),
                Pkcs11.Attr.of(Ck.CKA_ID, id), Pkcs11.Attr.of(Ck.CKA_LABEL, labelBytes)));
        List<Pkcs11.Attr> priv = new ArrayList<>(List.of(
                Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_PRIVATE_KEY), Pkcs11.Attr.of(Ck.CKA_KEY_TYPE, algorithm.keyType()),
                Pkcs11.Attr.of(Ck.CKA_TOKEN, true), Pkcs11.Attr.of(Ck.CKA_PRIVATE, true), Pkcs11.Attr.of(Ck.CKA_SENSITIVE, true),
                Pkcs11.Attr.of(Ck.CKA_EXTRACTABLE, false), Pkcs11.Attr.of(Ck.CKA_SIGN, true),
                Pkcs11.Attr.of(Ck.CKA_ID, id), Pkcs11.Attr.of(Ck.CKA_LABEL, labelBytes)));
        Pkcs11.Mechanism mechanism;
        if (algorithm.isRsa()) {
            pub.add(Pkcs11.Attr.of(Ck.CKA_MODULUS_BITS, (long) algorithm.bits()));
            pub.add(Pkcs11.Attr.of(Ck.CKA_PUBLIC_EXPONENT, new byte[]{1, 0, 1}));
            mechanism = Pkcs11.Mechanism.of(Ck.CKM_RSA_PKCS_KEY_PAIR_GEN);
        } else {
            try {
                pub.add(Pkcs11.Attr.of(Ck.CKA_EC_PARAMS, new ASN1ObjectIdentifier(algorithm.curveOid()).getEncoded()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            mechanism = Pkcs11.Mechanism.of(Ck.CKM_EC_KEY_PAIR_GEN);
        }
        forgetObjects();
        long[] pair;
        try {
            pair = call("generating the key", () -> p11.generateKeyPair(session, mechanism, pub, priv));
        } finally {
            forgetObjects(); // a failure may still have made objects (the answer lost, not the write)
        }
        try {
            TokenObjects.Key publicKey = readKey(pair[0], false);
            TokenObjects.Key privateKey = readKey(pair[1], true);
            if (publicKey.publicKey() == null) {
                throw new HostException(ErrorCode.INTERNAL_ERROR, "the card did not reveal the new public key", Map.of());
            }
            return new TokenObjects.Key(privateKey.handle(), true, id, label, algorithm, publicKey.publicKey());
        } catch (RuntimeException e) {
            destroyQuietly(pair[1]);
            destroyQuietly(pair[0]);
            throw e;
        }
    }

    // ---- signing ----------------------------------------------------------------------------------

    /** ALGORITHM_NOT_SUPPORTED for a key of a kind the protocol does not name (RSA-1024, P-521, hidden attributes). */
    public static void requireNamedAlgorithm(TokenObjects.Key key) {
        if (key.algorithm() == null) {
            throw new HostException(ErrorCode.ALGORITHM_NOT_SUPPORTED, "the key's algorithm is not one CardBridge signs with",
                    Map.of("supported", KeyAlgorithm.wireNames()));
        }
    }

    /** How {@code key} signs a {@code hash}-algorithm hash here, following the token's mechanisms. */
    public SignatureScheme schemeFor(TokenObjects.Key key, String hash) {
        Set<Long> mechs = mechanisms();
        String prefix = SignatureScheme.jcaPrefix(hash);
        requireNamedAlgorithm(key);
        if (key.algorithm().isRsa()) {
            if (mechs.contains(Ck.CKM_RSA_PKCS)) {
                return new SignatureScheme(prefix + "withRSA", hash, Ck.CKM_RSA_PKCS);
            }
            if (mechs.contains(Ck.CKM_RSA_PKCS_PSS)) {
                return new SignatureScheme(prefix + "withRSAandMGF1", hash, Ck.CKM_RSA_PKCS_PSS);
            }
        } else if (mechs.contains(Ck.CKM_ECDSA)) {
            return new SignatureScheme(prefix + "withECDSA", hash, Ck.CKM_ECDSA);
        }
        throw new HostException(ErrorCode.ALGORITHM_NOT_SUPPORTED, "the card offers no signature mechanism for this key",
                Map.of("key", key.algorithm().wireName()));
    }

    /**
     * Signs a hash; the result is in the JCA encoding of {@code scheme} (ECDSA as a DER SEQUENCE). A key
     * that asks for the PIN at every signature gets it from {@code pin}, once for this signature.
     */
    public byte[] sign(TokenObjects.Key key, SignatureScheme scheme, byte[] hash, SignaturePin pin) {
        byte[] input;
        Pkcs11.Mechanism mechanism;
        if (scheme.mechanism() == Ck.CKM_RSA_PKCS) {
            input = digestInfo(scheme.hash(), hash);
            mechanism = Pkcs11.Mechanism.of(Ck.CKM_RSA_PKCS);
        } else if (scheme.isPss()) {
            input = hash;
            mechanism = new Pkcs11.Mechanism(Ck.CKM_RSA_PKCS_PSS, null, scheme.hash());
        } else {
            input = hash;
            mechanism = Pkcs11.Mechanism.of(Ck.CKM_ECDSA);
        }
        byte[] raw;
        if (alwaysAuthenticate(key.handle())) {
            raw = pin.withPin(p -> signWithContextLogin(mechanism, key.handle(), input, p));
        } else {
            try {
                raw = p11.sign(session, mechanism, key.handle(), input, null);
            } catch (Pkcs11Error e) {
                if (!staleHandle(e)) {
                    return call("signing", () -> {
                        throw e;
                    });
                }
                // The key kept from an earlier read is gone under this handle (another program changed the card):
                // the key with its CKA_ID, read afresh, signs, or there is none.
                forgetObjects();
                TokenObjects.Key again = privateKey(key.id()).orElseThrow(() -> new HostException(ErrorCode.KEY_NOT_FOUND,
                        "the card no longer has this private key", Map.of("key", Handles.key(handle, key.id())), e));
                raw = call("signing", () -> p11.sign(session, mechanism, again.handle(), input, null));
            }
        }
        return scheme.isEcdsa() ? ecdsaDer(raw) : raw;
    }

    /** CKA_ALWAYS_AUTHENTICATE (kept with the keys read); a module that does not know the attribute has no such keys. */
    public boolean alwaysAuthenticate(long key) {
        synchronized (this) {
            Boolean kept = alwaysAuthenticate.get(key);
            if (kept != null) {
                return kept;
            }
        }
        Object v = call("reading a key", () -> p11.attributes(session, key, Ck.CKA_ALWAYS_AUTHENTICATE)).getFirst().value();
        boolean always = v instanceof Boolean b ? b : v instanceof byte[] bytes && bytes.length == 1 && bytes[0] != 0;
        synchronized (this) {
            alwaysAuthenticate.put(key, always);
        }
        return always;
    }

    private byte[] signWithContextLogin(Pkcs11.Mechanism mechanism, long key, byte[] input, byte[] pin) {
        try {
            return p11.sign(session, mechanism, key, input, new Pkcs11.ContextLogin(pin));
        } catch (Pkcs11Error e) {
            // The signature PIN may be another PIN than the user's (a qualified key's own): its counter is
            // not the token's user-PIN flags, so only the answer is reported, not a PIN state.
            if (e.ckr() == Ck.CKR_PIN_INCORRECT || e.ckr() == Ck.CKR_PIN_LEN_RANGE) {
                throw new HostException(ErrorCode.PIN_INCORRECT, "wrong PIN for this signature",
                        Map.of("pkcs11", e.ckrName(), "signaturePin", true), e);
            }
            if (e.ckr() == Ck.CKR_PIN_LOCKED) {
                throw new HostException(ErrorCode.PIN_LOCKED,
                        "the signature PIN is blocked: unblock it with the PUK in the card's software or at the issuer",
                        Map.of("pinState", PinState.LOCKED.wireName(), "signaturePin", true), e);
            }
            return call("signing", () -> {
                throw e;
            });
        }
    }

    /** The DER DigestInfo that PKCS #1 v1.5 signs: the hash with its algorithm's identifier. */
    public static byte[] digestInfo(String hashAlgorithm, byte[] hash) {
        AlgorithmIdentifier digest = new DefaultDigestAlgorithmIdentifierFinder().find(hashAlgorithm);
        try {
            return new DigestInfo(new AlgorithmIdentifier(digest.getAlgorithm(), DERNull.INSTANCE), hash).getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] ecdsaDer(byte[] rs) {
        int half = rs.length / 2;
        try {
            return new DERSequence(new ASN1Encodable[]{
                    new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(rs, 0, half))),
                    new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(rs, half, rs.length)))}).getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- certificates -----------------------------------------------------------------------------

    /** Writes a certificate object (public, on the token); {@code authority} marks a CA certificate. */
    public long createCertificate(X509Certificate cert, byte[] id, String label, boolean authority) {
        List<Pkcs11.Attr> t = new ArrayList<>(List.of(
                Pkcs11.Attr.of(Ck.CKA_CLASS, Ck.CKO_CERTIFICATE), Pkcs11.Attr.of(Ck.CKA_CERTIFICATE_TYPE, Ck.CKC_X_509),
                Pkcs11.Attr.of(Ck.CKA_TOKEN, true), Pkcs11.Attr.of(Ck.CKA_PRIVATE, false),
                Pkcs11.Attr.of(Ck.CKA_ID, id), Pkcs11.Attr.of(Ck.CKA_LABEL, label.getBytes(StandardCharsets.UTF_8)),
                Pkcs11.Attr.of(Ck.CKA_SUBJECT, cert.getSubjectX500Principal().getEncoded()),
                Pkcs11.Attr.of(Ck.CKA_ISSUER, cert.getIssuerX500Principal().getEncoded())));
        try {
            t.add(Pkcs11.Attr.of(Ck.CKA_SERIAL_NUMBER, new ASN1Integer(cert.getSerialNumber()).getEncoded("DER")));
            t.add(Pkcs11.Attr.of(Ck.CKA_VALUE, cert.getEncoded()));
        } catch (IOException | CertificateException e) {
            throw new HostException(ErrorCode.CERTIFICATE_INVALID, "cannot encode the certificate", Map.of(), e);
        }
        if (authority) {
            t.add(Pkcs11.Attr.of(Ck.CKA_CERTIFICATE_CATEGORY, 2L));
        }
        try {
            return call("writing the certificate", () -> p11.createObject(session, t));
        } finally {
            forgetObjects();
        }
    }

    /** Reads a certificate object's value back (to verify a write). */
    public byte[] certificateValue(long object) {
        List<Pkcs11.Attr> a = call("reading the certificate back", () -> p11.attributes(session, object, Ck.CKA_VALUE));
        return bytes(a.getFirst());
    }

    public void destroy(long object, String what) {
        try {
            run(what, () -> p11.destroyObject(session, object));
        } finally {
            forgetObjects();
        }
    }

    /** Best-effort cleanup on a failure path: the original error matters more than this one. */
    public void destroyQuietly(long object) {
        forgetObjects();
        try {
            p11.destroyObject(session, object);
        } catch (Pkcs11Error e) {
            LOG.warning("could not remove a half-made object from the card: " + e.ckrName());
        }
    }

    void closeQuietly() {
        try {
            p11.closeSession(session);
        } catch (Pkcs11Error e) {
            LOG.fine("closing a session: " + e.ckrName());
        }
    }

    public static X509Certificate parseCertificate(byte[] der) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    private static byte[] bytes(Pkcs11.Attr a) {
        return a.value() instanceof byte[] b ? b : new byte[0];
    }

    private static String text(Pkcs11.Attr a) {
        return a.value() instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : "";
    }
}
