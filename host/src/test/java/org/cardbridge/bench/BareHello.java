package org.cardbridge.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The baseline for start-up: a bare "hello world" native-messaging host on the same runtime, no
 * libraries — one frame in, one frame out (as installer/bench/BareHello.java for the installed host).
 */
public final class BareHello {
    private BareHello() {
    }

    public static void main(String[] args) throws IOException {
        DataInputStream in = new DataInputStream(System.in);
        int len = ByteBuffer.wrap(in.readNBytes(4)).order(ByteOrder.nativeOrder()).getInt();
        in.readNBytes(len);
        byte[] reply = "{\"id\":\"1\",\"result\":{\"host\":\"java\",\"protocol\":\"1.0.0\",\"operations\":[\"hello\"]}}"
                .getBytes(StandardCharsets.UTF_8);
        System.out.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(reply.length).array());
        System.out.write(reply);
        System.out.flush();
        while (in.read() >= 0) {
            // Like a host: stay until the browser closes stdin.
        }
    }
}
