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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The host's memory through the real launcher and pipes: RSS (and its anonymous part) right after a page's
 * first card answers ({@code listTokens}, then {@code listCertificates}) and after 1,000 more mixed requests
 * on the same connection ({@code listTokens}, {@code listCertificates}, {@code hello}, and a
 * {@code listCertificates} of a card that is not there, answered {@code TOKEN_NOT_FOUND}), with the time those
 * 1,000 took. On a SoftHSM2 token holding a key and its certificate. Not a test: run by host/bench/run.sh,
 * results go to docs/benchmarks.md.
 *
 * <p>Each launcher is {@code name=path}, or {@code name=path+JVM options} to measure the same launcher with
 * options added (through {@code _JAVA_OPTIONS}, which the JVM reads after the launcher's own): how JVM flags
 * are chosen for the shipped launcher. All are measured in the same rounds, one after the other.
 *
 * <pre>java ... org.cardbridge.bench.RequestsBenchmark ROUNDS now=host/target/cardbridge-host ['small heap=host/target/cardbridge-host+-Xmn2m']</pre>
 */
public final class RequestsBenchmark {
    private static final int REQUESTS = 1000;

    private RequestsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        Map<String, String[]> launchers = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] nv = args[i].split("=", 2);
            String[] pathFlags = nv[1].split("\\+", 2);
            launchers.put(nv[0], new String[]{pathFlags[0], pathFlags.length > 1 ? pathFlags[1] : ""});
        }
        Map<String, String> env = Samples.cardAndPolicy("cardbridge-requests");

        Map<String, List<Double>> samples = new LinkedHashMap<>();
        for (int round = 0; round < rounds + 1; round++) {
            boolean keep = round >= 1;
            for (Map.Entry<String, String[]> l : launchers.entrySet()) {
                Map<String, String> e = new HashMap<>(env);
                if (!l.getValue()[1].isBlank()) {
                    e.put("_JAVA_OPTIONS", l.getValue()[1]);
                }
                double[] m = session(List.of(l.getValue()[0], ExtensionIds.CHROME_ORIGIN), e);
                String n = l.getKey();
                Samples.record(samples, n + ": RSS after first listCertificates MiB", keep, m[0]);
                Samples.record(samples, n + ": of which anonymous MiB", keep, m[1]);
                Samples.record(samples, n + ": RSS after 1,000 more requests MiB", keep, m[2]);
                Samples.record(samples, n + ": of which anonymous (after 1,000) MiB", keep, m[3]);
                Samples.record(samples, n + ": 1,000 requests, ms per request", keep, m[4]);
            }
        }
        System.out.printf("machine: %d cores, load average %s; %d rounds (medians, after 1 warm-up round; launchers alternate within each round)%n",
                Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim(), rounds);
        for (Map.Entry<String, String[]> l : launchers.entrySet()) {
            System.out.printf("%s = %s%s%n", l.getKey(), l.getValue()[0], l.getValue()[1].isBlank() ? "" : " with " + l.getValue()[1]);
        }
        System.out.printf("%-62s %8s %8s %8s %4s%n", "measure", "median", "min", "max", "n");
        for (Map.Entry<String, List<Double>> e : samples.entrySet()) {
            List<Double> s = new ArrayList<>(e.getValue());
            Collections.sort(s);
            System.out.printf("%-62s %8.2f %8.2f %8.2f %4d%n", e.getKey(), Samples.median(s), s.getFirst(), s.getLast(), s.size());
        }
        System.out.println("goal: RSS after the first token operation <= 48 MiB");
    }

    /** RSS and anonymous MiB after the first answers, the same after 1,000 more requests, and ms per request. */
    private static double[] session(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        Process p = pb.start();
        DataInputStream in = new DataInputStream(p.getInputStream());
        OutputStream out = p.getOutputStream();
        String tokens = call(in, out, 0, "listTokens", "{}");
        int at = tokens.indexOf("\"token\":\"");
        String token = tokens.substring(at + 9, tokens.indexOf('"', at + 9));
        String certs = call(in, out, 1, "listCertificates", "{\"token\":\"" + token + "\"}");
        if (!certs.contains("\"certificates\":[{")) {
            throw new IllegalStateException("no certificate listed: " + certs);
        }
        double[] first = memory(p.pid());
        long t0 = System.nanoTime();
        for (int i = 0; i < REQUESTS; i++) {
            String answer = switch (i % 4) {
                case 0 -> call(in, out, i + 2, "listTokens", "{}");
                case 1 -> call(in, out, i + 2, "listCertificates", "{\"token\":\"" + token + "\"}");
                case 2 -> call(in, out, i + 2, "hello", "{}");
                default -> call(in, out, i + 2, "listCertificates", "{\"token\":\"tNoSuchCard\"}");
            };
            if (i % 4 == 3 != answer.contains("\"error\"")) {
                throw new IllegalStateException("unexpected answer: " + answer);
            }
        }
        double perRequest = (System.nanoTime() - t0) / 1e6 / REQUESTS;
        double[] after = memory(p.pid());
        out.close();
        p.waitFor();
        return new double[]{first[0], first[1], after[0], after[1], perRequest};
    }

    private static String call(DataInputStream in, OutputStream out, int id, String op, String params) throws IOException {
        byte[] frame = ("{\"id\":\"" + id + "\",\"op\":\"" + op + "\",\"origin\":\"" + Samples.ORIGIN + "\",\"params\":" + params + "}")
                .getBytes(StandardCharsets.UTF_8);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(frame.length).array());
        out.write(frame);
        out.flush();
        byte[] header = in.readNBytes(4);
        if (header.length < 4) {
            throw new IOException("the host closed its output");
        }
        int len = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).getInt();
        return new String(in.readNBytes(len), StandardCharsets.UTF_8);
    }

    /** VmRSS and RssAnon of the process, MiB. */
    private static double[] memory(long pid) throws IOException {
        double rss = Double.NaN;
        double anon = Double.NaN;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            } else if (line.startsWith("RssAnon:")) {
                anon = Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        }
        return new double[]{rss, anon};
    }
}
