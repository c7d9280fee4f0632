package org.cardbridge.testing;

import org.cardbridge.testing.vcard.VirtualCards;
import org.cardbridge.token.Pkcs11;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A token for the token-operation tests, whatever the backend: a SoftHSM2 token, or a virtual IsoApplet
 * card in a vpcd reader driven by OpenSC (the path a user's card takes). Tests take one per backend from
 * {@link #backends()} and run the same steps on each; what only a card can do (being pulled out, locking
 * its PIN) is offered by {@link #card()}.
 */
public interface TestToken {
    /** "SoftHSM2" or "OpenSC + IsoApplet card": shown in test names. */
    String backend();

    /** The PKCS#11 library the host loads for it. */
    String module();

    String pin();

    /** True when the module's token info is this token's (label for SoftHSM2, serial for a card). */
    boolean is(Pkcs11.TokenInfo info);

    /** Imports a key pair (and its certificate when not null) under CKA_ID {@code id}; use RSA-2048 for cards. */
    void importKey(KeyPair keys, X509Certificate cert, byte[] id, String label);

    void writeCertificate(X509Certificate cert, byte[] id, String label);

    /** The card behind the token, for hot-plug, PIN-lock and fault-injection tests; empty for SoftHSM2. */
    Optional<VirtualCards.Card> card();

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

            public boolean is(Pkcs11.TokenInfo info) {
                return info.label().strip().equals(t.label());
            }

            public void importKey(KeyPair keys, X509Certificate cert, byte[] id, String label) {
                t.importKey(keys, cert, id, label);
            }

            public void writeCertificate(X509Certificate cert, byte[] id, String label) {
                t.writeCertificate(cert, id, label);
            }

            public Optional<VirtualCards.Card> card() {
                return Optional.empty();
            }

            @Override
            public String toString() {
                return backend();
            }
        };
    }

    static TestToken virtualCard() {
        VirtualCards.Card c = VirtualCards.inProcess().claim();
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

            public boolean is(Pkcs11.TokenInfo info) {
                return info.serial().strip().equalsIgnoreCase(c.serial());
            }

            public void importKey(KeyPair keys, X509Certificate cert, byte[] id, String label) {
                c.importKey(keys, cert, id, label);
            }

            public void writeCertificate(X509Certificate cert, byte[] id, String label) {
                c.writeCertificate(cert, id, label);
            }

            public Optional<VirtualCards.Card> card() {
                return Optional.of(c);
            }

            @Override
            public String toString() {
                return backend();
            }
        };
    }

    /**
     * One lazily made token per available backend, for {@code @MethodSource}: SoftHSM2 always, the virtual
     * card when the fork has a PC/SC socket and pcscd, vpcd and OpenSC are installed. Call {@code get()} in
     * the test, so each test gets a fresh token.
     */
    static List<Supplier<TestToken>> backends() {
        List<Supplier<TestToken>> out = new ArrayList<>();
        out.add(named("SoftHSM2", TestToken::softHsm));
        if (VirtualCards.available()) {
            out.add(named("OpenSC + IsoApplet card", TestToken::virtualCard));
        }
        return out;
    }

    private static Supplier<TestToken> named(String name, Supplier<TestToken> s) {
        return new Supplier<>() {
            public TestToken get() {
                return s.get();
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
