package org.cardbridge.testing;

import org.cardbridge.policy.Origin;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Lang;
import org.cardbridge.ui.Confirmation;
import org.cardbridge.ui.PinPrompt;
import org.cardbridge.ui.UserInterface;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * A {@link UserInterface} that answers from a script, for tests that are not about the dialogs. It
 * exists only on the test classpath: the shipped host has no way to enter a PIN by itself.
 *
 * <p>Unscripted questions get the defaults: confirmations are accepted, read consent granted (not
 * remembered), and the
 * PIN asked is {@link #defaultPin} (null: USER_CANCELLED). Everything asked is recorded.
 */
public final class ScriptedUserInterface implements UserInterface {
    private final Deque<Object> pins = new ArrayDeque<>();
    private final Deque<Boolean> confirmations = new ArrayDeque<>();
    private final Deque<Object> consents = new ArrayDeque<>();
    private final List<Origin> consentRequests = new ArrayList<>();
    private final List<PinPrompt> pinPrompts = new ArrayList<>();
    private final List<Confirmation> confirmationsSeen = new ArrayList<>();
    private final List<PinPrompt> pinPadNotices = new ArrayList<>();
    private String defaultPin;
    private boolean defaultConfirm = true;

    public ScriptedUserInterface() {
    }

    public ScriptedUserInterface(String defaultPin) {
        this.defaultPin = defaultPin;
    }

    /** The next PIN dialog returns {@code pin}. */
    public synchronized ScriptedUserInterface thenPin(String pin) {
        pins.add(pin);
        return this;
    }

    /** The next PIN dialog is cancelled (USER_CANCELLED) or times out (USER_TIMEOUT). */
    public synchronized ScriptedUserInterface thenPinFails(ErrorCode code) {
        pins.add(code);
        return this;
    }

    /** The next confirmation is accepted ({@code true}) or declined. */
    public synchronized ScriptedUserInterface thenConfirm(boolean accept) {
        confirmations.add(accept);
        return this;
    }

    /** The next read-consent dialog answers so. */
    public synchronized ScriptedUserInterface thenConsent(boolean granted, boolean remember) {
        consents.add(new ReadConsent(granted, remember));
        return this;
    }

    /** The next read-consent dialog is closed (USER_CANCELLED) or times out (USER_TIMEOUT). */
    public synchronized ScriptedUserInterface thenConsentFails(ErrorCode code) {
        consents.add(code);
        return this;
    }

    /** The origins the read-consent dialog was shown for, in order. */
    public synchronized List<Origin> consentRequests() {
        return List.copyOf(consentRequests);
    }

    public synchronized ScriptedUserInterface defaultConfirm(boolean accept) {
        defaultConfirm = accept;
        return this;
    }

    public synchronized ScriptedUserInterface defaultPin(String pin) {
        defaultPin = pin;
        return this;
    }

    public synchronized List<PinPrompt> pinPrompts() {
        return List.copyOf(pinPrompts);
    }

    public synchronized List<Confirmation> confirmations() {
        return List.copyOf(confirmationsSeen);
    }

    public synchronized List<PinPrompt> pinPadNotices() {
        return List.copyOf(pinPadNotices);
    }

    private final List<org.cardbridge.ui.Approval> approvals = new ArrayList<>();

    /** Every window of an operation as shown: its consent part (action, facts) and its PIN field, if any. */
    public synchronized List<org.cardbridge.ui.Approval> approvals() {
        return List.copyOf(approvals);
    }

    @Override
    public void approve(org.cardbridge.ui.Approval approval, Lang lang, Duration timeout, org.cardbridge.ui.PinCheck check) {
        synchronized (this) {
            approvals.add(approval);
        }
        org.cardbridge.ui.UserInterface.super.approve(approval, lang, timeout, check);
    }

    @Override
    public synchronized ReadConsent askReadConsent(Origin origin, Lang lang, Duration timeout) {
        consentRequests.add(origin);
        Object next = consents.isEmpty() ? new ReadConsent(true, false) : consents.poll();
        if (next instanceof ErrorCode code) {
            throw new HostException(code, "consent dialog ended: " + code + " (scripted)", Map.of("dialog", "cardbridge-consent"));
        }
        return (ReadConsent) next;
    }

    @Override
    public synchronized void confirm(Confirmation confirmation, Lang lang, Duration timeout) {
        confirmationsSeen.add(confirmation);
        Boolean accept = confirmations.isEmpty() ? defaultConfirm : confirmations.poll();
        if (!accept) {
            throw new HostException(ErrorCode.USER_CANCELLED, "the user cancelled the dialog (scripted)",
                    Map.of("dialog", "cardbridge-confirm"));
        }
    }

    @Override
    public synchronized char[] askPin(PinPrompt prompt, Lang lang, Duration timeout) {
        pinPrompts.add(prompt);
        Object next = pins.isEmpty() ? defaultPin : pins.poll();
        if (next instanceof ErrorCode code) {
            throw new HostException(code, "PIN dialog ended: " + code + " (scripted)", Map.of("dialog", "cardbridge-pin"));
        }
        if (next == null) {
            throw new HostException(ErrorCode.USER_CANCELLED, "the user cancelled the dialog (scripted)",
                    Map.of("dialog", "cardbridge-pin"));
        }
        return ((String) next).toCharArray();
    }

    /** One answer of a PIN change window: the current PIN (or PUK), the new PIN and its repetition. */
    public record PinChangeAnswer(String current, String newPin, String repeat) {
    }

    private final Deque<Object> pinChanges = new ArrayDeque<>();
    private final List<org.cardbridge.ui.PinChange> pinChangeWindows = new ArrayList<>();
    private final List<String> pinChangeMessages = new ArrayList<>();

    /**
     * The next try in a PIN change window: the person types these. Tries of one window follow each other as a
     * person's would after the window's message; when the script runs out the window is cancelled.
     */
    public synchronized ScriptedUserInterface thenPinChange(String current, String newPin, String repeat) {
        pinChanges.add(new PinChangeAnswer(current, newPin, repeat));
        return this;
    }

    /** The PIN change windows shown (one per request), in order. */
    public synchronized List<org.cardbridge.ui.PinChange> pinChangeWindows() {
        return List.copyOf(pinChangeWindows);
    }

    /**
     * What each refused try of a PIN change window said, as the Swing window decides it: a problem key of the
     * window's own check ({@code pinChange.mismatch}, …; nothing sent), or the error code of the card's answer.
     */
    public synchronized List<String> pinChangeMessages() {
        return List.copyOf(pinChangeMessages);
    }

    /**
     * Plays the window as {@link org.cardbridge.ui.SwingUserInterface} does: the window's own checks first
     * (nothing sent on a mismatch or a length outside the card's rules), then the check with each try; a wrong
     * PIN or PUK or a refused new PIN takes the next scripted try, anything else ends the window.
     */
    @Override
    public void changePin(org.cardbridge.ui.PinChange change, Lang lang, Duration timeout, org.cardbridge.ui.PinChangeCheck check) {
        synchronized (this) {
            pinChangeWindows.add(change);
        }
        while (true) {
            Object next;
            synchronized (this) {
                next = pinChanges.poll();
            }
            if (next == null) {
                throw new HostException(ErrorCode.USER_CANCELLED, "the user cancelled the dialog (scripted)",
                        Map.of("dialog", "cardbridge-pinchange"));
            }
            PinChangeAnswer a = (PinChangeAnswer) next;
            char[] newPin = a.newPin().toCharArray();
            org.cardbridge.ui.PinChange.Problem problem = change.problem(newPin, a.repeat().toCharArray());
            if (problem != null) {
                synchronized (this) {
                    pinChangeMessages.add(problem.key());
                }
                continue;
            }
            try {
                check.use(a.current().toCharArray(), newPin);
                return;
            } catch (HostException e) {
                boolean retry = e.code() == ErrorCode.PIN_INCORRECT
                        || e.code() == ErrorCode.INVALID_ARGUMENT && "newPin".equals(e.details().get("field"));
                synchronized (this) {
                    pinChangeMessages.add(e.code().name());
                }
                if (!retry) {
                    throw e;
                }
            }
        }
    }

    @Override
    public synchronized AutoCloseable showPinPadNotice(PinPrompt prompt, Lang lang) {
        pinPadNotices.add(prompt);
        return () -> { };
    }
}
