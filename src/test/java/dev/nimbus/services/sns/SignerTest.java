package dev.nimbus.services.sns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.protocol.Values;
import dev.nimbus.store.SqliteStore;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The signing arithmetic of {@link Signer}: checked against the JDK's RSA, which verifies what it signs. */
class SignerTest {
    private static final byte[] DATA = "Message\nhello\nMessageId\n1\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n".getBytes(StandardCharsets.UTF_8);

    @Test
    void aTwoPrimeKeySignsByteForByteAsTheJdk() throws Exception {
        // PKCS #1 v1.5 signatures are deterministic: the same key must give the JDK's bytes exactly.
        KeyPair pair = jdkPair();
        Signer.Key key = Signer.Key.of((RSAPrivateCrtKey) pair.getPrivate());
        for (String[] alg : new String[][] {{"SHA-1", "SHA1withRSA"}, {"SHA-256", "SHA256withRSA"}}) {
            Signature jdk = Signature.getInstance(alg[1]);
            jdk.initSign(pair.getPrivate());
            jdk.update(DATA);
            assertArrayEquals(jdk.sign(), key.sign(DATA, alg[0]), alg[1]);
        }
    }

    @Test
    void aFourPrimeKeyHas1024BitsAndItsSignaturesVerify() throws Exception {
        Signer.Key key = Signer.Key.generate(new SecureRandom());
        assertEquals(4, key.primes().length);
        assertEquals(1024, key.modulus().bitLength());
        PublicKey pub = key.publicKey();
        for (int i = 0; i < 20; i++) { // different messages, so every CRT branch meets varied residues
            byte[] data = ("message " + i).getBytes(StandardCharsets.UTF_8);
            byte[] sig = key.sign(data, i % 2 == 0 ? "SHA-1" : "SHA-256");
            assertEquals(128, sig.length);
            assertTrue(verify(pub, i % 2 == 0 ? "SHA1withRSA" : "SHA256withRSA", data, sig));
            assertFalse(verify(pub, i % 2 == 0 ? "SHA1withRSA" : "SHA256withRSA", ("message " + (i + 1)).getBytes(StandardCharsets.UTF_8), sig));
        }
    }

    @Test
    void signaturesOfManyRandomMessagesVerifyWithTheJdk() throws Exception {
        // RSA's e-th root is unique modulo n, so a signature that verifies is exactly m^d mod n: this
        // covers the CRT over four primes on messages of every length, bytes and digest.
        Random random = new Random(8);
        Signer.Key key = Signer.Key.generate(new SecureRandom());
        PublicKey pub = key.publicKey();
        for (int i = 0; i < 300; i++) {
            byte[] data = new byte[random.nextInt(2048)];
            random.nextBytes(data);
            boolean sha256 = random.nextBoolean();
            byte[] sig = key.sign(data, sha256 ? "SHA-256" : "SHA-1");
            assertEquals(128, sig.length);
            assertTrue(verify(pub, sha256 ? "SHA256withRSA" : "SHA1withRSA", data, sig), "message " + i);
            assertFalse(verify(pub, sha256 ? "SHA1withRSA" : "SHA256withRSA", data, sig), "message " + i + " under the other digest");
        }
    }

    @Test
    void theKeyAndCertificateSurviveARestartAndMatch(@TempDir Path dir) throws Exception {
        String pem;
        String signature;
        try (SqliteStore store = SqliteStore.open(dir); Signer signer = new Signer(store)) {
            pem = signer.certificatePem();
            signature = signer.sign(new String(DATA, StandardCharsets.UTF_8), "1");
        }
        try (SqliteStore store = SqliteStore.open(dir); Signer signer = new Signer(store)) {
            assertEquals(pem, signer.certificatePem());
            assertEquals(signature, signer.sign(new String(DATA, StandardCharsets.UTF_8), "1"));
            assertTrue(store.table("sns.keys").getJson("signing").has("primes"));
        }
        X509Certificate cert = certificate(pem);
        cert.verify(cert.getPublicKey()); // self-signed, by the four-prime key
        assertTrue(verify(cert.getPublicKey(), "SHA1withRSA", DATA, Base64.getDecoder().decode(signature)));
    }

    @Test
    void aNewKeysFirstSignatureInsideATransactionDoesNotWaitForTheKeysCommit(@TempDir Path dir) throws Exception {
        // A publish signs inside its transaction, holding the store's writer; the new key is stored in a
        // transaction of its own, which that writer would block if signing waited for it.
        // Closed only when signing returned: were it waiting for the key's commit, closing would wait forever too.
        SqliteStore first = SqliteStore.open(dir);
        Signer signer = new Signer(first);
        String signature = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> first.transaction(() -> signer.sign(new String(DATA, StandardCharsets.UTF_8), "2")));
        String pem = signer.certificatePem();
        signer.close();
        first.close();
        assertTrue(verify(certificate(pem).getPublicKey(), "SHA256withRSA", DATA, Base64.getDecoder().decode(signature)));
        try (SqliteStore store = SqliteStore.open(dir); Signer again = new Signer(store)) {
            assertEquals(pem, again.certificatePem()); // stored once made, before close returned
        }
    }

    @Test
    void aKeyAnOlderNimbusStoredIsKept(@TempDir Path dir) throws Exception {
        KeyPair pair = jdkPair();
        byte[] cert = Signer.certificate(Signer.Key.of((RSAPrivateCrtKey) pair.getPrivate()), Instant.now());
        try (SqliteStore store = SqliteStore.open(dir)) {
            // The form a Nimbus before multi-prime keys stored: PKCS #8 and X.509 encodings, no "primes".
            store.transaction(() -> store.table("sns.keys").putJson("signing", Values.object().put("bits", 1024)
                    .put("private", Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()))
                    .put("public", Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()))
                    .put("certificate", Base64.getEncoder().encodeToString(cert))));
            Signer signer = new Signer(store); // a stored key: nothing to make, nothing to close
            assertEquals(pair.getPublic(), certificate(signer.certificatePem()).getPublicKey());
            byte[] sig = Base64.getDecoder().decode(signer.sign(new String(DATA, StandardCharsets.UTF_8), "2"));
            assertTrue(verify(pair.getPublic(), "SHA256withRSA", DATA, sig));
        }
    }

    private static KeyPair jdkPair() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        return g.generateKeyPair();
    }

    private static boolean verify(PublicKey key, String algorithm, byte[] data, byte[] signature) throws Exception {
        Signature s = Signature.getInstance(algorithm);
        s.initVerify(key);
        s.update(data);
        return s.verify(signature);
    }

    private static X509Certificate certificate(String pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }
}
