package org.cardbridge.ui;

import org.cardbridge.policy.Origin;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Lang;

import javax.swing.BorderFactory;
import javax.swing.Box;
import javax.swing.BoxLayout;
import javax.swing.JButton;
import javax.swing.JCheckBox;
import javax.swing.JComponent;
import javax.swing.JDialog;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JPasswordField;
import javax.swing.JScrollPane;
import javax.swing.ScrollPaneConstants;
import javax.swing.SwingUtilities;
import javax.swing.UIManager;
import javax.swing.WindowConstants;
import java.awt.BorderLayout;
import java.awt.Color;
import java.awt.Component;
import java.awt.Container;
import java.awt.Dimension;
import java.awt.FlowLayout;
import java.awt.GraphicsEnvironment;
import java.awt.Rectangle;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.text.AttributedCharacterIterator;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;

/**
 * The host's native dialogs, in Swing (part of the JDK, so nothing to install). Each dialog is a
 * small always-on-top window named by its purpose ({@code cardbridge-pin}, …) so tests under Xvfb can
 * find it with xdotool. Swing is loaded only when the first dialog is needed.
 */
public final class SwingUserInterface implements UserInterface {

    /** An answer from a dialog's buttons; {@code null} value means the user cancelled. */
    private record Answer<T>(T value) {
    }

    @Override
    public ReadConsent askReadConsent(Origin origin, Lang lang, Duration timeout) {
        Texts t = new Texts(lang);
        return show("cardbridge-consent", t, timeout, (dialog, done) -> {
            JCheckBox remember = new JCheckBox(t.get("consent.remember"));
            remember.setName("remember");
            JButton allow = button(t.get("button.allow"), "allow", () -> done.complete(new Answer<>(new ReadConsent(true, remember.isSelected()))));
            JButton deny = button(t.get("button.deny"), "deny", () -> done.complete(new Answer<>(new ReadConsent(false, remember.isSelected()))));
            dialog.getRootPane().setDefaultButton(deny);
            dialog.getAccessibleContext().setAccessibleName(t.get("title") + ": " + t.get("consent.accessible"));
            return layout(List.of(new WrappedText(t.emphasised("consent.text", origin), textWidth()), remember), List.of(allow, deny));
        });
    }

    @Override
    public void confirm(Confirmation confirmation, Lang lang, Duration timeout) {
        approve(new Approval(confirmation.origin(), confirmation.action(), confirmation.facts(), null, null), lang, timeout, null);
    }

    @Override
    public char[] askPin(PinPrompt prompt, Lang lang, Duration timeout) {
        char[][] typed = new char[1][];
        approve(Approval.pinOnly(prompt), lang, timeout, pin -> typed[0] = pin.clone());
        return typed[0];
    }

    /** The parts of an approval window the requesting thread changes between tries (on the EDT). */
    private static final class Parts {
        JDialog dialog;
        JComponent root;
        JPasswordField field;
        JComponent pinRow;
        JButton ok;
        JButton cancel;
        WrappedText message;
        WrappedText warning;
        boolean armed;
        boolean checking;

        void update() {
            ok.setEnabled(armed && !checking && (field == null || field.getDocument().getLength() > 0));
        }
    }

    @Override
    public void approve(Approval approval, Lang lang, Duration timeout, PinCheck check) {
        requireDisplay();
        Texts t = new Texts(lang);
        PinPrompt prompt = approval.pin();
        String name = approval.action() != null ? "cardbridge-confirm" : "cardbridge-pin";
        // Each try has its own answer; closing the window or Cancel answers null (and marks it closed, for a
        // close that comes while the card checks a PIN).
        AtomicReference<CompletableFuture<Answer<char[]>>> answer = new AtomicReference<>(new CompletableFuture<>());
        AtomicBoolean closed = new AtomicBoolean();
        AtomicReference<JDialog> ref = new AtomicReference<>();
        Parts parts = new Parts();
        Runnable cancelled = () -> {
            closed.set(true);
            answer.get().complete(new Answer<>(null));
        };
        try {
            onEdt(closed::get, () -> {
                JDialog dialog = frame(name, t);
                ref.set(dialog);
                parts.dialog = dialog;
                dialog.setDefaultCloseOperation(WindowConstants.DISPOSE_ON_CLOSE);
                dialog.addWindowListener(new WindowAdapter() {
                    @Override
                    public void windowClosing(WindowEvent e) {
                        cancelled.run();
                    }
                });
                parts.root = approvalContent(approval, t, parts, answer, cancelled);
                dialog.add(parts.root);
                fit(dialog, parts.root);
                dialog.setVisible(true);
                dialog.toFront();
            });
            while (true) {
                Answer<char[]> given = answer.get().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (given.value() == null) {
                    throw new HostException(ErrorCode.USER_CANCELLED, "the user cancelled the dialog", Map.of("dialog", name));
                }
                if (prompt == null) {
                    return;
                }
                char[] pin = given.value();
                try {
                    check.use(pin);
                    return;
                } catch (HostException e) {
                    if (e.code() != ErrorCode.PIN_INCORRECT && e.code() != ErrorCode.PIN_LOCKED) {
                        throw e;
                    }
                    answer.set(new CompletableFuture<>());
                    if (closed.get()) {
                        throw new HostException(ErrorCode.USER_CANCELLED, "the user cancelled the dialog", Map.of("dialog", name));
                    }
                    if (e.code() == ErrorCode.PIN_INCORRECT) {
                        String retry = t.plain(switch (String.valueOf(e.details().get("pinState"))) {
                            case "finalTry" -> "pin.wrong.finalTry";
                            case "countLow" -> "pin.wrong.countLow";
                            default -> "pin.wrong";
                        });
                        SwingUtilities.invokeLater(() -> retry(parts, retry));
                        continue;
                    }
                    // Blocked: the window says so and what to do, and the request ends when the person closes it.
                    SwingUtilities.invokeLater(() -> locked(parts, t));
                    try {
                        answer.get().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (TimeoutException ignored) {
                        // the page learns of the blocked PIN all the same
                    }
                    throw e;
                } finally {
                    Arrays.fill(pin, '\0');
                }
            }
        } catch (TimeoutException e) {
            throw new HostException(ErrorCode.USER_TIMEOUT, "no answer within " + timeout.toSeconds() + " s",
                    Map.of("dialog", name, "timeoutSeconds", timeout.toSeconds()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostException(ErrorCode.REQUEST_CANCELLED, "the request was cancelled", Map.of());
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            closed.set(true);
            answer.get().complete(new Answer<>(null)); // a click after this point finds the answer taken
            disposeLater(ref);
        }
    }

    /** Builds an approval window's content: who asks and what, the facts, the document, the PIN field, the buttons. */
    private JComponent approvalContent(Approval approval, Texts t, Parts parts,
                                       AtomicReference<CompletableFuture<Answer<char[]>>> answer, Runnable cancelled) {
        PinPrompt prompt = approval.pin();
        JDialog dialog = parts.dialog;
        int width = textWidth();
        boolean confirmation = approval.action() != null;
        JButton ok = button(t.get(confirmation ? "button.confirm" : "button.ok"), confirmation ? "confirm" : "ok", () -> {
            char[] pin;
            if (parts.field != null) {
                pin = parts.field.getPassword();
                parts.field.setText("");
                parts.checking = true;
                parts.field.setEnabled(false);
                parts.update();
                showMessage(parts, t.get("pin.checking"), false);
            } else {
                pin = new char[0];
            }
            if (!answer.get().complete(new Answer<>(pin))) {
                Arrays.fill(pin, '\0'); // the request already timed out or was cancelled
            }
        });
        JButton cancel = button(t.get("button.cancel"), "cancel", cancelled);
        parts.ok = ok;
        parts.cancel = cancel;
        List<JComponent> rows = new java.util.ArrayList<>();
        AttributedCharacterIterator heading = confirmation
                ? t.emphasised("confirm.text", approval.origin(), t.get(approval.action()))
                : pinText(t, prompt, "pin");
        rows.add(new WrappedText(heading, width));
        approval.facts().forEach(f -> rows.add(new WrappedText(Texts.oneLine(f), width)));
        if (approval.document() != null) {
            rows.add(new WrappedText(t.get("document.label"), width));
            rows.add(documentView(approval.document(), t, width));
        }
        if (!approval.details().isEmpty()) {
            rows.add(detailsRows(approval.details(), t, width, parts));
        }
        StringBuilder description = new StringBuilder(plainText(heading));
        approval.facts().forEach(f -> description.append('\n').append(Texts.oneLine(f)));
        if (prompt != null) {
            if (confirmation) {
                rows.add(new WrappedText(t.emphasised("approve.pin", prompt.tokenLabel()), width));
            } else if (prompt.certificate() != null) {
                rows.add(new WrappedText(Texts.oneLine(t.plain("pin.certificate", prompt.certificate())), width));
            }
            if (prompt.tries() != PinPrompt.Tries.NORMAL) {
                WrappedText warn = new WrappedText(t.get(prompt.tries() == PinPrompt.Tries.FINAL_TRY ? "pin.finalTry" : "pin.countLow"), width)
                        .color(WARNING);
                warn.setName("warning");
                parts.warning = warn;
                rows.add(warn);
            }
            WrappedText message = new WrappedText("", width).color(WARNING);
            message.setName("message");
            message.setVisible(false);
            parts.message = message;
            rows.add(message);
            JPasswordField field = new JPasswordField(16);
            field.setName("pin");
            field.getAccessibleContext().setAccessibleName(t.get("pin.accessible"));
            parts.field = field;
            field.getDocument().addDocumentListener(new javax.swing.event.DocumentListener() {
                @Override
                public void insertUpdate(javax.swing.event.DocumentEvent e) {
                    parts.update();
                }

                @Override
                public void removeUpdate(javax.swing.event.DocumentEvent e) {
                    parts.update();
                }

                @Override
                public void changedUpdate(javax.swing.event.DocumentEvent e) {
                    parts.update();
                }
            });
            JPanel pinRow = new JPanel(new FlowLayout(FlowLayout.LEFT, 0, 0));
            JLabel label = new JLabel(t.get("pin.label") + " ");
            label.setLabelFor(field);
            pinRow.add(label);
            pinRow.add(field);
            parts.pinRow = pinRow;
            rows.add(pinRow);
            // Typing the PIN and pressing Return is a deliberate act: the PIN's Return confirms. Without a
            // typed PIN Return does nothing (an empty PIN is never sent), so a stray Return cannot approve.
            dialog.getRootPane().setDefaultButton(ok);
        } else if (confirmation) {
            // This window authorises a signature or a change to the card without a PIN (the card is logged in).
            // Return, pressed out of habit or meant for the page, must not be that consent; at worst it cancels,
            // which the page can ask again. Confirming takes the button itself.
            dialog.getRootPane().setDefaultButton(cancel);
        }
        parts.armed = !confirmation;
        parts.update();
        dialog.addWindowListener(new WindowAdapter() {
            @Override
            public void windowOpened(WindowEvent e) {
                if (parts.field != null) {
                    parts.field.requestFocusInWindow();
                } else {
                    cancel.requestFocusInWindow(); // Space, too, presses Cancel until the user moves on
                }
                if (confirmation) {
                    // Confirm stays disabled for a moment after the window appears: it comes to the front on its
                    // own, and a click the person meant for the page must not sign or write anything.
                    javax.swing.Timer timer = new javax.swing.Timer(ARM_DELAY_MILLIS, ev -> {
                        parts.armed = true;
                        parts.update();
                    });
                    timer.setRepeats(false);
                    timer.start();
                }
            }
        });
        dialog.getAccessibleContext().setAccessibleName(t.get("title") + ": "
                + (confirmation ? t.get(approval.action()) : t.get("pin.accessible")));
        dialog.getAccessibleContext().setAccessibleDescription(description.toString());
        return layout(rows, List.of(ok, cancel));
    }

    /** The fields and rows of a PIN change window that the requesting thread changes between tries (on the EDT). */
    private static final class ChangeParts {
        JDialog dialog;
        JComponent root;
        JPasswordField current;
        JPasswordField newPin;
        JPasswordField repeat;
        JComponent fields;
        JButton ok;
        JButton cancel;
        WrappedText message;
        WrappedText warning;
        boolean checking;

        void update() {
            ok.setEnabled(!checking && current.getDocument().getLength() > 0 && newPin.getDocument().getLength() > 0
                    && repeat.getDocument().getLength() > 0);
        }

        void show(String text, boolean warn) {
            message.setPlain(text);
            message.setForeground(warn ? WARNING : UIManager.getColor("Label.foreground"));
            message.setVisible(true);
            message.getAccessibleContext().setAccessibleName(text);
            fit(dialog, root);
        }

        /** After a refusal: the fields named cleared and enabled again, the message, focus on the first cleared one. */
        void retry(String text, boolean clearCurrent) {
            if (dialog == null || !dialog.isDisplayable()) {
                return;
            }
            checking = false;
            if (clearCurrent) {
                current.setText("");
            }
            newPin.setText("");
            repeat.setText("");
            for (JPasswordField f : List.of(current, newPin, repeat)) {
                f.setEnabled(true);
            }
            if (warning != null) {
                warning.setVisible(false);
            }
            show(text, true);
            update();
            (clearCurrent ? current : newPin).requestFocusInWindow();
        }
    }

    @Override
    public void changePin(PinChange change, Lang lang, Duration timeout, PinChangeCheck check) {
        requireDisplay();
        Texts t = new Texts(lang);
        boolean unblock = change.kind() == PinChange.Kind.UNBLOCK;
        String name = "cardbridge-pinchange";
        AtomicReference<CompletableFuture<Answer<char[][]>>> answer = new AtomicReference<>(new CompletableFuture<>());
        AtomicBoolean closed = new AtomicBoolean();
        AtomicReference<JDialog> ref = new AtomicReference<>();
        ChangeParts parts = new ChangeParts();
        Runnable cancelled = () -> {
            closed.set(true);
            answer.get().complete(new Answer<>(null));
        };
        try {
            onEdt(closed::get, () -> {
                JDialog dialog = frame(name, t);
                ref.set(dialog);
                parts.dialog = dialog;
                dialog.setDefaultCloseOperation(WindowConstants.DISPOSE_ON_CLOSE);
                dialog.addWindowListener(new WindowAdapter() {
                    @Override
                    public void windowClosing(WindowEvent e) {
                        cancelled.run();
                    }

                    @Override
                    public void windowOpened(WindowEvent e) {
                        parts.current.requestFocusInWindow();
                    }
                });
                parts.root = changeContent(change, t, parts, answer, cancelled);
                dialog.add(parts.root);
                fit(dialog, parts.root);
                dialog.setVisible(true);
                dialog.toFront();
            });
            while (true) {
                Answer<char[][]> given = answer.get().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (given.value() == null) {
                    throw new HostException(ErrorCode.USER_CANCELLED, "the user cancelled the dialog", Map.of("dialog", name));
                }
                char[][] typed = given.value();
                try {
                    check.use(typed[0], typed[1]);
                    return;
                } catch (HostException e) {
                    boolean wrong = e.code() == ErrorCode.PIN_INCORRECT;
                    boolean refused = e.code() == ErrorCode.INVALID_ARGUMENT && "newPin".equals(e.details().get("field"));
                    boolean locked = e.code() == ErrorCode.PIN_LOCKED || e.code() == ErrorCode.PUK_LOCKED;
                    if (!wrong && !refused && !locked) {
                        throw e;
                    }
                    answer.set(new CompletableFuture<>());
                    if (closed.get()) {
                        throw new HostException(ErrorCode.USER_CANCELLED, "the user cancelled the dialog", Map.of("dialog", name));
                    }
                    if (wrong || refused) {
                        String secret = unblock ? "puk" : "pin";
                        String text = refused ? t.plain("pinChange.refused") : t.plain(switch (String.valueOf(e.details().get("pinState"))) {
                            case "finalTry" -> secret + ".wrong.finalTry";
                            case "countLow" -> secret + ".wrong.countLow";
                            default -> secret + ".wrong";
                        });
                        SwingUtilities.invokeLater(() -> parts.retry(text, true)); // every field was wiped when sent
                        continue;
                    }
                    String text = t.plain(e.code() == ErrorCode.PUK_LOCKED ? "puk.locked" : "pin.locked");
                    SwingUtilities.invokeLater(() -> {
                        if (parts.dialog == null || !parts.dialog.isDisplayable()) {
                            return;
                        }
                        parts.fields.setVisible(false);
                        if (parts.warning != null) {
                            parts.warning.setVisible(false);
                        }
                        parts.ok.setVisible(false);
                        parts.cancel.setText(t.get("button.close"));
                        parts.dialog.getRootPane().setDefaultButton(parts.cancel);
                        parts.show(text, true);
                        parts.cancel.requestFocusInWindow();
                    });
                    try {
                        answer.get().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (TimeoutException ignored) {
                        // the page learns of the blocked PIN or PUK all the same
                    }
                    throw e;
                } finally {
                    Arrays.fill(typed[0], '\0');
                    Arrays.fill(typed[1], '\0');
                }
            }
        } catch (TimeoutException e) {
            throw new HostException(ErrorCode.USER_TIMEOUT, "no answer within " + timeout.toSeconds() + " s",
                    Map.of("dialog", name, "timeoutSeconds", timeout.toSeconds()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostException(ErrorCode.REQUEST_CANCELLED, "the request was cancelled", Map.of());
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            closed.set(true);
            answer.get().complete(new Answer<>(null));
            disposeLater(ref);
        }
    }

    /** The PIN change window: who asks to change which card's PIN, the card's rules, the three fields, the buttons. */
    private JComponent changeContent(PinChange change, Texts t, ChangeParts parts,
                                     AtomicReference<CompletableFuture<Answer<char[][]>>> answer, Runnable cancelled) {
        boolean unblock = change.kind() == PinChange.Kind.UNBLOCK;
        int width = textWidth();
        JButton ok = button(t.get("button.ok"), "ok", () -> {
            char[] newPin = parts.newPin.getPassword();
            char[] repeat = parts.repeat.getPassword();
            PinChange.Problem problem = change.problem(newPin, repeat);
            Arrays.fill(repeat, '\0');
            if (problem != null) {
                Arrays.fill(newPin, '\0');
                parts.retry(t.plain(problem.key(), problem.length()), false); // nothing was sent to the card
                return;
            }
            char[] current = parts.current.getPassword();
            for (JPasswordField f : List.of(parts.current, parts.newPin, parts.repeat)) {
                f.setText("");
                f.setEnabled(false);
            }
            parts.checking = true;
            parts.update();
            parts.show(t.get("pinChange.checking"), false);
            if (!answer.get().complete(new Answer<>(new char[][] {current, newPin}))) {
                Arrays.fill(current, '\0');
                Arrays.fill(newPin, '\0');
            }
        });
        JButton cancel = button(t.get("button.cancel"), "cancel", cancelled);
        parts.ok = ok;
        parts.cancel = cancel;
        List<JComponent> rows = new java.util.ArrayList<>();
        AttributedCharacterIterator heading = t.emphasised(selfOr(unblock ? "pinUnblock" : "pinChange", change.origin()), change.origin(),
                change.tokenLabel());
        rows.add(new WrappedText(heading, width));
        rows.add(new WrappedText(t.plain(unblock ? "pinUnblock.explain" : "pinChange.explain"), width));
        String rules = change.minLength() > 0 && change.maxLength() > 0 ? t.plain("pinChange.rules.range", change.minLength(), change.maxLength())
                : change.minLength() > 0 ? t.plain("pinChange.rules.min", change.minLength()) : null;
        if (rules != null) {
            WrappedText rule = new WrappedText(rules, width);
            rule.setName("rules");
            rows.add(rule);
        }
        if (change.tries() != PinPrompt.Tries.NORMAL) {
            String secret = unblock ? "puk" : "pin";
            WrappedText warn = new WrappedText(t.get(secret + (change.tries() == PinPrompt.Tries.FINAL_TRY ? ".finalTry" : ".countLow")), width)
                    .color(WARNING);
            warn.setName("warning");
            parts.warning = warn;
            rows.add(warn);
        }
        WrappedText message = new WrappedText("", width).color(WARNING);
        message.setName("message");
        message.setVisible(false);
        parts.message = message;
        rows.add(message);
        parts.current = pinField(unblock ? "puk" : "current", t.get(unblock ? "pinChange.puk.accessible" : "pinChange.current.accessible"), parts);
        parts.newPin = pinField("newPin", t.get("pinChange.new.accessible"), parts);
        parts.repeat = pinField("repeatPin", t.get("pinChange.repeat.accessible"), parts);
        JPanel fields = new JPanel(new java.awt.GridLayout(3, 2, 8, 4));
        String[] labels = {unblock ? "pinChange.puk" : "pinChange.current", "pinChange.new", "pinChange.repeat"};
        JPasswordField[] inputs = {parts.current, parts.newPin, parts.repeat};
        for (int i = 0; i < 3; i++) {
            JLabel label = new JLabel(t.get(labels[i]));
            label.setLabelFor(inputs[i]);
            fields.add(label);
            fields.add(inputs[i]);
        }
        fields.setMaximumSize(fields.getPreferredSize());
        parts.fields = fields;
        rows.add(fields);
        parts.dialog.getRootPane().setDefaultButton(ok); // Return with all three typed: a deliberate act; empty fields do nothing
        parts.update();
        parts.dialog.getAccessibleContext().setAccessibleName(t.get("title") + ": " + t.get(unblock ? "pinUnblock.accessible" : "pinChange.accessible"));
        parts.dialog.getAccessibleContext().setAccessibleDescription(plainText(heading));
        return layout(rows, List.of(ok, cancel));
    }

    private static JPasswordField pinField(String name, String accessible, ChangeParts parts) {
        JPasswordField field = new JPasswordField(16);
        field.setName(name);
        field.getAccessibleContext().setAccessibleName(accessible);
        field.getDocument().addDocumentListener(new javax.swing.event.DocumentListener() {
            @Override
            public void insertUpdate(javax.swing.event.DocumentEvent e) {
                parts.update();
            }

            @Override
            public void removeUpdate(javax.swing.event.DocumentEvent e) {
                parts.update();
            }

            @Override
            public void changedUpdate(javax.swing.event.DocumentEvent e) {
                parts.update();
            }
        });
        return field;
    }

    private static final Color WARNING = new Color(0xB00020);

    /** A "Details" button that shows (and hides) the raw names and numbers; closed at first. */
    private static JComponent detailsRows(List<String> details, Texts t, int width, Parts parts) {
        JPanel panel = new JPanel();
        panel.setLayout(new BoxLayout(panel, BoxLayout.Y_AXIS));
        JPanel shown = new JPanel();
        shown.setName("detailsText");
        shown.setLayout(new BoxLayout(shown, BoxLayout.Y_AXIS));
        for (String d : details) {
            WrappedText row = new WrappedText(Texts.oneLine(d), width - 16);
            row.setAlignmentX(0f);
            shown.add(row);
        }
        shown.setBorder(BorderFactory.createEmptyBorder(4, 16, 0, 0));
        shown.setVisible(false);
        shown.setAlignmentX(0f);
        javax.swing.JToggleButton toggle = new javax.swing.JToggleButton(t.get("button.details") + " \u25B8");
        toggle.setName("details");
        toggle.setAlignmentX(0f);
        toggle.addActionListener(e -> {
            shown.setVisible(toggle.isSelected());
            toggle.setText(t.get("button.details") + (toggle.isSelected() ? " \u25BE" : " \u25B8"));
            fit(parts.dialog, parts.root);
        });
        panel.add(toggle);
        panel.add(shown);
        panel.setAlignmentX(0f);
        return panel;
    }

    /** The document being signed, exactly as signed: read-only, selectable, scrollable, reachable with Tab. */
    private static JComponent documentView(String document, Texts t, int width) {
        javax.swing.JTextArea area = new javax.swing.JTextArea(document);
        area.setName("document");
        area.setEditable(false);
        area.setLineWrap(true);
        area.setWrapStyleWord(true);
        area.setCaretPosition(0);
        area.setFont(UIManager.getFont("Label.font").deriveFont(java.awt.Font.PLAIN));
        // Tab leaves the text, as in any other read-only field, instead of being typed into it.
        area.setFocusTraversalKeys(java.awt.KeyboardFocusManager.FORWARD_TRAVERSAL_KEYS, null);
        area.setFocusTraversalKeys(java.awt.KeyboardFocusManager.BACKWARD_TRAVERSAL_KEYS, null);
        area.getAccessibleContext().setAccessibleName(t.get("document.accessible"));
        JScrollPane scroll = new JScrollPane(area, ScrollPaneConstants.VERTICAL_SCROLLBAR_AS_NEEDED,
                ScrollPaneConstants.HORIZONTAL_SCROLLBAR_NEVER);
        scroll.setName("documentScroll");
        area.setSize(width - 24, Short.MAX_VALUE);
        int lines = Math.min(14, Math.max(3, (area.getPreferredSize().height + area.getFontMetrics(area.getFont()).getHeight() - 1)
                / Math.max(1, area.getFontMetrics(area.getFont()).getHeight())));
        int height = lines * area.getFontMetrics(area.getFont()).getHeight() + 8;
        scroll.setPreferredSize(new Dimension(width, height));
        scroll.setMaximumSize(new Dimension(width, height));
        return scroll;
    }

    /** After a wrong PIN: the same window, the field cleared, the message, and the field ready for the next try. */
    private static void retry(Parts parts, String message) {
        if (parts.dialog == null || !parts.dialog.isDisplayable()) {
            return;
        }
        parts.checking = false;
        parts.field.setText("");
        parts.field.setEnabled(true);
        if (parts.warning != null) {
            parts.warning.setVisible(false); // the message says what is left now
        }
        showMessage(parts, message, true);
        parts.update();
        parts.field.requestFocusInWindow();
    }

    /** The PIN is blocked: no field any more, what to do, and one button to close. */
    private static void locked(Parts parts, Texts t) {
        if (parts.dialog == null || !parts.dialog.isDisplayable()) {
            return;
        }
        parts.pinRow.setVisible(false);
        if (parts.warning != null) {
            parts.warning.setVisible(false);
        }
        parts.ok.setVisible(false);
        parts.cancel.setText(t.get("button.close"));
        parts.dialog.getRootPane().setDefaultButton(parts.cancel);
        showMessage(parts, t.plain("pin.locked"), true);
        parts.cancel.requestFocusInWindow();
    }

    private static void showMessage(Parts parts, String text, boolean warning) {
        parts.message.setPlain(text);
        parts.message.setForeground(warning ? WARNING : UIManager.getColor("Label.foreground"));
        parts.message.setVisible(true);
        parts.message.getAccessibleContext().setAccessibleName(text);
        fit(parts.dialog, parts.root);
    }

    private static String plainText(AttributedCharacterIterator text) {
        StringBuilder out = new StringBuilder();
        for (char c = text.first(); c != java.text.CharacterIterator.DONE; c = text.next()) {
            out.append(c);
        }
        text.first();
        return out.toString();
    }

    @Override
    public AutoCloseable showPinPadNotice(PinPrompt prompt, Lang lang) {
        requireDisplay();
        Texts t = new Texts(lang);
        AtomicReference<JDialog> ref = new AtomicReference<>();
        AtomicBoolean closed = new AtomicBoolean();
        Runnable close = () -> {
            closed.set(true);
            disposeLater(ref);
        };
        try {
            onEdt(closed::get, () -> {
                JDialog dialog = frame("cardbridge-pinpad", t);
                ref.set(dialog);
                dialog.setDefaultCloseOperation(WindowConstants.DO_NOTHING_ON_CLOSE);
                dialog.getAccessibleContext().setAccessibleName(t.get("title") + ": " + t.get("pin.accessible"));
                JPanel content = layout(List.of(new WrappedText(pinText(t, prompt, "pinpad"), textWidth())), List.of());
                dialog.add(content);
                fit(dialog, content);
                dialog.setVisible(true);
            });
        } catch (RuntimeException e) {
            close.run(); // the user cannot close this notice: nobody else would
            throw e;
        }
        return close::run;
    }

    /**
     * Who asks for the PIN of which card ({@code pin.text}, {@code pinpad.text}); for a key that wants
     * its PIN at every signature (CKA_ALWAYS_AUTHENTICATE), that the PIN authorises this signature.
     */
    private static AttributedCharacterIterator pinText(Texts t, PinPrompt prompt, String dialog) {
        return switch (prompt.purpose()) {
            case SIGNATURE -> t.emphasised(dialog + ".signature.text", prompt.origin(), prompt.tokenLabel(), t.get("pin.signature.this"));
            case CHANGE -> t.emphasised(selfOr(dialog + ".change", prompt.origin()), prompt.origin(), prompt.tokenLabel());
            case UNBLOCK -> t.emphasised(selfOr(dialog + ".unblock", prompt.origin()), prompt.origin(), prompt.tokenLabel());
            case LOGIN -> t.emphasised(dialog + ".text", prompt.origin(), prompt.tokenLabel());
        };
    }

    /**
     * {@code base + ".text"}, or {@code base + ".self.text"} when the person asked in the extension's own popup:
     * then no web page asks, and "cardbridge:extension asks…" would name something the person never saw.
     */
    private static String selfOr(String base, Origin origin) {
        return base + (origin.isExtension() ? ".self.text" : ".text");
    }

    /**
     * The confirm button stays disabled for a moment after the dialog appears: the dialog comes to the
     * front on its own, and a click the user meant for the page must not sign or write anything.
     */
    static final int ARM_DELAY_MILLIS = 700;

    /** Shows a dialog and waits for its answer; closing it is USER_CANCELLED, no answer in time USER_TIMEOUT. */
    private <T> T show(String name, Texts t, Duration timeout,
                       BiFunction<JDialog, CompletableFuture<Answer<T>>, JComponent> content) {
        requireDisplay();
        CompletableFuture<Answer<T>> done = new CompletableFuture<>();
        AtomicReference<JDialog> ref = new AtomicReference<>();
        try {
            onEdt(done::isDone, () -> {
                JDialog dialog = frame(name, t);
                ref.set(dialog);
                dialog.setDefaultCloseOperation(WindowConstants.DISPOSE_ON_CLOSE);
                dialog.addWindowListener(new WindowAdapter() {
                    @Override
                    public void windowClosing(WindowEvent e) {
                        done.complete(new Answer<>(null));
                    }
                });
                JComponent root = content.apply(dialog, done);
                dialog.add(root);
                fit(dialog, root);
                dialog.setVisible(true);
                dialog.toFront();
            });
            Answer<T> answer = done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (answer.value() == null) {
                throw new HostException(ErrorCode.USER_CANCELLED, "the user cancelled the dialog", Map.of("dialog", name));
            }
            return answer.value();
        } catch (TimeoutException e) {
            throw new HostException(ErrorCode.USER_TIMEOUT, "no answer within " + timeout.toSeconds() + " s",
                    Map.of("dialog", name, "timeoutSeconds", timeout.toSeconds()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostException(ErrorCode.REQUEST_CANCELLED, "the request was cancelled", Map.of());
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            done.complete(new Answer<>(null)); // a click after this point finds the answer taken
            disposeLater(ref);
        }
    }

    /**
     * Builds and shows a dialog on the EDT and waits until it is up. Not invokeAndWait: an interrupt
     * (the page cancelled) ends that wait while the EDT goes on to show the dialog, and nobody would
     * dispose it. Here the caller's {@link #disposeLater} is queued behind this task, so it disposes
     * whatever the task built, and a task that starts only after the caller {@code gaveUp} builds nothing.
     */
    private static void onEdt(BooleanSupplier gaveUp, Runnable build) {
        if (SwingUtilities.isEventDispatchThread()) {
            throw new IllegalStateException("a dialog waits for its answer: never on the EDT");
        }
        CompletableFuture<Void> built = new CompletableFuture<>();
        SwingUtilities.invokeLater(() -> {
            if (gaveUp.getAsBoolean()) {
                built.complete(null);
                return;
            }
            try {
                build.run();
                built.complete(null);
            } catch (Throwable e) {
                built.completeExceptionally(e); // the caller reports it; the EDT lives on
            }
        });
        try {
            built.get();
            if (Thread.currentThread().isInterrupted()) {
                // get() keeps an interrupt that raced with the dialog's completion as a flag: still cancelled
                throw new InterruptedException();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostException(ErrorCode.REQUEST_CANCELLED, "the request was cancelled", Map.of());
        } catch (ExecutionException e) {
            throw new HostException(ErrorCode.INTERNAL_ERROR, "cannot show a dialog: " + e.getCause(), Map.of(), e.getCause());
        }
    }

    /**
     * Disposes the dialog, if one was built, once the EDT gets here; a PIN typed into it is overwritten
     * first (JPasswordField.setText zeroes the old characters), since the field outlives the dialog.
     */
    private static void disposeLater(AtomicReference<JDialog> ref) {
        SwingUtilities.invokeLater(() -> {
            JDialog dialog = ref.get();
            if (dialog != null) {
                wipePasswords(dialog);
                dialog.dispose();
            }
        });
    }

    private static void wipePasswords(Container container) {
        for (Component c : container.getComponents()) {
            if (c instanceof JPasswordField field) {
                field.setText("");
            } else if (c instanceof Container inner) {
                wipePasswords(inner);
            }
        }
    }

    private static JDialog frame(String name, Texts t) {
        JDialog dialog = new JDialog((java.awt.Frame) null, t.get("title"), false);
        dialog.setName(name);
        dialog.setTitle(t.get("title"));
        dialog.setAlwaysOnTop(true);
        dialog.setResizable(false);
        dialog.setAutoRequestFocus(true);
        // Escape closes the window, as the close button does: a cancel (the PIN-pad notice cannot be closed).
        dialog.getRootPane().registerKeyboardAction(e -> dialog.dispatchEvent(new WindowEvent(dialog, WindowEvent.WINDOW_CLOSING)),
                javax.swing.KeyStroke.getKeyStroke(java.awt.event.KeyEvent.VK_ESCAPE, 0), JComponent.WHEN_IN_FOCUSED_WINDOW);
        return dialog;
    }

    private static final int MARGIN = 16;

    /** The text rows above, the buttons below; the rows scroll if the screen is too short for them. */
    private static JPanel layout(List<? extends JComponent> rows, List<JButton> buttons) {
        JPanel body = new JPanel();
        body.setName("text");
        body.setLayout(new BoxLayout(body, BoxLayout.Y_AXIS));
        for (JComponent row : rows) {
            row.setAlignmentX(0f);
            body.add(row);
            body.add(Box.createVerticalStrut(8));
        }
        JScrollPane scroll = new JScrollPane(body, ScrollPaneConstants.VERTICAL_SCROLLBAR_AS_NEEDED,
                ScrollPaneConstants.HORIZONTAL_SCROLLBAR_NEVER);
        scroll.setBorder(BorderFactory.createEmptyBorder());
        scroll.getVerticalScrollBar().setUnitIncrement(16);
        JPanel actions = new JPanel(new FlowLayout(FlowLayout.RIGHT));
        buttons.forEach(actions::add);
        JPanel root = new JPanel(new BorderLayout());
        root.setBorder(BorderFactory.createEmptyBorder(MARGIN, MARGIN, 8, MARGIN));
        root.add(scroll, BorderLayout.CENTER);
        root.add(actions, BorderLayout.SOUTH);
        return root;
    }

    /**
     * Where dialog text wraps: at about 36 ems (some 60 characters a line), or narrower where the
     * screen's usable width, less the dialog's margins, a scroll bar and a window frame, is smaller.
     */
    static int textWidth() {
        int comfortable = Math.round(UIManager.getFont("Label.font").getSize2D() * 36);
        return Math.max(120, Math.min(comfortable, usableBounds().width - 2 * MARGIN - 64));
    }

    /** The default screen less its task bars and docks: where the dialogs are shown. */
    private static Rectangle usableBounds() {
        return GraphicsEnvironment.getLocalGraphicsEnvironment().getMaximumWindowBounds();
    }

    /**
     * Sizes the dialog and centres it within the screen's usable bounds. The text already wraps to fit
     * the width; a dialog still too tall (long facts) lets its text scroll, so the buttons stay on the
     * screen whatever a page sends.
     */
    private static void fit(JDialog dialog, JComponent root) {
        dialog.pack();
        Rectangle usable = usableBounds();
        int excess = dialog.getHeight() - usable.height;
        if (excess > 0 && ((BorderLayout) root.getLayout()).getLayoutComponent(BorderLayout.CENTER) instanceof JScrollPane scroll) {
            Dimension size = scroll.getPreferredSize();
            int bar = scroll.getVerticalScrollBar().getPreferredSize().width;
            scroll.setPreferredSize(new Dimension(size.width + bar, Math.max(size.height - excess, 0)));
            dialog.pack();
        }
        dialog.setLocationRelativeTo(null);
        dialog.setLocation(
                Math.max(usable.x, Math.min(dialog.getX(), usable.x + usable.width - dialog.getWidth())),
                Math.max(usable.y, Math.min(dialog.getY(), usable.y + usable.height - dialog.getHeight())));
    }

    private static JButton button(String text, String name, Runnable action) {
        JButton b = new JButton(text);
        b.setName(name);
        b.addActionListener(e -> action.run());
        return b;
    }

    private static void requireDisplay() {
        if (GraphicsEnvironment.isHeadless()) {
            throw new HostException(ErrorCode.INTERNAL_ERROR, "cannot show a dialog: there is no graphical display", Map.of());
        }
    }
}
