package org.cardbridge.demo;

/** From when the new certificate is valid (CenCert step 5). */
public enum Validity {
    /** At once: issued now, installed now, replacing the old certificate. */
    NOW("now"),
    /** From the old certificate's expiry: the application is saved and the certificate installed on a later visit. */
    AFTER_EXPIRY("afterExpiry");

    private final String wire;

    Validity(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /** @return the validity named {@code text} on the wire, or null */
    public static Validity parse(String text) {
        for (Validity v : values()) {
            if (v.wire.equals(text)) {
                return v;
            }
        }
        return null;
    }
}
