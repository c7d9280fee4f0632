package org.cardbridge.host;

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
 * The training run for the JDK's AOT cache (JEP 483/514), made at build time: it goes through what
 * a browser's first message costs — policy, logging, JSON, framing, dispatch of {@code hello} — so
 * those classes are loaded and linked from the cache when a browser starts the host. It touches no
 * card and shows no dialog.
 */
public final class AotTraining {
    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path state = Files.createTempDirectory("cardbridge-aot");
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        for (int i = 0; i < 50; i++) {
            byte[] hello = ("{\"id\":\"" + i + "\",\"op\":\"hello\",\"origin\":\"https://ca.example\",\"lang\":\"pl\"}")
                    .getBytes(StandardCharsets.UTF_8);
            frames.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(hello.length).array());
            frames.write(hello);
        }
        // The same path a browser's start takes, with in-memory streams and a throw-away state directory.
        NativeHost.serve(LaunchMode.of(new String[]{ExtensionIds.CHROME_ORIGIN}), new ByteArrayInputStream(frames.toByteArray()),
                new ByteArrayOutputStream(), () -> {
                    throw new IllegalStateException("training shows no dialog");
                }, state, PolicyLoader.load(state.resolve("policy.json")));
    }
}
