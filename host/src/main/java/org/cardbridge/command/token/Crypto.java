package org.cardbridge.command.token;

import org.bouncycastle.jce.provider.BouncyCastleProvider;

import java.security.Provider;

/** The Bouncy Castle provider instance, for verifying (RSASSA-PSS parameters included); never installed globally. */
final class Crypto {
    static final Provider BC = new BouncyCastleProvider();

    private Crypto() {
    }
}
