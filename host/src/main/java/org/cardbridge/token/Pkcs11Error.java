package org.cardbridge.token;

/** A PKCS#11 function returned an error: {@link #ckr()} is the module's return value. */
public final class Pkcs11Error extends RuntimeException {
    private final long ckr;

    public Pkcs11Error(long ckr, String function) {
        super(function + " failed: " + Ck.name(ckr));
        this.ckr = ckr;
    }

    public long ckr() {
        return ckr;
    }

    public String ckrName() {
        return Ck.name(ckr);
    }
}
