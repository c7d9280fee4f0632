package org.cardbridge.install;

import org.cardbridge.protocol.Lang;

import java.text.MessageFormat;
import java.util.ResourceBundle;

/** Strings of install, uninstall and doctor, from the bundle {@code org.cardbridge.install.messages} (en, pl). */
public final class DoctorTexts {
    private final ResourceBundle bundle;
    private final Lang lang;

    public DoctorTexts(Lang lang) {
        this.lang = lang;
        this.bundle = ResourceBundle.getBundle("org.cardbridge.install.messages", lang.locale());
    }

    public String get(String key, Object... args) {
        String pattern = bundle.containsKey(key) ? bundle.getString(key) : key;
        return new MessageFormat(pattern, lang.locale()).format(args);
    }

    public boolean has(String key) {
        return bundle.containsKey(key);
    }

    /** A finding whose fix, if any, is the bundle entry {@code fix.<fixKey>} formatted with the same arguments. */
    public Finding finding(Finding.Status status, String code, String subject, String fixKey, Object... args) {
        return new Finding(status, code, subject, get(code, args), fixKey == null ? null : get("fix." + fixKey, args));
    }
}
