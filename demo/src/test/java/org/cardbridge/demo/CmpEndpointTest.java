package org.cardbridge.demo;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The demo CA's CMP endpoint against OpenSSL's independent CMP client ({@code openssl cmp -cmd kur}): the
 * client renews a certificate of this CA (kur → kup → certConf → pkiConf) over HTTP on loopback.
 */
class CmpEndpointTest {
    @TempDir
    Path dir;
    DemoCa demo;
    DemoServer server;

    @BeforeEach
    void start() throws Exception {
        if (System.getenv("CI") == null) {
            assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is not installed");
        }
        demo = DemoCa.open(dir, Clock.systemUTC());
        server = new DemoServer(demo, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null).start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void opensslKur_withACertificateOfThisCa_isRenewedAndConfirmed() throws Exception {
        CertificateAuthority ca = demo.renewals().ca();
        KeyPair oldKeys = ec();
        X500Name subject = new X500Name("C=PL,O=Łódzka Spółka,CN=Jan Kowalski");
        X509Certificate old = ca.issue(subject, SubjectPublicKeyInfo.getInstance(oldKeys.getPublic().getEncoded()),
                Instant.now().minus(Duration.ofDays(300)), Instant.now().plus(Duration.ofDays(30)));
        KeyPair newKeys = ec();
        Run run = kur(old, oldKeys, newKeys);
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("received KUP") && run.output().contains("received PKICONF"), run.output());

        X509Certificate renewed = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("out.pem"))));
        assertArrayEquals(newKeys.getPublic().getEncoded(), renewed.getPublicKey().getEncoded());
        assertEquals(old.getSubjectX500Principal(), renewed.getSubjectX500Principal());
        assertTrue(ca.issued(renewed));
        assertNotEquals(old.getSerialNumber(), renewed.getSerialNumber());
    }

    @Test
    void opensslKur_signedWithACertificateOfAnotherCa_isRefusedWithAReason() throws Exception {
        CertificateAuthority other = CertificateAuthority.create(Instant.now());
        KeyPair oldKeys = ec();
        X509Certificate foreign = other.issue(new X500Name("C=PL,CN=Obcy"), SubjectPublicKeyInfo.getInstance(oldKeys.getPublic().getEncoded()),
                Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(30)));
        Run run = kur(foreign, oldKeys, ec());
        assertNotEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("not signed with a valid certificate of this CA"), run.output());
        assertFalse(Files.exists(dir.resolve("out.pem")));
    }

    record Run(int exit, String output) {
    }

    private Run kur(X509Certificate old, KeyPair oldKeys, KeyPair newKeys) throws Exception {
        Path cert = write("old.pem", pem("CERTIFICATE", old.getEncoded()));
        Path key = write("old.key", pem("PRIVATE KEY", oldKeys.getPrivate().getEncoded()));
        Path newKey = write("new.key", pem("PRIVATE KEY", newKeys.getPrivate().getEncoded()));
        Path trusted = write("root.pem", pem("CERTIFICATE", demo.renewals().ca().root().getEncoded()));
        List<String> command = new ArrayList<>(List.of("openssl", "cmp", "-cmd", "kur",
                "-server", "127.0.0.1:" + server.port(), "-path", "cmp",
                "-cert", cert.toString(), "-key", key.toString(), "-trusted", trusted.toString(),
                "-newkey", newKey.toString(), "-certout", dir.resolve("out.pem").toString(), "-msg_timeout", "60"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), output);
    }

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.US_ASCII);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }
}
