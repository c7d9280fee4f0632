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
            return layout(List.of(new WrappedText(t.emphasised("consent.text", origin), textWidth()), remember), List.of(allow, deny));
        });
    }

    @Override
    public void confirm(Confirmation confirmation, Lang lang, Duration timeout) {
        Texts t = new Texts(lang);
        show("cardbridge-confirm", t, timeout, (dialog, done) -> {
            JButton ok = button(t.get("button.confirm"), "confirm", () -> done.complete(new Answer<>(Boolean.TRUE)));
            JButton cancel = button(t.get("button.cancel"), "cancel", () -> done.complete(new Answer<>(null)));
            // This dialog authorises a signature or a change to the card, and without a PIN once the card
            // is logged in. Return, pressed out of habit or meant for the page, must not be that consent;
            // at worst it cancels, which the page can ask again. Confirming takes the button itself.
            dialog.getRootPane().setDefaultButton(cancel);
            dialog.addWindowListener(new WindowAdapter() {
                @Override
                public void windowOpened(WindowEvent e) {
                    cancel.requestFocusInWindow(); // Space, too, presses Cancel until the user moves on
                }
            });
            armAfterDelay(dialog, ok);
            int width = textWidth();
            List<JComponent> rows = new java.util.ArrayList<>();
            rows.add(new WrappedText(t.emphasised("confirm.text", confirmation.origin(), t.get(confirmation.action())), width));
            confirmation.facts().forEach(f -> rows.add(new WrappedText(Texts.oneLine(f), width)));
            return layout(rows, List.of(ok, cancel));
        });
    }

    @Override
    public char[] askPin(PinPrompt prompt, Lang lang, Duration timeout) {
        Texts t = new Texts(lang);
        return show("cardbridge-pin", t, timeout, (dialog, done) -> {
            JPasswordField field = new JPasswordField(16);
            field.setName("pin");
            JButton ok = button(t.get("button.ok"), "ok", () -> {
                char[] pin = field.getPassword();
                field.setText("");
                if (!done.complete(new Answer<>(pin))) {
                    Arrays.fill(pin, '\0'); // the request already timed out or was cancelled
                }
            });
            JButton cancel = button(t.get("button.cancel"), "cancel", () -> done.complete(new Answer<>(null)));
            dialog.getRootPane().setDefaultButton(ok);
            // An empty PIN is never sent: a stray Return would cost the card a try.
            ok.setEnabled(false);
            field.getDocument().addDocumentListener(new javax.swing.event.DocumentListener() {
                private void update() {
                    ok.setEnabled(field.getDocument().getLength() > 0);
                }

                @Override
                public void insertUpdate(javax.swing.event.DocumentEvent e) {
                    update();
                }

                @Override
                public void removeUpdate(javax.swing.event.DocumentEvent e) {
                    update();
                }

                @Override
                public void changedUpdate(javax.swing.event.DocumentEvent e) {
                    update();
                }
            });
            int width = textWidth();
            List<JComponent> rows = new java.util.ArrayList<>();
            rows.add(new WrappedText(pinText(t, prompt, "pin"), width));
            if (prompt.certificate() != null) {
                rows.add(new WrappedText(Texts.oneLine(t.plain("pin.certificate", prompt.certificate())), width));
            }
            if (prompt.tries() != PinPrompt.Tries.NORMAL) {
                WrappedText warn = new WrappedText(t.get(prompt.tries() == PinPrompt.Tries.FINAL_TRY ? "pin.finalTry" : "pin.countLow"), width)
                        .color(new Color(0xB00020));
                warn.setName("warning");
                rows.add(warn);
            }
            JPanel pinRow = new JPanel(new FlowLayout(FlowLayout.LEFT, 0, 0));
            pinRow.add(new JLabel(t.get("pin.label") + " "));
            pinRow.add(field);
            rows.add(pinRow);
            dialog.addWindowListener(new WindowAdapter() {
                @Override
                public void windowOpened(WindowEvent e) {
                    field.requestFocusInWindow();
                }
            });
            return layout(rows, List.of(ok, cancel));
        });
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
        return prompt.purpose() == PinPrompt.Purpose.SIGNATURE
                ? t.emphasised(dialog + ".signature.text", prompt.origin(), prompt.tokenLabel(), t.get("pin.signature.this"))
                : t.emphasised(dialog + ".text", prompt.origin(), prompt.tokenLabel());
    }

    /**
     * The confirm button stays disabled for a moment after the dialog appears: the dialog comes to the
     * front on its own, and a click the user meant for the page must not sign or write anything.
     */
    static final int ARM_DELAY_MILLIS = 700;

    private static void armAfterDelay(JDialog dialog, JButton button) {
        button.setEnabled(false);
        dialog.addWindowListener(new WindowAdapter() {
            @Override
            public void windowOpened(WindowEvent e) {
                javax.swing.Timer timer = new javax.swing.Timer(ARM_DELAY_MILLIS, ev -> button.setEnabled(true));
                timer.setRepeats(false);
                timer.start();
            }
        });
    }

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
