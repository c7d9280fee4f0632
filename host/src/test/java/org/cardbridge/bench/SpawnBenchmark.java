package org.cardbridge.bench;

import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.testing.HostProcess;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Spawn → answer to {@code hello}, as a browser pays it on every connection, against a bare
 * "hello world" JVM on the same runtime. Not a test: run by host/bench/run.sh, results go to
 * docs/benchmarks.md. Target: host ≤ 1.5 × bare JVM.
 */
public final class SpawnBenchmark {
    private SpawnBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Path state = Files.createTempDirectory("cardbridge-bench");
        Map<String, String> env = Map.of("CARDBRIDGE_STATE_DIR", state.toString(),
                "CARDBRIDGE_POLICY", state.resolve("none.json").toString());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classes = Path.of(SpawnBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();

        // The bare JVM gets the launcher's own JVM options (the root pom's cardbridge.jvm.options).
        List<String> bareCmd = new ArrayList<>(List.of(java));
        bareCmd.addAll(List.of(System.getProperty("cardbridge.jvm.options", "").trim().split("\\s+")));
        bareCmd.removeIf(String::isEmpty);
        bareCmd.addAll(List.of("-cp", classes, BareHello.class.getName()));
        String hello = "{\"id\":\"1\",\"op\":\"hello\",\"origin\":\"cardbridge:extension\",\"params\":{}}";
        List<Double> bare = new ArrayList<>();
        List<Double> host = new ArrayList<>();
        for (int i = 0; i < runs + 2; i++) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(bareCmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] frame = hello.getBytes(StandardCharsets.UTF_8);
            p.getOutputStream().write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(frame.length).array());
            p.getOutputStream().write(frame);
            p.getOutputStream().flush();
            int len = ByteBuffer.wrap(p.getInputStream().readNBytes(4)).order(ByteOrder.nativeOrder()).getInt();
            p.getInputStream().readNBytes(len);
            long t1 = System.nanoTime();
            p.getOutputStream().close();
            p.waitFor();
            long t2 = System.nanoTime();
            long t3;
            try (HostProcess h = new HostProcess(List.of(ExtensionIds.CHROME_ORIGIN), env)) {
                h.send(hello);
                h.receive();
                t3 = System.nanoTime();
                h.closeStdin();
                h.waitFor(5_000);
            }
            if (i >= 2) { // the first runs warm the page cache
                bare.add((t1 - t0) / 1e6);
                host.add((t3 - t2) / 1e6);
            }
        }
        double b = median(bare);
        double h = median(host);
        System.out.printf("runs=%d  bare JVM hello world median %.1f ms  host spawn->hello median %.1f ms  ratio %.2f (target <= 1.5)%n",
                runs, b, h, h / b);
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
