package org.cardbridge.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * Writes native-messaging frames. A frame is written whole under one lock, so threads (worker,
 * reader watcher, progress) never interleave. Chrome and Firefox close the port on a message of
 * 1 MiB + 1 bytes, so a larger payload is refused here rather than sent truncated.
 */
public final class FrameWriter {
    /** The browsers' limit for host → browser messages. */
    public static final int MAX_OUTGOING = 1024 * 1024;

    private final OutputStream out;
    private final ByteOrder order;

    public FrameWriter(OutputStream out) {
        this(out, ByteOrder.nativeOrder());
    }

    FrameWriter(OutputStream out, ByteOrder order) {
        this.out = out;
        this.order = order;
    }

    /** @throws HostException MESSAGE_TOO_LARGE when the payload exceeds {@link #MAX_OUTGOING}; nothing is written. */
    public void write(byte[] payload) throws IOException {
        if (payload.length > MAX_OUTGOING) {
            throw new HostException(ErrorCode.MESSAGE_TOO_LARGE,
                    "response of " + payload.length + " bytes exceeds the browsers' limit of " + MAX_OUTGOING,
                    Map.of("length", payload.length, "limit", MAX_OUTGOING));
        }
        byte[] header = ByteBuffer.allocate(4).order(order).putInt(payload.length).array();
        synchronized (this) {
            out.write(header);
            out.write(payload);
            out.flush();
        }
    }
}
