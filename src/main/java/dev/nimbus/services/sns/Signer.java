package dev.nimbus.services.sns;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Signs notifications as SNS does (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA, over the
 * message's canonical string), with an RSA key of this Nimbus kept in the store, so signatures stay
 * verifiable across restarts. The SigningCertURL serves a self-signed X.509 certificate for the key
 * (PEM), which is what SNS message validators load the key from.
 */
final class Signer {
    /**
     * The key size. AWS's signing certificates are RSA-2048, but a 2048-bit signature costs ~1.4 ms
     * of CPU here against ~0.25 ms at 1024 bits (measured on the 2-core build machine), and every
     * published message is signed: at 2048 bits signing alone would cap a 2-core Nimbus near 1,400
     * publishes/s. Validators accept either size (they take the key from the certificate), and the
     * key only vouches for messages of a local Nimbus, so the cheaper size is the better trade.
     */
    static final int KEY_BITS = 1024;
    private static final String SUBJECT = "sns.amazonaws.com";

    private final PrivateKey key;
    private final String certificatePem;
    /** Signature objects are not thread-safe; one per thread and algorithm avoids a provider look-up per message. */
    private final ThreadLocal<Signature> sha1 = ThreadLocal.withInitial(() -> instance("SHA1withRSA"));
    private final ThreadLocal<Signature> sha256 = ThreadLocal.withInitial(() -> instance("SHA256withRSA"));

    Signer(Store store) {
        Table keys = store.table("sns.keys");
        try {
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            JsonNode stored = keys.getJson("signing");
            // A key of another size (an older Nimbus's) or without a certificate is replaced: the certificate must match the key.
            if (stored == null || !stored.has("certificate") || stored.path("bits").asInt() != KEY_BITS) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(KEY_BITS);
                KeyPair pair = g.generateKeyPair();
                byte[] cert = certificate(pair, Instant.now());
                store.transaction(() -> keys.putJson("signing", Values.object().put("bits", KEY_BITS)
                        .put("private", Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()))
                        .put("public", Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()))
                        .put("certificate", Base64.getEncoder().encodeToString(cert))));
                stored = keys.getJson("signing");
            }
            this.key = rsa.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(stored.get("private").asText())));
            this.certificatePem = "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(Base64.getDecoder().decode(stored.get("certificate").asText()))
                    + "\n-----END CERTIFICATE-----\n";
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up the SNS signing key", e);
        }
    }

    private static Signature instance(String algorithm) {
        try {
            return Signature.getInstance(algorithm);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The base64 signature of the canonical string ("Name\nvalue\n" for each signed field, in name order). */
    String sign(String canonical, String signatureVersion) {
        try {
            Signature s = ("2".equals(signatureVersion) ? sha256 : sha1).get();
            s.initSign(key);
            s.update(canonical.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The signing certificate, as SigningCertURL serves it. */
    String certificatePem() {
        return certificatePem;
    }

    // ---- a self-signed X.509 v3 certificate, DER-encoded by hand (the JDK has no public API that builds one)

    private static final byte[] SHA256_WITH_RSA = HexFormat.of().parseHex("300d06092a864886f70d01010b0500");

    static byte[] certificate(KeyPair pair, Instant now) throws GeneralSecurityException {
        byte[] name = seq(tlv(0x31, seq(tlv(0x06, HexFormat.of().parseHex("550403")), tlv(0x0c, SUBJECT.getBytes(StandardCharsets.UTF_8)))));
        byte[] serial = new BigInteger(63, new SecureRandom()).add(BigInteger.ONE).toByteArray(); // positive, at most 8 bytes
        byte[] tbs = seq(
                tlv(0xa0, tlv(0x02, new byte[] {2})), // version: v3
                tlv(0x02, serial),
                SHA256_WITH_RSA,
                name,
                seq(time(now.minus(Duration.ofDays(1))), time(now.plus(Duration.ofDays(3650)))),
                name,
                pair.getPublic().getEncoded()); // SubjectPublicKeyInfo, already DER
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(pair.getPrivate());
        s.update(tbs);
        byte[] signature = s.sign();
        byte[] bits = new byte[signature.length + 1]; // a BIT STRING: a leading count of unused bits (0)
        System.arraycopy(signature, 0, bits, 1, signature.length);
        return seq(tbs, SHA256_WITH_RSA, tlv(0x03, bits));
    }

    /** X.509 validity times: UTCTime before 2050, GeneralizedTime from then on (RFC 5280). */
    private static byte[] time(Instant t) {
        ZonedDateTime z = t.atZone(ZoneOffset.UTC);
        boolean utc = z.getYear() < 2050;
        String text = DateTimeFormatter.ofPattern(utc ? "yyMMddHHmmss'Z'" : "yyyyMMddHHmmss'Z'").format(z);
        return tlv(utc ? 0x17 : 0x18, text.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] seq(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return tlv(0x30, out.toByteArray());
    }

    /** One DER element: tag, definite length (short or long form), contents. */
    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            byte[] len = BigInteger.valueOf(n).toByteArray();
            int skip = len[0] == 0 ? 1 : 0;
            out.write(0x80 | (len.length - skip));
            out.write(len, skip, len.length - skip);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }
}
