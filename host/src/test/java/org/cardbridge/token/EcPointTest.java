package org.cardbridge.token;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * CKA_EC_POINT as modules give it: the DER OCTET STRING the standard asks for, or the bare uncompressed
 * point some modules return. A bare point can itself read as DER (0x04, then a length byte that is the
 * first byte of X), so which form it is must follow from the curve's point length, never from whether it
 * parses.
 */
class EcPointTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Curve, X prefix, how many points. An empty prefix is random points; the others are the first bytes of X
     * that make a bare point read as a DER OCTET STRING of exactly the rest: 0x3F = 65 - 2 for P-256,
     * 0x5F = 97 - 2 for P-384, and their long forms (0x81 n, 0x82 0x00 n).
     */
    static Stream<Arguments> points() {
        return Stream.of(
                Arguments.of("secp256r1", "", 2000),
                Arguments.of("secp384r1", "", 1000),
                Arguments.of("secp256r1", "3f", 200),
                Arguments.of("secp256r1", "813e", 200),
                Arguments.of("secp256r1", "82003d", 200),
                Arguments.of("secp384r1", "5f", 200),
                Arguments.of("secp384r1", "815e", 200),
                Arguments.of("secp384r1", "82005d", 200));
    }

    @ParameterizedTest(name = "{0}, X starting with \"{1}\": {2} points")
    @MethodSource("points")
    void bareAndDerWrappedPoints_bothGiveTheCardsKey(String curveName, String prefixHex, int count) throws Exception {
        X9ECParameters curve = ECNamedCurveTable.getByName(curveName);
        ASN1ObjectIdentifier oid = ECNamedCurveTable.getOID(curveName);
        AlgorithmParameters jdk = AlgorithmParameters.getInstance("EC");
        jdk.init(new ECGenParameterSpec(curveName));
        ECParameterSpec spec = jdk.getParameterSpec(ECParameterSpec.class);
        int fieldBytes = (curve.getCurve().getFieldSize() + 7) / 8;
        byte[] prefix = HexFormat.of().parseHex(prefixHex);
        for (int i = 0; i < count; i++) {
            byte[] bare = point(curve, fieldBytes, prefix);
            PublicKey expected = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(
                    new java.math.BigInteger(1, Arrays.copyOfRange(bare, 1, 1 + fieldBytes)),
                    new java.math.BigInteger(1, Arrays.copyOfRange(bare, 1 + fieldBytes, bare.length))), spec));
            String hex = HexFormat.of().formatHex(bare);
            assertArrayEquals(expected.getEncoded(), TokenSession.ecPublicKey(oid, bare).getEncoded(), "bare " + hex);
            assertArrayEquals(expected.getEncoded(), TokenSession.ecPublicKey(oid, new DEROctetString(bare).getEncoded()).getEncoded(),
                    "DER-wrapped " + hex);
        }
    }

    /** A random uncompressed point on the curve whose X begins with {@code prefix}. */
    private static byte[] point(X9ECParameters curve, int fieldBytes, byte[] prefix) {
        while (true) {
            byte[] compressed = new byte[1 + fieldBytes];
            RANDOM.nextBytes(compressed);
            compressed[0] = 0x02;
            System.arraycopy(prefix, 0, compressed, 1, prefix.length);
            try {
                return curve.getCurve().decodePoint(compressed).getEncoded(false);
            } catch (IllegalArgumentException notOnCurve) {
                // about half of all X values have no point; try another
            }
        }
    }
}
