package org.cardbridge.command.token;

import org.cardbridge.protocol.Wire;
import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.FrameWriter;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.SignaturePin;
import org.cardbridge.token.SignatureScheme;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;
import org.cardbridge.ui.SignedText;
import org.cardbridge.ui.Texts;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code sign}: signs with the key of a certificate on the card (the old, still valid certificate signs
 * the renewal application). One item: {@code data} or {@code hash}; batch: {@code hashes}, with one
 * confirmation and one PIN. {@code raw} gives the bare signature, {@code cms} CMS SignedData (CAdES-BES).
 */
public final class SignCommand implements Command<SignCommand.Args, SignCommand.Outcome> {
    /** Validated arguments: exactly one of data, hash (single) or hashes (batch) was given. */
    public record Args(String certificate, byte[] data, List<byte[]> hashes, boolean batch, String hashAlgorithm,
                       String format, boolean detached, String description) {
    }

    /** One signature ({@code data} or {@code hash}) or the signatures of a batch ({@code hashes}). */
    public sealed interface Outcome permits Result, BatchResult {
    }

    public record Result(String signature, String signatureAlgorithm, @Wire.Literals({"raw", "cms"}) String format) implements Outcome {
    }

    public record BatchResult(List<String> signatures, String signatureAlgorithm, @Wire.Literals({"raw", "cms"}) String format)
            implements Outcome {
    }

    static final List<String> HASHES = List.of("SHA-256", "SHA-384", "SHA-512");
    static final int MAX_DESCRIPTION = 500;
    static final int MAX_BATCH = 100;
    private final TokenAccess access;

    public SignCommand(TokenAccess access) {
        this.access = access;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.SIGN;
    }

    @Override
    public Args parse(Params params) {
        String certificate = params.text("certificate");
        org.cardbridge.token.Handles.parseCertificate("certificate", certificate);
        String data = params.optText("data");
        String hash = params.optText("hash");
        List<String> hashes = params.node("hashes") == null ? null : params.textList("hashes", true);
        String hashAlgorithm = params.optText("hashAlgorithm");
        if (hashAlgorithm == null) {
            hashAlgorithm = "SHA-256";
        } else if (!HASHES.contains(hashAlgorithm)) {
            throw HostException.invalidArgument("hashAlgorithm", "must be one of " + HASHES);
        }
        String format = params.text("format");
        if (!format.equals("raw") && !format.equals("cms")) {
            throw HostException.invalidArgument("format", "must be \"raw\" or \"cms\"");
        }
        boolean detached = params.bool("detached", true);
        String description = params.shownText("description");
        if (description.isBlank() || description.length() > MAX_DESCRIPTION) {
            throw HostException.invalidArgument("description", "must be 1 to " + MAX_DESCRIPTION + " characters");
        }
        int given = (data != null ? 1 : 0) + (hash != null ? 1 : 0) + (hashes != null ? 1 : 0);
        if (given != 1) {
            throw new HostException(ErrorCode.INVALID_ARGUMENT, "give exactly one of data, hash or hashes",
                    Map.of("field", data != null ? "data" : hash != null ? "hash" : "hashes"));
        }
        int length = SignatureScheme.hashLength(hashAlgorithm);
        if (data != null) {
            return new Args(certificate, base64("data", data), List.of(), false, hashAlgorithm, format, detached, description);
        }
        if (!detached) {
            throw HostException.invalidArgument("detached", "a signature over a hash can only be detached");
        }
        if (hash != null) {
            return new Args(certificate, null, List.of(checkedHash("hash", hash, length, hashAlgorithm)), false, hashAlgorithm,
                    format, true, description);
        }
        if (hashes.isEmpty() || hashes.size() > MAX_BATCH) {
            throw HostException.invalidArgument("hashes", "must hold 1 to " + MAX_BATCH + " hashes");
        }
        List<byte[]> decoded = new ArrayList<>();
        for (String h : hashes) {
            decoded.add(checkedHash("hashes", h, length, hashAlgorithm));
        }
        return new Args(certificate, null, List.copyOf(decoded), true, hashAlgorithm, format, true, description);
    }

    /**
     * Card present; the certificate on it, in its validity period, of a key CardBridge signs with and the card
     * has a mechanism for; an attached CMS that fits an answer; the private key there when the card shows its
     * private keys; the PIN not blocked: before the confirmation.
     */
    @Override
    public void precheck(Args args) {
        TokenSession session = access.session(org.cardbridge.token.Handles.parseCertificate("certificate", args.certificate()).token());
        TokenObjects.Certificate cert = TokenAccess.certificate(session, args.certificate(), "certificate");
        X509Certificate x = cert.certificate();
        Instant now = Instant.now();
        if (now.isAfter(x.getNotAfter().toInstant())) {
            throw new HostException(ErrorCode.CERTIFICATE_EXPIRED, "the certificate has expired", Map.of("notAfter", x.getNotAfter().toInstant().toString()));
        }
        if (now.isBefore(x.getNotBefore().toInstant())) {
            throw new HostException(ErrorCode.CERTIFICATE_NOT_YET_VALID, "the certificate is not valid yet",
                    Map.of("notBefore", x.getNotBefore().toInstant().toString()));
        }
        org.cardbridge.token.KeyAlgorithm algorithm = algorithmOf(x);
        if (algorithm == null) {
            throw new HostException(ErrorCode.ALGORITHM_NOT_SUPPORTED, "the certificate's key is not one CardBridge signs with",
                    Map.of("supported", org.cardbridge.token.KeyAlgorithm.wireNames()));
        }
        session.schemeFor(new TokenObjects.Key(0, true, cert.id(), "", algorithm, null), args.hashAlgorithm());
        if (args.format().equals("cms") && !args.detached()) {
            requireAttachedFits(args, cert);
        }
        if (Preflight.privateKeysVisible(session) && session.privateKey(cert.id()).isEmpty()) {
            throw new HostException(ErrorCode.KEY_NOT_FOUND, "the card has no private key for this certificate",
                    Map.of("certificate", args.certificate()));
        }
        Preflight.requirePinUsable(session);
    }

    /** The signed data travels inside an attached CMS: it must fit the browsers' limit on an answer. */
    private static void requireAttachedFits(Args args, TokenObjects.Certificate cert) {
        // With the certificate, the signature and the structure (a generous 4 KiB), base64 in the answer.
        long cms = (long) args.data().length + cert.der().length + 4096;
        long answer = (cms + 2) / 3 * 4 + 256;
        if (answer > FrameWriter.MAX_OUTGOING) {
            throw new HostException(ErrorCode.MESSAGE_TOO_LARGE, "an attached CMS signature of " + args.data().length
                    + " bytes of data would not fit the browsers' limit of " + FrameWriter.MAX_OUTGOING
                    + " bytes per answer; sign with detached: true", Map.of("field", "detached", "limit", FrameWriter.MAX_OUTGOING));
        }
    }

    private static byte[] checkedHash(String field, String text, int length, String algorithm) {
        byte[] h = base64(field, text);
        if (h.length != length) {
            throw HostException.invalidArgument(field, algorithm + " hashes are " + length + " bytes, got " + h.length);
        }
        return h;
    }

    private static byte[] base64(String field, String text) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw HostException.invalidArgument(field, "not base64");
        }
    }

    @Override
    public Outcome execute(Args args, CommandContext context) {
        TokenSession session = access.session(org.cardbridge.token.Handles.parseCertificate("certificate", args.certificate()).token());
        TokenObjects.Certificate cert = TokenAccess.certificate(session, args.certificate(), "certificate");
        X509Certificate x = cert.certificate();
        // Validity, algorithm and answer size were checked by precheck, before this request could open a window.
        String subject = PlainWords.name(x);
        Texts t = TokenAccess.texts(context);
        List<String> facts = new ArrayList<>(List.of(t.plain("fact.token", session.info().label()),
                t.plain("fact.signer", PlainWords.certificate(x, t, context.lang())), t.plain("fact.description", args.description())));
        // What you sign is what you see: text is shown whole, exactly the bytes signed; anything else is named
        // by the page's description and its fingerprint, labelled as such.
        String document = args.data() != null ? SignedText.of(args.data()) : null;
        if (args.batch()) {
            facts.add(t.plain("fact.count", args.hashes().size()));
        } else if (document == null) {
            byte[] hash = args.data() != null ? digest(args.hashAlgorithm(), args.data()) : args.hashes().getFirst();
            facts.add(t.plain(args.data() != null ? "fact.binary" : "fact.hashOnly", args.hashAlgorithm(), SignedText.fingerprint(hash)));
        }
        String action = args.batch() ? "action.signBatch" : "action.sign";
        List<String> details = PlainWords.details(x, t.get("details.signer"), t);
        // Logged in already (or no login needed), a key that asks for its PIN at every signature: the sign
        // window takes that PIN too (one window), and is shown when the signature is made.
        Optional<TokenObjects.Key> visible = session.loggedIn() || !session.info().has(org.cardbridge.token.Ck.CKF_LOGIN_REQUIRED)
                ? findKey(session, cert) : Optional.empty();
        SignaturePin pin = visible.isEmpty() ? null : access.approveWithSignaturePin(session, context, action, facts, document, subject,
                details, session.alwaysAuthenticate(visible.get().handle()));
        if (pin == null) {
            access.approve(session, context, action, facts, document, subject, details);
            pin = access.signaturePin(session, context, subject);
        }
        TokenObjects.Key key = findKey(session, cert)
                .orElseThrow(() -> new HostException(ErrorCode.KEY_NOT_FOUND, "the card has no private key for this certificate",
                        Map.of("certificate", args.certificate())));
        TokenObjects.Key withAlgorithm = key.algorithm() != null ? key : new TokenObjects.Key(key.handle(), true, key.id(),
                key.label(), algorithmOf(x), key.publicKey());
        SignatureScheme scheme = session.schemeFor(withAlgorithm, args.hashAlgorithm());
        List<String> signatures = new ArrayList<>();
        if (args.data() != null) {
            byte[] hash = digest(args.hashAlgorithm(), args.data());
            signatures.add(one(session, withAlgorithm, scheme, x, args, args.detached() ? null : args.data(), hash, pin));
        } else {
            for (byte[] hash : args.hashes()) {
                context.cancellation().check();
                signatures.add(one(session, withAlgorithm, scheme, x, args, null, hash, pin));
            }
        }
        return args.batch() ? new BatchResult(signatures, scheme.jcaName(), args.format())
                : new Result(signatures.getFirst(), scheme.jcaName(), args.format());
    }

    private static Optional<TokenObjects.Key> findKey(TokenSession session, TokenObjects.Certificate cert) {
        return session.privateKey(cert.id());
    }

    private static String one(TokenSession session, TokenObjects.Key key, SignatureScheme scheme, X509Certificate cert,
                              Args args, byte[] content, byte[] hash, SignaturePin pin) {
        // Either way the card's signature is checked with the certificate's key before it is returned.
        byte[] signature = args.format().equals("raw") ? CardSignature.sign(session, key, scheme, hash, cert.getPublicKey(), pin)
                : CmsSigner.sign(session, key, scheme, cert, content, hash, pin);
        return Base64.getEncoder().encodeToString(signature);
    }

    /** Cards that hide the key's attributes: the certificate says what the key is. */
    static org.cardbridge.token.KeyAlgorithm algorithmOf(X509Certificate x) {
        var pk = x.getPublicKey();
        if (pk instanceof java.security.interfaces.RSAPublicKey rsa) {
            return org.cardbridge.token.KeyAlgorithm.ofRsaBits(rsa.getModulus().bitLength()).orElse(null);
        }
        if (pk instanceof java.security.interfaces.ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            return bits == 256 ? org.cardbridge.token.KeyAlgorithm.EC_P256 : bits == 384 ? org.cardbridge.token.KeyAlgorithm.EC_P384 : null;
        }
        return null;
    }

    private static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
