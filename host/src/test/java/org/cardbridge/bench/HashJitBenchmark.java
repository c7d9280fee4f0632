package org.cardbridge.bench;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * The JIT flags' share of a large signature: SHA-256 of {@code size} bytes, the first time and the
 * fifth time in a fresh JVM (as the host hashes a ~700 KB document for {@code sign}), under the shipped
 * options (C1 only: {@code TieredStopAtLevel=1}) and variants. Each variant is a fresh JVM per run,
 * alternating within each round; medians. Not a test: run by hand, results go to docs/benchmarks.md.
 *
 * <pre>java ... org.cardbridge.bench.HashJitBenchmark RUNS SIZE "name=options" ...</pre>
 */
public final class HashJitBenchmark {
    private HashJitBenchmark() {
    }

    /** The child: prints the ms of the first and the fifth digest. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            byte[] data = new byte[Integer.parseInt(args[0])];
            new java.util.Random(1).nextBytes(data);
            double first = 0;
            double fifth = 0;
            for (int i = 1; i <= 5; i++) {
                long t0 = System.nanoTime();
                MessageDigest.getInstance("SHA-256").digest(data);
                double ms = (System.nanoTime() - t0) / 1e6;
                if (i == 1) {
                    first = ms;
                }
                fifth = ms;
            }
            System.out.println(first + " " + fifth);
        }
    }

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]);
        String size = args[1];
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classes = Path.of(HashJitBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> names = new ArrayList<>();
        List<List<Double>> firsts = new ArrayList<>();
        List<List<Double>> fifths = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            names.add(args[i].split("=", 2)[0]);
            firsts.add(new ArrayList<>());
            fifths.add(new ArrayList<>());
        }
        for (int round = 0; round < runs; round++) {
            for (int v = 0; v < names.size(); v++) {
                List<String> cmd = new ArrayList<>(List.of(java));
                for (String o : args[v + 2].split("=", 2)[1].trim().split("\\s+")) {
                    if (!o.isEmpty()) {
                        cmd.add(o);
                    }
                }
                cmd.addAll(List.of("-cp", classes, Child.class.getName(), size));
                Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String[] out = new String(p.getInputStream().readAllBytes()).trim().split(" ");
                p.waitFor();
                firsts.get(v).add(Double.parseDouble(out[0]));
                fifths.get(v).add(Double.parseDouble(out[1]));
            }
        }
        System.out.printf("SHA-256 of %s bytes in a fresh JVM, %d runs each (medians):%n", size, runs);
        for (int v = 0; v < names.size(); v++) {
            System.out.printf("%-24s first %7.1f ms   fifth %7.1f ms%n", names.get(v), Samples.median(firsts.get(v)), Samples.median(fifths.get(v)));
        }
    }
}
