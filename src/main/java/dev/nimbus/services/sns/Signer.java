package dev.nimbus.services.sns;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * Signs notifications as SNS does (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA, over the
 * message's canonical string), with an RSA key of this Nimbus kept in the store, so signatures stay
 * verifiable across restarts. The public key is served at the SigningCertURL (a PEM public key:
 * Nimbus has no certificate authority to issue one).
 */
final class Signer {
    private final PrivateKey key;
    private final PublicKey publicKey;

    Signer(Store store) {
        Table keys = store.table("sns.keys");
        try {
            JsonNode stored = keys.getJson("signing");
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            if (stored == null) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
                KeyPair pair = g.generateKeyPair();
                keys.putJsonIfAbsent("signing", Values.object()
                        .put("private", Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()))
                        .put("public", Base64.getEncoder().encodeToString(pair.getPublic().getEncoded())));
                stored = keys.getJson("signing");
            }
            this.key = rsa.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(stored.get("private").asText())));
            this.publicKey = rsa.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(stored.get("public").asText())));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up the SNS signing key", e);
        }
    }

    /** The base64 signature of the canonical string ("Name\nvalue\n" for each signed field, in name order). */
    String sign(String canonical, String signatureVersion) {
        try {
            Signature s = Signature.getInstance("2".equals(signatureVersion) ? "SHA256withRSA" : "SHA1withRSA");
            s.initSign(key);
            s.update(canonical.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    String publicKeyPem() {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(publicKey.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }
}
