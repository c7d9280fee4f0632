package org.cardbridge.command.token;

import org.cardbridge.command.CommandContext;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.token.Ck;
import org.cardbridge.token.PinState;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.TokenSession;
import org.cardbridge.ui.PinChange;
import org.cardbridge.ui.PinPrompt;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.cardbridge.log.Log;

/**
 * What {@code changePin} and {@code unblockPin} share: the checks before the window and the one host window
 * (or the PIN-pad notice) in which the person types the current PIN or the PUK and the new PIN twice. The
 * secrets exist only inside the window's check: typed by the person, turned into UTF-8 bytes for one try,
 * wiped, never logged, never sent to the page, never re-sent by the host.
 */
final class PinChanges {
    private static final Log LOG = Log.get(PinChanges.class);

    private PinChanges() {
    }

    /**
     * Before any window: a platform where the PIN calls are bound (not Windows), the card present and writable, a user PIN to change, and for a change the PIN not
     * blocked (PIN_LOCKED, whose message points to unblockPin); for an unblock the PUK not blocked (PUK_LOCKED).
     */
    static void precheck(TokenSession session, PinChange.Kind kind) {
        if (org.cardbridge.platform.Os.current() == org.cardbridge.platform.Os.WINDOWS) {
            // C_SetPIN/C_InitPIN are bound for LP64 only (token.PinFunctions): a window here could never succeed.
            throw TokenSession.notSupported("changing or unblocking the PIN is not available on Windows yet");
        }
        Pkcs11.TokenInfo info = session.info();
        Preflight.requireWritable(session);
        if (kind == PinChange.Kind.CHANGE) {
            if (!info.has(Ck.CKF_USER_PIN_INITIALIZED)) {
                throw new HostException(ErrorCode.INVALID_ARGUMENT, "token: the card has no user PIN to change",
                        Map.of("field", "token"));
            }
            if (session.pinState(info) == PinState.LOCKED) {
                throw TokenSession.lockedError();
            }
        } else if (PinState.ofSo(info) == PinState.LOCKED) {
            throw TokenSession.pukLocked();
        } else if (org.cardbridge.token.OpenScConf.isOpenSc(session.library())) {
            requireOpenScUnblocks(org.cardbridge.token.OpenScConf.unblockStyle());
        }
    }

    /**
     * OpenSC unblocks only as its configuration allows (token.OpenScConf): C_SetPIN with the PUK in a session
     * without login under {@code set_pin_in_unlogged_session}, the SO login + C_InitPIN route under
     * {@code init_pin_in_so_session}. With any other setting (OpenSC's default is {@code none}) the person would
     * type the PUK in vain: refused here, before the window, saying what the administrator can set.
     */
    static void requireOpenScUnblocks(String style) {
        if (!"set_pin_in_unlogged_session".equals(style) && !"init_pin_in_so_session".equals(style)) {
            throw TokenSession.notSupported("OpenSC on this computer is not set to unblock the PIN with the PUK (opensc.conf: "
                    + "user_pin_unblock_style = " + style + "; set_pin_in_unlogged_session would allow it): use the card's own "
                    + "software, or ask whoever looks after this computer");
        }
    }

    /** The window (or PIN-pad notice) and the card's change; returns when the card took the new PIN. */
    static void run(TokenSession session, CommandContext context, PinChange.Kind kind) {
        context.cancellation().check();
        Pkcs11.TokenInfo info = session.info();
        boolean unblock = kind == PinChange.Kind.UNBLOCK;
        boolean withSetPin = unblock && session.unblocksWithSetPin();
        if (info.has(Ck.CKF_PROTECTED_AUTHENTICATION_PATH)) {
            PinPrompt prompt = new PinPrompt(context.origin(), info.label(), null, PinPrompt.Tries.NORMAL,
                    unblock ? PinPrompt.Purpose.UNBLOCK : PinPrompt.Purpose.CHANGE);
            AutoCloseable notice = context.ui().showPinPadNotice(prompt, context.lang());
            try {
                if (unblock) {
                    session.unblockPin(null, null, withSetPin);
                } else {
                    session.changePin(null, null);
                }
            } finally {
                try {
                    notice.close();
                } catch (Exception e) {
                    LOG.fine("closing the PIN-pad notice: " + e);
                }
            }
        } else {
            PinState state = unblock ? PinState.ofSo(info) : session.pinState(info);
            PinChange change = new PinChange(context.origin(), info.label(), kind, info.minPinLength(), info.maxPinLength(),
                    switch (state) {
                        case FINAL_TRY -> PinPrompt.Tries.FINAL_TRY;
                        case COUNT_LOW -> PinPrompt.Tries.COUNT_LOW;
                        default -> PinPrompt.Tries.NORMAL;
                    });
            context.ui().changePin(change, context.lang(), context.policy().dialogTimeout(), (current, newPin) -> {
                byte[] currentBytes = utf8(current);
                byte[] newBytes = utf8(newPin);
                try {
                    context.cancellation().check();
                    if (unblock) {
                        session.unblockPin(currentBytes, newBytes, withSetPin);
                    } else {
                        session.changePin(currentBytes, newBytes);
                    }
                } finally {
                    Arrays.fill(currentBytes, (byte) 0);
                    Arrays.fill(newBytes, (byte) 0);
                }
            });
        }
        LOG.info((unblock ? "unblocked the PIN of token " : "changed the PIN of token ") + session.handle());
    }

    /** UTF-8 bytes of a secret without making a String (which could not be wiped). */
    private static byte[] utf8(char[] secret) {
        ByteBuffer buffer = StandardCharsets.UTF_8.encode(CharBuffer.wrap(secret));
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        if (buffer.hasArray()) {
            Arrays.fill(buffer.array(), (byte) 0);
        }
        return out;
    }
}
