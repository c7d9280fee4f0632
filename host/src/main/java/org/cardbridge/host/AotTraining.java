package org.cardbridge.host;

import org.cardbridge.platform.UserDirs;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.policy.PolicyLoader;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The training run for the JDK's AOT cache (JEP 483/514), made at build time. It starts the host the
 * way {@link Main} does for a browser — {@link Main#run} with a browser's arguments, a policy file read
 * from disk, the log opened — and feeds it {@code hello}s, so every class and lambda of a browser's
 * first answer is loaded and linked from the cache. A class the training never loaded is read from its
 * jar (inflated, parsed, verified) at run time, and a lambda it never ran is spun (tens of ms). Only
 * what a {@code hello} needs is trained: whatever the training loads, every start preloads. It
 * touches no card and shows no dialog.
 *
 * <p>The build sets {@code CARDBRIDGE_STATE_DIR} and {@code CARDBRIDGE_POLICY} to a scratch directory,
 * so the training never reads or writes the builder's own files.
 */
public final class AotTraining {
    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        String policy = System.getenv(PolicyLoader.ENV);
        if (policy == null || System.getenv(UserDirs.ENV) == null) {
            throw new IllegalStateException("set " + PolicyLoader.ENV + " and " + UserDirs.ENV + " to a scratch directory");
        }
        Files.createDirectories(Path.of(policy).toAbsolutePath().getParent());
        Files.writeString(Path.of(policy), """
                {"origins": [{"origin": "https://ca.example", "allow": ["read", "sign", "enroll"]}]}
                """);
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        for (int i = 0; i < 50; i++) {
            // The extension's own hello (popup, watch) and a page's, in both languages.
            String origin = i % 2 == 0 ? "cardbridge:extension" : "https://ca.example";
            String lang = i % 3 == 0 ? ",\"lang\":\"pl\"" : "";
            byte[] hello = ("{\"id\":\"" + i + "\",\"op\":\"hello\",\"origin\":\"" + origin + "\",\"params\":{}" + lang + "}")
                    .getBytes(StandardCharsets.UTF_8);
            frames.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(hello.length).array());
            frames.write(hello);
        }
        // What a real start meets that the scratch directories would skip: the platform's state
        // location is worked out (not used), and the state directory exists already.
        UserDirs.platformState();
        Files.createDirectories(Path.of(System.getenv(UserDirs.ENV)));
        Main.run(LaunchMode.of(new String[]{ExtensionIds.CHROME_ORIGIN}), new ByteArrayInputStream(frames.toByteArray()), new ByteArrayOutputStream());
    }
}
