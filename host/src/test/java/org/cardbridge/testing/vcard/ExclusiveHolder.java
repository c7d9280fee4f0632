package org.cardbridge.testing.vcard;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Another PC/SC client holding a card exclusively, as a vendor card manager or signing application does:
 * {@code SCardConnect(SCARD_SHARE_EXCLUSIVE)} through libpcsclite, on its own PC/SC context. javax.smartcardio
 * cannot do this (its {@code beginExclusive()} is a transaction, not an exclusive connection), so libpcsclite
 * is called directly. It reads {@link Pcscd#SOCKET_ENV} from this process's environment, like OpenSC does.
 * pcsc-lite on Linux: SCARDCONTEXT, SCARDHANDLE and DWORD are {@code long}s.
 */
public final class ExclusiveHolder implements AutoCloseable {
    public static final String LIBPCSCLITE = "libpcsclite.so.1";
    private static final long SCARD_SCOPE_SYSTEM = 2;
    private static final long SCARD_SHARE_EXCLUSIVE = 1;
    private static final long SCARD_PROTOCOL_ANY = 3;
    private static final long SCARD_LEAVE_CARD = 0;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIB = SymbolLookup.libraryLookup(LIBPCSCLITE, Arena.global());
    private static final MethodHandle ESTABLISH = handle("SCardEstablishContext", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle CONNECT = handle("SCardConnect", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS,
            ValueLayout.ADDRESS));
    private static final MethodHandle DISCONNECT = handle("SCardDisconnect", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle RELEASE = handle("SCardReleaseContext", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG));

    private final long context;
    private long card;

    private ExclusiveHolder(long context, long card) {
        this.context = context;
        this.card = card;
    }

    /** Connects exclusively to the card in {@code reader}; fails when another client is connected to it. */
    public static ExclusiveHolder hold(String reader) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ctx = arena.allocate(ValueLayout.JAVA_LONG);
            check("SCardEstablishContext", (long) ESTABLISH.invokeExact(SCARD_SCOPE_SYSTEM, MemorySegment.NULL,
                    MemorySegment.NULL, ctx));
            long context = ctx.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment handle = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment protocol = arena.allocate(ValueLayout.JAVA_LONG);
            long rv = (long) CONNECT.invokeExact(context, arena.allocateFrom(reader), SCARD_SHARE_EXCLUSIVE,
                    SCARD_PROTOCOL_ANY, handle, protocol);
            if (rv != 0) {
                long ignored = (long) RELEASE.invokeExact(context);
                check("SCardConnect(EXCLUSIVE) " + reader, rv);
            }
            return new ExclusiveHolder(context, handle.get(ValueLayout.JAVA_LONG, 0));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Lets the card go (the other program closed); idempotent. */
    @Override
    public synchronized void close() {
        if (card == 0) {
            return;
        }
        try {
            long a = (long) DISCONNECT.invokeExact(card, SCARD_LEAVE_CARD);
            long b = (long) RELEASE.invokeExact(context);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            card = 0;
        }
    }

    private static void check(String call, long rv) {
        if (rv != 0) {
            throw new IllegalStateException(call + " failed: 0x" + Long.toHexString(rv & 0xFFFFFFFFL));
        }
    }

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIB.find(name).orElseThrow(() -> new IllegalStateException(name + " not in " + LIBPCSCLITE)), fd);
    }
}
