package org.cardbridge.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * Reads native-messaging frames: a 4-byte length in the platform's byte order, then that many bytes.
 * Reads loop until a frame is whole, so frames split across any number of reads are fine.
 */
public final class FrameReader {
    /** Default cap on incoming frames. Browsers send at most 64 MiB (Chrome) — pages have no reason to send more than this. */
    public static final int DEFAULT_MAX_INCOMING = 8 * 1024 * 1024;

    private final InputStream in;
    private final int maxIncoming;
    private final ByteOrder order;

    public FrameReader(InputStream in, int maxIncoming) {
        this(in, maxIncoming, ByteOrder.nativeOrder());
    }

    FrameReader(InputStream in, int maxIncoming, ByteOrder order) {
        this.in = in;
        this.maxIncoming = maxIncoming;
        this.order = order;
    }

    /**
     * The next frame's payload, or {@code null} at a clean end of input (the browser closed the port).
     *
     * @throws EOFException  the input ended inside a frame: the stream is lost
     * @throws HostException MESSAGE_TOO_LARGE: the announced length exceeds the cap; the stream is lost
     */
    public byte[] read() throws IOException {
        byte[] header = new byte[4];
        int got = readFully(header);
        if (got == 0) {
            return null;
        }
        if (got < 4) {
            throw new EOFException("input ended inside a frame header");
        }
        long length = Integer.toUnsignedLong(ByteBuffer.wrap(header).order(order).getInt());
        if (length > maxIncoming) {
            throw new HostException(ErrorCode.MESSAGE_TOO_LARGE,
                    "incoming frame of " + length + " bytes exceeds the limit of " + maxIncoming,
                    Map.of("length", length, "limit", maxIncoming));
        }
        byte[] payload = new byte[(int) length];
        if (readFully(payload) < payload.length) {
            throw new EOFException("input ended inside a frame of " + length + " bytes");
        }
        return payload;
    }

    private int readFully(byte[] buffer) throws IOException {
        int off = 0;
        while (off < buffer.length) {
            int n = in.read(buffer, off, buffer.length - off);
            if (n < 0) {
                break;
            }
            off += n;
        }
        return off;
    }
}
