package org.cardbridge.host;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.policy.Origin;
import org.cardbridge.policy.Policy;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.FrameReader;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Json;
import org.cardbridge.protocol.Lang;
import org.cardbridge.testing.SessionHarness;
import org.cardbridge.ui.Confirmation;
import org.cardbridge.ui.PinPrompt;
import org.cardbridge.ui.UserInterface;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * 100,000 random and mutated frames against the real session and operation table, in-process.
 * Fixed seed, so a failure reproduces. Every frame must get exactly one well-formed answer, with
 * the request's id whenever the frame parsed as a request, and the session must survive to the end.
 */
class HostFuzzTest {
    private static final long SEED = 0xCA4DB41D6EL;
    private static final int FRAMES = 100_000;
    private static final Set<String> CODES = EnumSet.allOf(ErrorCode.class).stream().map(Enum::name).collect(Collectors.toSet());

    private static final String JSON_CHARS = "{}[]\",:\\0-eE.9";
    private static final List<String> SEEDS = List.of(
            "{\"id\":\"1\",\"op\":\"hello\",\"origin\":\"https://ca.example\"}",
            "{\"id\":\"2\",\"op\":\"cancel\",\"origin\":\"https://ca.example\",\"params\":{\"id\":\"1\"}}",
            "{\"id\":\"3\",\"op\":\"listTokens\",\"origin\":\"https://ca.example\",\"params\":{},\"lang\":\"pl\"}",
            "{\"id\":\"4\",\"op\":\"listCertificates\",\"origin\":\"https://ca.example\",\"params\":{\"token\":\"t1\"}}",
            "{\"id\":\"5\",\"op\":\"sign\",\"origin\":\"https://ca.example\",\"params\":{\"certificate\":\"c1\",\"hash\":\"AAAA\",\"hashAlgorithm\":\"SHA-256\",\"format\":\"raw\",\"description\":\"x\"}}",
            "{\"id\":\"6\",\"op\":\"generateKeyPair\",\"origin\":\"https://ca.example\",\"params\":{\"token\":\"t1\",\"algorithm\":\"EC-P256\",\"label\":\"ł\"}}",
            "{\"id\":\"7\",\"op\":\"installCertificate\",\"origin\":\"https://ca.example\",\"params\":{\"certificates\":[\"MIIB\"],\"replaces\":\"c1\"}}");

    /** A user who refuses every dialog, so fuzzed requests can never touch a card. */
    static final class Refuser implements UserInterface {
        public ReadConsent askReadConsent(Origin o, Lang l, Duration t) { return new ReadConsent(false, false); }
        public void confirm(Confirmation c, Lang l, Duration t) { throw new HostException(ErrorCode.USER_CANCELLED, "no"); }
        public char[] askPin(PinPrompt p, Lang l, Duration t) { throw new HostException(ErrorCode.USER_CANCELLED, "no"); }
        public AutoCloseable showPinPadNotice(PinPrompt p, Lang l) { throw new HostException(ErrorCode.USER_CANCELLED, "no"); }
        public void changePin(org.cardbridge.ui.PinChange c, Lang l, Duration t, org.cardbridge.ui.PinChangeCheck k) {
            throw new HostException(ErrorCode.USER_CANCELLED, "no");
        }
    }

    @TempDir
    Path state;

    @Test
    void hundredThousandFrames_eachGetsOneWellFormedAnswer() throws Exception {
        Random random = new Random(SEED);
        byte[][] frames = new byte[FRAMES][];
        for (int i = 0; i < FRAMES; i++) {
            frames[i] = frame(random, i);
        }
        try (SessionHarness host = new SessionHarness(pending -> Operations.standard(pending, noModules()), Policy.empty(), new Refuser(), state, List.of(),
                FrameReader.DEFAULT_MAX_INCOMING)) {
            CompletableFuture<Void> writer = new CompletableFuture<>();
            Thread.ofPlatform().name("fuzz-writer").daemon().start(() -> {
                try {
                    for (byte[] f : frames) {
                        host.sendRaw(f);
                    }
                    writer.complete(null);
                } catch (IOException e) {
                    writer.completeExceptionally(e);
                }
            });
            for (int i = 0; i < FRAMES; i++) {
                checkWellFormed(host.receive());
            }
            writer.get(60, TimeUnit.SECONDS);
            assertEquals(HostSession.EXIT_OK, host.closeInput(), "the session survived every frame");
        }
    }

    @Test
    void parsedRequests_areAnsweredWithTheirOwnId() throws Exception {
        Random random = new Random(SEED + 1);
        try (SessionHarness host = new SessionHarness(pending -> Operations.standard(pending, noModules()), Policy.empty(), new Refuser(), state, List.of(),
                FrameReader.DEFAULT_MAX_INCOMING)) {
            for (int i = 0; i < 2_000; i++) {
                String id = "q" + i;
                String op = random.nextBoolean() ? "hello" : randomAscii(random, 1 + random.nextInt(12));
                host.send("{\"id\":\"" + id + "\",\"op\":\"" + op + "\",\"origin\":\"" + randomOrigin(random) + "\",\"params\":{\"" + randomAscii(random, 3) + "\":" + random.nextInt() + "}}");
                JsonNode answer = host.answerTo(id);
                checkWellFormed(answer);
            }
        }
    }

    @Test
    void randomByteStreams_neverEscapeTheFrameReader() {
        Random random = new Random(SEED + 2);
        for (int i = 0; i < 5_000; i++) {
            byte[] bytes = new byte[random.nextInt(64)];
            random.nextBytes(bytes);
            FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes), 32);
            try {
                while (reader.read() != null) {
                    // keep reading until the end or a typed failure
                }
            } catch (EOFException | HostException expected) {
                // the two ways a broken stream may end
            } catch (Exception e) {
                fail("unexpected " + e);
            }
        }
    }

    private static void checkWellFormed(JsonNode m) {
        assertTrue(m.isObject(), "an answer is an object");
        assertTrue(m.has("id") && (m.get("id").isTextual() || m.get("id").isNull()), () -> "id is a string or null: " + m);
        assertTrue(m.has("result") ^ m.has("error"), () -> "exactly one of result and error: " + m);
        if (m.has("error")) {
            JsonNode e = m.get("error");
            assertTrue(CODES.contains(e.path("code").asText()), () -> "a known code: " + m);
            assertTrue(e.path("message").isTextual() && e.path("details").isObject(), () -> "message and details: " + m);
        }
        assertEquals(2, m.size(), () -> "no stray fields: " + m);
    }

    private static byte[] frame(Random r, int i) {
        return switch (r.nextInt(6)) {
            case 0 -> {
                byte[] b = new byte[r.nextInt(200)];
                r.nextBytes(b);
                yield b;
            }
            case 1 -> randomJson(r, 0).getBytes(StandardCharsets.UTF_8);
            default -> mutate(r, SEEDS.get(r.nextInt(SEEDS.size())).replace("\"id\":\"", "\"id\":\"f" + i + "-")
                    .getBytes(StandardCharsets.UTF_8));
        };
    }

    private static byte[] mutate(Random r, byte[] seed) {
        byte[] b = Arrays.copyOf(seed, seed.length);
        int mutations = 1 + r.nextInt(4);
        for (int m = 0; m < mutations && b.length > 0; m++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(5)) {
                case 0 -> b[at] = (byte) r.nextInt(256);
                case 1 -> b = Arrays.copyOf(b, at);
                case 2 -> {
                    byte[] longer = new byte[b.length + 1];
                    System.arraycopy(b, 0, longer, 0, at);
                    longer[at] = (byte) JSON_CHARS.charAt(r.nextInt(JSON_CHARS.length()));
                    System.arraycopy(b, at, longer, at + 1, b.length - at);
                    b = longer;
                }
                case 3 -> b[at] = (byte) JSON_CHARS.charAt(r.nextInt(8));
                default -> {
                    // Swap a value for one of another type, keeping the JSON valid more often than byte noise does.
                    String s = new String(b, StandardCharsets.UTF_8);
                    b = s.replaceFirst(":\"[^\"]*\"", ":" + List.of("1", "null", "true", "[]", "{}", "\"\"", "-0.5e9", "\"\\u0000\"").get(r.nextInt(8)))
                            .getBytes(StandardCharsets.UTF_8);
                }
            }
        }
        return b;
    }

    private static String randomJson(Random r, int depth) {
        return switch (depth > 3 ? r.nextInt(4) : r.nextInt(6)) {
            case 0 -> String.valueOf(r.nextLong());
            case 1 -> "\"" + randomAscii(r, r.nextInt(10)) + "\"";
            case 2 -> List.of("true", "false", "null").get(r.nextInt(3));
            case 3 -> String.valueOf(r.nextDouble());
            case 4 -> {
                StringBuilder sb = new StringBuilder("[");
                for (int i = r.nextInt(4); i > 0; i--) {
                    sb.append(randomJson(r, depth + 1)).append(i > 1 ? "," : "");
                }
                yield sb.append(']').toString();
            }
            default -> {
                StringBuilder sb = new StringBuilder("{");
                List<String> keys = List.of("id", "op", "origin", "params", "lang", randomAscii(r, 4));
                int n = r.nextInt(6);
                for (int i = 0; i < n; i++) {
                    sb.append('"').append(keys.get(r.nextInt(keys.size()))).append("\":").append(randomJson(r, depth + 1)).append(i < n - 1 ? "," : "");
                }
                yield sb.append('}').toString();
            }
        };
    }

    private static String randomOrigin(Random r) {
        return List.of("https://ca.example", "http://ca.example", "https://x", "cardbridge:extension", "null", "", "https://ca.example:99999")
                .get(r.nextInt(7)).replace("cardbridge:extension", "https://" + randomAscii(r, 5).toLowerCase() + ".example");
    }

    private static String randomAscii(Random r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append((char) ('a' + r.nextInt(26)));
        }
        return sb.toString();
    }

    /** The token layer is not what this test is about: no module, token operations answer MODULE_NOT_FOUND. */
    private static org.cardbridge.token.TokenManager noModules() {
        return new org.cardbridge.token.TokenManager(List.of(), org.cardbridge.token.WrapperPkcs11::load);
    }
}
