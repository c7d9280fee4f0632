package org.cardbridge.command.token;

import com.fasterxml.jackson.databind.JsonNode;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.cardbridge.command.Command;
import org.cardbridge.command.CommandContext;
import org.cardbridge.policy.OperationClass;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.protocol.Params;
import org.cardbridge.token.Handles;
import org.cardbridge.token.SignatureScheme;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;
import org.cardbridge.ui.Texts;

import javax.security.auth.x500.X500Principal;
import java.io.IOException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code createCsr {key, subject, extensions?, challengePassword?}}: a PKCS#10 request built by Bouncy
 * Castle and signed on the card by that key, with the signature algorithm the card's mechanisms allow.
 */
public final class CreateCsrCommand implements Command<CreateCsrCommand.Args, CreateCsrCommand.Result> {
    public record Args(Handles.ObjectHandle key, X500Name subject, List<String> keyUsage, List<String> extendedKeyUsage,
                       List<String> email, String challengePassword) {
    }

    public record Result(String csr, String der, String signatureAlgorithm) {
    }

    static final Map<String, Integer> KEY_USAGE = new LinkedHashMap<>();
    static final Map<String, KeyPurposeId> EXTENDED_KEY_USAGE = Map.of(
            "serverAuth", KeyPurposeId.id_kp_serverAuth, "clientAuth", KeyPurposeId.id_kp_clientAuth,
            "codeSigning", KeyPurposeId.id_kp_codeSigning, "emailProtection", KeyPurposeId.id_kp_emailProtection,
            "timeStamping", KeyPurposeId.id_kp_timeStamping, "OCSPSigning", KeyPurposeId.id_kp_OCSPSigning,
            "smartcardLogon", KeyPurposeId.getInstance(new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.2")));

    static {
        KEY_USAGE.put("digitalSignature", KeyUsage.digitalSignature);
        KEY_USAGE.put("nonRepudiation", KeyUsage.nonRepudiation);
        KEY_USAGE.put("keyEncipherment", KeyUsage.keyEncipherment);
        KEY_USAGE.put("dataEncipherment", KeyUsage.dataEncipherment);
        KEY_USAGE.put("keyAgreement", KeyUsage.keyAgreement);
    }

    private static final String PENDING_ONLY = "a CSR is made for a key without a certificate (a pending renewal key, from generateKeyPair)";
    private final TokenAccess access;

    public CreateCsrCommand(TokenAccess access) {
        this.access = access;
    }

    @Override
    public OperationClass operationClass() {
        return OperationClass.ENROLL;
    }

    @Override
    public Args parse(Params params) {
        Handles.ObjectHandle key = Handles.parseKey("key", params.text("key"));
        X500Name subject = Subjects.parse("subject", params.node("subject"));
        List<String> ku = List.of();
        List<String> eku = List.of();
        List<String> email = List.of();
        JsonNode ext = params.node("extensions");
        if (ext != null) {
            if (!ext.isObject()) {
                throw HostException.invalidArgument("extensions", "must be an object");
            }
            for (Iterator<String> it = ext.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!List.of("keyUsage", "extendedKeyUsage", "email").contains(name)) {
                    throw HostException.invalidArgument("extensions." + name, "unknown parameter");
                }
            }
            ku = strings(ext, "keyUsage");
            for (String u : ku) {
                if (!KEY_USAGE.containsKey(u)) {
                    throw HostException.invalidArgument("extensions.keyUsage", "unknown key usage '" + u + "'; known: " + KEY_USAGE.keySet());
                }
            }
            eku = strings(ext, "extendedKeyUsage");
            for (String u : eku) {
                if (!EXTENDED_KEY_USAGE.containsKey(u) && !isOid(u)) {
                    throw HostException.invalidArgument("extensions.extendedKeyUsage", "unknown usage '" + u + "' (name or dotted OID)");
                }
            }
            email = strings(ext, "email");
            for (String e : email) {
                if (!e.matches("[^@\\s]+@[^@\\s]+") || !e.chars().allMatch(c -> c > 32 && c < 127)) {
                    throw HostException.invalidArgument("extensions.email", "not an e-mail address: '" + e + "'");
                }
            }
        }
        String challenge = params.optText("challengePassword");
        if (challenge != null && (challenge.isEmpty() || challenge.length() > 255)) {
            throw HostException.invalidArgument("challengePassword", "must be 1 to 255 characters");
        }
        return new Args(key, subject, ku, eku, email, challenge);
    }

    /**
     * Card present, the key on it, pending, of an algorithm CardBridge signs with and the card has a signature
     * mechanism for, the PIN not blocked: before the confirmation.
     */
    @Override
    public void precheck(Args args) {
        TokenSession session = access.session(args.key().token());
        TokenObjects.Key key = Preflight.pendingKey(session, args.key(), PENDING_ONLY);
        session.schemeFor(key, key.algorithm() == null ? "SHA-256" : key.algorithm().defaultHash()); // refuses a key of no named algorithm too
        Preflight.requirePinUsable(session);
    }

    /** A dotted OID that DER can carry: Bouncy Castle's rules (e.g. "1.40" is refused), checked here, before any dialog. */
    private static boolean isOid(String s) {
        if (!s.matches("[0-2](\\.[0-9]+)+")) {
            return false;
        }
        try {
            new ASN1ObjectIdentifier(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static List<String> strings(JsonNode ext, String field) {
        JsonNode v = ext.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw HostException.invalidArgument("extensions." + field, "must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : v) {
            if (!item.isTextual()) {
                throw HostException.invalidArgument("extensions." + field, "must be a list of strings");
            }
            out.add(item.textValue());
        }
        return List.copyOf(out);
    }

    @Override
    public Result execute(Args args, CommandContext context) {
        TokenSession session = access.session(args.key().token());
        // The dialog speaks of the new key: the current (e.g. qualified) key with its certificate must not sign.
        TokenAccess.requireNoCertificate(session, args.key().keyId(), "key", PENDING_ONLY);
        // A key of a kind CardBridge cannot sign with is refused before the user is asked anything, where
        // the card shows its public key without a login.
        session.publicKey(args.key().keyId())
                .ifPresent(TokenSession::requireNamedAlgorithm);
        String subjectText = new X500Principal(encoded(args.subject())).getName(X500Principal.RFC2253);
        Texts t = TokenAccess.texts(context);
        // A request for a key the person just approved creating (with its request) in generateKeyPair's window
        // needs no window of its own; any other request is approved here.
        if (!access.takeRequestApproval(context, session, args.key().keyId()) || !session.loggedIn()) {
            access.approve(session, context, "action.createCsr", List.of(t.plain("fact.token", session.info().label()),
                    t.plain("fact.subject", PlainWords.name(args.subject(), subjectText))), null, null,
                    List.of(t.plain("details.requestSubject", subjectText)));
        }
        TokenAccess.requireNoCertificate(session, args.key().keyId(), "key", PENDING_ONLY); // private certificates show only now
        TokenObjects.Key key = TokenAccess.privateKey(session, args.key());
        TokenSession.requireNamedAlgorithm(key);
        PublicKey publicKey = session.publicKeyOf(key, session.publicKeys()).orElseThrow(() -> new HostException(
                ErrorCode.KEY_NOT_FOUND, "the card does not reveal this key's public key",
                Map.of("key", Handles.key(session.handle(), args.key().keyId()))));
        SignatureScheme scheme = session.schemeFor(key, key.algorithm().defaultHash());
        try {
            PKCS10CertificationRequestBuilder builder = new PKCS10CertificationRequestBuilder(args.subject(),
                    SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()));
            Extensions extensions = requestedExtensions(args);
            if (extensions != null) {
                builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions);
            }
            if (args.challengePassword() != null) {
                ASN1Encodable value = DERPrintableString.isPrintableString(args.challengePassword())
                        ? new DERPrintableString(args.challengePassword()) : new DERUTF8String(args.challengePassword());
                builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_challengePassword, value);
            }
            PKCS10CertificationRequest csr = builder.build(new TokenContentSigner(session, key, scheme, publicKey,
                    access.signaturePin(session, context, null)));
            // The card signed what we asked: check it, so a broken module never hands the CA a bad request.
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(Crypto.BC).build(publicKey))) {
                throw new HostException(ErrorCode.INTERNAL_ERROR, "the card's signature on the request does not verify", Map.of());
            }
            byte[] der = csr.getEncoded();
            String pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                    + "\n-----END CERTIFICATE REQUEST-----\n";
            return new Result(pem, Base64.getEncoder().encodeToString(der), scheme.jcaName());
        } catch (IOException | org.bouncycastle.operator.OperatorCreationException | org.bouncycastle.pkcs.PKCSException e) {
            throw new HostException(ErrorCode.INTERNAL_ERROR, "building the request failed: " + e.getMessage(), Map.of(), e);
        }
    }

    /** The extensions the page asked for (key usage, extended key usage, e-mail), or null for none; also CMP's template. */
    static Extensions requestedExtensions(Args args) throws IOException {
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        if (!args.keyUsage().isEmpty()) {
            int bits = args.keyUsage().stream().mapToInt(KEY_USAGE::get).reduce(0, (a, b) -> a | b);
            extensions.addExtension(Extension.keyUsage, true, new KeyUsage(bits));
        }
        if (!args.extendedKeyUsage().isEmpty()) {
            KeyPurposeId[] ids = args.extendedKeyUsage().stream().map(u -> EXTENDED_KEY_USAGE.containsKey(u)
                    ? EXTENDED_KEY_USAGE.get(u) : KeyPurposeId.getInstance(new ASN1ObjectIdentifier(u))).toArray(KeyPurposeId[]::new);
            extensions.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(ids));
        }
        if (!args.email().isEmpty()) {
            GeneralName[] names = args.email().stream().map(e -> new GeneralName(GeneralName.rfc822Name, e)).toArray(GeneralName[]::new);
            extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        }
        return extensions.isEmpty() ? null : extensions.generate();
    }

    private static byte[] encoded(X500Name name) {
        try {
            return name.getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
