package org.cardbridge.command.token;

import org.cardbridge.protocol.Wire;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Params;
import org.cardbridge.protocol.ShownText;
import org.cardbridge.token.Handles;
import org.cardbridge.token.TokenManager;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;
import org.cardbridge.ui.Texts;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cardbridge.log.Log;

/**
 * {@code installCertificate}: puts an issued certificate (and its CA certificates, where the card allows)
 * onto the card beside its key.
 *
 * <p>Everything is checked before anything is written: the certificates parse, form one chain whose
 * signatures verify, the end-entity certificate is in its validity period (or explicitly allowed to be
 * not yet valid), and its public key is that of a key on a card. Then, for a replacement, the order is
 * write the new certificate → read it back and compare → only then remove the old certificate (and its
 * key, if asked). A failure at any point leaves the old certificate and key as they were. A not-yet-valid
 * certificate never replaces: it is stored beside the old one, and installing it again once valid, with
 * {@code replaces}, completes the replacement.
 */
public final class InstallCertificateCommand implements Command<InstallCertificateCommand.Args, InstallCertificateCommand.Result> {
    public record Args(List<X509Certificate> certificates, String replaces, boolean removeOldKey, boolean allowNotYetValid) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record CaCertificate(String subject, boolean written, @Wire.Nullable String reason) implements org.cardbridge.protocol.OmitNullFields {
    }

    /**
     * {@code oldKeyKept} (with {@code oldKeyKeptReason}) is present only when {@code removeOldKey} was asked
     * and the old certificate was replaced. {@code usableForLogin}: whether the browser that started the host
     * is expected to offer the new certificate for logging in to web sites now (TLS client authentication:
     * {@link org.cardbridge.install.ClientAuth#usableForLogin}, doctor's check); absent when that cannot be told.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(String certificate, String keyId, boolean replaced, List<CaCertificate> caCertificates,
                         @Wire.Nullable Boolean oldKeyKept,
                         @Wire.Nullable @Wire.Literals({"usedByAnotherCertificate", "usedByNewCertificate", "noKeyId"}) String oldKeyKeptReason,
                         @Wire.Nullable Boolean usableForLogin)
            implements org.cardbridge.protocol.OmitNullFields {
    }

    private static final Log LOG = Log.get(InstallCertificateCommand.class);
    private final TokenAccess access;

    public InstallCertificateCommand(TokenAccess access) {
        this.access = access;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.ENROLL;
    }

    @Override
    public Args parse(Params params) {
        JsonNode node = params.node("certificates");
        List<String> texts = new ArrayList<>();
        if (node == null) {
            throw HostException.invalidArgument("certificates", "required certificates are missing");
        } else if (node.isTextual()) {
            texts.add(node.textValue());
        } else if (node.isArray() && !node.isEmpty()) {
            for (JsonNode item : node) {
                if (!item.isTextual()) {
                    throw HostException.invalidArgument("certificates", "must be a list of strings or one string");
                }
                texts.add(item.textValue());
            }
        } else {
            throw HostException.invalidArgument("certificates", "must be a non-empty list of strings or one string");
        }
        Map<String, X509Certificate> unique = new LinkedHashMap<>();
        for (String text : texts) {
            for (X509Certificate c : parseCertificates(text)) {
                unique.putIfAbsent(HexFormat.of().formatHex(encoded(c)), c);
                // The subject is shown in the confirmation: the rules of page text hold for it too.
                String problem = ShownText.problem(TokenAccess.subject(c));
                if (problem != null) {
                    throw invalid("the subject of " + c.getSerialNumber().toString(16) + " " + problem);
                }
            }
        }
        String replaces = params.optText("replaces");
        if (replaces != null) {
            Handles.parseCertificate("replaces", replaces);
        }
        boolean removeOldKey = params.bool("removeOldKey", false);
        if (removeOldKey && replaces == null) {
            throw HostException.invalidArgument("removeOldKey", "needs replaces");
        }
        return new Args(List.copyOf(unique.values()), replaces, removeOldKey, params.bool("allowNotYetValid", false));
    }

    /**
     * Before the confirmation: the chain, the validity, a key on a present card that the certificate belongs
     * to (its private key too, when the card shows private keys), the certificate it replaces on that card,
     * the card writable, the PIN not blocked.
     */
    @Override
    public void precheck(Args args) {
        List<X509Certificate> chain = chain(args.certificates());
        X509Certificate leaf = chain.getFirst();
        Instant now = Instant.now();
        if (now.isAfter(leaf.getNotAfter().toInstant())) {
            throw new HostException(ErrorCode.CERTIFICATE_EXPIRED, "the certificate has expired",
                    Map.of("notAfter", leaf.getNotAfter().toInstant().toString()));
        }
        if (now.isBefore(leaf.getNotBefore().toInstant()) && !args.allowNotYetValid()) {
            throw new HostException(ErrorCode.CERTIFICATE_NOT_YET_VALID,
                    "the certificate is not valid yet; pass allowNotYetValid to store it beside the current one",
                    Map.of("notBefore", leaf.getNotBefore().toInstant().toString()));
        }
        Match match = findKey(leaf, args.replaces());
        TokenSession session = match.session();
        if (args.replaces() != null
                && Arrays.equals(TokenAccess.certificate(session, args.replaces(), "replaces").der(), encoded(leaf))) {
            throw HostException.invalidArgument("replaces", "names the certificate being installed");
        }
        byte[] keyId = match.key().id();
        if (!match.key().isPrivate() && Preflight.privateKeysVisible(session)
                && session.privateKey(keyId).isEmpty()) {
            throw new HostException(ErrorCode.CERTIFICATE_KEY_MISMATCH,
                    "the card has no private key for this certificate's public key", Map.of("keyId", HexFormat.of().formatHex(keyId)));
        }
        Preflight.requireWritable(session);
        Preflight.requirePinUsable(session);
    }

    /** PEM (certificates or a PKCS#7 bundle, one or many blocks) or base64 DER (a certificate or PKCS#7). */
    static List<X509Certificate> parseCertificates(String text) {
        byte[] bytes;
        if (text.contains("-----BEGIN")) {
            bytes = text.getBytes(StandardCharsets.US_ASCII);
        } else {
            try {
                bytes = Base64.getMimeDecoder().decode(text.strip());
            } catch (IllegalArgumentException e) {
                throw invalid("neither PEM nor base64");
            }
        }
        try {
            List<X509Certificate> out = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw invalid("no certificate found");
            }
            return out;
        } catch (CertificateException | RuntimeException e) {
            if (e instanceof HostException h) {
                throw h;
            }
            throw invalid("does not parse: " + e.getMessage());
        }
    }

    private static HostException invalid(String why) {
        return new HostException(ErrorCode.CERTIFICATE_INVALID, "certificates: " + why, Map.of("field", "certificates"));
    }

    @Override
    public Result execute(Args args, CommandContext context) {
        return install(args, context, List.of());
    }

    /**
     * The installation, after {@link #precheck} (validity, key, the certificate it replaces, a writable card);
     * {@code moreFacts} are added to the confirmation (acceptCmpResponse says what else happens).
     */
    Result install(Args args, CommandContext context, List<String> moreFacts) {
        // ---- 1. what precheck found, looked up again; nothing is written in this part ---------------
        List<X509Certificate> chain = chain(args.certificates());
        X509Certificate leaf = chain.getFirst();
        boolean notYetValid = Instant.now().isBefore(leaf.getNotBefore().toInstant());
        Match match = findKey(leaf, args.replaces());
        TokenSession session = match.session();
        TokenObjects.Certificate old = args.replaces() == null ? null : TokenAccess.certificate(session, args.replaces(), "replaces");
        boolean replace = old != null && !notYetValid;
        Optional<TokenObjects.Certificate> present = session.certificates().stream()
                .filter(c -> Arrays.equals(c.der(), encoded(leaf))).findFirst();

        // ---- 2. the user confirms, then logs in -----------------------------------------------------
        Texts t = TokenAccess.texts(context);
        // Plain words: who the certificates name, local dates; the raw names and numbers behind "Details". The old
        // certificate usually names the same person: it is told apart by its dates, not by repeating the name.
        List<String> facts = new ArrayList<>(List.of(t.plain("fact.token", session.info().label()),
                t.plain("fact.newCertificate", PlainWords.certificate(leaf, t, context.lang()))));
        List<String> details = new ArrayList<>(PlainWords.details(leaf, t.get("details.new"), t));
        if (old != null) {
            X509Certificate oldCert = old.certificate();
            details.addAll(PlainWords.details(oldCert, t.get("details.old"), t));
            if (replace) {
                facts.add(PlainWords.name(oldCert).equals(PlainWords.name(leaf))
                        ? t.plain("fact.oldValidUntil", PlainWords.date(oldCert.getNotAfter().toInstant(), context.lang()))
                        : t.plain("fact.oldCertificate", PlainWords.certificate(oldCert, t, context.lang())));
                if (args.removeOldKey()) {
                    facts.add(t.plain("fact.removeOldKey"));
                }
            } else {
                facts.add(t.plain("fact.deferred", PlainWords.date(leaf.getNotBefore().toInstant(), context.lang()),
                        PlainWords.date(oldCert.getNotAfter().toInstant(), context.lang())));
            }
        }
        facts.addAll(moreFacts);
        access.approve(session, context, replace ? "action.replaceCertificate" : "action.installCertificate", facts, null, null, details);
        byte[] keyId = match.key().id();
        // Before login a card may show only the public key object; without the private key behind it the
        // certificate would be useless, so nothing is written.
        if (session.privateKey(keyId).isEmpty()) {
            throw new HostException(ErrorCode.CERTIFICATE_KEY_MISMATCH,
                    "the card has no private key for this certificate's public key", Map.of("keyId", HexFormat.of().formatHex(keyId)));
        }

        // ---- 3. write the new certificate and verify it ---------------------------------------------
        String label = match.key().label().isEmpty() ? TokenAccess.subject(leaf) : match.key().label();
        if (present.isEmpty()) {
            long written = session.createCertificate(leaf, keyId, label, false);
            byte[] back;
            try {
                back = session.certificateValue(written);
            } catch (HostException e) {
                if (e.code() != ErrorCode.TOKEN_REMOVED) {
                    session.destroyQuietly(written);
                }
                throw e;
            }
            if (!Arrays.equals(back, encoded(leaf))) {
                session.destroyQuietly(written);
                throw new HostException(ErrorCode.INTERNAL_ERROR,
                        "the certificate read back from the card differs from the one written; the old certificate is kept", Map.of());
            }
        }

        // ---- 4. CA certificates, where the card takes them ------------------------------------------
        List<CaCertificate> cas = new ArrayList<>();
        List<TokenObjects.Certificate> onCard = session.certificates();
        for (X509Certificate ca : chain.subList(1, chain.size())) {
            String subject = TokenAccess.subject(ca);
            if (onCard.stream().anyMatch(c -> Arrays.equals(c.der(), encoded(ca)))) {
                cas.add(new CaCertificate(subject, false, "alreadyOnToken"));
                continue;
            }
            try {
                session.createCertificate(ca, caId(ca), subject, true);
                cas.add(new CaCertificate(subject, true, null));
            } catch (HostException e) {
                if (e.code() == ErrorCode.TOKEN_REMOVED) {
                    throw e;
                }
                LOG.info("the card refused a CA certificate: " + e.getMessage());
                cas.add(new CaCertificate(subject, false, String.valueOf(e.details().getOrDefault("pkcs11", e.code().name()))));
            }
        }

        // ---- 5. only now remove the old certificate (and its key if asked) --------------------------
        Boolean oldKeyKept = null;
        String oldKeyKeptReason = null;
        if (replace) {
            session.destroy(old.handle(), "removing the old certificate");
            byte[] oldId = old.id();
            if (args.removeOldKey()) {
                oldKeyKept = true;
                if (oldId.length == 0) {
                    oldKeyKeptReason = "noKeyId";
                } else if (Arrays.equals(oldId, keyId)) {
                    oldKeyKeptReason = "usedByNewCertificate";
                } else if (session.hasCertificate(oldId)) {
                    // Another certificate on the card (e.g. an authentication one, perhaps one the host cannot
                    // parse) still needs this key.
                    oldKeyKeptReason = "usedByAnotherCertificate";
                } else {
                    oldKeyKept = false;
                }
            }
            if (Boolean.FALSE.equals(oldKeyKept)) {
                // Public key first, as removeKey does: a card pulled in between never keeps a lone public
                // key that would look like a pending renewal key.
                for (TokenObjects.Key k : session.publicKeys()) {
                    if (Arrays.equals(k.id(), oldId)) {
                        session.destroy(k.handle(), "removing the old public key");
                    }
                }
                for (TokenObjects.Key k : session.privateKeys()) {
                    if (Arrays.equals(k.id(), oldId)) {
                        session.destroy(k.handle(), "removing the old key");
                    }
                }
            }
        }
        return new Result(Handles.certificate(session.handle(), encoded(leaf)), HexFormat.of().formatHex(keyId), replace, cas,
                oldKeyKept, oldKeyKeptReason, usableForLogin(session.library()));
    }

    /** Issue 16: doctor's client-authentication check for the browser that started the host; null when unknown. */
    private static Boolean usableForLogin(String library) {
        return LoginCheck.real().usableForLogin(library).orElse(null);
    }

    /** The certificates ordered end-entity first, each signed by the next; anything else is CERTIFICATE_INVALID. */
    static List<X509Certificate> chain(List<X509Certificate> certs) {
        List<X509Certificate> leaves = certs.stream().filter(c -> certs.stream().noneMatch(other -> other != c
                && !selfIssued(other) && other.getIssuerX500Principal().equals(c.getSubjectX500Principal()))).toList();
        if (leaves.size() != 1) {
            throw invalid("the certificates do not form one chain (" + leaves.size() + " end-entity certificates)");
        }
        List<X509Certificate> chain = new ArrayList<>();
        X509Certificate current = leaves.getFirst();
        chain.add(current);
        while (!selfIssued(current)) {
            X509Certificate child = current;
            Optional<X509Certificate> issuer = certs.stream().filter(c -> c != child && !chain.contains(c)
                    && c.getSubjectX500Principal().equals(child.getIssuerX500Principal())).findFirst();
            if (issuer.isEmpty()) {
                break; // the chain given may stop below the root
            }
            verify(child, issuer.get());
            chain.add(issuer.get());
            current = issuer.get();
        }
        if (selfIssued(current) && chain.size() > 1) {
            verify(current, current);
        }
        if (chain.size() != certs.size()) {
            throw invalid("certificates outside the chain of " + TokenAccess.subject(chain.getFirst()));
        }
        return chain;
    }

    private static boolean selfIssued(X509Certificate c) {
        return c.getIssuerX500Principal().equals(c.getSubjectX500Principal());
    }

    private static void verify(X509Certificate child, X509Certificate issuer) {
        try {
            child.verify(issuer.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new HostException(ErrorCode.CERTIFICATE_INVALID, "the signature on " + TokenAccess.subject(child)
                    + " does not verify with " + TokenAccess.subject(issuer), Map.of("field", "certificates"));
        }
    }

    private record Match(TokenSession session, TokenObjects.Key key) {
    }

    /**
     * The key the certificate belongs to: on the token of {@code replaces} when given, else on any present
     * token. Keys are compared by public key; CERTIFICATE_KEY_MISMATCH when no key matches.
     */
    private Match findKey(X509Certificate leaf, String replaces) {
        List<String> tokens = replaces != null ? List.of(Handles.parseCertificate("replaces", replaces).token())
                : access.manager().slots().stream().map(TokenManager.Slot::token).filter(java.util.Objects::nonNull).toList();
        PublicKey wanted = leaf.getPublicKey();
        for (String token : tokens) {
            TokenSession session = access.freshSession(token);
            List<TokenObjects.Key> publicKeys = session.publicKeys();
            for (TokenObjects.Key k : session.privateKeys()) {
                Optional<PublicKey> pk = session.publicKeyOf(k, publicKeys);
                if (pk.isPresent() && Arrays.equals(pk.get().getEncoded(), wanted.getEncoded())) {
                    return new Match(session, k);
                }
            }
            // Cards that hide private keys until login still show the public key object with the same CKA_ID.
            for (TokenObjects.Key k : publicKeys) {
                if (k.publicKey() != null && Arrays.equals(k.publicKey().getEncoded(), wanted.getEncoded())) {
                    return new Match(session, k);
                }
            }
        }
        throw new HostException(ErrorCode.CERTIFICATE_KEY_MISMATCH,
                "no key on the card matches this certificate's public key", Map.of("tokensSearched", tokens.size()));
    }

    /** CA certificates get their subject key identifier as CKA_ID (or a hash of the key), never a key's id. */
    private static byte[] caId(X509Certificate ca) {
        byte[] ext = ca.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (ext != null) {
            try {
                byte[] inner = ASN1OctetString.getInstance(ext).getOctets();
                return ASN1OctetString.getInstance(inner).getOctets();
            } catch (IllegalArgumentException ignored) {
                // fall through to the hash
            }
        }
        try {
            return MessageDigest.getInstance("SHA-1").digest(ca.getPublicKey().getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (CertificateException e) {
            throw invalid("cannot encode: " + e.getMessage());
        }
    }
}
