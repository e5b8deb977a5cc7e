package dev.nimbus.services.s3;

import dev.nimbus.protocol.AwsException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * The object checksums S3 computes and checks: MD5 (the ETag and Content-MD5) and the additional
 * checksums current SDKs send by default (CRC32, CRC32C, CRC64NVME, SHA1, SHA256). Values travel
 * as base64 of the big-endian checksum bytes.
 */
final class Checksums {
    /** The algorithms by their API name, with the member that carries each (ChecksumCRC32 ...). */
    static final List<String> ALGORITHMS = List.of("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256");

    private Checksums() {}

    /** A running checksum over bytes as they stream past. */
    interface Running {
        void update(byte[] b, int off, int len);

        /** base64 of the result */
        String value();
    }

    static Running of(String algorithm) {
        return switch (algorithm.toUpperCase(Locale.ROOT)) {
            case "CRC32" -> crc(new CRC32(), 4);
            case "CRC32C" -> crc(new CRC32C(), 4);
            case "CRC64NVME" -> crc(new Crc64Nvme(), 8);
            case "SHA1" -> digest("SHA-1");
            case "SHA256" -> digest("SHA-256");
            default -> throw new AwsException("InvalidRequest", "Value for x-amz-checksum-algorithm header is invalid.", 400);
        };
    }

    static String member(String algorithm) {
        return "Checksum" + algorithm.toUpperCase(Locale.ROOT);
    }

    /** The trailer or header that carries an algorithm's value: x-amz-checksum-crc32 ... */
    static String header(String algorithm) {
        return "x-amz-checksum-" + algorithm.toLowerCase(Locale.ROOT);
    }

    private static Running crc(Checksum c, int bytes) {
        return new Running() {
            public void update(byte[] b, int off, int len) {
                c.update(b, off, len);
            }

            public String value() {
                long v = c.getValue();
                byte[] out = new byte[bytes];
                for (int i = 0; i < bytes; i++) out[i] = (byte) (v >>> (8 * (bytes - 1 - i)));
                return Base64.getEncoder().encodeToString(out);
            }
        };
    }

    private static Running digest(String name) {
        MessageDigest md = md(name);
        return new Running() {
            public void update(byte[] b, int off, int len) {
                md.update(b, off, len);
            }

            public String value() {
                return Base64.getEncoder().encodeToString(md.digest());
            }
        };
    }

    /** one digest per algorithm, never updated, cloned for each use */
    private static final Map<String, MessageDigest> PROTOTYPES = new ConcurrentHashMap<>();

    /**
     * A fresh digest. Cloning a prototype skips the provider lookup of MessageDigest.getInstance,
     * which was a visible share of a small PUT's CPU.
     */
    static MessageDigest md(String name) {
        try {
            return (MessageDigest) PROTOTYPES.computeIfAbsent(name, Checksums::newDigest).clone();
        } catch (CloneNotSupportedException e) {
            return newDigest(name);
        }
    }

    private static MessageDigest newDigest(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, initial value and final xor all ones. */
    static final class Crc64Nvme implements Checksum {
        private static final long[] TABLE = new long[256];

        static {
            for (int i = 0; i < 256; i++) {
                long c = i;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ 0x9a6c9329ac4bc9b5L : c >>> 1;
                TABLE[i] = c;
            }
        }

        private long crc = ~0L;

        @Override
        public void update(int b) {
            crc = TABLE[(int) ((crc ^ b) & 0xff)] ^ (crc >>> 8);
        }

        @Override
        public void update(byte[] b, int off, int len) {
            long c = crc;
            for (int i = off; i < off + len; i++) c = TABLE[(int) ((c ^ b[i]) & 0xff)] ^ (c >>> 8);
            crc = c;
        }

        @Override
        public long getValue() {
            return ~crc;
        }

        @Override
        public void reset() {
            crc = ~0L;
        }
    }
}
