package org.cardbridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.host.Operations;
import org.cardbridge.policy.Policy;
import org.cardbridge.policy.PolicyLoader;
import org.cardbridge.testing.ScriptedUserInterface;
import org.cardbridge.testing.SessionHarness;
import org.cardbridge.testing.SoftHsm2;
import org.cardbridge.testing.TestCa;
import org.cardbridge.token.TokenManager;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code sign} per request against a direct SunPKCS11 {@code Signature} (sign, then verify with the
 * certificate's key, as the host does) on the same SoftHSM2 RSA-2048 key, in the same JVM run and rounds; and
 * an attached CMS signature of ~700 KB (a ~1 MiB frame each way). The host runs in this JVM over real pipes
 * ({@link SessionHarness}: framing, the JSON reader and writer, the dispatcher, the worker thread, the token
 * layer), and a {@code hello} per sign in the same rounds (what a request costs without the card), with the
 * shipped JVM options given to this JVM by host/bench/run.sh; its windows are answered at once
 * by a script (a signature always has its own window in the shipped host, so through the real launcher the
 * person's reading time would be all one measured). Not a test: results go to docs/benchmarks.md.
 *
 * <pre>SOFTHSM2_CONF=/tmp/x/softhsm2.conf java [shipped options] ... org.cardbridge.bench.SignBenchmark ROUNDS</pre>
 *
 * <p>{@code SOFTHSM2_CONF} must be set for this JVM (SunPKCS11 and the host both read it); the store is made in
 * its directory.
 */
public final class SignBenchmark {
    private static final String ORIGIN = Samples.ORIGIN;
    private static final int PER_ROUND = 20;

    private SignBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf == null) {
            throw new IllegalStateException("set SOFTHSM2_CONF (host/bench/run.sh does)");
        }
        Path dir = Path.of(conf).getParent();
        SoftHsm2 store = SoftHsm2.create(dir, List.of("Karta Żółta"), "123456");
        SoftHsm2.Token token = store.tokens().getFirst();
        KeyPair keys = TestCa.rsa(2048);
        X509Certificate cert = new TestCa("Bench CA").issue(keys.getPublic(), "CN=Anna Nowak,C=PL", 365);
        token.importKey(keys, cert, new byte[]{0x31}, "Podpis");

        // Direct: SunPKCS11 on the same token and key.
        Provider p11 = Security.getProvider("SunPKCS11").configure("--name=bench\nlibrary=" + SoftHsm2.MODULE
                + "\nslot=" + token.slotId() + "\n");
        KeyStore ks = KeyStore.getInstance("PKCS11", p11);
        ks.load(null, "123456".toCharArray());
        PrivateKey direct = null;
        for (String alias : Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(alias)) {
                direct = (PrivateKey) ks.getKey(alias, null);
            }
        }
        if (direct == null) {
            throw new IllegalStateException("SunPKCS11 sees no private key");
        }
        PublicKey publicKey = cert.getPublicKey();
        byte[] document = "Wniosek o odnowienie certyfikatu kwalifikowanego. ".repeat(20).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] large = new byte[700 * 1024];
        new java.util.Random(1).nextBytes(large);

        Path policy = dir.resolve("policy.json");
        Files.writeString(policy, """
                {"origins": [{"origin": "%s", "allow": ["read", "sign", "enroll"]}], "modules": ["%s"]}
                """.formatted(ORIGIN, SoftHsm2.MODULE));
        Policy loaded = PolicyLoader.load(policy).policy();
        TokenManager tokens = TokenManager.standard(loaded);
        Map<String, List<Double>> samples = new LinkedHashMap<>();
        try (SessionHarness host = new SessionHarness(pending -> Operations.standard(pending, tokens), loaded,
                new ScriptedUserInterface("123456"), dir.resolve("state"), List.of(tokens), 8 << 20)) {
            int[] id = {0};
            JsonNode listed = call(host, id, "listTokens", "{}");
            String tokenHandle = listed.path("tokens").get(0).path("token").asText();
            String certHandle = call(host, id, "listCertificates", "{\"token\":\"" + tokenHandle + "\"}")
                    .path("certificates").get(0).path("handle").asText();
            String small = signParams(certHandle, document, "raw", true);
            String cms = signParams(certHandle, large, "cms", false);
            call(host, id, "sign", small); // the login (PIN once for the connection)
            for (int round = 0; round < rounds + 1; round++) {
                boolean keep = round >= 1;
                for (int i = 0; i < PER_ROUND; i++) {
                    long t0 = System.nanoTime();
                    call(host, id, "sign", small);
                    Samples.record(samples, "host sign (raw, 1 KB data), per request", keep, (System.nanoTime() - t0) / 1e6);
                    t0 = System.nanoTime();
                    Signature s = Signature.getInstance("SHA256withRSA", p11);
                    s.initSign(direct);
                    s.update(document);
                    byte[] sig = s.sign();
                    Signature v = Signature.getInstance("SHA256withRSA");
                    v.initVerify(publicKey);
                    v.update(document);
                    if (!v.verify(sig)) {
                        throw new IllegalStateException("direct signature does not verify");
                    }
                    Samples.record(samples, "direct SunPKCS11 sign + verify", keep, (System.nanoTime() - t0) / 1e6);
                    // Where the rest goes: a request that touches no card, over the same pipes, dispatcher and worker.
                    t0 = System.nanoTime();
                    call(host, id, "hello", "{}");
                    Samples.record(samples, "host hello (no card), per request", keep, (System.nanoTime() - t0) / 1e6);
                }
                long t0 = System.nanoTime();
                JsonNode signed = call(host, id, "sign", cms);
                Samples.record(samples, "host CMS of 700 KB (attached), per request", keep, (System.nanoTime() - t0) / 1e6);
                if (signed.path("signature").asText().length() < large.length) {
                    throw new IllegalStateException("the CMS does not hold the data");
                }
            }
        }
        System.out.printf("machine: %d cores, load average %s; %d rounds of %d sign requests and one 700 KB CMS each (after 1 warm-up round)%n",
                Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim(), rounds, PER_ROUND);
        System.out.printf("JVM options: %s%n", String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
                .stream().filter(a -> a.startsWith("-XX") || a.startsWith("-Xss")).toList()));
        double directMs = Samples.median(samples.get("direct SunPKCS11 sign + verify"));
        System.out.printf("%-46s %8s %8s %8s %6s %9s%n", "measure", "median", "min", "max", "n", "× direct");
        for (Map.Entry<String, List<Double>> e : samples.entrySet()) {
            List<Double> s = new ArrayList<>(e.getValue());
            Collections.sort(s);
            System.out.printf("%-46s %8.2f %8.2f %8.2f %6d %9.2f%n", e.getKey() + " ms", Samples.median(s), s.getFirst(), s.getLast(), s.size(),
                    Samples.median(s) / directMs);
        }
        System.out.println("goals: host sign <= 1.2 x direct sign + verify; CMS of ~700 KB (1 MiB frames) <= 15 ms");
    }

    private static String signParams(String certificate, byte[] data, String format, boolean detached) {
        return "{\"certificate\":\"" + certificate + "\",\"data\":\"" + Base64.getEncoder().encodeToString(data)
                + "\",\"format\":\"" + format + "\"" + (format.equals("cms") ? ",\"detached\":" + detached : "")
                + ",\"description\":\"Wniosek\"}";
    }

    private static JsonNode call(SessionHarness host, int[] id, String op, String params) throws Exception {
        String rid = Integer.toString(++id[0]);
        host.send("{\"id\":\"" + rid + "\",\"op\":\"" + op + "\",\"origin\":\"" + ORIGIN + "\",\"params\":" + params + "}");
        JsonNode answer = host.answerTo(rid);
        if (!answer.has("result")) {
            throw new IllegalStateException(op + ": " + answer);
        }
        return answer.path("result");
    }
}
