package org.cardbridge.host;

import org.cardbridge.platform.UserDirs;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.policy.PolicyLoader;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The training run for the JDK's AOT cache (JEP 483/514), made at build time. It starts the host the
 * way {@link Main} does for a browser — {@link Main#run} with a browser's arguments, a policy file read
 * from disk, the log opened — and feeds it {@code hello}s, then, when the build gives it a PKCS#11 module
 * ({@value #MODULE_ENV}, a SoftHSM2 token the build made: {@code host/src/main/aot/training-token.sh}),
 * a page's first requests: {@code listTokens} and {@code listCertificates}, answered from that token. So
 * every class and lambda of a browser's first answer and of a page's first card answer is loaded and
 * linked from the cache. A class the training never loaded is read from its jar (inflated, parsed,
 * verified) at run time, and a lambda it never ran is spun (tens of ms). Whatever the training loads,
 * every start preloads, so nothing beyond those requests is trained: no login, no signature, no dialog.
 *
 * <p>The build sets {@code CARDBRIDGE_STATE_DIR} and {@code CARDBRIDGE_POLICY} to a scratch directory,
 * so the training never reads or writes the builder's own files.
 */
public final class AotTraining {
    /** The PKCS#11 module of the build's training token; unset: hellos only. */
    static final String MODULE_ENV = "CARDBRIDGE_AOT_MODULE";
    private static final String PAGE = "https://ca.example";
    private static final long ANSWER_TIMEOUT_MS = 60_000;

    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        String policy = System.getenv(PolicyLoader.ENV);
        if (policy == null || System.getenv(UserDirs.ENV) == null) {
            throw new IllegalStateException("set " + PolicyLoader.ENV + " and " + UserDirs.ENV + " to a scratch directory");
        }
        String module = System.getenv(MODULE_ENV);
        if (module != null && module.isBlank()) {
            module = null;
        }
        Files.createDirectories(Path.of(policy).toAbsolutePath().getParent());
        Files.writeString(Path.of(policy), "{\"origins\": [{\"origin\": \"" + PAGE + "\", \"allow\": [\"read\", \"sign\", \"enroll\"]}]"
                + (module == null ? "" : ", \"modules\": [\"" + module.replace("\\", "\\\\").replace("\"", "\\\"") + "\"]") + "}\n");
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        for (int i = 0; i < 50; i++) {
            // The extension's own hello (popup, watch) and a page's, in both languages.
            String origin = i % 2 == 0 ? "cardbridge:extension" : PAGE;
            String lang = i % 3 == 0 ? ",\"lang\":\"pl\"" : "";
            frame(frames, "{\"id\":\"" + i + "\",\"op\":\"hello\",\"origin\":\"" + origin + "\",\"params\":{}" + lang + "}");
        }
        // What a real start meets that the scratch directories would skip: the platform's state
        // location is worked out (not used), and the state directory exists already.
        UserDirs.platformState();
        Files.createDirectories(Path.of(System.getenv(UserDirs.ENV)));
        LaunchMode browser = LaunchMode.of(new String[]{ExtensionIds.CHROME_ORIGIN});
        if (module == null) {
            Main.run(browser, new ByteArrayInputStream(frames.toByteArray()), new ByteArrayOutputStream());
            return;
        }
        // A page's first requests: each is sent once the answer it depends on is out, as a page does.
        PipedOutputStream feed = new PipedOutputStream();
        PipedInputStream stdin = new PipedInputStream(feed, 1 << 16);
        Answers stdout = new Answers();
        Exception[] failure = new Exception[1];
        Thread page = new Thread(() -> {
            try (feed) {
                feed.write(frames.toByteArray());
                for (int round = 0; round < 3; round++) {
                    String lang = round == 1 ? ",\"lang\":\"pl\"" : "";
                    feed.write(frame("{\"id\":\"t" + round + "\",\"op\":\"listTokens\",\"origin\":\"" + PAGE + "\",\"params\":{}" + lang + "}"));
                    String tokens = stdout.await("\"id\":\"t" + round + "\"");
                    int at = tokens.indexOf("\"token\":\"");
                    if (at < 0) {
                        throw new IllegalStateException("the training token is not listed: " + tokens);
                    }
                    String token = tokens.substring(at + 9, tokens.indexOf('"', at + 9));
                    feed.write(frame("{\"id\":\"c" + round + "\",\"op\":\"listCertificates\",\"origin\":\"" + PAGE
                            + "\",\"params\":{\"token\":\"" + token + "\"}" + lang + "}"));
                    String certificates = stdout.await("\"id\":\"c" + round + "\"");
                    if (!certificates.contains("\"certificates\":[{")) {
                        throw new IllegalStateException("the training token's certificate is not listed: " + certificates);
                    }
                }
            } catch (Exception e) {
                failure[0] = e;
            }
        }, "aot-training-page");
        page.start();
        Main.run(browser, stdin, stdout);
        page.join();
        if (failure[0] != null) {
            throw failure[0];
        }
    }

    private static void frame(ByteArrayOutputStream out, String json) {
        out.writeBytes(frame(json));
    }

    private static byte[] frame(String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + body.length).order(ByteOrder.nativeOrder()).putInt(body.length).put(body).array();
    }

    /** The host's output, searched for an answer by the page thread. */
    private static final class Answers extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
            notifyAll();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
            notifyAll();
        }

        /** The output from the frame holding {@code marker} on, once it is there. */
        synchronized String await(String marker) throws InterruptedException {
            long end = System.currentTimeMillis() + ANSWER_TIMEOUT_MS;
            while (true) {
                String text = bytes.toString(StandardCharsets.UTF_8);
                int at = text.indexOf(marker);
                if (at >= 0) {
                    return text.substring(at);
                }
                long left = end - System.currentTimeMillis();
                if (left <= 0) {
                    throw new IllegalStateException("no answer with " + marker + " within " + ANSWER_TIMEOUT_MS + " ms: " + text);
                }
                wait(left);
            }
        }
    }
}
