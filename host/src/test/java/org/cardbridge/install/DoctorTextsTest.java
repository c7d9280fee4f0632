package org.cardbridge.install;

import org.cardbridge.protocol.Lang;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.ResourceBundle;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class DoctorTextsTest {
    @Test
    void everyMessageExistsInBothLanguagesAndNoApostropheSwallowsAnArgument() {
        ResourceBundle en = ResourceBundle.getBundle("org.cardbridge.install.messages", Lang.EN.locale());
        ResourceBundle pl = ResourceBundle.getBundle("org.cardbridge.install.messages", Lang.PL.locale());
        Set<String> enKeys = new TreeSet<>(Collections.list(en.getKeys()));
        assertEquals(enKeys, new TreeSet<>(Collections.list(pl.getKeys())));
        for (Lang lang : Lang.values()) {
            DoctorTexts t = new DoctorTexts(lang);
            for (String key : enKeys) {
                String text = t.get(key, "A0", "A1", "A2", "A3", "A4");
                // An unpaired ' in a MessageFormat pattern quotes the rest: the {n} would show literally.
                assertFalse(text.contains("{"), lang + " " + key + ": " + text);
            }
        }
    }
}
