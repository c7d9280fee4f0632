package org.cardbridge.testing.vcard;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The virtual IsoApplet card driven by Debian's OpenSC tools through a private pcscd: recognised by the
 * isoApplet driver, personalised by pkcs15-init, OpenSC's own PKCS#11 self-test, PIN lock and unblock,
 * and a card pulled in the middle of key generation.
 */
class IsoAppletOpenscIT {
    static final String PIN = "123456";
    static final String PUK = "0123456789abcdef";

    private static Pcscd pcscd;
    private static Map<String, String> env;
    private IsoAppletCard card;
    private VpcdCard slot;

    @BeforeAll
    static void startPcscd() throws Exception {
        assumeTrue(Pcscd.available() && Files.isRegularFile(Path.of(Tool.OPENSC_PKCS11)), "pcscd, vpcd or OpenSC missing");
        pcscd = Pcscd.start();
        env = pcscd.clientEnv();
    }

    @AfterAll
    static void stopPcscd() throws Exception {
        if (pcscd != null) {
            pcscd.close();
        }
    }

    @BeforeEach
    void insertFreshCard() throws Exception {
        card = new IsoAppletCard();
        slot = new VpcdCard(pcscd.port(0), card);
        slot.insert();
    }

    @AfterEach
    void removeCard() {
        slot.remove();
    }

    /** pkcs15-init as OpenSC's own IsoApplet CI does it: PKCS#15 structure, PIN + PUK, an RSA-2048 key. */
    static void personalise() throws Exception {
        Tool.run(env, "pkcs15-init", "--create-pkcs15", "--so-pin", PIN, "--so-puk", PUK).ok();
        Tool.run(env, "pkcs15-init", "--generate-key", "rsa/2048", "--id", "01", "--key-usage", "sign,decrypt",
                "--auth-id", "ff", "--pin", PIN, "--label", "old key").ok();
    }

    static Tool.Result pkcs11(String... args) throws Exception {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "pkcs11-tool";
        cmd[1] = "--module";
        cmd[2] = Tool.OPENSC_PKCS11;
        System.arraycopy(args, 0, cmd, 3, args.length);
        return Tool.run(env, cmd);
    }

    @Test
    void openscTool_recognisesTheIsoAppletDriverAndAtr() throws Exception {
        assertTrue(Tool.run(env, "opensc-tool", "--name").ok().output().contains("Javacard with IsoApplet"));
        assertTrue(Tool.run(env, "opensc-tool", "--atr").ok().output().toUpperCase().replace(":", "")
                .contains(IsoAppletCard.DEFAULT_ATR));
    }

    @Test
    void personalisedCard_passesPkcs11ToolSelfTest() throws Exception {
        personalise();
        Tool.Result test = pkcs11("--test", "--login", "--pin", PIN).ok();
        assertTrue(test.output().contains("No errors"), test.output());
        assertTrue(test.output().contains("RSA-PKCS: OK"), test.output());
    }

    @Test
    void wrongPinThreeTimes_locksEvenTheRightPin_untilThePukUnblocks() throws Exception {
        personalise();
        assertTrue(pkcs11("--login", "--pin", "999999", "-O").output().contains("CKR_PIN_INCORRECT"));
        assertEquals(2, card.pinTriesLeft());
        assertTrue(pkcs11("--login", "--pin", "999999", "-O").output().contains("CKR_PIN_INCORRECT"));
        assertEquals(1, card.pinTriesLeft());
        assertTrue(pkcs11("--login", "--pin", "999999", "-O").output().contains("CKR_PIN_LOCKED"));
        assertEquals(0, card.pinTriesLeft());
        // Locked: the right PIN is refused too, and the card does not count it.
        assertTrue(pkcs11("--login", "--pin", PIN, "-O").output().contains("CKR_PIN_LOCKED"));

        Tool.run(env, "pkcs15-tool", "--unblock-pin", "--puk", PUK, "--new-pin", "654321").ok();
        assertEquals(IsoAppletCard.PIN_TRIES, card.pinTriesLeft());
        assertTrue(pkcs11("--login", "--pin", "654321", "-O").ok().output().contains("old key"));
    }

    @Test
    void certificateStored_isListedWithItsKey_bothThroughPkcs11(@TempDir Path dir) throws Exception {
        personalise();
        Path cert = certificateFor(dir, "01");
        Tool.run(env, "pkcs15-init", "--store-certificate", cert.toString(), "--id", "01", "--auth-id", "ff",
                "--pin", PIN, "--label", "old cert").ok();
        String objects = pkcs11("--login", "--pin", PIN, "-O").ok().output();
        assertTrue(objects.contains("Certificate Object") && objects.contains("old cert"), objects);
        assertTrue(objects.contains("Private Key Object"), objects);
    }

    @Test
    void cardPulledDuringKeyGeneration_failsCleanly_oldKeyAndCertificateStillWorkAfterReinsertion(@TempDir Path dir)
            throws Exception {
        personalise();
        Tool.run(env, "pkcs15-init", "--store-certificate", certificateFor(dir, "01").toString(), "--id", "01",
                "--auth-id", "ff", "--pin", PIN, "--label", "old cert").ok();

        slot.fault(Fault.pullAt(Fault.ins(0x46), 1, false));
        Tool.Result pulled = Tool.run(env, "pkcs15-init", "--generate-key", "rsa/2048", "--id", "02",
                "--auth-id", "ff", "--pin", PIN, "--label", "new key");
        assertTrue(pulled.exit() != 0, pulled.output());
        assertTrue(!slot.inserted(), "the fault pulled the card");

        slot.fault(Fault.NONE);
        slot.insert();
        String objects = pkcs11("--login", "--pin", PIN, "-O").ok().output();
        assertTrue(objects.contains("old cert"), objects);
        Tool.Result test = pkcs11("--test", "--login", "--pin", PIN).ok();
        assertTrue(test.output().contains("No errors"), test.output());
    }

    /** A certificate for the card's public key {@code id}, issued by a throw-away test CA. */
    static Path certificateFor(Path dir, String id) throws Exception {
        Path pubPem = dir.resolve("pub-" + id + ".pem");
        Tool.run(env, "pkcs15-tool", "--read-public-key", id, "--output", pubPem.toString()).ok();
        String b64 = Files.readString(pubPem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        var ca = g.generateKeyPair();
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=CardBridge Test CA"),
                BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(30))), new X500Name("CN=Card Holder " + id), pub);
        var holder = b.build(new JcaContentSignerBuilder("SHA256withRSA").build(ca.getPrivate()));
        Path out = dir.resolve("cert-" + id + ".pem");
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(holder);
        }
        Files.writeString(out, w.toString());
        return out;
    }
}
