package org.cardbridge.command.token;

import org.cardbridge.protocol.Wire;
import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.Handles;
import org.cardbridge.token.KeyAlgorithm;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;
import org.cardbridge.ui.Texts;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * {@code generateKeyPair {token, algorithm, label}}: a new key pair on the card (never extractable) with
 * a fresh CKA_ID — a renewal's key must not share the old key's id, since OpenSC refuses a second
 * certificate with an existing CKA_ID.
 */
public final class GenerateKeyPairCommand implements Command<GenerateKeyPairCommand.Args, GenerateKeyPairCommand.Result> {
    /** {@code renews}: the handle of the certificate this key is to replace (shown in the window), or null. */
    public record Args(String token, KeyAlgorithm algorithm, String label, String renews) {
    }

    /**
     * {@code handle} is the key's handle, named as in {@code listCertificates().pendingKeys[].handle}; {@code key}
     * carries the same value for pages written against protocol 1.0 and goes in the next minor version.
     */
    public record Result(String handle, String keyId, String label, @Wire.OneOf(KeyAlgorithm.class) String algorithm, String publicKey,
                         @Deprecated String key) {
    }

    static final int MAX_LABEL_BYTES = 128;
    /** Seeded on first key generation, not when the operation table is built at start-up (~60 ms). */
    private static final class Random {
        static final SecureRandom INSTANCE = new SecureRandom();
    }
    private final TokenAccess access;

    public GenerateKeyPairCommand(TokenAccess access) {
        this.access = access;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.ENROLL;
    }

    @Override
    public Args parse(Params params) {
        String token = params.text("token");
        String name = params.text("algorithm");
        KeyAlgorithm algorithm = KeyAlgorithm.ofWireName(name).orElseThrow(() -> new HostException(ErrorCode.INVALID_ARGUMENT,
                "algorithm: must be one of " + KeyAlgorithm.wireNames(),
                Map.of("field", "algorithm")));
        String renews = params.optText("renews");
        if (renews != null && !org.cardbridge.token.Handles.parseCertificate("renews", renews).token().equals(token)) {
            throw HostException.invalidArgument("renews", "names a certificate on another token");
        }
        return new Args(token, algorithm, label(params.shownText("label")), renews);
    }

    /** Card present and writable, the algorithm one it can make, the PIN not blocked: before the confirmation. */
    @Override
    public void precheck(Args args) {
        TokenSession session = access.session(args.token());
        requireAlgorithm(session, args.algorithm());
        if (args.renews() != null) {
            TokenAccess.certificate(session, args.renews(), "renews"); // KEY_NOT_FOUND before any window
        }
        Preflight.requireWritable(session);
        Preflight.requirePinUsable(session);
    }

    private static void requireAlgorithm(TokenSession session, KeyAlgorithm algorithm) {
        List<KeyAlgorithm> supported = session.algorithms();
        if (!supported.contains(algorithm)) {
            throw new HostException(ErrorCode.ALGORITHM_NOT_SUPPORTED, "the card cannot make " + algorithm.wireName() + " keys",
                    Map.of("algorithm", algorithm.wireName(), "supported", supported.stream().map(KeyAlgorithm::wireName).toList()));
        }
    }

    static String label(String label) {
        if (label.isBlank()) {
            throw HostException.invalidArgument("label", "must not be empty");
        }
        if (label.getBytes(StandardCharsets.UTF_8).length > MAX_LABEL_BYTES) {
            throw HostException.invalidArgument("label", "longer than " + MAX_LABEL_BYTES + " UTF-8 bytes");
        }
        return label;
    }

    @Override
    public Result execute(Args args, CommandContext context) {
        TokenSession session = access.freshSession(args.token());
        List<KeyAlgorithm> supported = session.algorithms();
        if (!supported.contains(args.algorithm())) {
            throw new HostException(ErrorCode.ALGORITHM_NOT_SUPPORTED, "the card cannot make " + args.algorithm().wireName() + " keys",
                    Map.of("algorithm", args.algorithm().wireName(), "supported", supported.stream().map(KeyAlgorithm::wireName).toList()));
        }
        Texts t = TokenAccess.texts(context);
        String tokenLabel = session.info().label();
        // One window for the key and its certificate request: the request that follows for this very key, on
        // this connection, from this origin, is part of what the person approves here (docs/design.md).
        // A new key never takes the name of a key already on the card: a later window (removing the key, writing
        // its certificate) must not be ambiguous.
        String label = distinctLabel(session, args.label());
        List<String> facts = new java.util.ArrayList<>(List.of(t.plain("fact.token", tokenLabel),
                t.plain("fact.newKey", PlainWords.key(args.algorithm(), t), label)));
        if (args.renews() != null) {
            // Which certificate the new key is for, as the person knows it (name, issuer, valid until).
            facts.add(t.plain("fact.renews", PlainWords.certificate(TokenAccess.certificate(session, args.renews(), "renews").certificate(),
                    t, context.lang())));
        }
        access.approve(session, context, "action.generateKeyPair", facts, null, null);
        byte[] id = newKeyId(session);
        context.cancellation().check();
        context.progress().report(Map.of("stage", "generatingKey", "algorithm", args.algorithm().wireName()));
        TokenObjects.Key key = session.generateKeyPair(args.algorithm(), id, label);
        access.approveRequestFor(context, session, id);
        String handle = Handles.key(session.handle(), id);
        return new Result(handle, HexFormat.of().formatHex(id), label,
                args.algorithm().wireName(), Base64.getEncoder().encodeToString(key.publicKey().getEncoded()), handle);
    }

    /** {@code label}, or with " (2)", " (3)"… when a key or certificate on the card already has that label. */
    static String distinctLabel(TokenSession session, String label) {
        java.util.Set<String> taken = new java.util.HashSet<>();
        session.publicKeys().forEach(k -> taken.add(k.label()));
        session.privateKeys().forEach(k -> taken.add(k.label()));
        session.certificates().forEach(c -> taken.add(c.label()));
        String candidate = label;
        for (int n = 2; taken.contains(candidate); n++) {
            candidate = label + " (" + n + ")";
        }
        return candidate;
    }

    /** 20 random bytes (the size of the SHA-1 ids cards often use) not used by any object of the card. */
    private static byte[] newKeyId(TokenSession session) {
        while (true) {
            byte[] id = new byte[20];
            Random.INSTANCE.nextBytes(id);
            if (!session.idInUse(id)) {
                return id;
            }
        }
    }
}
