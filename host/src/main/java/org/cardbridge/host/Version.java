package org.cardbridge.host;

/** Versions the host reports in {@code hello}. The protocol is semver: a new major is incompatible. */
public final class Version {
    public static final String HOST = "0.1.0";
    public static final String PROTOCOL = "1.0.0";

    private Version() {
    }
}
