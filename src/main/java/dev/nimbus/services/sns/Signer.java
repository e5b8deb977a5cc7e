package dev.nimbus.services.sns;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Signs notifications as SNS does (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA, PKCS #1
 * v1.5, over the message's canonical string), with an RSA key of this Nimbus kept in the store, so
 * signatures stay verifiable across restarts. The SigningCertURL serves a self-signed X.509
 * certificate for the key (PEM), which is what SNS message validators load the key from.
 *
 * <p>Every published message is signed, so the signature is the costliest step of a publish. Two
 * choices make it cheap, neither visible to a validator (it sees only the modulus and exponent):
 * <ul>
 *   <li>1,024 bits. AWS's certificates are RSA-2048, but that costs ~1.1 ms a signature here;
 *       below 1,024 bits Go's crypto/rsa (1.24+) refuses the key.
 *   <li>Four primes of 256 bits (multi-prime RSA, RFC 8017), signed by the Chinese remainder
 *       theorem over the four: four 256-bit exponentiations take ~50 us against ~190 us for the
 *       JDK's two 512-bit ones. The JDK cannot sign with a multi-prime key, hence the arithmetic
 *       here. A 1,024-bit modulus of four primes is weaker than of two; the key only vouches for
 *       messages of a local Nimbus, and there is no blinding for the same reason.
 * </ul>
 * A key stored by an older Nimbus (two primes, PKCS #8) is kept with its certificate, and signed
 * with in the same way.
 */
final class Signer implements AutoCloseable {
    static final int KEY_BITS = 1024;
    static final int PRIMES = 4;
    private static final BigInteger E = BigInteger.valueOf(65537);
    private static final String SUBJECT = "sns.amazonaws.com";
    /** DER DigestInfo prefixes of EMSA-PKCS1-v1_5 (RFC 8017 section 9.2), the digest follows. */
    private static final byte[] SHA1_INFO = HexFormat.of().parseHex("3021300906052b0e03021a05000414");
    private static final byte[] SHA256_INFO = HexFormat.of().parseHex("3031300d060960864801650304020105000420");

    private static final Logger LOG = Logger.getLogger(Signer.class.getName());

    /** The key and its certificate (PEM), once made or loaded. */
    private record Ready(Key key, String certificatePem) {}

    private final CompletableFuture<Ready> ready;
    /** The thread that makes and stores a new key, or null when the store had one. */
    private final Thread maker;

    /**
     * Loads the stored key, or starts making one. Making one takes 150-400 ms of CPU at start-up
     * (four primes, mostly interpreted code then), a quarter of a start on a new data dir or with
     * --ephemeral, so it runs on a thread of its own and the first signature waits for it. It is
     * stored once made, in a transaction of its own; signing does not wait for that, since a
     * publish that signs may hold the store's writer. So a kill in the few milliseconds between a
     * new key's first signature and its commit loses the key those signatures verify with.
     */
    Signer(Store store) {
        Table keys = store.table("sns.keys");
        JsonNode stored = keys.getJson("signing");
        // A key of another size or without a certificate is replaced: the certificate must match the key.
        if (stored != null && stored.has("certificate") && stored.path("bits").asInt() == KEY_BITS) {
            ready = CompletableFuture.completedFuture(load(stored));
            maker = null;
        } else {
            ready = new CompletableFuture<>();
            maker = Thread.ofPlatform().daemon().name("sns-signing-key").start(() -> make(store, keys));
        }
    }

    private void make(Store store, Table keys) {
        ObjectNode row;
        try {
            Key fresh = Key.generate(new SecureRandom());
            byte[] cert = certificate(fresh, Instant.now());
            row = Values.object().put("bits", KEY_BITS).put("primes", fresh.primesHex()).put("certificate", Base64.getEncoder().encodeToString(cert));
            ready.complete(load(row));
        } catch (GeneralSecurityException | RuntimeException e) {
            ready.completeExceptionally(new IllegalStateException("cannot make the SNS signing key", e));
            return;
        }
        try {
            store.transaction(() -> keys.putJson("signing", row));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not store the SNS signing key; the next start makes another", e);
        }
    }

    /** A stored key: four primes ("primes"), or the PKCS #8 form an older Nimbus stored ("private"). */
    private static Ready load(JsonNode stored) {
        try {
            Key key = stored.has("primes") ? Key.of(stored.get("primes").asText())
                    : Key.of((RSAPrivateCrtKey) KeyFactory.getInstance("RSA")
                            .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(stored.get("private").asText()))));
            return new Ready(key, "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(Base64.getDecoder().decode(stored.get("certificate").asText()))
                    + "\n-----END CERTIFICATE-----\n");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the SNS signing key", e);
        }
    }

    private Ready ready() {
        return ready.join();
    }

    /** Waits until a key being made is stored (the store closes after this). */
    @Override
    public void close() {
        if (maker == null) return;
        try {
            maker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The base64 signature of the canonical string ("Name\nvalue\n" for each signed field, in name order). */
    String sign(String canonical, String signatureVersion) {
        byte[] data = canonical.getBytes(StandardCharsets.UTF_8);
        Key key = ready().key();
        return Base64.getEncoder().encodeToString("2".equals(signatureVersion) ? key.sign(data, "SHA-256") : key.sign(data, "SHA-1"));
    }

    /**
     * An RSA private key as its primes, with what signing by the Chinese remainder theorem needs
     * precomputed: each prime's exponent d mod (p - 1), and Garner's coefficients (the inverse of
     * the product of the primes before each one, modulo it).
     */
    record Key(BigInteger[] primes, BigInteger modulus, BigInteger[] exponents, BigInteger[] coefficients) {
        static Key of(BigInteger... primes) {
            BigInteger n = BigInteger.ONE, lambda = BigInteger.ONE;
            for (BigInteger p : primes) {
                n = n.multiply(p);
                BigInteger p1 = p.subtract(BigInteger.ONE);
                lambda = lambda.divide(lambda.gcd(p1)).multiply(p1);
            }
            BigInteger d = E.modInverse(lambda);
            BigInteger[] exponents = new BigInteger[primes.length], coefficients = new BigInteger[primes.length];
            BigInteger before = BigInteger.ONE;
            for (int i = 0; i < primes.length; i++) {
                exponents[i] = d.mod(primes[i].subtract(BigInteger.ONE));
                coefficients[i] = before.modInverse(primes[i]);
                before = before.multiply(primes[i]);
            }
            return new Key(primes, n, exponents, coefficients);
        }

        static Key of(RSAPrivateCrtKey k) {
            return of(k.getPrimeP(), k.getPrimeQ());
        }

        /** Stored form: the primes in hex, comma-separated. */
        static Key of(String primesHex) {
            return of(Arrays.stream(primesHex.split(",")).map(h -> new BigInteger(h, 16)).toArray(BigInteger[]::new));
        }

        String primesHex() {
            return String.join(",", Arrays.stream(primes).map(p -> p.toString(16)).toList());
        }

        /** {@link #PRIMES} distinct primes whose product has exactly {@link #KEY_BITS} bits, each with p - 1 coprime to e. */
        static Key generate(SecureRandom random) {
            while (true) {
                BigInteger[] primes = new BigInteger[PRIMES];
                BigInteger n = BigInteger.ONE;
                for (int i = 0; i < PRIMES; i++) {
                    BigInteger p;
                    do {
                        p = BigInteger.probablePrime(KEY_BITS / PRIMES, random);
                    } while (!p.subtract(BigInteger.ONE).gcd(E).equals(BigInteger.ONE) || Arrays.asList(primes).contains(p));
                    primes[i] = p;
                    n = n.multiply(p);
                }
                if (n.bitLength() == KEY_BITS) return of(primes);
            }
        }

        RSAPublicKey publicKey() throws GeneralSecurityException {
            return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(modulus, E));
        }

        /** An RSASSA-PKCS1-v1_5 signature (RFC 8017 section 8.2) with this digest ("SHA-1" or "SHA-256"). */
        byte[] sign(byte[] data, String digest) {
            byte[] hash;
            try {
                hash = MessageDigest.getInstance(digest).digest(data);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            byte[] info = digest.equals("SHA-256") ? SHA256_INFO : SHA1_INFO;
            int k = (modulus.bitLength() + 7) / 8;
            byte[] em = new byte[k]; // 0x00 0x01 0xFF... 0x00 DigestInfo
            em[1] = 1;
            Arrays.fill(em, 2, k - info.length - hash.length - 1, (byte) 0xff);
            System.arraycopy(info, 0, em, k - info.length - hash.length, info.length);
            System.arraycopy(hash, 0, em, k - hash.length, hash.length);
            BigInteger m = new BigInteger(1, em);
            // Garner: x agrees with m^d modulo each prime in turn, kept below the product of those so far.
            BigInteger x = BigInteger.ZERO, before = BigInteger.ONE;
            for (int i = 0; i < primes.length; i++) {
                BigInteger p = primes[i];
                BigInteger mi = m.mod(p).modPow(exponents[i], p);
                x = x.add(before.multiply(mi.subtract(x).mod(p).multiply(coefficients[i]).mod(p)));
                before = before.multiply(p);
            }
            byte[] s = x.toByteArray(), out = new byte[k];
            int skip = s.length > k ? s.length - k : 0; // a leading sign byte
            System.arraycopy(s, skip, out, k - (s.length - skip), s.length - skip);
            return out;
        }
    }

    /** The signing certificate, as SigningCertURL serves it. */
    String certificatePem() {
        return ready().certificatePem();
    }

    // ---- a self-signed X.509 v3 certificate, DER-encoded by hand (the JDK has no public API that builds one)

    private static final byte[] SHA256_WITH_RSA = HexFormat.of().parseHex("300d06092a864886f70d01010b0500");

    static byte[] certificate(Key key, Instant now) throws GeneralSecurityException {
        byte[] name = seq(tlv(0x31, seq(tlv(0x06, HexFormat.of().parseHex("550403")), tlv(0x0c, SUBJECT.getBytes(StandardCharsets.UTF_8)))));
        byte[] serial = new BigInteger(63, new SecureRandom()).add(BigInteger.ONE).toByteArray(); // positive, at most 8 bytes
        byte[] tbs = seq(
                tlv(0xa0, tlv(0x02, new byte[] {2})), // version: v3
                tlv(0x02, serial),
                SHA256_WITH_RSA,
                name,
                seq(time(now.minus(Duration.ofDays(1))), time(now.plus(Duration.ofDays(3650)))),
                name,
                key.publicKey().getEncoded()); // SubjectPublicKeyInfo, already DER
        byte[] signature = key.sign(tbs, "SHA-256");
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
