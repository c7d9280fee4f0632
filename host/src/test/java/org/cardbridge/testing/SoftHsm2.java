package org.cardbridge.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SoftHSM2 token stores made by tests, in temporary directories, with Debian's own tools:
 * {@code softhsm2-util} initialises tokens and imports keys, OpenSC's {@code pkcs11-tool} writes
 * certificates.
 *
 * <p>SoftHSM2 reads {@code SOFTHSM2_CONF} and scans its token directory once, at the module's
 * {@code C_Initialize}: tokens made later are invisible to a process that already loaded it (objects
 * added to an existing token are seen). So there are two kinds of store:
 * <ul>
 *   <li>{@link #inProcess()} — the store this test JVM's own PKCS#11 code sees. Its config path is the
 *   {@code SOFTHSM2_CONF} surefire/failsafe set for the fork (host/pom.xml); at first use it writes the
 *   config and makes a pool of tokens, all before anything loads the module; tests {@link #claim()} a
 *   fresh token each. Call it before the code under test touches PKCS#11.</li>
 *   <li>{@link #create(Path, List)} — an independent store for child processes (the launched host), which
 *   get {@link #environment()}.</li>
 * </ul>
 * Slot ids are random: look them up ({@link Token#slotId()}), never index them. Every token label holds
 * Polish characters so that UTF-8 handling is exercised everywhere.
 */
public final class SoftHsm2 {
    public static final String PIN = "123456";
    public static final String SO_PIN = "12345678";
    public static final String MODULE = findModule();
    private static final int POOL = Integer.getInteger("cardbridge.softhsm.pool", 240);
    private static final Pattern REASSIGNED = Pattern.compile("reassigned to slot (\\d+)");
    private static SoftHsm2 inProcess;

    private final Path conf;
    private final String pin;
    private final List<Token> tokens = new ArrayList<>();
    private int claimed;

    private SoftHsm2(Path conf, String pin) {
        this.conf = conf;
        this.pin = pin;
    }

    /** A SoftHSM2 token: its label, slot id and PIN. */
    public final class Token {
        private final String label;
        private final long slotId;

        Token(String label, long slotId) {
            this.label = label;
            this.slotId = slotId;
        }

        public String label() {
            return label;
        }

        public long slotId() {
            return slotId;
        }

        public String pin() {
            return pin;
        }

        /**
         * Imports a key pair (private + public key objects) with {@code softhsm2-util --import} and, when
         * {@code cert} is not null, its certificate with {@code pkcs11-tool --write-object}, all under
         * CKA_ID {@code id} and CKA_LABEL {@code objectLabel}.
         */
        public void importKey(KeyPair keys, X509Certificate cert, byte[] id, String objectLabel) {
            try {
                Path dir = Files.createTempDirectory(conf.getParent(), "import");
                Path key = dir.resolve("key.pem");
                Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n"
                        + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(keys.getPrivate().getEncoded())
                        + "\n-----END PRIVATE KEY-----\n");
                String hex = HexFormat.of().formatHex(id);
                run(List.of("softhsm2-util", "--import", key.toString(), "--token", label, "--label", objectLabel,
                        "--id", hex, "--pin", pin));
                if (cert != null) {
                    writeCertificate(cert, id, objectLabel);
                }
                Files.delete(key);
                Files.delete(dir);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Writes a certificate object only (an end-entity or a CA certificate) with {@code pkcs11-tool}. */
        public void writeCertificate(X509Certificate cert, byte[] id, String objectLabel) {
            try {
                writeCertificate(cert.getEncoded(), id, objectLabel);
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The same from its DER, for certificates the JDK cannot parse (pkcs11-tool reads them with OpenSSL). */
        public void writeCertificate(byte[] certificateDer, byte[] id, String objectLabel) {
            try {
                Path der = Files.createTempFile(conf.getParent(), "cert", ".der");
                Files.write(der, certificateDer);
                run(List.of("pkcs11-tool", "--module", MODULE, "--slot", Long.toString(slotId), "--login", "--pin", pin,
                        "--write-object", der.toString(), "--type", "cert", "--id", HexFormat.of().formatHex(id),
                        "--label", objectLabel));
                Files.delete(der);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String toString() {
            return label + " (slot " + slotId + ")";
        }
    }

    /** The store of this JVM (see the class comment); made with a pool of tokens at first call. */
    public static synchronized SoftHsm2 inProcess() {
        if (inProcess == null) {
            String confVar = System.getenv("SOFTHSM2_CONF");
            if (confVar == null) {
                throw new IllegalStateException("SOFTHSM2_CONF is not set: run through Maven (host/pom.xml sets it per fork)");
            }
            Path conf = Path.of(confVar);
            List<String> labels = new ArrayList<>();
            for (int i = 1; i <= POOL; i++) {
                labels.add(String.format("Żółw testowy %02d", i));
            }
            inProcess = make(conf, labels, PIN);
        }
        return inProcess;
    }

    /** A fresh store in {@code dir} with one token per label, for child processes. */
    public static SoftHsm2 create(Path dir, List<String> labels) {
        return create(dir, labels, PIN);
    }

    /** The same with a user PIN of the test's choosing (a distinctive one, for tests that look for leaks). */
    public static SoftHsm2 create(Path dir, List<String> labels, String pin) {
        return make(dir.resolve("softhsm2.conf"), labels, pin);
    }

    private static SoftHsm2 make(Path conf, List<String> labels, String pin) {
        try {
            Files.createDirectories(conf.getParent());
            Path tokenDir = Files.createTempDirectory(conf.getParent(), "tokens");
            Files.writeString(conf, "directories.tokendir = " + tokenDir + "\nobjectstore.backend = file\n"
                    + "log.level = ERROR\nslots.removable = false\n", StandardCharsets.UTF_8);
            SoftHsm2 store = new SoftHsm2(conf, pin);
            for (String label : labels) {
                String out = store.run(List.of("softhsm2-util", "--init-token", "--free", "--label", label,
                        "--pin", pin, "--so-pin", SO_PIN));
                Matcher m = REASSIGNED.matcher(out);
                if (!m.find()) {
                    throw new IllegalStateException("softhsm2-util did not say the slot: " + out);
                }
                store.tokens.add(store.new Token(label, Long.parseLong(m.group(1))));
            }
            return store;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The next token of the pool no test of this JVM has had yet. */
    public synchronized Token claim() {
        if (claimed == tokens.size()) {
            throw new IllegalStateException("SoftHSM2 pool exhausted (" + tokens.size()
                    + " tokens); raise -Dcardbridge.softhsm.pool");
        }
        return tokens.get(claimed++);
    }

    public List<Token> tokens() {
        return List.copyOf(tokens);
    }

    public Path config() {
        return conf;
    }

    /** Environment for a child process that should see this store. */
    public Map<String, String> environment() {
        return Map.of("SOFTHSM2_CONF", conf.toString());
    }

    private String run(List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(command.get(0) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static String findModule() {
        for (String p : List.of("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so")) {
            if (Files.isReadable(Path.of(p))) {
                return p;
            }
        }
        return "/usr/lib/softhsm/libsofthsm2.so";
    }
}
