package org.cardbridge.protocol;

import java.util.Locale;

/** Languages of the host's dialogs. */
public enum Lang {
    EN, PL;

    public Locale locale() {
        return this == PL ? Locale.forLanguageTag("pl-PL") : Locale.ENGLISH;
    }

    /** The language the user's system speaks, when the request names none. */
    public static Lang ofSystem() {
        return "pl".equals(Locale.getDefault().getLanguage()) ? PL : EN;
    }
}
