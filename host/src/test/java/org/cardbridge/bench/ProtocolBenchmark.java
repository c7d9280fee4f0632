package org.cardbridge.bench;

import org.cardbridge.protocol.FrameReader;
import org.cardbridge.protocol.FrameWriter;
import org.cardbridge.protocol.Messages;
import org.cardbridge.protocol.Request;
import org.cardbridge.protocol.RequestParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One protocol round trip as the host does it: read a framed request, parse it, build the answer,
 * frame it. Targets (docs/benchmarks.md): ≤ 20 µs for a small message, ≤ 10 ms for a 1 MiB one.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ProtocolBenchmark {
    private byte[] smallFrame;
    private byte[] largeFrame;
    private String largeValue;

    @Setup
    public void setup() {
        smallFrame = frame("{\"id\":\"42\",\"op\":\"listCertificates\",\"origin\":\"https://ca.example\",\"params\":{\"token\":\"t-3f9a\"},\"lang\":\"pl\"}");
        // A 1 MiB message: a signing request carrying ~1 MiB of base64 data, answered with ~1 MiB.
        largeValue = "A".repeat(1024 * 1024 - 200);
        largeFrame = frame("{\"id\":\"43\",\"op\":\"sign\",\"origin\":\"https://ca.example\",\"params\":{\"data\":\"" + largeValue + "\"}}");
    }

    private static byte[] frame(String json) {
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + payload.length).order(ByteOrder.nativeOrder()).putInt(payload.length).put(payload).array();
    }

    private static int roundTrip(byte[] frame, Object result) throws IOException {
        byte[] payload = new FrameReader(new ByteArrayInputStream(frame), FrameReader.DEFAULT_MAX_INCOMING).read();
        Request request = RequestParser.parse(payload);
        ByteArrayOutputStream out = new ByteArrayOutputStream(frame.length + 64);
        new FrameWriter(out).write(Messages.result(request.id(), result));
        return out.size();
    }

    @Benchmark
    public int smallMessage() throws IOException {
        return roundTrip(smallFrame, Map.of("loggedIn", true));
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int oneMebibyteMessage() throws IOException {
        return roundTrip(largeFrame, Map.of("signature", largeValue));
    }
}
