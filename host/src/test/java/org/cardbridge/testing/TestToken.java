package org.cardbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import org.cardbridge.testing.vcard.Fault;
import org.cardbridge.testing.vcard.Tool;
import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.token.Ck;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.Pkcs11Error;
import org.cardbridge.token.WrapperPkcs11;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A token for the token-operation tests, whatever the backend: a SoftHSM2 token, or a virtual IsoApplet
 * card in a vpcd reader driven by OpenSC (the path a user's card takes). Tests take one per backend from
 * {@link #backends()} and run the same steps on each; what only a card can do (being pulled out, locking
 * its PIN) is offered by {@link #card()}, and {@link #pullAt} stands a failing call in for a pull on
 * SoftHSM2.
 *
 * <p>What differs between the backends as a fact (the label OpenSC builds, the algorithms the card has) is
 * stated here once; the independent look at the token ({@link #objects()}) uses each backend's own tool,
 * never the host's code.
 */
public interface TestToken {
    List<String> SOFTHSM2_ALGORITHMS = List.of("RSA-2048", "RSA-3072", "RSA-4096", "EC-P256", "EC-P384");
    /** OpenSC 0.23's isoApplet driver generates RSA-2048 only; the card reports no ECC. */
    List<String> CARD_ALGORITHMS = List.of("RSA-2048");

    /** A backend for {@code @MethodSource}: its name (the test's display name), what it generates, and a maker. */
    record Backend(String name, List<String> algorithms, Supplier<TestToken> make) implements Supplier<TestToken> {
        /** A fresh token of this backend. */
        public TestToken get() {
            return make.get();
        }

        @Override
        public String toString() {
            return name;
        }
    }
    /** "SoftHSM2" or "OpenSC + IsoApplet card": shown in test names. */
    String backend();

    /** The PKCS#11 library the host loads for it. */
    String module();

    String pin();

    /** The token label as the module reports it (OpenSC appends the PIN's label to the card's). */
    String label();

    /** CK_TOKEN_INFO's manufacturerID (the card's TokenInfo has none: OpenSC says "unknown"). */
    String manufacturer();

    /** The key algorithms listTokens must report for this token. */
    List<String> algorithms();

    /** The quickest algorithm it generates, for tests that are not about the algorithm. */
    String keyAlgorithm();

    /** True when the module's token info is this token's (label for SoftHSM2, serial for a card). */
    boolean is(Pkcs11.TokenInfo info);

    /** Imports a key pair (and its certificate when not null) under CKA_ID {@code id}; use RSA-2048 for cards. */
    void importKey(KeyPair keys, X509Certificate cert, byte[] id, String label);

    void writeCertificate(X509Certificate cert, byte[] id, String label);

    /** Writes a certificate from its DER with the backend's own tool: for certificates the JDK cannot parse. */
    void writeCertificate(byte[] der, byte[] id, String label);

    /** The card behind the token, for hot-plug, PIN-lock and fault-injection tests; empty for SoftHSM2. */
    Optional<VirtualCards.Card> card();

    /**
     * Every object on the token as the backend's own tool lists it, read in a separate process: SoftHSM2's
     * objects through {@code pkcs11-tool --login}, the card's PKCS#15 directory through {@code pkcs15-tool --dump}
     * (which needs no PIN, so it cannot disturb the host's login).
     */
    String objects();

    /**
     * Makes the token go away during the next {@code call} (a PKCS#11 function name) of {@code host}: the
     * card is pulled out at its first APDU with INS {@code ins}; SoftHSM2, which cannot be pulled, fails the
     * call with CKR_DEVICE_REMOVED.
     */
    default void pullAt(InProcessHost host, String call, int ins) {
        if (card().isPresent()) {
            card().get().reader().fault(Fault.pullAt(Fault.ins(ins), 1, false));
        } else {
            host.module().failOn(call, 1, Ck.CKR_DEVICE_REMOVED, FaultInjectingPkcs11.When.BEFORE);
        }
    }

    /** Ends {@link #pullAt}: the card goes back in; SoftHSM2's calls work again. */
    default void putBack(InProcessHost host) {
        host.module().noFailure();
        card().ifPresent(c -> {
            c.reader().fault(Fault.NONE);
            try {
                c.reader().insert();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The token's handle in {@code host}'s listTokens, waiting for a card just inserted to show. */
    default String handle(InProcessHost host) {
        return present(host).path("token").asText();
    }

    /** This token's entry in {@code host}'s listTokens, waiting up to 10 s for a card just inserted. */
    default JsonNode present(InProcessHost host) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        do {
            for (JsonNode tok : host.call("listTokens", "{}").path("tokens")) {
                if (tok.path("present").asBoolean() && !tok.path("token").isNull() && is(new Pkcs11.TokenInfo(
                        tok.path("label").asText(), tok.path("manufacturer").asText(), tok.path("model").asText(),
                        tok.path("serial").asText(), 0))) {
                    return tok;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("listTokens does not show the " + backend() + " token");
    }

    /**
     * The slot the module shows this token in, found through the module directly (not through the host);
     * waits up to 10 s for a card just inserted.
     */
    default long slotId() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        try {
            Pkcs11 p11 = WrapperPkcs11.load(module());
            do {
                for (long slot : p11.slots()) {
                    try {
                        if (p11.slotInfo(slot).tokenPresent() && is(p11.tokenInfo(slot))) {
                            return slot;
                        }
                    } catch (Pkcs11Error e) {
                        // a card being read: not ours yet
                    }
                }
                Thread.sleep(100);
            } while (System.nanoTime() < deadline);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        throw new AssertionError("the module shows no " + backend() + " token");
    }

    /** True when {@link #objects()} shows a private ({@code true}) or public key object labelled so. */
    default boolean hasKey(String label, boolean privateKey) {
        return !block(objects(), keyHeader(privateKey), label).isEmpty();
    }

    /** Pattern of a key object's first line in {@link #objects()}. */
    String keyHeader(boolean privateKey);

    /**
     * True when the private key labelled so cannot leave the token, as the token itself records it: SoftHSM2
     * marks it sensitive and never extractable. OpenSC 0.23 records no access flags for a key generated
     * through PKCS#11 (pkcs11-tool --keypairgen --sensitive gives "Access: none" too), so on the card it is
     * the PrKDF saying the key lives in the card's key store ("Native: yes"), which the IsoApplet has no
     * command to read out.
     */
    boolean keyIsProtected(String label);

    /**
     * The object (a first line matching {@code header} and its indented lines) whose label is {@code label};
     * empty when there is none. Both tools print an object as a header line and indented attribute lines.
     */
    private static String block(String listing, String header, String label) {
        Pattern start = Pattern.compile(header);
        List<String> current = new ArrayList<>();
        List<List<String>> blocks = new ArrayList<>();
        for (String line : listing.split("\n")) {
            if (!line.isEmpty() && !Character.isWhitespace(line.charAt(0))) {
                current = new ArrayList<>();
                if (start.matcher(line).find()) {
                    blocks.add(current);
                }
            }
            current.add(line);
        }
        for (List<String> b : blocks) {
            String text = String.join("\n", b);
            if (text.contains("[" + label + "]") || Pattern.compile("(?m)^\\s*label:\\s*" + Pattern.quote(label) + "\\s*$").matcher(text).find()) {
                return text;
            }
        }
        return "";
    }

    /** Makes a fresh token on first use of its backend. */
    static TestToken softHsm() {
        SoftHsm2.Token t = SoftHsm2.inProcess().claim();
        return new TestToken() {
            public String backend() {
                return "SoftHSM2";
            }

            public String module() {
                return SoftHsm2.MODULE;
            }

            public String pin() {
                return t.pin();
            }

            public String label() {
                return t.label();
            }

            public String manufacturer() {
                return "SoftHSM project";
            }

            public List<String> algorithms() {
                return SOFTHSM2_ALGORITHMS;
            }

            public String keyAlgorithm() {
                return "EC-P256";
            }

            public boolean is(Pkcs11.TokenInfo info) {
                return info.label().strip().equals(t.label());
            }

            public void importKey(KeyPair keys, X509Certificate cert, byte[] id, String label) {
                t.importKey(keys, cert, id, label);
            }

            public void writeCertificate(X509Certificate cert, byte[] id, String label) {
                t.writeCertificate(cert, id, label);
            }

            public void writeCertificate(byte[] der, byte[] id, String label) {
                t.writeCertificate(der, id, label);
            }

            public Optional<VirtualCards.Card> card() {
                return Optional.empty();
            }

            public String objects() {
                return pkcs11Tool(t, "--list-objects");
            }

            public String keyHeader(boolean privateKey) {
                return privateKey ? "^Private Key Object" : "^Public Key Object";
            }

            public boolean keyIsProtected(String label) {
                String key = block(objects(), keyHeader(true), label);
                return key.contains("sensitive") && key.contains("never extractable");
            }

            @Override
            public long slotId() {
                return t.slotId();
            }

            @Override
            public String toString() {
                return backend();
            }
        };
    }

    static TestToken virtualCard() {
        return virtualCard(0);
    }

    /** A fresh virtual card in vpcd's reader {@code reader} (0 or 1), beside whatever card is in the other. */
    static TestToken virtualCard(int reader) {
        VirtualCards.Card c = VirtualCards.inProcess().claim(reader);
        return new TestToken() {
            public String backend() {
                return "OpenSC + IsoApplet card";
            }

            public String module() {
                return VirtualCards.MODULE;
            }

            public String pin() {
                return c.pin();
            }

            public String label() {
                return c.label() + " (User PIN)";
            }

            public String manufacturer() {
                return "unknown";
            }

            public List<String> algorithms() {
                return CARD_ALGORITHMS;
            }

            public String keyAlgorithm() {
                return "RSA-2048";
            }

            public boolean is(Pkcs11.TokenInfo info) {
                return info.serial().strip().equalsIgnoreCase(c.serial());
            }

            public void importKey(KeyPair keys, X509Certificate cert, byte[] id, String label) {
                c.importKey(keys, cert, id, label);
            }

            public void writeCertificate(X509Certificate cert, byte[] id, String label) {
                c.writeCertificate(cert, id, label);
            }

            public void writeCertificate(byte[] der, byte[] id, String label) {
                c.writeCertificate(der, id, label);
            }

            public Optional<VirtualCards.Card> card() {
                return Optional.of(c);
            }

            public String objects() {
                try {
                    return Tool.run(VirtualCards.inProcess().environment(), "pkcs15-tool", "--reader", c.readerIndex(), "--dump").ok().output();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }

            public String keyHeader(boolean privateKey) {
                return privateKey ? "^Private \\w+ Key \\[" : "^Public \\w+ Key \\[";
            }

            public boolean keyIsProtected(String label) {
                return Pattern.compile("(?m)^\\s*Native\\s*:\\s*yes$").matcher(block(objects(), keyHeader(true), label)).find();
            }

            @Override
            public String toString() {
                return backend();
            }
        };
    }

    /** pkcs11-tool logged in to a SoftHSM2 token, in a separate process: an independent look at it. */
    static String pkcs11Tool(SoftHsm2.Token token, String... args) {
        try {
            List<String> cmd = new ArrayList<>(List.of("pkcs11-tool", "--module", SoftHsm2.MODULE, "--slot",
                    Long.toString(token.slotId()), "--login", "--pin", token.pin()));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * One lazily made token per available backend, for {@code @MethodSource}: SoftHSM2 always, the virtual
     * card when the fork has a PC/SC socket and pcscd, vpcd and OpenSC are installed. Call {@code get()} in
     * the test, so each test gets a fresh token.
     */
    static List<Backend> backends() {
        List<Backend> out = new ArrayList<>();
        out.add(new Backend("SoftHSM2", SOFTHSM2_ALGORITHMS, TestToken::softHsm));
        if (VirtualCards.available()) {
            out.add(new Backend("OpenSC + IsoApplet card", CARD_ALGORITHMS, TestToken::virtualCard));
        }
        return out;
    }
}
