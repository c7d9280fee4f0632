package org.cardbridge.token;

import java.util.Map;

/**
 * The PKCS#11 constants CardBridge uses (values from the PKCS#11 v2.40 / 3.0 headers). They live here,
 * not in the JDK wrapper's constants class, so only {@link WrapperPkcs11} depends on the JDK-internal API.
 */
public final class Ck {
    private Ck() {
    }

    // Object classes, key and certificate types
    public static final long CKO_CERTIFICATE = 0x1, CKO_PUBLIC_KEY = 0x2, CKO_PRIVATE_KEY = 0x3;
    public static final long CKK_RSA = 0x0, CKK_EC = 0x3;
    public static final long CKC_X_509 = 0x0;
    /** The security officer; on PKCS#15 cards under OpenSC this login takes the PUK (see PinFunctions). */
    public static final long CKU_SO = 0;
    public static final long CKU_USER = 1;
    /** C_Login for the one operation just initialised, on a key with CKA_ALWAYS_AUTHENTICATE. */
    public static final long CKU_CONTEXT_SPECIFIC = 2;

    // Attributes
    public static final long CKA_CLASS = 0x0, CKA_TOKEN = 0x1, CKA_PRIVATE = 0x2, CKA_LABEL = 0x3, CKA_VALUE = 0x11,
            CKA_CERTIFICATE_TYPE = 0x80, CKA_ISSUER = 0x81, CKA_SERIAL_NUMBER = 0x82, CKA_TRUSTED = 0x86,
            CKA_CERTIFICATE_CATEGORY = 0x87, CKA_KEY_TYPE = 0x100, CKA_SUBJECT = 0x101, CKA_ID = 0x102,
            CKA_SENSITIVE = 0x103, CKA_DECRYPT = 0x105, CKA_SIGN = 0x108, CKA_VERIFY = 0x10A, CKA_MODULUS = 0x120,
            CKA_MODULUS_BITS = 0x121, CKA_PUBLIC_EXPONENT = 0x122, CKA_EXTRACTABLE = 0x162, CKA_MODIFIABLE = 0x170,
            CKA_EC_PARAMS = 0x180, CKA_EC_POINT = 0x181, CKA_ALWAYS_AUTHENTICATE = 0x202;

    // Mechanisms
    public static final long CKM_RSA_PKCS_KEY_PAIR_GEN = 0x0, CKM_RSA_PKCS = 0x1, CKM_SHA256_RSA_PKCS = 0x40,
            CKM_RSA_PKCS_PSS = 0xD, CKM_SHA256 = 0x250, CKM_EC_KEY_PAIR_GEN = 0x1040, CKM_ECDSA = 0x1041;

    // Flags
    public static final long CKF_TOKEN_PRESENT = 0x1, CKF_REMOVABLE_DEVICE = 0x2, CKF_HW_SLOT = 0x4;
    public static final long CKF_RW_SESSION = 0x2, CKF_SERIAL_SESSION = 0x4;
    public static final long CKF_WRITE_PROTECTED = 0x2, CKF_LOGIN_REQUIRED = 0x4, CKF_USER_PIN_INITIALIZED = 0x8,
            CKF_PROTECTED_AUTHENTICATION_PATH = 0x100, CKF_TOKEN_INITIALIZED = 0x400,
            CKF_USER_PIN_COUNT_LOW = 0x10000, CKF_USER_PIN_FINAL_TRY = 0x20000, CKF_USER_PIN_LOCKED = 0x40000,
            CKF_SO_PIN_COUNT_LOW = 0x100000, CKF_SO_PIN_FINAL_TRY = 0x200000, CKF_SO_PIN_LOCKED = 0x400000;
    public static final long CKF_SIGN = 0x800, CKF_GENERATE_KEY_PAIR = 0x10000;

    // Session states
    public static final long CKS_RO_USER_FUNCTIONS = 1, CKS_RW_USER_FUNCTIONS = 3;

    // Return values CardBridge reacts to
    public static final long CKR_OK = 0x0, CKR_HOST_MEMORY = 0x2, CKR_GENERAL_ERROR = 0x5, CKR_FUNCTION_FAILED = 0x6,
            CKR_ATTRIBUTE_VALUE_INVALID = 0x13, CKR_DEVICE_ERROR = 0x30, CKR_DEVICE_MEMORY = 0x31,
            CKR_DEVICE_REMOVED = 0x32, CKR_KEY_SIZE_RANGE = 0x62, CKR_MECHANISM_INVALID = 0x70,
            CKR_OBJECT_HANDLE_INVALID = 0x82, CKR_KEY_HANDLE_INVALID = 0x60, CKR_PIN_INCORRECT = 0xA0, CKR_PIN_INVALID = 0xA1, CKR_PIN_LEN_RANGE = 0xA2,
            CKR_PIN_EXPIRED = 0xA3, CKR_PIN_LOCKED = 0xA4, CKR_SESSION_CLOSED = 0xB0,
            CKR_SESSION_HANDLE_INVALID = 0xB3, CKR_SESSION_READ_ONLY = 0xB5, CKR_TEMPLATE_INCONSISTENT = 0xD1,
            CKR_TOKEN_NOT_PRESENT = 0xE0, CKR_TOKEN_NOT_RECOGNIZED = 0xE1, CKR_TOKEN_WRITE_PROTECTED = 0xE2,
            CKR_USER_ALREADY_LOGGED_IN = 0x100, CKR_USER_NOT_LOGGED_IN = 0x101, CKR_USER_PIN_NOT_INITIALIZED = 0x102,
            CKR_USER_TYPE_INVALID = 0x103, CKR_USER_ANOTHER_ALREADY_LOGGED_IN = 0x104, CKR_FUNCTION_NOT_SUPPORTED = 0x54,
            CKR_FUNCTION_CANCELED = 0x50, CKR_CRYPTOKI_NOT_INITIALIZED = 0x190;

    private static final Map<Long, String> NAMES = Map.ofEntries(
            Map.entry(CKR_OK, "CKR_OK"), Map.entry(CKR_HOST_MEMORY, "CKR_HOST_MEMORY"),
            Map.entry(CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"), Map.entry(CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"),
            Map.entry(CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID"),
            Map.entry(CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"), Map.entry(CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"),
            Map.entry(CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"), Map.entry(CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE"),
            Map.entry(CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"),
            Map.entry(CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"),
            Map.entry(CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"),
            Map.entry(CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"), Map.entry(CKR_PIN_INVALID, "CKR_PIN_INVALID"),
            Map.entry(CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID"), Map.entry(CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED"),
            Map.entry(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "CKR_USER_ANOTHER_ALREADY_LOGGED_IN"), Map.entry(CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"),
            Map.entry(CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"), Map.entry(CKR_PIN_LOCKED, "CKR_PIN_LOCKED"),
            Map.entry(CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"),
            Map.entry(CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"),
            Map.entry(CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY"),
            Map.entry(CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT"),
            Map.entry(CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"),
            Map.entry(CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"),
            Map.entry(CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED"),
            Map.entry(CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN"),
            Map.entry(CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"),
            Map.entry(CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"),
            Map.entry(CKR_FUNCTION_CANCELED, "CKR_FUNCTION_CANCELED"),
            Map.entry(CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"));

    /** The symbolic name of a return value, or its hex value. */
    public static String name(long ckr) {
        return NAMES.getOrDefault(ckr, String.format("CKR_0x%X", ckr));
    }
}
