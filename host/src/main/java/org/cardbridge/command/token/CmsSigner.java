package org.cardbridge.command.token;

import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.IssuerSerial;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.CMSTypedData;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInfoGeneratorBuilder;
import org.bouncycastle.operator.DefaultDigestAlgorithmIdentifierFinder;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.cardbridge.protocol.ErrorCode;
import org.cardbridge.protocol.HostException;
import org.cardbridge.token.SignaturePin;
import org.cardbridge.token.SignatureScheme;
import org.cardbridge.token.TokenObjects;
import org.cardbridge.token.TokenSession;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Hashtable;
import java.util.Map;

/**
 * CMS SignedData in the CAdES-BES shape: signed attributes content-type, message-digest, signing-time and
 * signing-certificate-v2 (ESSCertIDv2, SHA-256 of the signer's certificate), the signer's certificate
 * included. The message digest is computed by the host (or given by the page), so one path serves
 * data and pre-computed hashes; only the signed attributes go to the card.
 */
final class CmsSigner {
    private CmsSigner() {
    }

    /**
     * @param content the data to encapsulate, or null for a detached signature
     * @param hash    the message digest of the data ({@code scheme.hash()})
     */
    static byte[] sign(TokenSession session, TokenObjects.Key key, SignatureScheme scheme, X509Certificate cert,
                       byte[] content, byte[] hash, SignaturePin pin) {
        try {
            JcaX509CertificateHolder holder = new JcaX509CertificateHolder(cert);
            byte[] certHash = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            ESSCertIDv2 essId = new ESSCertIDv2(new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256), certHash,
                    new IssuerSerial(new GeneralNames(new GeneralName(X500Name.getInstance(cert.getIssuerX500Principal().getEncoded()))),
                            cert.getSerialNumber()));
            Hashtable<org.bouncycastle.asn1.ASN1ObjectIdentifier, Attribute> attrs = new Hashtable<>();
            attrs.put(PKCSObjectIdentifiers.id_aa_signingCertificateV2, new Attribute(PKCSObjectIdentifiers.id_aa_signingCertificateV2,
                    new DERSet(new SigningCertificateV2(new ESSCertIDv2[]{essId}))));
            // DefaultSignedAttributeTableGenerator adds content-type, signing-time, message-digest and CMS algorithm protection.
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addSignerInfoGenerator(new SignerInfoGeneratorBuilder(new PresetDigest(scheme.hash(), hash))
                    .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(new AttributeTable(attrs)))
                    .build(new TokenContentSigner(session, key, scheme, cert.getPublicKey(), pin), holder));
            generator.addCertificate(holder);
            CMSTypedData data = content == null ? new CMSAbsentContent() : new CMSProcessableByteArray(content);
            return generator.generate(data, content != null).getEncoded("DER");
        } catch (CMSException | OperatorCreationException | IOException | CertificateEncodingException | NoSuchAlgorithmException e) {
            if (e.getCause() instanceof HostException h) {
                throw h;
            }
            throw new HostException(ErrorCode.INTERNAL_ERROR, "building the CMS signature failed: " + e.getMessage(), Map.of(), e);
        }
    }

    /** A digest "calculator" that answers the hash computed beforehand, whatever content BC streams to it. */
    private record PresetDigest(String hash, byte[] value) implements DigestCalculatorProvider {
        @Override
        public DigestCalculator get(AlgorithmIdentifier algorithm) {
            AlgorithmIdentifier expected = new DefaultDigestAlgorithmIdentifierFinder().find(hash);
            if (!expected.getAlgorithm().equals(algorithm.getAlgorithm())) {
                throw new IllegalStateException("digest " + algorithm.getAlgorithm() + " asked, " + hash + " prepared");
            }
            return new DigestCalculator() {
                @Override
                public AlgorithmIdentifier getAlgorithmIdentifier() {
                    return expected;
                }

                @Override
                public OutputStream getOutputStream() {
                    return OutputStream.nullOutputStream();
                }

                @Override
                public byte[] getDigest() {
                    return value.clone();
                }
            };
        }
    }
}
