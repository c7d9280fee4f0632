package org.cardbridge.ui;

import org.cardbridge.protocol.Lang;

import java.text.AttributedCharacterIterator;
import java.text.MessageFormat;
import java.util.ResourceBundle;

/** The user-facing strings, in the messages bundle (English and Polish). */
public final class Texts {
    private final ResourceBundle bundle;
    private final Lang lang;

    public Texts(Lang lang) {
        this.lang = lang;
        this.bundle = ResourceBundle.getBundle("org.cardbridge.ui.messages", lang.locale());
    }

    public String get(String key) {
        return bundle.containsKey(key) ? bundle.getString(key) : key;
    }

    /**
     * A formatted message whose arguments (origins, token labels: they come from outside) are marked
     * with {@link MessageFormat.Field#ARGUMENT}, for the dialog to set them apart. Plain text: the
     * dialogs render no HTML, so nothing needs escaping; an argument is kept on one line.
     */
    public AttributedCharacterIterator emphasised(String key, Object... args) {
        Object[] oneLine = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            oneLine[i] = oneLine(String.valueOf(args[i]));
        }
        return new MessageFormat(get(key), lang.locale()).formatToCharacterIterator(oneLine);
    }

    public String plain(String key, Object... args) {
        return new MessageFormat(get(key), lang.locale()).format(args);
    }

    /**
     * Text from outside as one line: a newline (or another control character, or a Unicode line or
     * paragraph separator) in a page's description could otherwise start what looks like another line
     * of the dialog, e.g. a fake certificate.
     */
    static String oneLine(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean lineBreak = Character.isISOControl(c) || Character.getType(c) == Character.LINE_SEPARATOR
                    || Character.getType(c) == Character.PARAGRAPH_SEPARATOR;
            out.append(lineBreak ? ' ' : c);
        }
        return out.toString();
    }
}
