package org.cardbridge.bench;

import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the benchmarks share: their samples and medians, and the SoftHSM2 card the host is measured on. */
final class Samples {
    static final String ORIGIN = "https://ca.example";

    private Samples() {
    }

    /** Adds a measurement to the named series, unless the round is a warm-up ({@code keep} false). */
    static void record(Map<String, List<Double>> samples, String name, boolean keep, double value) {
        if (keep) {
            samples.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
    }

    /** The median; the mean of the two middle values for an even count. */
    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /**
     * A SoftHSM2 card ("Karta Żółta", PIN 123456, one RSA-2048 key and certificate) in a fresh directory, and a
     * policy allowing {@link #ORIGIN} everything; returns the environment a host needs to use both.
     */
    static Map<String, String> cardAndPolicy(String name) throws Exception {
        Path dir = Files.createTempDirectory(name);
        SoftHsm2 store = SoftHsm2.create(dir.resolve("softhsm"), List.of("Karta Żółta"), "123456");
        KeyPair keys = TestCa.rsa(2048);
        store.tokens().getFirst().importKey(keys, new TestCa("Bench CA").issue(keys.getPublic(), "CN=Anna Nowak,C=PL", 365),
                new byte[]{0x31}, "Podpis");
        Path policy = dir.resolve("policy.json");
        Files.writeString(policy, """
                {"origins": [{"origin": "%s", "allow": ["read", "sign", "enroll"]}], "modules": ["%s"]}
                """.formatted(ORIGIN, SoftHsm2.MODULE));
        Map<String, String> env = new HashMap<>(store.environment());
        env.put("CARDBRIDGE_POLICY", policy.toString());
        env.put("CARDBRIDGE_STATE_DIR", dir.resolve("state").toString());
        return env;
    }
}
