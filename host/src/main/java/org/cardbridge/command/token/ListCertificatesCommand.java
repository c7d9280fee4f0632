package org.cardbridge.command.token;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.cardbridge.protocol.Wire;
import org.cardbridge.token.KeyAlgorithm;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.Handles;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code listCertificates {token}}: every certificate on the card, and every key that has no certificate
 * yet (a renewal waiting for its certificate — that state lives on the card, so another computer sees it).
 *
 * <p>Without a login, cards may hide private keys; a key counts as present when its private key or its
 * public key object (same CKA_ID) is visible. A key counts as certified when any certificate object has its
 * CKA_ID, including one the host cannot parse (which is not listed).
 *
 * <p>{@code withLoginCheck: true} adds {@code usableForLogin} (issue 16): whether the browser that started the
 * host is expected to offer this card's certificates for logging in to web sites — doctor's check, per card
 * module ({@link LoginCheck}). It starts NSS's tools, so it runs only when asked (the extension's popup does;
 * a page need not), after the card has been read.
 */
public final class ListCertificatesCommand implements Command<ListCertificatesCommand.Args, ListCertificatesCommand.Result> {
    /** {@code token}: a token handle; {@code withLoginCheck}: whether to add {@code usableForLogin}. */
    public record Args(String token, boolean withLoginCheck) {
    }

    public record CertificateInfo(String handle, String label, String keyId, String subject, String issuer,
                                  String serialNumber, String notBefore, String notAfter, List<String> keyUsage,
                                  List<String> extendedKeyUsage, boolean hasPrivateKey, boolean isCa, String certificate) {
    }

    public record PendingKey(String handle, String keyId, String label,
                             @Wire.Nullable @Wire.OneOf(KeyAlgorithm.class) String algorithm, @Wire.Nullable String publicKey) {
    }

    /**
     * {@code usableForLogin}: only when {@code withLoginCheck} was asked and it can be told — true when this
     * browser offers the card's certificates for logging in to web sites now, false when the card's module is
     * not registered for it (see {@code cardbridge-host install --user --client-auth}).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(List<CertificateInfo> certificates, List<PendingKey> pendingKeys, @Wire.Nullable Boolean usableForLogin)
            implements org.cardbridge.protocol.OmitNullFields {
    }

    private static final String[] KEY_USAGE = {"digitalSignature", "nonRepudiation", "keyEncipherment",
            "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"};
    private static final Map<String, String> EKU = Map.of(
            KeyPurposeId.id_kp_serverAuth.getId(), "serverAuth", KeyPurposeId.id_kp_clientAuth.getId(), "clientAuth",
            KeyPurposeId.id_kp_codeSigning.getId(), "codeSigning", KeyPurposeId.id_kp_emailProtection.getId(), "emailProtection",
            KeyPurposeId.id_kp_timeStamping.getId(), "timeStamping", KeyPurposeId.id_kp_OCSPSigning.getId(), "OCSPSigning",
            "1.3.6.1.4.1.311.20.2.2", "smartcardLogon");

    private final TokenAccess access;
    private final LoginCheck loginCheck;

    public ListCertificatesCommand(TokenAccess access) {
        this(access, LoginCheck.real());
    }

    public ListCertificatesCommand(TokenAccess access, LoginCheck loginCheck) {
        this.access = access;
        this.loginCheck = loginCheck;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.READ;
    }

    @Override
    public Args parse(Params params) {
        return new Args(params.text("token"), params.bool("withLoginCheck", false));
    }

    /** The card present: before read consent. */
    @Override
    public void precheck(Args args) {
        access.session(args.token());
    }

    @Override
    public Result execute(Args args, CommandContext context) {
        String token = args.token();
        TokenSession session = access.freshSession(token);
        List<TokenObjects.Certificate> certs = session.certificates();
        List<TokenObjects.Key> privateKeys = session.privateKeys();
        List<TokenObjects.Key> publicKeys = session.publicKeys();

        Map<String, TokenObjects.Key> keysById = new LinkedHashMap<>();
        for (TokenObjects.Key k : privateKeys) {
            keysById.putIfAbsent(hex(k.id()), k);
        }
        for (TokenObjects.Key k : publicKeys) {
            keysById.putIfAbsent(hex(k.id()), k);
        }
        List<CertificateInfo> out = new ArrayList<>();
        for (TokenObjects.Certificate c : certs) {
            out.add(describe(session, c, keysById.containsKey(hex(c.id())) && c.id().length > 0));
        }
        // Every certificate object counts, not only those listed: a key whose certificate the host cannot
        // parse is not waiting for one, and offering it as pending would invite removing or reusing it.
        Set<String> certified = new HashSet<>();
        session.certificateIds().forEach(id -> certified.add(hex(id)));
        List<PendingKey> pending = new ArrayList<>();
        for (Map.Entry<String, TokenObjects.Key> e : keysById.entrySet()) {
            if (certified.contains(e.getKey())) {
                continue;
            }
            TokenObjects.Key k = e.getValue();
            var publicKey = k.isPrivate() ? session.publicKeyOf(k, publicKeys).orElse(null) : k.publicKey();
            pending.add(new PendingKey(Handles.key(token, k.id()), e.getKey(), k.label(),
                    k.algorithm() == null ? null : k.algorithm().wireName(),
                    publicKey == null ? null : Base64.getEncoder().encodeToString(publicKey.getEncoded())));
        }
        Boolean usable = args.withLoginCheck() ? loginCheck.usableForLogin(session.library()).orElse(null) : null;
        return new Result(out, pending, usable);
    }

    static CertificateInfo describe(TokenSession session, TokenObjects.Certificate c, boolean hasPrivateKey) {
        X509Certificate x = c.certificate();
        List<String> usage = new ArrayList<>();
        boolean[] ku = x.getKeyUsage();
        if (ku != null) {
            for (int i = 0; i < ku.length && i < KEY_USAGE.length; i++) {
                if (ku[i]) {
                    usage.add(KEY_USAGE[i]);
                }
            }
        }
        List<String> eku = new ArrayList<>();
        try {
            if (x.getExtendedKeyUsage() != null) {
                x.getExtendedKeyUsage().forEach(oid -> eku.add(EKU.getOrDefault(oid, oid)));
            }
        } catch (CertificateParsingException ignored) {
            // An unreadable extension is reported as absent.
        }
        return new CertificateInfo(Handles.certificate(session.handle(), c.der()), c.label(), hex(c.id()),
                TokenAccess.subject(x), x.getIssuerX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253),
                x.getSerialNumber().toString(16), x.getNotBefore().toInstant().toString(), x.getNotAfter().toInstant().toString(),
                usage, eku, hasPrivateKey, x.getBasicConstraints() >= 0, Base64.getEncoder().encodeToString(c.der()));
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
