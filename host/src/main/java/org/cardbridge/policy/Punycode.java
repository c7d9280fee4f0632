package org.cardbridge.policy;

/**
 * RFC 3492 Punycode, for checking that an {@code xn--} label of an origin is one a browser would report:
 * it decodes, to a lower-case Unicode label with at least one non-ASCII letter, and encodes back to
 * exactly the same text. Only origins with such labels pay for it; no tables (java.net.IDN's cost
 * start-up time).
 */
final class Punycode {
    private static final int BASE = 36, T_MIN = 1, T_MAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72, INITIAL_N = 128;

    private Punycode() {
    }

    /** The Unicode label {@code ascii} (without "xn--") encodes, or null when it is not valid Punycode. */
    static String decode(String ascii) {
        StringBuilder out = new StringBuilder();
        int basicEnd = ascii.lastIndexOf('-');
        int n = INITIAL_N;
        int bias = INITIAL_BIAS;
        long i = 0;
        int[] cps = new int[ascii.length()];
        int length = 0;
        if (basicEnd > 0) {
            for (int j = 0; j < basicEnd; j++) {
                cps[length++] = ascii.charAt(j);
            }
        }
        int in = basicEnd > 0 ? basicEnd + 1 : 0;
        while (in < ascii.length()) {
            long oldI = i;
            long w = 1;
            for (int k = BASE; ; k += BASE) {
                if (in >= ascii.length()) {
                    return null;
                }
                int digit = digit(ascii.charAt(in++));
                if (digit < 0) {
                    return null;
                }
                i += digit * w;
                int t = k <= bias ? T_MIN : Math.min(k - bias, T_MAX);
                if (digit < t) {
                    break;
                }
                w *= BASE - t;
                if (i > Integer.MAX_VALUE || w > Integer.MAX_VALUE) {
                    return null;
                }
            }
            bias = adapt(i - oldI, length + 1, oldI == 0);
            n += (int) (i / (length + 1));
            i %= length + 1;
            if (n > Character.MAX_CODE_POINT || n < INITIAL_N) {
                return null;
            }
            if (length == cps.length) {
                return null;
            }
            System.arraycopy(cps, (int) i, cps, (int) i + 1, length - (int) i);
            cps[(int) i++] = n;
            length++;
        }
        for (int j = 0; j < length; j++) {
            out.appendCodePoint(cps[j]);
        }
        return out.toString();
    }

    /** The Punycode (without "xn--") of {@code unicode}. */
    static String encode(String unicode) {
        int[] cps = unicode.codePoints().toArray();
        StringBuilder out = new StringBuilder();
        for (int cp : cps) {
            if (cp < 0x80) {
                out.append((char) cp);
            }
        }
        int basic = out.length();
        int handled = basic;
        if (basic > 0) {
            out.append('-');
        }
        int n = INITIAL_N;
        int bias = INITIAL_BIAS;
        long delta = 0;
        while (handled < cps.length) {
            int m = Integer.MAX_VALUE;
            for (int cp : cps) {
                if (cp >= n && cp < m) {
                    m = cp;
                }
            }
            delta += (long) (m - n) * (handled + 1);
            n = m;
            for (int cp : cps) {
                if (cp < n) {
                    delta++;
                }
                if (cp == n) {
                    long q = delta;
                    for (int k = BASE; ; k += BASE) {
                        int t = k <= bias ? T_MIN : Math.min(k - bias, T_MAX);
                        if (q < t) {
                            break;
                        }
                        out.append(digitChar((int) (t + (q - t) % (BASE - t))));
                        q = (q - t) / (BASE - t);
                    }
                    out.append(digitChar((int) q));
                    bias = adapt(delta, handled + 1, handled == basic);
                    delta = 0;
                    handled++;
                }
            }
            delta++;
            n++;
        }
        return out.toString();
    }

    private static int adapt(long delta, int points, boolean first) {
        delta = first ? delta / DAMP : delta / 2;
        delta += delta / points;
        int k = 0;
        while (delta > ((BASE - T_MIN) * T_MAX) / 2) {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        return (int) (k + (BASE - T_MIN + 1) * delta / (delta + SKEW));
    }

    /** Lower-case letters and digits only: an origin's labels are lower case already. */
    private static int digit(char c) {
        if (c >= 'a' && c <= 'z') {
            return c - 'a';
        }
        if (c >= '0' && c <= '9') {
            return c - '0' + 26;
        }
        return -1;
    }

    private static char digitChar(int d) {
        return (char) (d < 26 ? 'a' + d : '0' + d - 26);
    }
}
