package org.cardbridge.policy;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A web origin in its serialised form {@code scheme://host[:port]} — the form browsers report in
 * {@code sender.origin}. Parsing is strict: anything that is not already that exact canonical form
 * (a path, a query, user info, a trailing dot or slash, upper case, a default port spelled out) is
 * refused, so no two spellings of one origin can exist and a policy entry matches by string equality.
 */
public record Origin(String scheme, String host, int port) {
    /**
     * The extension's own pages (popup, expiry watch). The background stamps this for them; a web page's
     * sender origin can never have this form, so a page cannot claim it.
     */
    public static final String EXTENSION_TEXT = "cardbridge:extension";
    public static final Origin EXTENSION = new Origin("cardbridge", "extension", 0);

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

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
            if (!portText.matches("[1-9][0-9]{0,4}")) {
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
        if (!IPV4.matcher(host).matches()) {
            for (String label : host.split("\\.", -1)) {
                if (!LABEL.matcher(label).matches()) {
                    throw new IllegalArgumentException("host is not a lower-case DNS name");
                }
            }
            // Browsers serialise IDNs as punycode (xn--…), which the label rule above already admits as
            // plain ASCII; Unicode hosts fail it. (No java.net.IDN: its tables cost start-up time.)
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
        return this.equals(EXTENSION);
    }

    @Override
    public String toString() {
        if (isExtension()) {
            return EXTENSION_TEXT;
        }
        return scheme + "://" + host + (port == defaultPort(scheme) ? "" : ":" + port);
    }

    private static int defaultPort(String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }
}
