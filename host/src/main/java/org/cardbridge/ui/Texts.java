package org.cardbridge.ui;

import org.cardbridge.protocol.Lang;

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
     * A formatted string whose arguments are HTML-escaped: origins and token labels come from outside,
     * and Swing renders HTML (it would even fetch an {@code <img>}), so they must stay plain text.
     */
    public String html(String key, Object... args) {
        Object[] escaped = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            escaped[i] = escape(String.valueOf(args[i]));
        }
        return new MessageFormat(get(key), lang.locale()).format(escaped);
    }

    public String plain(String key, Object... args) {
        return new MessageFormat(get(key), lang.locale()).format(args);
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
