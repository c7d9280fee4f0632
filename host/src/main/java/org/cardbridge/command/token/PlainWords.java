package org.cardbridge.command.token;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.cardbridge.protocol.Lang;
import org.cardbridge.token.KeyAlgorithm;
import org.cardbridge.ui.Texts;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What the windows say about certificates, keys and dates, in the person's words: the names in a
 * certificate (common name, the serial-number attribute decoded, e.g. {@code PNOPL-80010112345}, the
 * organisation), dates in the person's language and time zone ("4 stycznia 2027", "4 Jan 2027"), a key as
 * "RSA 2048-bit key". The raw subject, serial and fingerprint go only into a window's details.
 */
public final class PlainWords {
    private PlainWords() {
    }

    /** "Paweł Dąbrowski (PNOPL-80010112345), Dąbrowski i Syn": who the certificate names. */
    public static String name(X509Certificate cert) {
        return name(X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()),
                cert.getSubjectX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253));
    }

    /** The same for a subject on its own (a certificate request's). */
    public static String name(X500Name subject, String fallback) {
        String cn = first(subject, BCStyle.CN);
        String serial = first(subject, BCStyle.SERIALNUMBER);
        String org = first(subject, BCStyle.O);
        String given = first(subject, BCStyle.GIVENNAME);
        String surname = first(subject, BCStyle.SURNAME);
        String who = cn != null ? cn : given != null && surname != null ? given + " " + surname : org;
        if (who == null) {
            return fallback;
        }
        StringBuilder out = new StringBuilder(who);
        if (serial != null) {
            out.append(" (").append(serial).append(')');
        }
        if (org != null && !org.equals(who)) {
            out.append(", ").append(org);
        }
        return out.toString();
    }

    private static String first(X500Name name, ASN1ObjectIdentifier type) {
        RDN[] rdns = name.getRDNs(type);
        if (rdns.length == 0) {
            return null;
        }
        ASN1Encodable value = rdns[0].getFirst().getValue();
        return value instanceof ASN1String s ? s.getString() : value.toString();
    }

    /** A date in the person's language and time zone: "4 stycznia 2027", "4 Jan 2027". */
    public static String date(Instant instant, Lang lang) {
        return DateTimeFormatter.ofPattern(lang == Lang.PL ? "d MMMM yyyy" : "d MMM yyyy", lang.locale())
                .withZone(ZoneId.systemDefault()).format(instant);
    }

    /** "RSA 2048-bit key" / "klucz RSA 2048-bitowy"; "EC key (curve P-256)". */
    public static String key(KeyAlgorithm algorithm, Texts t) {
        return algorithm.keyType() == org.cardbridge.token.Ck.CKK_RSA ? t.plain("key.rsa", Integer.toString(algorithm.bits()))
                : t.plain("key.ec", "P-" + algorithm.bits());
    }

    /** The issuer's common name (or its whole name). */
    public static String issuer(X509Certificate cert) {
        X500Name issuer = X500Name.getInstance(cert.getIssuerX500Principal().getEncoded());
        String cn = first(issuer, BCStyle.CN);
        return cn != null ? cn : cert.getIssuerX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253);
    }

    /**
     * One certificate in plain words: "{name}, valid from {date} to {date}, issued by {issuer}" (fact keys
     * {@code cert.plain}).
     */
    public static String certificate(X509Certificate cert, Texts t, Lang lang) {
        return t.plain("cert.plain", name(cert), date(cert.getNotBefore().toInstant(), lang),
                date(cert.getNotAfter().toInstant(), lang), issuer(cert));
    }

    /** What a person who knows certificates may want to check: raw subject, issuer, serial, fingerprint. */
    public static List<String> details(X509Certificate cert, String heading, Texts t) {
        List<String> out = new ArrayList<>();
        out.add(heading);
        out.add(t.plain("details.subject", cert.getSubjectX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253)));
        out.add(t.plain("details.issuer", cert.getIssuerX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253)));
        out.add(t.plain("details.serial", cert.getSerialNumber().toString(16)));
        out.add(t.plain("details.validity", cert.getNotBefore().toInstant().toString(), cert.getNotAfter().toInstant().toString()));
        try {
            out.add(t.plain("details.sha256", HexFormat.ofDelimiter(":").formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()))));
        } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
            // a certificate read from the card always encodes; nothing more to show
        }
        return out;
    }
}
