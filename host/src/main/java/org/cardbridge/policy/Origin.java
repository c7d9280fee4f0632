package org.cardbridge.policy;

import java.util.Locale;

/**
 * A web origin in its serialised form {@code scheme://host[:port]} — the form browsers report in
 * {@code sender.origin}. Parsing is strict: anything that is not already that exact canonical form
 * (a path, a query, user info, a trailing dot or slash, upper case, a default port spelled out, an IPv4
 * address in any form but four decimal octets, a Unicode host not in punycode, an IPv6 literal) is
 * refused, so no two spellings of one origin can exist and a policy entry matches by string equality.
 */
public record Origin(String scheme, String host, int port) {
    /**
     * The extension's own pages (popup, expiry watch). The background stamps this for them; a web page's
     * sender origin can never have this form, so a page cannot claim it.
     */
    public static final String EXTENSION_TEXT = "cardbridge:extension";
    public static final Origin EXTENSION = new Origin("cardbridge", "extension", 0);

    /** @throws IllegalArgumentException with the reason, when the text is not a canonical http(s) origin */
    public static Origin parse(String text) {
        if (EXTENSION_TEXT.equals(text)) {
            return EXTENSION;
        }
        if (text == null) {
            throw new IllegalArgumentException("no origin");
        }
        String scheme;
        String rest;
        if (text.startsWith("https://")) {
            scheme = "https";
            rest = text.substring(8);
        } else if (text.startsWith("http://")) {
            scheme = "http";
            rest = text.substring(7);
        } else {
            throw new IllegalArgumentException("only http(s) origins exist for web pages");
        }
        int port = -1;
        String host = rest;
        if (rest.startsWith("[")) {
            throw new IllegalArgumentException("IPv6 literal origins are not supported");
        }
        int colon = rest.lastIndexOf(':');
        if (colon >= 0) {
            host = rest.substring(0, colon);
            String portText = rest.substring(colon + 1);
            if (!isPort(portText)) {
                throw new IllegalArgumentException("bad port");
            }
            port = Integer.parseInt(portText);
            if (port > 65535 || port == defaultPort(scheme)) {
                throw new IllegalArgumentException("port out of range or spelled-out default port");
            }
        }
        if (host.isEmpty() || host.length() > 253) {
            throw new IllegalArgumentException("bad host");
        }
        if (!isIpv4(host)) {
            int start = 0;
            while (true) {
                int dot = host.indexOf('.', start);
                int end = dot < 0 ? host.length() : dot;
                if (!isLabel(host, start, end)) {
                    throw new IllegalArgumentException("host is not a lower-case DNS name");
                }
                if (host.startsWith("xn--", start) && !isPunycodeLabel(host.substring(start, end))) {
                    throw new IllegalArgumentException("an xn-- label that is not the punycode a browser reports");
                }
                if (dot < 0) {
                    break;
                }
                start = dot + 1;
            }
            // Browsers serialise IDNs as punycode (xn--…), which the label rule above already admits as
            // plain ASCII; Unicode hosts fail it. (No java.net.IDN: its tables cost start-up time.)
            if (endsInANumber(host)) {
                // The URL standard reads such a host as an IPv4 address (127.1, 2130706433, 0x7f000001,
                // 0177.0.0.1 are all 127.0.0.1) and browsers report it as four decimal octets.
                throw new IllegalArgumentException("an IPv4 address not written as the four decimal octets browsers report");
            }
        }
        return new Origin(scheme, host.toLowerCase(Locale.ROOT), port == -1 ? defaultPort(scheme) : port);
    }

    public boolean isHttps() {
        return scheme.equals("https");
    }

    /** http://localhost and http://127.0.0.1 — allowed only when a policy lists them exactly. */
    public boolean isLoopback() {
        return host.equals("localhost") || host.equals("127.0.0.1");
    }

    public boolean isExtension() {
        return equals(EXTENSION);
    }

    // equals and hashCode by hand: a record's generated ones are bootstrapped through invokedynamic on
    // first use, and origins are compared at every host start.
    @Override
    public boolean equals(Object o) {
        return o instanceof Origin other && port == other.port && scheme.equals(other.scheme) && host.equals(other.host);
    }

    @Override
    public int hashCode() {
        return (scheme.hashCode() * 31 + host.hashCode()) * 31 + port;
    }

    @Override
    public String toString() {
        if (isExtension()) {
            return EXTENSION_TEXT;
        }
        return scheme + "://" + host + (port == defaultPort(scheme) ? "" : ":" + port);
    }

    // The syntax checks by hand rather than with regular expressions: compiling a pattern at every host
    // start costs more than the whole check.

    /** [1-9][0-9]{0,4} */
    private static boolean isPort(String s) {
        if (s.isEmpty() || s.length() > 5 || s.charAt(0) == '0') {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** A DNS label in lower case: [a-z0-9]([a-z0-9-]{0,61}[a-z0-9])? */
    private static boolean isLabel(String s, int from, int to) {
        int length = to - from;
        if (length < 1 || length > 63 || s.charAt(from) == '-' || s.charAt(to - 1) == '-') {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z') && !isDigit(c) && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** Four decimal octets 0–255 without leading zeros. */
    private static boolean isIpv4(String s) {
        int octets = 0;
        int i = 0;
        while (true) {
            int start = i;
            int value = 0;
            while (i < s.length() && isDigit(s.charAt(i)) && i - start < 3) {
                value = value * 10 + (s.charAt(i) - '0');
                i++;
            }
            int digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && s.charAt(start) == '0')) {
                return false;
            }
            octets++;
            if (i == s.length()) {
                return octets == 4;
            }
            if (s.charAt(i) != '.' || octets == 4) {
                return false;
            }
            i++;
        }
    }

    /**
     * An {@code xn--} label as browsers write it: valid Punycode of a lower-case, NFC, non-ASCII label without
     * invisible or direction-changing characters, that encodes back to exactly this text. (Not every rule
     * of UTS 46, which needs its tables; enough that no second spelling of a browser's host passes.)
     */
    private static boolean isPunycodeLabel(String label) {
        String unicode = Punycode.decode(label.substring(4));
        return unicode != null && unicode.chars().anyMatch(c -> c >= 0x80)
                && unicode.equals(unicode.toLowerCase(Locale.ROOT))
                && org.cardbridge.protocol.ShownText.problem(unicode) == null
                && java.text.Normalizer.isNormalized(unicode, java.text.Normalizer.Form.NFC)
                && ("xn--" + Punycode.encode(unicode)).equals(label);
    }

    /**
     * The URL standard's "ends in a number": the last label is all decimal digits, or 0x followed by hex
     * digits. A host like that is an IPv4 address to a browser, never a DNS name.
     */
    private static boolean endsInANumber(String host) {
        String last = host.substring(host.lastIndexOf('.') + 1);
        boolean hex = last.startsWith("0x");
        for (int i = hex ? 2 : 0; i < last.length(); i++) {
            char c = last.charAt(i);
            if (!isDigit(c) && !(hex && c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int defaultPort(String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }
}
