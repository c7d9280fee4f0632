package org.cardbridge.command.token;

import org.cardbridge.command.CommandContext;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.token.Ck;
import org.cardbridge.token.Handles;
import org.cardbridge.token.PinState;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.SignaturePin;
import org.cardbridge.token.TokenManager;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;
import org.cardbridge.ui.Approval;
import org.cardbridge.ui.PinPrompt;
import org.cardbridge.ui.Texts;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.cardbridge.log.Log;

/**
 * What the token commands share: finding a token, the PIN login, the confirmation dialog, and finding
 * keys and certificates by handle. The PIN exists only inside {@link #withPin}: typed by the person, used
 * once per try, wiped, never logged, never re-sent by the host.
 */
public final class TokenAccess {
    private static final Log LOG = Log.get(TokenAccess.class);
    private final TokenManager tokens;

    public TokenAccess(TokenManager tokens) {
        this.tokens = tokens;
    }

    public TokenManager manager() {
        return tokens;
    }

    /**
     * The token's session; the certificates and keys it read earlier on this connection are used as kept (see
     * {@link TokenSession}: lookups re-read the card rather than answer "not there").
     */
    public TokenSession session(String tokenHandle) {
        return tokens.open(tokenHandle);
    }

    /**
     * The token's session, its kept certificates and keys dropped: for listings, and for commands that write or
     * remove objects, which work from what the card holds now, whatever another program did to it meanwhile.
     */
    public TokenSession freshSession(String tokenHandle) {
        TokenSession session = tokens.open(tokenHandle);
        session.forgetObjects();
        return session;
    }

    /**
     * Logs in unless the token already is (the login holds for the connection) or needs none: a window that
     * asks only for the PIN ({@code login}). PIN-pad readers get a notice and the PIN is typed on the reader.
     * {@code certificate} names the certificate the PIN is for, when there is one.
     */
    public void login(TokenSession session, CommandContext context, String certificate) {
        PinPrompt prompt = pinNeeded(session, context, certificate);
        if (prompt != null) {
            logIn(session, context, Approval.pinOnly(prompt));
        }
    }

    /**
     * The one window of an operation: the confirmation naming origin, action and facts (and the document, when
     * it is text), with the PIN field in the same window when the card needs the PIN now. The person's PIN
     * logs in; a wrong one is retried in that window, each try typed by the person. With a PIN-pad reader the
     * confirmation comes first, then the notice to type the PIN on the reader. Returns only when confirmed and
     * logged in (where a login is needed).
     */
    public void approve(TokenSession session, CommandContext context, String action, List<String> facts, String document,
                        String certificate) {
        approve(session, context, action, facts, document, certificate, List.of());
    }

    /** {@link #approve} with details shown behind the window's "Details" button. */
    public void approve(TokenSession session, CommandContext context, String action, List<String> facts, String document,
                        String certificate, List<String> details) {
        context.cancellation().check();
        PinPrompt prompt = pinNeeded(session, context, certificate);
        Approval approval = new Approval(context.origin(), action, facts, document, null, details);
        if (prompt == null || session.info().has(Ck.CKF_PROTECTED_AUTHENTICATION_PATH)) {
            context.ui().approve(approval, context.lang(), context.policy().dialogTimeout(), null);
            context.cancellation().check();
            if (prompt != null) {
                logIn(session, context, Approval.pinOnly(prompt));
            }
        } else {
            logIn(session, context, approval.withPin(prompt));
        }
        context.cancellation().check();
    }

    /** The PIN prompt for a login, or null when the token is logged in or needs none; PIN_LOCKED before any window. */
    private static PinPrompt pinNeeded(TokenSession session, CommandContext context, String certificate) {
        if (session.loggedIn()) {
            return null;
        }
        Pkcs11.TokenInfo info = session.info();
        if (!info.has(Ck.CKF_LOGIN_REQUIRED)) {
            return null;
        }
        PinState state = session.pinState(info);
        if (state == PinState.LOCKED) {
            throw TokenSession.lockedError();
        }
        return new PinPrompt(context.origin(), info.label(), certificate, switch (state) {
            case FINAL_TRY -> PinPrompt.Tries.FINAL_TRY;
            case COUNT_LOW -> PinPrompt.Tries.COUNT_LOW;
            default -> PinPrompt.Tries.NORMAL;
        });
    }

    private void logIn(TokenSession session, CommandContext context, Approval approval) {
        withPin(session.info(), context, approval, pin -> {
            session.login(pin);
            return null;
        });
        LOG.info("logged in to token " + session.handle());
    }

    /**
     * The PIN for each signature of a key that asks for it every time: a window of its own (or the PIN-pad
     * notice) per signature, whatever login came before. Asked only when the card says the key needs it; a
     * wrong PIN is retried in that window.
     */
    public SignaturePin signaturePin(TokenSession session, CommandContext context, String certificate) {
        return sign -> {
            Pkcs11.TokenInfo info = session.info();
            PinPrompt prompt = new PinPrompt(context.origin(), info.label(), certificate, PinPrompt.Tries.NORMAL,
                    PinPrompt.Purpose.SIGNATURE);
            return withPin(info, context, Approval.pinOnly(prompt), sign);
        };
    }

    /**
     * The sign window of a key that asks for its PIN at every signature (CKA_ALWAYS_AUTHENTICATE), when the
     * token needs no login now and the PIN is typed on the keyboard: consent and that signature's PIN in one
     * window, shown when the first signature is made (before anything is signed; cancelling signs nothing).
     * A wrong PIN is retried in that window. Later signatures of the request ask in a window of their own, as
     * {@link #signaturePin} does. Returns null when this does not apply: then {@link #approve} first.
     */
    public SignaturePin approveWithSignaturePin(TokenSession session, CommandContext context, String action, List<String> facts,
                                                String document, String certificate, List<String> details, boolean keyAsksEveryTime) {
        Pkcs11.TokenInfo info = session.info();
        if (!keyAsksEveryTime || pinNeeded(session, context, certificate) != null || info.has(Ck.CKF_PROTECTED_AUTHENTICATION_PATH)) {
            return null;
        }
        context.cancellation().check();
        PinPrompt prompt = new PinPrompt(context.origin(), info.label(), certificate, PinPrompt.Tries.NORMAL, PinPrompt.Purpose.SIGNATURE);
        Approval approval = new Approval(context.origin(), action, facts, document, null, details).withPin(prompt);
        SignaturePin later = signaturePin(session, context, certificate);
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        return sign -> first.getAndSet(false) ? withPin(info, context, approval, sign) : later.withPin(sign);
    }

    /**
     * Shows the approval with its PIN field (or, for a PIN-pad reader, the notice with a null PIN) and runs
     * {@code use} with each PIN the person types, wiped after each try, until one is taken.
     */
    private static <T> T withPin(Pkcs11.TokenInfo info, CommandContext context, Approval approval, Function<byte[], T> use) {
        context.cancellation().check();
        if (info.has(Ck.CKF_PROTECTED_AUTHENTICATION_PATH)) {
            AutoCloseable notice = context.ui().showPinPadNotice(approval.pin(), context.lang());
            try {
                return use.apply(null);
            } finally {
                // Only the notice's closing may fail quietly; a failed login must reach the page.
                try {
                    notice.close();
                } catch (Exception e) {
                    LOG.fine("closing the PIN-pad notice: " + e);
                }
            }
        }
        java.util.concurrent.atomic.AtomicReference<T> result = new java.util.concurrent.atomic.AtomicReference<>();
        context.ui().approve(approval, context.lang(), context.policy().dialogTimeout(), pin -> {
            byte[] utf8 = utf8(pin);
            try {
                result.set(use.apply(utf8));
            } finally {
                Arrays.fill(utf8, (byte) 0);
            }
        });
        return result.get();
    }

    /** UTF-8 bytes of the PIN without making a String (which could not be wiped). */
    private static byte[] utf8(char[] pin) {
        ByteBuffer buffer = StandardCharsets.UTF_8.encode(CharBuffer.wrap(pin));
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        if (buffer.hasArray()) {
            Arrays.fill(buffer.array(), (byte) 0);
        }
        return out;
    }

    /**
     * Keys whose one certificate request the person approved in the window that created them: origin, token
     * and key id. This object lives as long as the connection (one per host process), so an approval never
     * outlives the page's connection; each is taken by the first createCsr for that key.
     */
    private final java.util.Set<String> csrApproved = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Records that the person approved one certificate request for this new key (generateKeyPair's window). */
    public void approveRequestFor(CommandContext context, TokenSession session, byte[] keyId) {
        csrApproved.add(scope(context, session, keyId));
    }

    /** True, once, when the person already approved a request for this key from this origin on this connection. */
    public boolean takeRequestApproval(CommandContext context, TokenSession session, byte[] keyId) {
        return csrApproved.remove(scope(context, session, keyId));
    }

    private static String scope(CommandContext context, TokenSession session, byte[] keyId) {
        return context.origin() + " " + session.handle() + " " + java.util.HexFormat.of().formatHex(keyId);
    }

    public static Texts texts(CommandContext context) {
        return new Texts(context.lang());
    }

    /** The private key a key handle names. KEY_NOT_FOUND when the card has none with that CKA_ID. */
    public static TokenObjects.Key privateKey(TokenSession session, Handles.ObjectHandle key) {
        byte[] id = key.keyId();
        return session.privateKey(id)
                .orElseThrow(() -> new HostException(ErrorCode.KEY_NOT_FOUND, "the card has no private key with this handle",
                        Map.of("key", Handles.key(session.handle(), id))));
    }

    /**
     * INVALID_ARGUMENT naming {@code field} when a certificate object on the card has this key's CKA_ID, even one
     * the host cannot parse. Callers check again after login: cards may hide private certificates until then.
     */
    public static void requireNoCertificate(TokenSession session, byte[] keyId, String field, String why) {
        if (session.hasCertificate(keyId)) {
            throw new HostException(ErrorCode.INVALID_ARGUMENT, field + ": this key has a certificate; " + why,
                    Map.of("field", field));
        }
    }

    /** The certificate a certificate handle names. KEY_NOT_FOUND when the card does not hold it. */
    public static TokenObjects.Certificate certificate(TokenSession session, String handle, String field) {
        Handles.parseCertificate(field, handle);
        return session.certificate(handle)
                .orElseThrow(() -> new HostException(ErrorCode.KEY_NOT_FOUND, "the card does not hold this certificate",
                        Map.of(field, handle)));
    }

    /** The subject in RFC 4514 form, as every result and dialog shows it. */
    public static String subject(java.security.cert.X509Certificate cert) {
        return cert.getSubjectX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253);
    }
}
