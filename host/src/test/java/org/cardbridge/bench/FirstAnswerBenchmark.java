package org.cardbridge.bench;

import org.cardbridge.policy.ExtensionIds;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a page waits for: spawn → the first {@code listTokens} answer and → the {@code listCertificates}
 * answer after it, through the real launcher and pipes, on a SoftHSM2 token holding a key and its
 * certificate; the host's RSS right after that answer; and spawn → {@code hello} — each against a bare
 * "hello world" JVM on the same runtime with the same JVM options. Not a test: run by host/bench/run.sh,
 * results go to docs/benchmarks.md.
 *
 * <p>Every launcher given (e.g. this build and an older one, {@code name=path} each) and the bare JVM are
 * measured in the same rounds, one after the other, so a shared machine's load weighs on all alike and the
 * ratios are taken within one run. Medians over {@code runs} rounds, after two warm-up rounds.
 *
 * <pre>java ... org.cardbridge.bench.FirstAnswerBenchmark RUNS now=host/target/cardbridge-host [old=/other/cardbridge-host]</pre>
 */
public final class FirstAnswerBenchmark {

    private FirstAnswerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]);
        Map<String, String> launchers = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] nv = args[i].split("=", 2);
            launchers.put(nv[0], nv[1]);
        }
        Map<String, String> env = Samples.cardAndPolicy("cardbridge-first-answer");

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classes = Path.of(FirstAnswerBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> bareCmd = new ArrayList<>(List.of(java));
        for (String o : System.getProperty("cardbridge.jvm.options", "").trim().split("\\s+")) {
            if (!o.isEmpty()) {
                bareCmd.add(o);
            }
        }
        bareCmd.addAll(List.of("-cp", classes, BareHello.class.getName()));

        Map<String, List<Double>> samples = new LinkedHashMap<>();
        for (int round = 0; round < runs + 2; round++) {
            boolean keep = round >= 2; // the first rounds warm the page cache
            Samples.record(samples, "bare JVM hello", keep, helloMs(bareCmd, Map.of()));
            for (Map.Entry<String, String> l : launchers.entrySet()) {
                List<String> cmd = List.of(l.getValue(), ExtensionIds.CHROME_ORIGIN);
                Samples.record(samples, l.getKey() + " hello", keep, helloMs(cmd, env));
                double[] first = firstAnswers(cmd, env);
                Samples.record(samples, l.getKey() + " listTokens", keep, first[0]);
                Samples.record(samples, l.getKey() + " listCertificates", keep, first[1]);
                Samples.record(samples, l.getKey() + " RSS MiB", keep, first[2]);
            }
        }
        double bare = Samples.median(samples.get("bare JVM hello"));
        System.out.printf("machine: %d cores, load average %s; runs=%d (medians, after 2 warm-up rounds; rows alternate within each round)%n",
                Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim(), runs);
        System.out.printf("%-34s %10s %8s %8s %8s%n", "measure", "median", "min", "max", "× bare");
        for (Map.Entry<String, List<Double>> e : samples.entrySet()) {
            List<Double> s = new ArrayList<>(e.getValue());
            Collections.sort(s);
            boolean rss = e.getKey().endsWith("MiB");
            System.out.printf("%-34s %10.1f %8.1f %8.1f %8s%n", e.getKey() + (rss ? "" : " ms"), Samples.median(s), s.getFirst(), s.getLast(),
                    rss ? "" : String.format("%.2f", Samples.median(s) / bare));
        }
        System.out.println("goals: hello <= 1.5 x bare, spawn -> first listTokens <= 2.0 x bare, RSS after the first token operation <= 48 MiB");
    }

    private static Process start(List<String> cmd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        return pb.start();
    }

    private static void send(OutputStream out, String json) throws IOException {
        byte[] frame = json.getBytes(StandardCharsets.UTF_8);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(frame.length).array());
        out.write(frame);
        out.flush();
    }

    private static String receive(DataInputStream in) throws IOException {
        byte[] header = in.readNBytes(4);
        if (header.length < 4) {
            throw new IOException("the host closed its output");
        }
        int len = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).getInt();
        return new String(in.readNBytes(len), StandardCharsets.UTF_8);
    }

    private static double helloMs(List<String> cmd, Map<String, String> env) throws Exception {
        long t0 = System.nanoTime();
        Process p = start(cmd, env);
        send(p.getOutputStream(), "{\"id\":\"1\",\"op\":\"hello\",\"origin\":\"cardbridge:extension\",\"params\":{}}");
        receive(new DataInputStream(p.getInputStream()));
        long t1 = System.nanoTime();
        p.getOutputStream().close();
        p.waitFor();
        return (t1 - t0) / 1e6;
    }

    /** Spawn → listTokens answer, spawn → the listCertificates answer sent after it, and the RSS then. */
    private static double[] firstAnswers(List<String> cmd, Map<String, String> env) throws Exception {
        long t0 = System.nanoTime();
        Process p = start(cmd, env);
        DataInputStream in = new DataInputStream(p.getInputStream());
        send(p.getOutputStream(), "{\"id\":\"1\",\"op\":\"listTokens\",\"origin\":\"" + Samples.ORIGIN + "\",\"params\":{}}");
        String tokens = receive(in);
        long t1 = System.nanoTime();
        int at = tokens.indexOf("\"token\":\"");
        if (at < 0 || !tokens.contains("Karta")) {
            throw new IllegalStateException("no token listed: " + tokens);
        }
        String token = tokens.substring(at + 9, tokens.indexOf('"', at + 9));
        send(p.getOutputStream(), "{\"id\":\"2\",\"op\":\"listCertificates\",\"origin\":\"" + Samples.ORIGIN + "\",\"params\":{\"token\":\"" + token + "\"}}");
        String certs = receive(in);
        long t2 = System.nanoTime();
        if (!certs.contains("\"certificates\":[{")) {
            throw new IllegalStateException("no certificate listed: " + certs);
        }
        double rss = rssMiB(p.pid());
        p.getOutputStream().close();
        p.waitFor();
        return new double[]{(t1 - t0) / 1e6, (t2 - t0) / 1e6, rss};
    }

    private static double rssMiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }
}
