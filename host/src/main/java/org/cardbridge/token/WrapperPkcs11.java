package org.cardbridge.token;

import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.CK_MECHANISM_INFO;
import sun.security.pkcs11.wrapper.CK_RSA_PKCS_PSS_PARAMS;
import sun.security.pkcs11.wrapper.CK_SLOT_INFO;
import sun.security.pkcs11.wrapper.CK_TOKEN_INFO;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Constants;
import sun.security.pkcs11.wrapper.PKCS11Exception;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The one class that uses the JDK's internal PKCS#11 wrapper ({@code sun.security.pkcs11.wrapper}, from
 * module jdk.crypto.cryptoki, exported to us by {@code --add-exports} at compile and run time). The
 * SunPKCS11 provider cannot set CKA_ID and label per generated key, rewrites CKA_ID in
 * {@code KeyStore.setKeyEntry}, refuses CA certificates outside NSS and binds to one fixed slot; the
 * wrapper reaches C_GenerateKeyPair / C_CreateObject / C_DestroyObject with full templates, token
 * flags and every slot, and {@link PKCS11#getInstance} shares one loaded module per library path with
 * any SunPKCS11 provider in the same JVM.
 *
 * <p>Texts: the wrapper widens each byte of a CK_UTF8CHAR field to one char, so labels are narrowed
 * back to bytes and decoded as UTF-8 here; labels and PINs go out as UTF-8 bytes the same way.
 */
public final class WrapperPkcs11 implements Pkcs11 {
    private static final long CKR_ATTRIBUTE_SENSITIVE = 0x11;
    private static final long CKR_ATTRIBUTE_TYPE_INVALID = 0x12;

    private final String library;
    private final PKCS11 p11;

    private WrapperPkcs11(String library, PKCS11 p11) {
        this.library = library;
        this.p11 = p11;
    }

    /**
     * Loads and initialises a module (or returns the JVM's already-loaded instance).
     *
     * @throws IOException when the library cannot be loaded
     */
    public static WrapperPkcs11 load(String library) throws IOException {
        CK_C_INITIALIZE_ARGS args = new CK_C_INITIALIZE_ARGS();
        // Modules must use OS locking: the host calls from a worker thread and the reader watcher.
        args.flags = PKCS11Constants.CKF_OS_LOCKING_OK;
        try {
            return new WrapperPkcs11(library, PKCS11.getInstance(library, "C_GetFunctionList", args, false));
        } catch (PKCS11Exception e) {
            throw new IOException("C_Initialize of " + library + " failed: " + Ck.name(e.getErrorCode()), e);
        }
    }

    @Override
    public String library() {
        return library;
    }

    @Override
    public long[] slots() {
        try {
            return p11.C_GetSlotList(false);
        } catch (PKCS11Exception e) {
            throw error(e, "C_GetSlotList");
        }
    }

    @Override
    public SlotInfo slotInfo(long slot) {
        try {
            CK_SLOT_INFO i = p11.C_GetSlotInfo(slot);
            return new SlotInfo(text(i.slotDescription), text(i.manufacturerID), i.flags);
        } catch (PKCS11Exception e) {
            throw error(e, "C_GetSlotInfo");
        }
    }

    @Override
    public TokenInfo tokenInfo(long slot) {
        try {
            CK_TOKEN_INFO i = p11.C_GetTokenInfo(slot);
            return new TokenInfo(text(i.label), text(i.manufacturerID), text(i.model), text(i.serialNumber), i.flags,
                    i.ulMinPinLen, i.ulMaxPinLen);
        } catch (PKCS11Exception e) {
            throw error(e, "C_GetTokenInfo");
        }
    }

    @Override
    public long[] mechanisms(long slot) {
        try {
            return p11.C_GetMechanismList(slot);
        } catch (PKCS11Exception e) {
            throw error(e, "C_GetMechanismList");
        }
    }

    @Override
    public MechanismInfo mechanismInfo(long slot, long mechanism) {
        try {
            CK_MECHANISM_INFO i = p11.C_GetMechanismInfo(slot, mechanism);
            return new MechanismInfo(i.ulMinKeySize, i.ulMaxKeySize, i.flags);
        } catch (PKCS11Exception e) {
            throw error(e, "C_GetMechanismInfo");
        }
    }

    @Override
    public long openSession(long slot) {
        try {
            return p11.C_OpenSession(slot, Ck.CKF_SERIAL_SESSION | Ck.CKF_RW_SESSION, null, null);
        } catch (PKCS11Exception e) {
            if (e.getErrorCode() != Ck.CKR_TOKEN_WRITE_PROTECTED) {
                throw error(e, "C_OpenSession");
            }
        }
        try {
            return p11.C_OpenSession(slot, Ck.CKF_SERIAL_SESSION, null, null); // read-only token: reading still works
        } catch (PKCS11Exception e) {
            throw error(e, "C_OpenSession");
        }
    }

    @Override
    public void closeSession(long session) {
        try {
            p11.C_CloseSession(session);
        } catch (PKCS11Exception e) {
            throw error(e, "C_CloseSession");
        }
    }

    @Override
    public long sessionState(long session) {
        try {
            return p11.C_GetSessionInfo(session).state;
        } catch (PKCS11Exception e) {
            throw error(e, "C_GetSessionInfo");
        }
    }

    @Override
    public void login(long session, byte[] pin) {
        login(session, Ck.CKU_USER, pin);
    }

    private void login(long session, long userType, byte[] pin) {
        char[] widened = null;
        if (pin != null) {
            // The wrapper narrows each char to one CK_UTF8CHAR: widen the UTF-8 bytes one per char.
            widened = new char[pin.length];
            for (int i = 0; i < pin.length; i++) {
                widened[i] = (char) (pin[i] & 0xff);
            }
        }
        try {
            p11.C_Login(session, userType, widened);
        } catch (PKCS11Exception e) {
            throw error(e, "C_Login");
        } finally {
            if (widened != null) {
                Arrays.fill(widened, '\0');
            }
        }
    }

    @Override
    public void loginSo(long session, byte[] pin) {
        login(session, Ck.CKU_SO, pin);
    }

    /** Through {@link PinFunctions}: the JDK's wrapper has no C_SetPIN. */
    @Override
    public void setPin(long session, byte[] oldPin, byte[] newPin) {
        long rv = PinFunctions.of(library).setPin(session, oldPin, newPin);
        if (rv != Ck.CKR_OK) {
            throw new Pkcs11Error(rv, "C_SetPIN");
        }
    }

    /** Through {@link PinFunctions}: the JDK's wrapper has no C_InitPIN. */
    @Override
    public void initPin(long session, byte[] newPin) {
        long rv = PinFunctions.of(library).initPin(session, newPin);
        if (rv != Ck.CKR_OK) {
            throw new Pkcs11Error(rv, "C_InitPIN");
        }
    }

    @Override
    public void logout(long session) {
        try {
            p11.C_Logout(session);
        } catch (PKCS11Exception e) {
            throw error(e, "C_Logout");
        }
    }

    @Override
    public long[] find(long session, List<Attr> template) {
        try {
            p11.C_FindObjectsInit(session, toWrapper(template));
            try {
                List<Long> all = new ArrayList<>();
                while (true) {
                    long[] batch = p11.C_FindObjects(session, 64);
                    if (batch == null || batch.length == 0) {
                        break;
                    }
                    for (long h : batch) {
                        all.add(h);
                    }
                }
                return all.stream().mapToLong(Long::longValue).toArray();
            } finally {
                p11.C_FindObjectsFinal(session);
            }
        } catch (PKCS11Exception e) {
            throw error(e, "C_FindObjects");
        }
    }

    @Override
    public List<Attr> attributes(long session, long object, long... types) {
        CK_ATTRIBUTE[] query = new CK_ATTRIBUTE[types.length];
        for (int i = 0; i < types.length; i++) {
            query[i] = new CK_ATTRIBUTE(types[i]);
        }
        try {
            p11.C_GetAttributeValue(session, object, query);
            List<Attr> out = new ArrayList<>();
            for (CK_ATTRIBUTE a : query) {
                out.add(fromWrapper(a));
            }
            return out;
        } catch (PKCS11Exception e) {
            if (e.getErrorCode() != CKR_ATTRIBUTE_TYPE_INVALID && e.getErrorCode() != CKR_ATTRIBUTE_SENSITIVE) {
                throw error(e, "C_GetAttributeValue");
            }
        }
        // One attribute the object lacks fails the whole call: read them one by one, absent ones as null.
        List<Attr> out = new ArrayList<>();
        for (long type : types) {
            CK_ATTRIBUTE[] one = {new CK_ATTRIBUTE(type)};
            try {
                p11.C_GetAttributeValue(session, object, one);
                out.add(fromWrapper(one[0]));
            } catch (PKCS11Exception e) {
                if (e.getErrorCode() != CKR_ATTRIBUTE_TYPE_INVALID && e.getErrorCode() != CKR_ATTRIBUTE_SENSITIVE) {
                    throw error(e, "C_GetAttributeValue");
                }
                out.add(new Attr(type, null));
            }
        }
        return out;
    }

    @Override
    public long[] generateKeyPair(long session, Mechanism mechanism, List<Attr> publicTemplate, List<Attr> privateTemplate) {
        try {
            return p11.C_GenerateKeyPair(session, toWrapper(mechanism), toWrapper(publicTemplate), toWrapper(privateTemplate));
        } catch (PKCS11Exception e) {
            throw error(e, "C_GenerateKeyPair");
        }
    }

    @Override
    public long createObject(long session, List<Attr> template) {
        try {
            return p11.C_CreateObject(session, toWrapper(template));
        } catch (PKCS11Exception e) {
            throw error(e, "C_CreateObject");
        }
    }

    @Override
    public void destroyObject(long session, long object) {
        try {
            p11.C_DestroyObject(session, object);
        } catch (PKCS11Exception e) {
            throw error(e, "C_DestroyObject");
        }
    }

    @Override
    public byte[] sign(long session, Mechanism mechanism, long key, byte[] data, ContextLogin login) {
        try {
            p11.C_SignInit(session, toWrapper(mechanism), key);
        } catch (PKCS11Exception e) {
            throw error(e, "C_SignInit");
        }
        if (login != null) {
            try {
                login(session, Ck.CKU_CONTEXT_SPECIFIC, login.pin());
            } catch (Pkcs11Error e) {
                // The signing operation stays active after a failed context login, and blocks every later
                // call of the session (CKR_OPERATION_ACTIVE). A C_Sign that fails ends it, as the standard says.
                try {
                    p11.C_Sign(session, data);
                } catch (PKCS11Exception ended) {
                    // Expected: not authorised.
                }
                throw e;
            }
        }
        try {
            return p11.C_Sign(session, data);
        } catch (PKCS11Exception e) {
            throw error(e, "C_Sign");
        }
    }

    private static CK_MECHANISM toWrapper(Mechanism m) {
        CK_MECHANISM out = m.parameter() != null ? new CK_MECHANISM(m.type(), m.parameter()) : new CK_MECHANISM(m.type());
        if (m.pssHash() != null) {
            int saltLength = switch (m.pssHash()) {
                case "SHA-256" -> 32;
                case "SHA-384" -> 48;
                case "SHA-512" -> 64;
                default -> throw new IllegalArgumentException("PSS hash " + m.pssHash());
            };
            out.setParameter(new CK_RSA_PKCS_PSS_PARAMS(m.pssHash(), "MGF1", m.pssHash(), saltLength));
        }
        return out;
    }

    private static CK_ATTRIBUTE[] toWrapper(List<Attr> template) {
        CK_ATTRIBUTE[] out = new CK_ATTRIBUTE[template.size()];
        for (int i = 0; i < out.length; i++) {
            Attr a = template.get(i);
            // instanceof, not a type switch: a pattern switch spins classes at its first run, which the AOT
            // cache does not hold (a page's first card answer would pay for it).
            Object v = a.value();
            if (v instanceof Boolean b) {
                out[i] = new CK_ATTRIBUTE(a.type(), b.booleanValue());
            } else if (v instanceof Long l) {
                out[i] = new CK_ATTRIBUTE(a.type(), l.longValue());
            } else if (v instanceof byte[] bytes) {
                out[i] = new CK_ATTRIBUTE(a.type(), (Object) bytes.clone());
            } else if (v == null) {
                out[i] = new CK_ATTRIBUTE(a.type());
            } else {
                throw new IllegalArgumentException("attribute value " + v.getClass());
            }
        }
        return out;
    }

    private static Attr fromWrapper(CK_ATTRIBUTE a) {
        Object v = a.pValue;
        Object value; // instanceof, not a type switch (see toWrapper)
        if (v instanceof char[] chars) {
            value = narrow(chars);
        } else if (v instanceof byte[] || v instanceof Boolean || v instanceof Long || v == null) {
            value = v;
        } else if (v instanceof java.math.BigInteger big) {
            value = big.toByteArray();
        } else {
            throw new IllegalStateException("unexpected attribute type " + v.getClass());
        }
        return new Attr(a.type, value);
    }

    private static byte[] narrow(char[] chars) {
        byte[] out = new byte[chars.length];
        for (int i = 0; i < chars.length; i++) {
            out[i] = (byte) chars[i];
        }
        return out;
    }

    /** A blank-padded CK_UTF8CHAR field, decoded as UTF-8. */
    private static String text(char[] field) {
        return new String(narrow(field), StandardCharsets.UTF_8).strip();
    }

    private static Pkcs11Error error(PKCS11Exception e, String function) {
        return new Pkcs11Error(e.getErrorCode(), function);
    }
}
