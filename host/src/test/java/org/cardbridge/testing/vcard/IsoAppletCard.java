package org.cardbridge.testing.vcard;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;

/**
 * A JavaCard running the IsoApplet, as OpenSC's {@code isoApplet} card driver and pkcs15-init profile
 * expect it (applet API 00.06, short APDUs with command chaining and GET RESPONSE): an ISO 7816-4 file
 * system that holds the PKCS#15 structure, a PIN (reference 1) and a PUK (reference 2) with retry
 * counters, on-card RSA-2048 key generation and import, PKCS#1 v1.5 signing and decryption.
 *
 * <p>Written from the protocol as the OpenSC driver uses it (clean room, no applet code). Keys and
 * signatures come from the JDK. State that a real card keeps in EEPROM (files, keys, PINs and their
 * counters) survives removal; session state (selection, verified PIN, security environment, chaining)
 * does not.
 */
public final class IsoAppletCard implements CardBehaviour {
    public static final byte[] AID = HexFormat.of().parseHex("F276A288BCFBA69D34F31001");
    /** Valid ISO 7816-3 ATR (T=1), historical bytes "CBvIsoApplet"; matched by no OpenSC ATR table. */
    public static final String DEFAULT_ATR = "3B8C800143427649736F4170706C657413";
    public static final int PIN_TRIES = 3;

    private static final int SW_OK = 0x9000;
    private static final byte ALG_RSA_2048 = (byte) 0xF3;
    private static final byte ALG_RSA_PKCS1 = 0x11;
    private static final int MAX_KEYS = 16;

    /** An ISO status word raised from deep inside a command. */
    private static final class CardError extends RuntimeException {
        final int sw;

        CardError(int sw) {
            super(null, null, false, false);
            this.sw = sw;
        }
    }

    private static final class Node {
        final int fid;
        final boolean df;
        final byte[] name;
        final byte[] sec;
        byte[] data;
        final List<Node> children = new ArrayList<>();
        final Node parent;

        Node(int fid, boolean df, byte[] name, byte[] sec, int size, Node parent) {
            this.fid = fid;
            this.df = df;
            this.name = name;
            this.sec = sec;
            this.data = new byte[df ? 0 : size];
            this.parent = parent;
        }
    }

    private static final class Secret {
        final int maxTries;
        byte[] value;
        int tries;

        Secret(int maxTries) {
            this.maxTries = maxTries;
            this.tries = maxTries;
        }
    }

    private final byte[] atr;
    private final SecureRandom random = new SecureRandom();
    // Persistent ("EEPROM") state
    private final Node mf = new Node(0x3F00, true, null, null, 0, null);
    private final Map<Integer, RSAPrivateCrtKey> keys = new HashMap<>();
    private final Secret pin = new Secret(PIN_TRIES);
    private final Secret puk = new Secret(PIN_TRIES);
    /** OpenSC 0.23's driver accepts exactly RSA-2048 from this applet. */
    private static final int RSA_BITS = 2048;
    // Session state
    private boolean selected;
    private Node currentDf = mf;
    private Node currentFile;
    private boolean pinVerified;
    private int envAlgorithm;
    private int envKey = -1;
    private int envOperation;
    private final ByteArrayOutputStream chain = new ByteArrayOutputStream();
    private int chainIns = -1;
    private byte[] pending = new byte[0];

    public IsoAppletCard() {
        this(DEFAULT_ATR);
    }

    public IsoAppletCard(String atrHex) {
        this.atr = HexFormat.of().parseHex(atrHex);
    }

    @Override
    public byte[] atr() {
        return atr.clone();
    }

    public synchronized int pinTriesLeft() {
        return pin.tries;
    }

    public synchronized int pukTriesLeft() {
        return puk.tries;
    }

    public synchronized int keyCount() {
        return keys.size();
    }

    @Override
    public synchronized void reset() {
        selected = false;
        currentDf = mf;
        currentFile = null;
        pinVerified = false;
        envAlgorithm = 0;
        envKey = -1;
        envOperation = 0;
        chain.reset();
        chainIns = -1;
        pending = new byte[0];
    }

    @Override
    public synchronized byte[] transmit(byte[] apdu) {
        try {
            if (apdu.length < 4) {
                throw new CardError(0x6700);
            }
            int cla = apdu[0] & 0xFF;
            int ins = apdu[1] & 0xFF;
            int p1 = apdu[2] & 0xFF;
            int p2 = apdu[3] & 0xFF;
            byte[] data = new byte[0];
            int le = -1;
            if (apdu.length == 5) {
                le = apdu[4] == 0 ? 256 : apdu[4] & 0xFF;
            } else if (apdu.length > 5) {
                int lc = apdu[4] & 0xFF;
                if (apdu.length < 5 + lc) {
                    throw new CardError(0x6700);
                }
                data = Arrays.copyOfRange(apdu, 5, 5 + lc);
                if (apdu.length == 6 + lc) {
                    le = apdu[5 + lc] == 0 ? 256 : apdu[5 + lc] & 0xFF;
                } else if (apdu.length != 5 + lc) {
                    throw new CardError(0x6700);
                }
            }
            if (ins == 0xC0) {
                return answer(pending, le);
            }
            pending = new byte[0];
            if ((cla & 0x10) != 0) {
                // Command chaining: collect, answer the last part.
                if (chainIns != -1 && chainIns != ins) {
                    chain.reset();
                }
                chainIns = ins;
                chain.writeBytes(data);
                return sw(SW_OK);
            }
            if (chainIns == ins) {
                chain.writeBytes(data);
                data = chain.toByteArray();
            }
            chain.reset();
            chainIns = -1;
            if (ins != 0xA4 && !selected) {
                throw new CardError(0x6D00); // no applet selected: the card manager knows no such command
            }
            byte[] out = switch (ins) {
                case 0xA4 -> select(p1, p2, data);
                case 0xB0 -> readBinary(p1, p2, le);
                case 0xD6 -> updateBinary(p1, p2, data);
                case 0xE0 -> createFile(data);
                case 0xE4 -> deleteFile(data);
                case 0x20 -> verify(p2, data);
                case 0x24 -> changeReferenceData(p1, p2, data);
                case 0x2C -> resetRetryCounter(p1, p2, data);
                case 0x22 -> manageSecurityEnvironment(p1, p2, data);
                case 0x46 -> generateKeyPair(p1);
                case 0x2A -> performSecurityOperation(p1, p2, data);
                case 0xDB -> putData(p1, p2, data);
                case 0x84 -> getChallenge(le);
                default -> throw new CardError(0x6D00);
            };
            return answer(out, le);
        } catch (CardError e) {
            return sw(e.sw);
        }
    }

    /** Data up to Le; more waits for GET RESPONSE (61xx). */
    private byte[] answer(byte[] data, int le) {
        int max = le <= 0 ? 256 : le;
        if (data.length <= max) {
            pending = new byte[0];
            return concat(data, SW_OK);
        }
        byte[] first = Arrays.copyOf(data, max);
        pending = Arrays.copyOfRange(data, max, data.length);
        return concat(first, 0x6100 | Math.min(pending.length, 256) & 0xFF);
    }

    // --- file system -------------------------------------------------------------------------------

    private byte[] select(int p1, int p2, byte[] data) {
        Node target;
        switch (p1) {
            case 0x04 -> {
                if (Arrays.equals(data, AID)) {
                    reset();
                    selected = true;
                    // API version 00.06; features: secure random (02). No ECC, no extended APDUs.
                    return new byte[] {0x00, 0x06, 0x02};
                }
                if (!selected) {
                    throw new CardError(0x6A82);
                }
                target = findByName(mf, data);
            }
            case 0x00 -> {
                if (data.length == 0 || data.length == 2 && fid(data, 0) == 0x3F00) {
                    target = mf;
                } else if (data.length == 2) {
                    target = findRelative(fid(data, 0));
                } else {
                    throw new CardError(0x6A86);
                }
            }
            case 0x01 -> target = data.length == 2 ? child(currentDf, fid(data, 0), true) : null;
            case 0x02 -> target = data.length == 2 ? child(currentDf, fid(data, 0), false) : null;
            case 0x03 -> target = currentDf.parent == null ? mf : currentDf.parent;
            case 0x08, 0x09 -> target = path(p1 == 0x08 ? mf : currentDf, data);
            default -> throw new CardError(0x6A86);
        }
        if (target == null) {
            throw new CardError(0x6A82);
        }
        if (target.df) {
            currentDf = target;
            currentFile = null;
        } else {
            currentDf = target.parent;
            currentFile = target;
        }
        return (p2 & 0x0C) == 0x0C ? new byte[0] : fcp(target);
    }

    private Node findRelative(int fid) {
        if (fid == currentDf.fid) {
            return currentDf;
        }
        for (Node n : currentDf.children) {
            if (n.fid == fid) {
                return n;
            }
        }
        if (currentDf.parent != null) {
            if (currentDf.parent.fid == fid) {
                return currentDf.parent;
            }
            for (Node n : currentDf.parent.children) {
                if (n.fid == fid) {
                    return n;
                }
            }
        }
        return null;
    }

    private static Node child(Node df, int fid, boolean wantDf) {
        for (Node n : df.children) {
            if (n.fid == fid && n.df == wantDf) {
                return n;
            }
        }
        return null;
    }

    private static Node path(Node from, byte[] data) {
        if (data.length == 0 || data.length % 2 != 0) {
            throw new CardError(0x6A87);
        }
        Node n = from;
        for (int i = 0; i < data.length; i += 2) {
            int fid = fid(data, i);
            if (i == 0 && fid == 0x3F00) {
                n = from;
                continue;
            }
            Node next = null;
            if (n.df) {
                for (Node c : n.children) {
                    if (c.fid == fid) {
                        next = c;
                    }
                }
            }
            if (next == null) {
                return null;
            }
            n = next;
        }
        return n;
    }

    private static Node findByName(Node df, byte[] name) {
        for (Node c : df.children) {
            if (c.df && c.name != null && Arrays.equals(c.name, name)) {
                return c;
            }
            if (c.df) {
                Node deeper = findByName(c, name);
                if (deeper != null) {
                    return deeper;
                }
            }
        }
        return null;
    }

    private static byte[] fcp(Node n) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        tlv(b, 0x82, new byte[] {(byte) (n.df ? 0x38 : 0x01)});
        tlv(b, 0x83, new byte[] {(byte) (n.fid >> 8), (byte) n.fid});
        if (!n.df) {
            tlv(b, 0x80, new byte[] {(byte) (n.data.length >> 8), (byte) n.data.length});
        }
        if (n.name != null) {
            tlv(b, 0x84, n.name);
        }
        if (n.sec != null) {
            tlv(b, 0x86, n.sec);
        }
        tlv(b, 0x8A, new byte[] {0x05});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        tlv(out, 0x62, b.toByteArray());
        return out.toByteArray();
    }

    private byte[] readBinary(int p1, int p2, int le) {
        Node f = currentEf();
        check(f.sec, 7);
        int offset = ((p1 & 0x7F) << 8) | p2;
        if (offset > f.data.length) {
            throw new CardError(0x6B00);
        }
        int n = Math.min(le <= 0 ? 256 : le, f.data.length - offset);
        if (n == 0) {
            throw new CardError(0x6282);
        }
        return Arrays.copyOfRange(f.data, offset, offset + n);
    }

    private byte[] updateBinary(int p1, int p2, byte[] data) {
        Node f = currentEf();
        check(f.sec, 6);
        int offset = ((p1 & 0x7F) << 8) | p2;
        if (offset + data.length > f.data.length) {
            throw new CardError(0x6A84);
        }
        System.arraycopy(data, 0, f.data, offset, data.length);
        return new byte[0];
    }

    private Node currentEf() {
        if (currentFile == null) {
            throw new CardError(0x6986);
        }
        return currentFile;
    }

    private byte[] createFile(byte[] data) {
        // OpenSC sends the FCP as an FCI template (6F); ISO also allows 62.
        Map<Integer, byte[]> t = parseTlv(data, data.length > 0 && data[0] == 0x6F ? 0x6F : 0x62);
        byte[] desc = t.get(0x82);
        byte[] id = t.get(0x83);
        if (desc == null || id == null || id.length != 2) {
            throw new CardError(0x6A80);
        }
        boolean df = (desc[0] & 0x38) == 0x38;
        check(currentDf.sec, df ? 5 : 6);
        int fid = fid(id, 0);
        if (child(currentDf, fid, true) != null || child(currentDf, fid, false) != null || fid == 0x3F00) {
            throw new CardError(0x6A89);
        }
        byte[] size = t.containsKey(0x80) ? t.get(0x80) : t.get(0x81);
        int n = 0;
        if (size != null) {
            for (byte s : size) {
                n = (n << 8) | (s & 0xFF);
            }
        }
        if (n > 32767) {
            throw new CardError(0x6A84);
        }
        byte[] sec = t.get(0x86);
        if (sec != null && (sec.length != 8 || (sec[0] & 0xFF) != 0xFF)) {
            throw new CardError(0x6A80);
        }
        Node node = new Node(fid, df, t.get(0x84), sec, n, currentDf);
        currentDf.children.add(node);
        if (df) {
            currentDf = node;
            currentFile = null;
        } else {
            currentFile = node;
        }
        return new byte[0];
    }

    private byte[] deleteFile(byte[] data) {
        Node target;
        if (data.length == 2) {
            target = findRelative(fid(data, 0));
        } else if (data.length == 0) {
            target = currentFile != null ? currentFile : currentDf;
        } else {
            throw new CardError(0x6A80);
        }
        if (target == null) {
            throw new CardError(0x6A82);
        }
        if (target == mf) {
            throw new CardError(0x6985);
        }
        check(target.parent.sec, 7);
        target.parent.children.remove(target);
        currentDf = target.parent;
        currentFile = null;
        return new byte[0];
    }

    /** Security condition byte at {@code index} of an IsoApplet sec attribute: 00 always, 90 PIN, FF never. */
    private void check(byte[] sec, int index) {
        if (sec == null || pin.value == null) {
            return; // before the PIN exists (personalisation) everything is allowed
        }
        int c = sec[index] & 0xFF;
        if (c == 0x00 || c == 0x90 && pinVerified) {
            return;
        }
        throw new CardError(0x6982);
    }

    // --- PIN and PUK -------------------------------------------------------------------------------

    private Secret secret(int p2) {
        return switch (p2) {
            case 0x01 -> pin;
            case 0x02 -> puk;
            default -> throw new CardError(0x6A88);
        };
    }

    private byte[] verify(int p2, byte[] data) {
        Secret s = secret(p2);
        if (s.value == null) {
            throw new CardError(0x6984); // reference data not usable: not set yet
        }
        if (data.length == 0) {
            if (s.tries == 0) {
                throw new CardError(0x6983);
            }
            if (s == pin && pinVerified) {
                return new byte[0];
            }
            throw new CardError(0x63C0 | s.tries);
        }
        if (!matches(s, data)) {
            if (s == pin) {
                pinVerified = false;
            }
            throw new CardError(s.tries == 0 ? 0x6983 : 0x63C0 | s.tries);
        }
        if (s == pin) {
            pinVerified = true;
        }
        return new byte[0];
    }

    /** Checks a secret and counts: a blocked secret is never compared. */
    private static boolean matches(Secret s, byte[] offered) {
        if (s.tries == 0) {
            throw new CardError(0x6983);
        }
        if (Arrays.equals(strip(offered), s.value)) {
            s.tries = s.maxTries;
            return true;
        }
        s.tries--;
        return false;
    }

    /** OpenSC pads the PIN with 00 to its maximum length ("needs-padding"); the value is what precedes. */
    private static byte[] strip(byte[] v) {
        int n = v.length;
        while (n > 0 && v[n - 1] == 0) {
            n--;
        }
        return Arrays.copyOf(v, n);
    }

    private byte[] changeReferenceData(int p1, int p2, byte[] data) {
        Secret s = secret(p2);
        if (p1 == 0x01) {
            // Setting the initial value: the PUK once, the PIN while it is unset.
            if (s.value != null) {
                throw new CardError(0x6985);
            }
            setSecret(s, data);
            return new byte[0];
        }
        if (p1 != 0x00 || s != pin || pin.value == null) {
            throw new CardError(0x6A86);
        }
        // old || new: the old value is a prefix of known length (padded or not).
        byte[] old = pin.value;
        int split = data.length >= 32 && data.length % 2 == 0 ? data.length / 2 : old.length;
        if (split > data.length) {
            split = data.length;
        }
        if (!matches(pin, Arrays.copyOf(data, split))) {
            pinVerified = false;
            throw new CardError(pin.tries == 0 ? 0x6983 : 0x63C0 | pin.tries);
        }
        setSecret(pin, Arrays.copyOfRange(data, split, data.length));
        pinVerified = true;
        return new byte[0];
    }

    private byte[] resetRetryCounter(int p1, int p2, byte[] data) {
        if (p2 != 0x01) {
            throw new CardError(0x6A88);
        }
        if (puk.value == null) {
            throw new CardError(0x6984);
        }
        int pukLength = data.length >= 32 && p1 == 0x00 ? 16 : puk.value.length;
        if (p1 == 0x01) {
            pukLength = data.length;
        } else if (p1 != 0x00) {
            throw new CardError(0x6A86);
        }
        if (pukLength > data.length || !matches(puk, Arrays.copyOf(data, pukLength))) {
            throw new CardError(puk.tries == 0 ? 0x6983 : 0x63C0 | puk.tries);
        }
        if (p1 == 0x00) {
            setSecret(pin, Arrays.copyOfRange(data, pukLength, data.length));
        }
        pin.tries = pin.maxTries;
        return new byte[0];
    }

    private static void setSecret(Secret s, byte[] value) {
        byte[] v = strip(value);
        if (v.length < 4 || v.length > 16) {
            throw new CardError(0x6A80);
        }
        s.value = v;
        s.tries = s.maxTries;
    }

    // --- keys ----------------------------------------------------------------------------------------

    private byte[] manageSecurityEnvironment(int p1, int p2, byte[] data) {
        if (p1 != 0x41) {
            throw new CardError(0x6A86);
        }
        Map<Integer, byte[]> t = parseTlv(data, -1);
        byte[] alg = t.get(0x80);
        byte[] key = t.containsKey(0x84) ? t.get(0x84) : t.get(0x83);
        if (key == null || key.length != 1 || (key[0] & 0xFF) >= MAX_KEYS) {
            throw new CardError(0x6A88);
        }
        envKey = key[0] & 0xFF;
        envAlgorithm = alg == null ? 0 : alg[0] & 0xFF;
        envOperation = p2;
        return new byte[0];
    }

    private void requirePin() {
        if (!pinVerified) {
            throw new CardError(0x6982);
        }
    }

    private byte[] generateKeyPair(int p1) {
        requirePin();
        if (envOperation != 0x00 || envKey < 0 || (byte) envAlgorithm != ALG_RSA_2048 || p1 != 0x42) {
            throw new CardError(0x6A81);
        }
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(new RSAKeyGenParameterSpec(RSA_BITS, RSAKeyGenParameterSpec.F4), random);
            var kp = g.generateKeyPair();
            keys.put(envKey, (RSAPrivateCrtKey) kp.getPrivate());
            return publicKeyTemplate((RSAPublicKey) kp.getPublic());
        } catch (GeneralSecurityException e) {
            throw new CardError(0x6F00);
        }
    }

    /** 7F49 { 81 modulus, 82 exponent }, with the modulus at its full byte length. */
    private byte[] publicKeyTemplate(RSAPublicKey pub) {
        int bytes = (RSA_BITS + 7) / 8;
        ByteArrayOutputStream inner = new ByteArrayOutputStream();
        tlv(inner, 0x81, unsigned(pub.getModulus(), bytes));
        tlv(inner, 0x82, unsigned(pub.getPublicExponent(), 3));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        tlv(out, 0x7F49, inner.toByteArray());
        return out.toByteArray();
    }

    private byte[] performSecurityOperation(int p1, int p2, byte[] data) {
        requirePin();
        RSAPrivateCrtKey key = keys.get(envKey);
        if (key == null) {
            throw new CardError(0x6A88);
        }
        try {
            if (p1 == 0x9E && p2 == 0x9A) {
                if (envOperation != 0xB6 || envAlgorithm != ALG_RSA_PKCS1) {
                    throw new CardError(0x6985);
                }
                Signature s = Signature.getInstance("NONEwithRSA");
                s.initSign(key);
                s.update(data);
                return s.sign();
            }
            if (p1 == 0x80 && p2 == 0x86) {
                if (envOperation != 0xB8 || data.length < 1) {
                    throw new CardError(0x6985);
                }
                Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
                c.init(Cipher.DECRYPT_MODE, key);
                return c.doFinal(data, 1, data.length - 1); // first byte: padding indicator
            }
        } catch (GeneralSecurityException e) {
            throw new CardError(0x6A80);
        }
        throw new CardError(0x6A86);
    }

    /** PUT DATA 3FFF: private key import, RSA CRT parts in 7F48 {92 p, 93 q, 94 qInv, 95 dP, 96 dQ}. */
    private byte[] putData(int p1, int p2, byte[] data) {
        requirePin();
        if (p1 != 0x3F || p2 != 0xFF || envKey < 0 || (byte) envAlgorithm != ALG_RSA_2048) {
            throw new CardError(0x6A81);
        }
        Map<Integer, byte[]> t = parseTlv(data, 0x7F48);
        BigInteger p = positive(t.get(0x92));
        BigInteger q = positive(t.get(0x93));
        BigInteger qInv = positive(t.get(0x94));
        BigInteger dp = positive(t.get(0x95));
        BigInteger dq = positive(t.get(0x96));
        // The card gets no public exponent; IsoApplet cards work with F4, so does this one.
        BigInteger e = RSAKeyGenParameterSpec.F4;
        BigInteger n = p.multiply(q);
        BigInteger d = e.modInverse(p.subtract(BigInteger.ONE).multiply(q.subtract(BigInteger.ONE)));
        if (!d.mod(p.subtract(BigInteger.ONE)).equals(dp) || !d.mod(q.subtract(BigInteger.ONE)).equals(dq)) {
            throw new CardError(0x6A80);
        }
        try {
            keys.put(envKey, (RSAPrivateCrtKey) KeyFactory.getInstance("RSA")
                    .generatePrivate(new RSAPrivateCrtKeySpec(n, e, d, p, q, dp, dq, qInv)));
        } catch (GeneralSecurityException ex) {
            throw new CardError(0x6A80);
        }
        return new byte[0];
    }

    private byte[] getChallenge(int le) {
        byte[] r = new byte[le <= 0 ? 256 : le];
        random.nextBytes(r);
        return r;
    }

    // --- encoding helpers --------------------------------------------------------------------------

    private static BigInteger positive(byte[] v) {
        if (v == null) {
            throw new CardError(0x6A80);
        }
        return new BigInteger(1, v);
    }

    private static byte[] unsigned(BigInteger v, int length) {
        byte[] raw = v.toByteArray();
        if (raw.length == length) {
            return raw;
        }
        byte[] out = new byte[length];
        int copy = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - copy, out, length - copy, copy);
        return out;
    }

    private static int fid(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }

    private static void tlv(ByteArrayOutputStream out, int tag, byte[] value) {
        if (tag > 0xFF) {
            out.write(tag >> 8);
        }
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(value);
    }

    /** Flat BER-TLV map of the children of {@code outer} (or of the top level when outer is -1). */
    private static Map<Integer, byte[]> parseTlv(byte[] data, int outer) {
        int[] pos = {0};
        if (outer != -1) {
            int tag = readTag(data, pos);
            if (tag != outer) {
                throw new CardError(0x6A80);
            }
            int len = readLength(data, pos);
            data = Arrays.copyOfRange(data, pos[0], Math.min(data.length, pos[0] + len));
            pos[0] = 0;
        }
        Map<Integer, byte[]> out = new HashMap<>();
        while (pos[0] < data.length) {
            int tag = readTag(data, pos);
            int len = readLength(data, pos);
            if (pos[0] + len > data.length) {
                throw new CardError(0x6A80);
            }
            out.put(tag, Arrays.copyOfRange(data, pos[0], pos[0] + len));
            pos[0] += len;
        }
        return out;
    }

    private static int readTag(byte[] d, int[] pos) {
        if (pos[0] >= d.length) {
            throw new CardError(0x6A80);
        }
        int tag = d[pos[0]++] & 0xFF;
        if ((tag & 0x1F) == 0x1F) {
            tag = (tag << 8) | (d[pos[0]++] & 0xFF);
        }
        return tag;
    }

    private static int readLength(byte[] d, int[] pos) {
        if (pos[0] >= d.length) {
            throw new CardError(0x6A80);
        }
        int first = d[pos[0]++] & 0xFF;
        if (first < 0x80) {
            return first;
        }
        int n = 0;
        for (int i = 0; i < (first & 0x7F); i++) {
            n = (n << 8) | (d[pos[0]++] & 0xFF);
        }
        return n;
    }

    private static byte[] sw(int sw) {
        return new byte[] {(byte) (sw >> 8), (byte) sw};
    }

    private static byte[] concat(byte[] data, int sw) {
        byte[] out = Arrays.copyOf(data, data.length + 2);
        out[data.length] = (byte) (sw >> 8);
        out[data.length + 1] = (byte) sw;
        return out;
    }
}
