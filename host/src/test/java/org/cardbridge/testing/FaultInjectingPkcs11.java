package org.cardbridge.testing;

import org.cardbridge.token.Ck;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.Pkcs11Error;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Wraps a real module (the token layer's seam) to make call number N fail with a chosen CKR — before the
 * call reaches the card (the card is as after call N-1) or after it did (the card changed, the answer was
 * lost, as when a card is pulled right after a write). It can also hide mechanisms, to stand for a card
 * that lacks them. Calls are recorded by name so tests can assert their order.
 */
public final class FaultInjectingPkcs11 implements Pkcs11 {
    public enum When { BEFORE, AFTER }

    private final Pkcs11 real;
    private final List<String> calls = new ArrayList<>();
    private volatile int failAt = -1;
    private volatile long failCkr = Ck.CKR_DEVICE_REMOVED;
    private volatile When when = When.BEFORE;
    private volatile Set<Long> hiddenMechanisms = Set.of();
    private volatile long extraTokenFlags;
    private volatile byte[] pinPadPin;
    private String failName;
    private int failOccurrence;

    private volatile boolean corruptSignatures;

    public FaultInjectingPkcs11(Pkcs11 real) {
        this.real = real;
    }

    /** Makes the {@code n}-th call from now (1 = the next one) fail with {@code ckr}. */
    public synchronized void failAt(int n, long ckr, When when) {
        calls.clear();
        this.failAt = n;
        this.failCkr = ckr;
        this.when = when;
    }

    /** Makes the {@code occurrence}-th call named {@code function} from now fail with {@code ckr}. */
    public synchronized void failOn(String function, int occurrence, long ckr, When when) {
        calls.clear();
        this.failAt = -1;
        this.failName = function;
        this.failOccurrence = occurrence;
        this.failCkr = ckr;
        this.when = when;
    }

    public synchronized void noFailure() {
        failAt = -1;
        failName = null;
    }

    /** Starts recording calls afresh. */
    public synchronized void resetCalls() {
        calls.clear();
    }

    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    /** True once the planned failure has happened. */
    public synchronized boolean failed() {
        return failAt > 0 && calls.size() >= failAt
                || failName != null && calls.stream().filter(failName::equals).count() >= failOccurrence;
    }

    /** Adds token flags (e.g. CKF_USER_PIN_COUNT_LOW) to what the card reports. */
    public void addTokenFlags(long flags) {
        extraTokenFlags = flags;
    }

    /**
     * Makes the card report a PIN-pad reader (protected authentication path); a login without a PIN is then
     * completed with {@code pin}, as the person typing on the reader would. SoftHSM2 has no PIN-pad.
     */
    public void simulatePinPad(String pin) {
        pinPadPin = pin.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        extraTokenFlags |= Ck.CKF_PROTECTED_AUTHENTICATION_PATH;
    }

    /**
     * On a simulated PIN-pad reader, the new PIN the person enters on the reader for a PIN change or unblock
     * (C_SetPIN / C_InitPIN called without PINs); the current PIN is the one of {@link #simulatePinPad} and
     * the SO login's PIN {@code soPin}.
     */
    public void simulatePinPadChange(String newPin, String soPin) {
        pinPadNewPin = newPin.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        pinPadSoPin = soPin.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private volatile byte[] pinPadNewPin;
    private volatile byte[] pinPadSoPin;

    public void hideMechanisms(Long... mechanisms) {
        hiddenMechanisms = Set.of(mechanisms);
    }

    private <T> T call(String name, Supplier<T> op) {
        boolean fail;
        synchronized (this) {
            calls.add(name);
            fail = failAt > 0 && calls.size() == failAt
                    || name.equals(failName) && calls.stream().filter(name::equals).count() == failOccurrence;
        }
        if (fail && when == When.BEFORE) {
            throw new Pkcs11Error(failCkr, name + " (injected)");
        }
        T result = op.get();
        if (fail) {
            throw new Pkcs11Error(failCkr, name + " (injected after the call)");
        }
        return result;
    }

    private void run(String name, Runnable op) {
        call(name, () -> {
            op.run();
            return null;
        });
    }

    @Override
    public String library() {
        return real.library();
    }

    @Override
    public long[] slots() {
        return call("C_GetSlotList", real::slots);
    }

    @Override
    public SlotInfo slotInfo(long slot) {
        return call("C_GetSlotInfo", () -> real.slotInfo(slot));
    }

    @Override
    public TokenInfo tokenInfo(long slot) {
        TokenInfo info = call("C_GetTokenInfo", () -> real.tokenInfo(slot));
        return new TokenInfo(info.label(), info.manufacturer(), info.model(), info.serial(), info.flags() | extraTokenFlags,
                info.minPinLength(), info.maxPinLength());
    }

    @Override
    public long[] mechanisms(long slot) {
        long[] all = call("C_GetMechanismList", () -> real.mechanisms(slot));
        return Arrays.stream(all).filter(m -> !hiddenMechanisms.contains(m)).toArray();
    }

    @Override
    public MechanismInfo mechanismInfo(long slot, long mechanism) {
        return call("C_GetMechanismInfo", () -> real.mechanismInfo(slot, mechanism));
    }

    @Override
    public long openSession(long slot) {
        return call("C_OpenSession", () -> real.openSession(slot));
    }

    @Override
    public void closeSession(long session) {
        run("C_CloseSession", () -> real.closeSession(session));
    }

    @Override
    public long sessionState(long session) {
        return call("C_GetSessionInfo", () -> real.sessionState(session));
    }

    @Override
    public void login(long session, byte[] pin) {
        run("C_Login", () -> real.login(session, pin == null && pinPadPin != null ? pinPadPin : pin));
    }

    @Override
    public void loginSo(long session, byte[] pin) {
        run("C_Login", () -> real.loginSo(session, pin == null && pinPadSoPin != null ? pinPadSoPin : pin));
    }

    @Override
    public void setPin(long session, byte[] oldPin, byte[] newPin) {
        run("C_SetPIN", () -> real.setPin(session, oldPin == null && pinPadPin != null ? pinPadPin : oldPin,
                newPin == null && pinPadNewPin != null ? pinPadNewPin : newPin));
    }

    @Override
    public void initPin(long session, byte[] newPin) {
        run("C_InitPIN", () -> real.initPin(session, newPin == null && pinPadNewPin != null ? pinPadNewPin : newPin));
    }

    @Override
    public void logout(long session) {
        run("C_Logout", () -> real.logout(session));
    }

    @Override
    public long[] find(long session, List<Attr> template) {
        return call("C_FindObjects", () -> real.find(session, template));
    }

    @Override
    public List<Attr> attributes(long session, long object, long... types) {
        return call("C_GetAttributeValue", () -> real.attributes(session, object, types));
    }

    @Override
    public long[] generateKeyPair(long session, Mechanism mechanism, List<Attr> publicTemplate, List<Attr> privateTemplate) {
        return call("C_GenerateKeyPair", () -> real.generateKeyPair(session, mechanism, publicTemplate, privateTemplate));
    }

    @Override
    public long createObject(long session, List<Attr> template) {
        return call("C_CreateObject", () -> real.createObject(session, template));
    }

    @Override
    public void destroyObject(long session, long object) {
        run("C_DestroyObject", () -> real.destroyObject(session, object));
    }

    @Override
    public byte[] sign(long session, Mechanism mechanism, long key, byte[] data, ContextLogin login) {
        byte[] signature = call("C_Sign", () -> real.sign(session, mechanism, key, data, login));
        if (corruptSignatures) {
            signature = signature.clone();
            signature[signature.length / 2] ^= 0x01; // a card that signs something else, or pads wrongly
        }
        return signature;
    }

    /** From now on every signature the module returns has one bit flipped. */
    public void corruptSignatures() {
        corruptSignatures = true;
    }
}
