package org.cardbridge.testing.vcard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * Virtual IsoApplet cards for this test JVM's own OpenSC (loaded in-process through PKCS#11), the way
 * {@code SoftHsm2.inProcess()} gives SoftHSM2 tokens. The fork's environment names the PC/SC socket
 * ({@code PCSCLITE_CSOCK_NAME}, set per fork in host/pom.xml, read by libpcsclite once); the first call
 * starts a private pcscd there. One card at a time sits in each of vpcd's two readers: {@link #claim()} (reader 0)
 * and {@link #claim(int)} take the reader's previous card out and personalise a fresh card with Debian's
 * pkcs15-init, exactly as a user's card would be. The tools are pointed at the card's reader ({@code --reader}),
 * so a second card never receives the first one's commands.
 *
 * <p>OpenSC reads a card's PKCS#15 objects when it first sees the card; changes made by the command-line
 * tools ({@link Card#importKey}, {@link Card#writeCertificate}) are followed by a quick pull and
 * re-insertion so the in-process module reads the card anew. Arrange a card before opening sessions on it.
 */
public final class VirtualCards {
    public static final String PIN = "123456";
    public static final String PUK = "0123456789abcdef";
    public static final String MODULE = Tool.OPENSC_PKCS11;
    private static VirtualCards inProcess;

    private final Pcscd pcscd;
    private final Card[] current = new Card[Pcscd.READERS];
    private int serial;

    private VirtualCards(Pcscd pcscd) {
        this.pcscd = pcscd;
    }

    /** True when this fork was given a PC/SC socket and pcscd, vpcd and OpenSC are installed. */
    public static boolean available() {
        return System.getenv(Pcscd.SOCKET_ENV) != null && Pcscd.available() && Files.isRegularFile(Path.of(MODULE));
    }

    public static synchronized VirtualCards inProcess() {
        if (inProcess == null) {
            String socket = System.getenv(Pcscd.SOCKET_ENV);
            if (socket == null) {
                throw new IllegalStateException(Pcscd.SOCKET_ENV + " is not set: run through Maven (host/pom.xml sets it per fork)");
            }
            try {
                Path path = Path.of(socket);
                inProcess = new VirtualCards(Pcscd.start(path.getParent(), path));
            } catch (IOException e) {
                throw new IllegalStateException("cannot start pcscd: " + e.getMessage(), e);
            }
        }
        return inProcess;
    }

    public Map<String, String> environment() {
        return pcscd.clientEnv();
    }

    public Pcscd pcscd() {
        return pcscd;
    }

    /** Takes out reader 0's previous card and inserts a freshly personalised one (PKCS#15, PIN, PUK; no keys). */
    public Card claim() {
        return claim(0);
    }

    /** The same in {@code readerIndex} (0 or 1; OpenSC numbers vpcd's readers in this order). */
    public synchronized Card claim(int readerIndex) {
        if (current[readerIndex] != null) {
            current[readerIndex].reader.remove();
        }
        serial++;
        IsoAppletCard card = new IsoAppletCard();
        VpcdCard reader = new VpcdCard(pcscd.port(readerIndex), card);
        String serialHex = String.format("CB%014d", ProcessHandle.current().pid() * 1000 + serial);
        // Polish letters exercise UTF-8 through OpenSC; short, because OpenSC appends " (User PIN)" within 32 bytes.
        String label = "Karta ąę " + serial;
        try {
            reader.insert();
            Tool.run(environment(), "pkcs15-init", "--reader", String.valueOf(readerIndex), "--create-pkcs15", "--so-pin", PIN, "--so-puk", PUK,
                    "--serial", serialHex, "--label", label).ok();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Card claimed = new Card(card, reader, readerIndex, serialHex, label);
        current[readerIndex] = claimed;
        claimed.reinsert();
        return claimed;
    }

    /** One personalised virtual card in one of vpcd's readers. */
    public final class Card {
        private final IsoAppletCard card;
        private final VpcdCard reader;
        private final int readerIndex;
        private final String serial;
        private final String label;

        Card(IsoAppletCard card, VpcdCard reader, int readerIndex, String serial, String label) {
            this.card = card;
            this.reader = reader;
            this.readerIndex = readerIndex;
            this.serial = serial;
            this.label = label;
        }

        /** The PC/SC (and OpenSC slot) name of the card's reader. */
        public String readerName() {
            return pcscd.readerName(readerIndex);
        }

        /** {@code --reader N} for OpenSC's tools: this card, whichever other card is present. */
        public String readerIndex() {
            return String.valueOf(readerIndex);
        }

        public IsoAppletCard card() {
            return card;
        }

        /** The reader side: pull, insert, fault injection, APDU log. */
        public VpcdCard reader() {
            return reader;
        }

        /** The serial pkcs15-init wrote; OpenSC reports it as the token serial. */
        public String serial() {
            return serial;
        }

        /** The card's label pkcs15-init wrote (OpenSC's token label adds the PIN's label). */
        public String label() {
            return label;
        }

        public String pin() {
            return PIN;
        }

        /**
         * Imports an RSA-2048 key pair under CKA_ID {@code id} with pkcs15-init (PUT DATA on the card), and
         * its certificate when {@code cert} is not null.
         */
        public void importKey(KeyPair keys, X509Certificate cert, byte[] id, String label) {
            try {
                Path dir = Files.createTempDirectory("vcard-import");
                Path key = dir.resolve("key.pem");
                Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n"
                        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(keys.getPrivate().getEncoded())
                        + "\n-----END PRIVATE KEY-----\n");
                Tool.run(environment(), "pkcs15-init", "--reader", readerIndex(), "--store-private-key", key.toString(), "--id",
                        HexFormat.of().formatHex(id), "--auth-id", "ff", "--pin", PIN, "--label", label,
                        "--key-usage", "sign,decrypt").ok();
                Files.delete(key);
                Files.delete(dir);
                if (cert != null) {
                    storeCertificate(cert, id, label);
                }
                reinsert();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** Writes a certificate (end-entity or CA) with pkcs15-init. */
        public void writeCertificate(X509Certificate cert, byte[] id, String label) {
            try {
                writeCertificate(cert.getEncoded(), id, label);
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The same from its DER, for certificates the JDK cannot parse (pkcs15-init reads them with OpenSSL). */
        public void writeCertificate(byte[] der, byte[] id, String label) {
            try {
                storeCertificate(der, id, label);
                reinsert();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        private void storeCertificate(X509Certificate cert, byte[] id, String label) throws IOException, InterruptedException {
            try {
                storeCertificate(cert.getEncoded(), id, label);
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException(e);
            }
        }

        private void storeCertificate(byte[] certificateDer, byte[] id, String label) throws IOException, InterruptedException {
            Path der = Files.createTempFile("vcard-cert", ".der");
            try {
                Files.write(der, certificateDer);
                Tool.run(environment(), "pkcs15-init", "--reader", readerIndex(), "--store-certificate", der.toString(), "--format", "der",
                        "--id", HexFormat.of().formatHex(id), "--auth-id", "ff", "--pin", PIN, "--label", label).ok();
            } finally {
                Files.deleteIfExists(der);
            }
        }

        /** Pull and insert again: OpenSC sees a changed card and reads its objects anew. */
        public void reinsert() {
            reader.remove();
            try {
                reader.insert();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
