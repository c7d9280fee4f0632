package org.cardbridge.demo;

import java.text.MessageFormat;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.ResourceBundle;

/** The CA's user-facing strings (Polish and English), from {@code org/cardbridge/demo/messages*.properties}. */
public final class DemoTexts {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private DemoTexts() {
    }

    /** "pl" or anything else (English). */
    public static Locale locale(String lang) {
        return "pl".equalsIgnoreCase(lang) ? Locale.of("pl") : Locale.ROOT;
    }

    public static String get(String lang, String key, Object... args) {
        ResourceBundle b = ResourceBundle.getBundle("org.cardbridge.demo.messages", locale(lang),
                ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES));
        Object[] shown = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            shown[i] = args[i] instanceof Instant t ? DATE.format(t) : String.valueOf(args[i]);
        }
        return new MessageFormat(b.getString(key), locale(lang)).format(shown);
    }

    public static String refusal(String lang, Answer.Refused r) {
        return get(lang, "refusal." + r.reason().name(), r.args().toArray());
    }
}
