package org.cardbridge.token;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The on-card key algorithms of the protocol ({@code "RSA-2048"}, …, {@code "EC-P384"}). */
public enum KeyAlgorithm {
    RSA_2048("RSA-2048", Ck.CKK_RSA, 2048, null),
    RSA_3072("RSA-3072", Ck.CKK_RSA, 3072, null),
    RSA_4096("RSA-4096", Ck.CKK_RSA, 4096, null),
    EC_P256("EC-P256", Ck.CKK_EC, 256, "1.2.840.10045.3.1.7"),
    EC_P384("EC-P384", Ck.CKK_EC, 384, "1.3.132.0.34");

    private final String wireName;
    private final long keyType;
    private final int bits;
    private final String curveOid;

    KeyAlgorithm(String wireName, long keyType, int bits, String curveOid) {
        this.wireName = wireName;
        this.keyType = keyType;
        this.bits = bits;
        this.curveOid = curveOid;
    }

    public String wireName() {
        return wireName;
    }

    public long keyType() {
        return keyType;
    }

    public int bits() {
        return bits;
    }

    public boolean isRsa() {
        return keyType == Ck.CKK_RSA;
    }

    /** The named curve's OID (EC only). */
    public String curveOid() {
        return curveOid;
    }

    /** The hash that matches this key's strength for CSRs and default signatures. */
    public String defaultHash() {
        return this == EC_P384 ? "SHA-384" : "SHA-256";
    }

    /** Every algorithm's protocol name, for the {@code supported} detail of ALGORITHM_NOT_SUPPORTED. */
    public static List<String> wireNames() {
        return Arrays.stream(values()).map(KeyAlgorithm::wireName).toList();
    }

    public static Optional<KeyAlgorithm> ofWireName(String name) {
        return Arrays.stream(values()).filter(a -> a.wireName.equals(name)).findFirst();
    }

    public static Optional<KeyAlgorithm> ofCurve(String oid) {
        return Arrays.stream(values()).filter(a -> oid.equals(a.curveOid)).findFirst();
    }

    public static Optional<KeyAlgorithm> ofRsaBits(int bits) {
        return Arrays.stream(values()).filter(a -> a.isRsa() && a.bits == bits).findFirst();
    }
}
