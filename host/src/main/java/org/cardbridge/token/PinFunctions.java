package org.cardbridge.token;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * C_SetPIN and C_InitPIN, which the JDK's internal wrapper ({@link WrapperPkcs11}) does not have, through
 * java.lang.foreign on the SAME loaded module: {@link SymbolLookup#libraryLookup(String, Arena)} dlopens the
 * library path the wrapper already loaded, which returns that loaded instance, so the session handles the
 * wrapper opened are valid here and the module stays initialised (nothing here calls C_Initialize).
 * The two function pointers are read from the module's CK_FUNCTION_LIST: CK_VERSION (2 bytes, padded to the
 * pointer alignment, 8) then one pointer per function in PKCS#11 order; C_InitPIN is the 11th (index 10),
 * C_SetPIN the 12th (index 11).
 *
 * <p>Only for LP64 platforms (Linux, macOS), where CK_ULONG and CK_SESSION_HANDLE are 64 bits, as
 * {@link ValueLayout#JAVA_LONG} here. On Windows CK_ULONG is 32 bits and PKCS#11 structures are packed to 1
 * byte; there this class refuses ({@link UnsupportedOperationException}) rather than call with the wrong
 * types. Loaded only by the first PIN change: nothing here runs at the host's start.
 *
 * <p>PIN bytes are copied into native memory of a confined arena for one call and zeroed before it is freed.
 */
final class PinFunctions {
    private static final long VERSION_PADDED = 8;
    private static final int C_INIT_PIN = 10;
    private static final int C_SET_PIN = 11;
    private static final Map<String, PinFunctions> LOADED = new ConcurrentHashMap<>();

    private final MethodHandle setPin;
    private final MethodHandle initPin;

    private PinFunctions(MethodHandle setPin, MethodHandle initPin) {
        this.setPin = setPin;
        this.initPin = initPin;
    }

    /** The functions of the module at {@code library}, which {@link WrapperPkcs11#load} has loaded already. */
    static PinFunctions of(String library) {
        return LOADED.computeIfAbsent(library, PinFunctions::bind);
    }

    private static PinFunctions bind(String library) {
        if (org.cardbridge.platform.Os.current() == org.cardbridge.platform.Os.WINDOWS) {
            throw new UnsupportedOperationException("C_SetPIN/C_InitPIN through java.lang.foreign assume LP64 (64-bit CK_ULONG); "
                    + "Windows' CK_ULONG is 32-bit and its structures packed: not bound there");
        }
        Linker linker = Linker.nativeLinker();
        SymbolLookup module = SymbolLookup.libraryLookup(library, Arena.global());
        MemorySegment getFunctionList = module.find("C_GetFunctionList")
                .orElseThrow(() -> new UnsupportedOperationException(library + " has no C_GetFunctionList"));
        MethodHandle get = linker.downcallHandle(getFunctionList, FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        MemorySegment list;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            long rv = (long) get.invokeExact(out);
            if (rv != Ck.CKR_OK) {
                throw new Pkcs11Error(rv, "C_GetFunctionList");
            }
            list = out.get(ValueLayout.ADDRESS, 0).reinterpret(VERSION_PADDED + (C_SET_PIN + 1) * ValueLayout.ADDRESS.byteSize());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        MemorySegment setPin = list.get(ValueLayout.ADDRESS, VERSION_PADDED + C_SET_PIN * ValueLayout.ADDRESS.byteSize());
        MemorySegment initPin = list.get(ValueLayout.ADDRESS, VERSION_PADDED + C_INIT_PIN * ValueLayout.ADDRESS.byteSize());
        if (setPin.equals(MemorySegment.NULL) || initPin.equals(MemorySegment.NULL)) {
            throw new UnsupportedOperationException(library + " lists no C_SetPIN or C_InitPIN");
        }
        // CK_RV C_SetPIN(CK_SESSION_HANDLE, CK_UTF8CHAR_PTR old, CK_ULONG oldLen, CK_UTF8CHAR_PTR new, CK_ULONG newLen)
        MethodHandle set = linker.downcallHandle(setPin, FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        // CK_RV C_InitPIN(CK_SESSION_HANDLE, CK_UTF8CHAR_PTR pin, CK_ULONG len)
        MethodHandle init = linker.downcallHandle(initPin, FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        return new PinFunctions(set, init);
    }

    /** C_SetPIN; null PINs pass NULL_PTR and length 0 (a PIN-pad reader asks for them). Returns the CK_RV. */
    long setPin(long session, byte[] oldPin, byte[] newPin) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment oldSegment = copy(arena, oldPin);
            MemorySegment newSegment = copy(arena, newPin);
            try {
                return (long) setPin.invokeExact(session, oldSegment, length(oldPin), newSegment, length(newPin));
            } finally {
                wipe(oldSegment);
                wipe(newSegment);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** C_InitPIN; a null PIN passes NULL_PTR and length 0 (a PIN-pad reader asks for it). Returns the CK_RV. */
    long initPin(long session, byte[] newPin) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = copy(arena, newPin);
            try {
                return (long) initPin.invokeExact(session, segment, length(newPin));
            } finally {
                wipe(segment);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static MemorySegment copy(Arena arena, byte[] pin) {
        if (pin == null) {
            return MemorySegment.NULL;
        }
        MemorySegment segment = arena.allocate(Math.max(1, pin.length));
        MemorySegment.copy(pin, 0, segment, ValueLayout.JAVA_BYTE, 0, pin.length);
        return segment;
    }

    private static long length(byte[] pin) {
        return pin == null ? 0 : pin.length;
    }

    private static void wipe(MemorySegment segment) {
        if (!segment.equals(MemorySegment.NULL)) {
            segment.fill((byte) 0);
        }
    }
}
