package org.cardbridge.ui;

import javax.swing.BorderFactory;
import javax.swing.JTextPane;
import javax.swing.UIManager;
import javax.swing.text.BadLocationException;
import javax.swing.text.DefaultCaret;
import javax.swing.text.Element;
import javax.swing.text.LabelView;
import javax.swing.text.SimpleAttributeSet;
import javax.swing.text.StyleConstants;
import javax.swing.text.StyledDocument;
import javax.swing.text.StyledEditorKit;
import javax.swing.text.View;
import javax.swing.text.ViewFactory;
import java.awt.Color;
import java.awt.Cursor;
import java.awt.Dimension;
import java.awt.Font;
import java.awt.Insets;
import java.text.AttributedCharacterIterator;
import java.text.CharacterIterator;
import java.text.MessageFormat;

/**
 * A dialog's text, wrapped at a fixed width: between words where it can, inside a word where it must
 * (a page's description may be one 500-character word, an origin's host 253 characters without a
 * space), so no text can widen a dialog past its screen. A JLabel's HTML does neither. Plain text,
 * never markup; a message's arguments (who asks, what for) are set in bold.
 */
final class WrappedText extends JTextPane {
    private final int width;

    /** A message from {@link Texts#emphasised}: its arguments in bold. */
    WrappedText(AttributedCharacterIterator message, int width) {
        this.width = width;
        setEditorKit(new BreakingKit());
        setEditable(false);
        setFocusable(false); // Tab goes from button to button
        setOpaque(false);
        setBorder(BorderFactory.createEmptyBorder());
        setMargin(new Insets(0, 0, 0, 0));
        // No caret is ever shown, and the 1-pixel margin kept for one would make the text wrap
        // narrower when painted than when measured: a line that just fits would be cut off below.
        putClientProperty("caretWidth", 0);
        setCursor(Cursor.getDefaultCursor());
        setFont(UIManager.getFont("Label.font").deriveFont(Font.PLAIN));
        setForeground(UIManager.getColor("Label.foreground"));
        // The caret would follow the inserted text and scroll a long dialog to its end, past who asks.
        ((DefaultCaret) getCaret()).setUpdatePolicy(DefaultCaret.NEVER_UPDATE);
        StyledDocument doc = getStyledDocument();
        SimpleAttributeSet plain = new SimpleAttributeSet();
        SimpleAttributeSet bold = new SimpleAttributeSet();
        StyleConstants.setBold(bold, true);
        try {
            for (char c = message.first(); c != CharacterIterator.DONE; c = message.current()) {
                int end = message.getRunLimit(MessageFormat.Field.ARGUMENT);
                boolean argument = message.getAttribute(MessageFormat.Field.ARGUMENT) != null;
                StringBuilder run = new StringBuilder();
                for (; message.getIndex() < end; message.next()) {
                    run.append(message.current());
                }
                doc.insertString(doc.getLength(), run.toString(), argument ? bold : plain);
            }
        } catch (BadLocationException e) {
            throw new IllegalStateException(e); // appending at the end is always in range
        }
    }

    /** Plain text (a fact, a warning). */
    WrappedText(String text, int width) {
        this(new java.text.AttributedString(text).getIterator(), width);
    }

    /** Replaces the text with plain text (a message that changes while the window is open). */
    void setPlain(String text) {
        StyledDocument doc = getStyledDocument();
        try {
            doc.remove(0, doc.getLength());
            doc.insertString(0, text, new SimpleAttributeSet());
        } catch (BadLocationException e) {
            throw new IllegalStateException(e); // the whole document is always in range
        }
    }

    WrappedText color(Color color) {
        setForeground(color);
        return this;
    }

    /** As wide as the wrapping width, as tall as the text is at that width. */
    @Override
    public Dimension getPreferredSize() {
        View root = getUI().getRootView(this);
        root.setSize(width, Integer.MAX_VALUE);
        Insets in = getInsets();
        return new Dimension(width + in.left + in.right, (int) Math.ceil(root.getPreferredSpan(View.Y_AXIS)) + in.top + in.bottom);
    }

    @Override
    public Dimension getMaximumSize() {
        return getPreferredSize();
    }

    /**
     * Swing's text views break only between words; one that does not fit a line then sticks out. A
     * run of text claiming no minimum width lets the paragraph break it anywhere instead.
     */
    private static final class BreakingKit extends StyledEditorKit {
        @Override
        public ViewFactory getViewFactory() {
            ViewFactory standard = super.getViewFactory();
            return (Element element) -> {
                View view = standard.create(element);
                if (view instanceof LabelView) {
                    return new LabelView(element) {
                        @Override
                        public float getMinimumSpan(int axis) {
                            return axis == X_AXIS ? 0 : super.getMinimumSpan(axis);
                        }
                    };
                }
                return view;
            };
        }
    }
}
