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
import java.util.function.Supplier;

/**
 * A user who answers from a script. Exists only on the test classpath: the shipped host has no way
 * to answer a dialog, let alone enter a PIN, by itself. Each dialog takes the next scripted answer;
 * a dialog with no answer left fails the test loudly.
 */
public final class TestUserInterface implements UserInterface {
    private final Deque<Supplier<Object>> answers = new ArrayDeque<>();
    /** What was shown, in order: for tests that assert the dialog named the origin and the action. */
    public final List<Object> shown = new ArrayList<>();

    public synchronized TestUserInterface consent(boolean granted, boolean remember) {
        answers.add(() -> new ReadConsent(granted, remember));
        return this;
    }

    public synchronized TestUserInterface confirmYes() {
        answers.add(() -> Boolean.TRUE);
        return this;
    }

    public synchronized TestUserInterface pin(String pin) {
        answers.add(pin::toCharArray);
        return this;
    }

    public synchronized TestUserInterface cancel() {
        answers.add(() -> {
            throw new HostException(ErrorCode.USER_CANCELLED, "the user cancelled the dialog", Map.of());
        });
        return this;
    }

    public synchronized TestUserInterface timeout() {
        answers.add(() -> {
            throw new HostException(ErrorCode.USER_TIMEOUT, "no answer", Map.of());
        });
        return this;
    }

    public synchronized int remaining() {
        return answers.size();
    }

    private synchronized Object next(Object dialog) {
        shown.add(dialog);
        Supplier<Object> a = answers.poll();
        if (a == null) {
            throw new AssertionError("unexpected dialog: " + dialog);
        }
        return a.get();
    }

    @Override
    public ReadConsent askReadConsent(Origin origin, Lang lang, Duration timeout) {
        return (ReadConsent) next(origin);
    }

    @Override
    public void confirm(Confirmation confirmation, Lang lang, Duration timeout) {
        if (!Boolean.TRUE.equals(next(confirmation))) {
            throw new AssertionError("scripted answer is not a confirmation");
        }
    }

    @Override
    public char[] askPin(PinPrompt prompt, Lang lang, Duration timeout) {
        return (char[]) next(prompt);
    }

    @Override
    public AutoCloseable showPinPadNotice(PinPrompt prompt, Lang lang) {
        shown.add(prompt);
        return () -> { };
    }
}
