package org.cardbridge.testing;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared fixtures do what they promise, seen through independent tools. */
class FixturesTest {

    @Test
    void softHsm2_importedKeyAndCertificate_areListedByPkcs11Tool() throws Exception {
        SoftHsm2.Token token = SoftHsm2.inProcess().claim();
        KeyPair keys = TestCa.rsa(2048);
        X509Certificate cert = new TestCa("Fixture").issue(keys.getPublic(), "CN=Zażółć Gęślą", 30);
        token.importKey(keys, cert, new byte[]{0x42}, "Klucz łódź");
        Process p = new ProcessBuilder("pkcs11-tool", "--module", SoftHsm2.MODULE, "--slot", Long.toString(token.slotId()),
                "--login", "--pin", token.pin(), "--list-objects").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        assertTrue(out.contains("Private Key Object"), out);
        assertTrue(out.contains("Certificate Object"), out);
        assertTrue(out.contains("ID:         42"), out);
    }

    @Test
    void xvfb_pinTypedWithXdotool_reachesTheRealSwingDialog() throws Exception {
        try (Xvfb x = Xvfb.start()) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Djava.awt.headless=false", "-cp", System.getProperty("java.class.path"),
                    DialogProbe.class.getName(), "pin", "PL", "FINAL_TRY").redirectErrorStream(true);
            pb.environment().putAll(x.environment());
            Process child = pb.start();
            try {
                XDoTool xdo = x.xdotool();
                String window = xdo.waitForWindow("CardBridge", Duration.ofSeconds(30));
                xdo.focus(window);
                xdo.type("4321");
                xdo.screenshot("fixture-pin-dialog-final-try");
                xdo.pressReturn();
                String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                child.waitFor();
                // sha256("4321")
                assertTrue(out.contains("pin-sha256 fe2592b42a727e977f055947385b709cc82b16b9a87f88c6abf3900d65d0cdc3"), out);
                assertTrue(Files.size(XDoTool.SCREENSHOTS.resolve("fixture-pin-dialog-final-try.png")) > 0);
            } finally {
                child.destroy();
            }
        }
    }
}
