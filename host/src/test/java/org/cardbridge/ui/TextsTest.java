package org.cardbridge.ui;

import org.cardbridge.policy.Origin;
import org.cardbridge.protocol.Lang;
import org.junit.jupiter.api.Test;

import java.text.AttributedCharacterIterator;
import java.text.CharacterIterator;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class TextsTest {

    @Test
    void emphasised_marksExactlyTheArguments_andKeepsTheTemplatesLineBreak() {
        AttributedCharacterIterator text = new Texts(Lang.EN).emphasised("confirm.text",
                Origin.parse("https://ca.example.pl"), "sign with your certificate");
        assertEquals("https://ca.example.pl asks to:\nsign with your certificate", all(text));
        assertEquals(List.of("https://ca.example.pl", "sign with your certificate"), arguments(text));
    }

    @Test
    void emphasised_isPlainText_notMarkup() {
        String label = "<html><b>Karta</b> &amp; <img src='http://evil.example/x.png'>";
        assertEquals("https://ca.example.pl asks for the PIN of " + label + ".",
                all(new Texts(Lang.EN).emphasised("pin.text", Origin.parse("https://ca.example.pl"), label)));
    }

    /** A page's text cannot start a line of its own, such as a fake "Certificate:" line. */
    @Test
    void textFromOutside_staysOnOneLine() {
        String description = "Invoice 7\nCertificate: CN=Someone Else\r\u2028\u2029\u0085\tend";
        assertEquals("Document: Invoice 7 Certificate: CN=Someone Else     end",
                Texts.oneLine(new Texts(Lang.EN).plain("fact.description", description)));
        assertEquals("https://ca.example.pl asks for the PIN of Card  A.",
                all(new Texts(Lang.EN).emphasised("pin.text", Origin.parse("https://ca.example.pl"), "Card\n\rA")));
    }

    /** The dialogs show their texts as they are: markup in a bundle would appear as such. */
    @Test
    void bundles_holdNoMarkup_andBothLanguagesTheSameKeys() {
        ResourceBundle en = ResourceBundle.getBundle("org.cardbridge.ui.messages", Lang.EN.locale());
        ResourceBundle pl = ResourceBundle.getBundle("org.cardbridge.ui.messages", Lang.PL.locale());
        assertEquals(new TreeSet<>(en.keySet()), new TreeSet<>(pl.keySet()));
        for (ResourceBundle bundle : List.of(en, pl)) {
            for (String key : bundle.keySet()) {
                assertFalse(bundle.getString(key).matches("(?s).*</?(html|b|br|i|img|a)\\b.*"), key + ": " + bundle.getString(key));
            }
        }
    }

    @Test
    void signaturePin_emphasisesThatItIsForThisSignature() {
        Texts t = new Texts(Lang.EN);
        AttributedCharacterIterator text = t.emphasised("pin.signature.text", Origin.parse("https://ca.example.pl"), "Card A",
                t.get("pin.signature.this"));
        assertEquals(List.of("https://ca.example.pl", "this signature", "Card A"), arguments(text));
    }

    private static String all(AttributedCharacterIterator text) {
        StringBuilder out = new StringBuilder();
        for (char c = text.first(); c != CharacterIterator.DONE; c = text.next()) {
            out.append(c);
        }
        return out.toString();
    }

    private static List<String> arguments(AttributedCharacterIterator text) {
        List<String> out = new ArrayList<>();
        text.first();
        while (text.getIndex() < text.getEndIndex()) {
            int end = text.getRunLimit(MessageFormat.Field.ARGUMENT);
            StringBuilder run = new StringBuilder();
            boolean argument = text.getAttribute(MessageFormat.Field.ARGUMENT) != null;
            for (; text.getIndex() < end; text.next()) {
                run.append(text.current());
            }
            if (argument) {
                out.add(run.toString());
            }
        }
        return out;
    }
}
