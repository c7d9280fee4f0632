package org.cardbridge.protocol;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FramingTest {

    static byte[] frame(ByteOrder order, byte[] payload) {
        return ByteBuffer.allocate(4 + payload.length).order(order).putInt(payload.length).put(payload).array();
    }

    /** An input stream that hands out at most one byte per read, as a pipe under load may. */
    static InputStream trickle(byte[] bytes) {
        return new FilterInputStream(new ByteArrayInputStream(bytes)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(1, len));
            }
        };
    }

    @Test
    void read_littleEndianHeader_decodesLength() throws IOException {
        byte[] payload = "{\"a\":1}".getBytes();
        FrameReader reader = new FrameReader(new ByteArrayInputStream(frame(ByteOrder.LITTLE_ENDIAN, payload)), 1024, ByteOrder.LITTLE_ENDIAN);
        assertArrayEquals(payload, reader.read());
        assertNull(reader.read());
    }

    @Test
    void read_bigEndianPlatform_decodesLength() throws IOException {
        byte[] payload = new byte[300];
        FrameReader reader = new FrameReader(new ByteArrayInputStream(frame(ByteOrder.BIG_ENDIAN, payload)), 1024, ByteOrder.BIG_ENDIAN);
        assertEquals(300, reader.read().length);
    }

    @Test
    void write_usesNativeOrderByDefault() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out).write(new byte[258]);
        assertEquals(258, ByteBuffer.wrap(out.toByteArray(), 0, 4).order(ByteOrder.nativeOrder()).getInt());
        assertEquals(262, out.size());
    }

    @Test
    void read_frameSplitIntoSingleBytes_reassemblesEveryFrame() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < 5; i++) {
            all.writeBytes(frame(ByteOrder.nativeOrder(), ("{\"n\":" + i + "}").getBytes()));
        }
        FrameReader reader = new FrameReader(trickle(all.toByteArray()), 1024);
        for (int i = 0; i < 5; i++) {
            assertEquals("{\"n\":" + i + "}", new String(reader.read()));
        }
        assertNull(reader.read());
    }

    @Test
    void read_zeroLengthFrame_returnsEmptyPayloadAndKeepsReading() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(frame(ByteOrder.nativeOrder(), new byte[0]));
        all.writeBytes(frame(ByteOrder.nativeOrder(), "{}".getBytes()));
        FrameReader reader = new FrameReader(new ByteArrayInputStream(all.toByteArray()), 1024);
        assertEquals(0, reader.read().length);
        assertEquals("{}", new String(reader.read()));
    }

    @Test
    void read_truncatedHeader_isEof() {
        FrameReader reader = new FrameReader(new ByteArrayInputStream(new byte[]{5, 0}), 1024);
        assertThrows(EOFException.class, reader::read);
    }

    @Test
    void read_truncatedPayload_isEof() {
        byte[] f = frame(ByteOrder.nativeOrder(), new byte[10]);
        FrameReader reader = new FrameReader(new ByteArrayInputStream(Arrays.copyOf(f, 9)), 1024);
        assertThrows(EOFException.class, reader::read);
    }

    @Test
    void read_exactlyTheCap_isAccepted() throws IOException {
        FrameReader reader = new FrameReader(new ByteArrayInputStream(frame(ByteOrder.nativeOrder(), new byte[1000])), 1000);
        assertEquals(1000, reader.read().length);
    }

    @Test
    void read_capPlusOne_isMessageTooLargeWithoutReadingThePayload() {
        byte[] header = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(1001).array();
        FrameReader reader = new FrameReader(new ByteArrayInputStream(header), 1000);
        HostException e = assertThrows(HostException.class, reader::read);
        assertEquals(ErrorCode.MESSAGE_TOO_LARGE, e.code());
    }

    @Test
    void read_lengthWithHighBitSet_isTooLargeNotNegative() {
        byte[] header = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        FrameReader reader = new FrameReader(new ByteArrayInputStream(header), FrameReader.DEFAULT_MAX_INCOMING);
        assertEquals(ErrorCode.MESSAGE_TOO_LARGE, assertThrows(HostException.class, reader::read).code());
    }

    @Test
    void write_exactlyOneMebibyte_isSent() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out).write(new byte[FrameWriter.MAX_OUTGOING]);
        assertEquals(4 + 1024 * 1024, out.size());
    }

    @Test
    void write_oneMebibytePlusOne_isRefusedAndNothingWritten() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        HostException e = assertThrows(HostException.class, () -> new FrameWriter(out).write(new byte[FrameWriter.MAX_OUTGOING + 1]));
        assertEquals(ErrorCode.MESSAGE_TOO_LARGE, e.code());
        assertEquals(0, out.size());
    }
}
