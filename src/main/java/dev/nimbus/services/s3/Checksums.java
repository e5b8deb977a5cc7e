package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Collections;
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

    /**
     * The checksum S3 gives an object uploaded without one (since December 2024 every new object has a checksum):
     * CRC64NVME of its bytes, FULL_OBJECT, for a PutObject, a POST upload, a copy and a multipart upload alike.
     */
    static final String DEFAULT = "CRC64NVME";

    private Checksums() {}

    /** The algorithms an upload computes: those the request asks for, or else S3's default. */
    static Map<String, String> orDefault(Map<String, String> declared) {
        return declared.isEmpty() ? Collections.singletonMap(DEFAULT, null) : declared;
    }

    /** An object record's checksum from an upload's values: the first one (the algorithm asked for, or the default). */
    static ObjectNode record(Map<String, String> values) {
        var first = values.entrySet().iterator().next();
        return Values.object().put("alg", first.getKey()).put("value", first.getValue());
    }

    /**
     * A checksum header's value must be the base64 of as many bytes as the algorithm gives; S3 refuses another
     * value as invalid before it reads the body (a value of the right form that does not match is BadDigest).
     */
    static void checkValue(String algorithm, String value) {
        int bytes = switch (algorithm) {
            case "CRC32", "CRC32C" -> 4;
            case "CRC64NVME" -> 8;
            case "SHA1" -> 20;
            default -> 32;
        };
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(value.trim());
        } catch (IllegalArgumentException e) {
            decoded = null;
        }
        if (decoded == null || decoded.length != bytes) {
            throw new AwsException("InvalidRequest", "Value for " + header(algorithm) + " header is invalid.", 400);
        }
    }

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
                return encode(c.getValue(), bytes);
            }
        };
    }

    private static String encode(long v, int bytes) {
        byte[] out = new byte[bytes];
        for (int i = 0; i < bytes; i++) out[i] = (byte) (v >>> (8 * (bytes - 1 - i)));
        return Base64.getEncoder().encodeToString(out);
    }

    private static final long CRC64NVME_POLY = 0x9a6c9329ac4bc9b5L;

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

    /** What an object record's "checksum" is: FULL_OBJECT (of all its bytes) unless a multipart upload made it COMPOSITE. */
    static String type(JsonNode checksum) {
        return checksum.path("type").asText("FULL_OBJECT");
    }

    /** Writes a record's checksum as the API gives it: ChecksumCRC32 (or ...) and ChecksumType. */
    static void put(ObjectNode out, JsonNode checksum) {
        out.put(member(checksum.path("alg").asText()), checksum.path("value").asText()).put("ChecksumType", type(checksum));
    }

    /**
     * What GetObject and HeadObject give with ChecksumMode=ENABLED: for a part (partNumber) of a COMPOSITE multipart
     * object, that part's own checksum; else the object's when the whole object is read. A range, or a part of an
     * object whose FULL_OBJECT checksum covers all its bytes, has no checksum to give.
     */
    static void forRead(ObjectNode out, JsonNode record, boolean whole, int partNumber) {
        JsonNode checksum = record.get("checksum");
        if (checksum == null) return;
        JsonNode parts = checksum.path("parts");
        if (partNumber > 0 && record.has("partsCount")) {
            if (partNumber <= parts.size()) {
                out.put(member(checksum.path("alg").asText()), parts.get(partNumber - 1).asText()).put("ChecksumType", "COMPOSITE");
            } else if (whole) {
                put(out, checksum);
            }
            return;
        }
        if (whole) put(out, checksum);
    }

    /**
     * The algorithm a copy computes over the bytes it copies: the one the request asks for, else the source's
     * (a composite multipart checksum becomes a full-object one, since the copy is one piece), else the default.
     */
    static Map<String, String> forCopy(JsonNode in, JsonNode source) {
        String alg = in.path("ChecksumAlgorithm").asText(source.path("checksum").path("alg").asText(DEFAULT)).toUpperCase(Locale.ROOT);
        if (!ALGORITHMS.contains(alg)) throw new AwsException("InvalidRequest", "Checksum algorithm provided is unsupported.", 400);
        return Collections.singletonMap(alg, null);
    }

    /** Multipart COMPOSITE: the algorithm over the parts' checksums (raw bytes, in part order), then "-" and the part count. */
    static String composite(String algorithm, List<String> partValues) {
        Running c = of(algorithm);
        for (String v : partValues) {
            byte[] b = Base64.getDecoder().decode(v);
            c.update(b, 0, b.length);
        }
        return c.value() + "-" + partValues.size();
    }

    /**
     * Multipart FULL_OBJECT: the CRC of the parts end to end, from each part's CRC and length, no byte read
     * again. These CRCs start from all ones and end xored with all ones, so crc(A+B) = shift(crc(A), |B|) ^ crc(B),
     * where shift runs the bare register over |B| zero bytes: a linear map, applied by squaring its matrix.
     */
    static String combined(String algorithm, List<String> partValues, List<Long> sizes) {
        int width = algorithm.equals("CRC64NVME") ? 64 : 32;
        long poly = switch (algorithm) {
            case "CRC32" -> 0xEDB88320L;
            case "CRC32C" -> 0x82F63B78L;
            case "CRC64NVME" -> CRC64NVME_POLY;
            default -> throw new IllegalArgumentException(algorithm + " has no full-object combination");
        };
        long crc = 0;
        for (int i = 0; i < partValues.size(); i++) {
            long part = 0;
            for (byte b : Base64.getDecoder().decode(partValues.get(i))) part = part << 8 | (b & 0xff);
            crc = i == 0 ? part : times(zeros(sizes.get(i), poly, width), crc) ^ part;
        }
        byte[] out = new byte[width / 8];
        for (int i = 0; i < out.length; i++) out[i] = (byte) (crc >>> (8 * (out.length - 1 - i)));
        return Base64.getEncoder().encodeToString(out);
    }

    /** operators by (polynomial, length): an upload's buffers, and most parts, are of a few sizes */
    private static final Map<String, long[]> ZEROS = new ConcurrentHashMap<>();

    /**
     * The linear map that advances a reflected CRC register over {@code bytes} zero bytes (no initial value, no final
     * xor), as its columns (column i: what the zeros make of register bit i); built by squaring the one-bit map.
     */
    private static long[] zeros(long bytes, long poly, int width) {
        String key = poly + "/" + bytes;
        long[] cached = ZEROS.get(key);
        if (cached != null) return cached;
        long[] op = new long[width]; // one zero bit
        op[0] = poly;
        for (int i = 1; i < width; i++) op[i] = 1L << (i - 1);
        for (int i = 0; i < 3; i++) op = square(op); // one zero byte
        long[] result = null; // null: the identity
        for (long n = bytes; n != 0; n >>>= 1) {
            if ((n & 1) != 0) result = result == null ? op : compose(op, result);
            if (n > 1) op = square(op);
        }
        if (result == null) {
            result = new long[width];
            for (int i = 0; i < width; i++) result[i] = 1L << i;
        }
        if (ZEROS.size() < 256) ZEROS.put(key, result);
        return result;
    }

    /** The map "first {@code first}, then {@code then}" as columns. */
    private static long[] compose(long[] then, long[] first) {
        long[] out = new long[first.length];
        for (int i = 0; i < first.length; i++) out[i] = times(then, first[i]);
        return out;
    }

    private static long times(long[] matrix, long vector) {
        long out = 0;
        for (int i = 0; vector != 0; i++, vector >>>= 1) if ((vector & 1) != 0) out ^= matrix[i];
        return out;
    }

    private static long[] square(long[] matrix) {
        long[] out = new long[matrix.length];
        for (int i = 0; i < matrix.length; i++) out[i] = times(matrix, matrix[i]);
        return out;
    }

    /**
     * CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, initial value and final xor all ones. S3 computes it for
     * every object uploaded without a checksum, so it is made fast without native code (~0.4 s of CPU per GiB, where
     * MD5 takes ~1.4): eight bytes a step by table lookups ("slicing by 8": table k gives a byte's effect k bytes
     * further on), and four such lanes at once over a block's quarters, so that a lookup does not wait for the one
     * before it; a lane's register is carried over the quarters after it by the linear map of {@link #zeros}.
     */
    static final class Crc64Nvme implements Checksum {
        /**
         * Table k at [256 * k, 256 * k + 255]: one array of constant length, indexed by a masked byte plus a constant,
         * lets the JIT drop the bounds checks (separate arrays, or a two-level one, cost about twice the time).
         */
        private static final long[] TABLES = new long[8 * 256];
        private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
        /** bytes in one of a block's four lanes (a multiple of 8) */
        private static final int LANE = 16 * 1024;
        /** the register carried over one lane */
        private static final long[] OVER_LANE = zeros(LANE, CRC64NVME_POLY, 64);

        static {
            for (int i = 0; i < 256; i++) {
                long c = i;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ CRC64NVME_POLY : c >>> 1;
                TABLES[i] = c;
            }
            for (int i = 256; i < TABLES.length; i++) TABLES[i] = (TABLES[i - 256] >>> 8) ^ TABLES[(int) (TABLES[i - 256] & 0xff)];
        }

        private long crc = ~0L;

        @Override
        public void update(int b) {
            crc = TABLES[(int) ((crc ^ b) & 0xff)] ^ (crc >>> 8);
        }

        @Override
        public void update(byte[] b, int off, int len) {
            long c = crc;
            int i = off, end = off + len;
            for (; i + 4 * LANE <= end; i += 4 * LANE) {
                // lanes 1-3 start from a zero register: the first lane's register, carried over them, is xored in below
                long c1 = 0, c2 = 0, c3 = 0;
                for (int j = i; j < i + LANE; j += 8) {
                    c = step(c ^ (long) LONGS.get(b, j));
                    c1 = step(c1 ^ (long) LONGS.get(b, j + LANE));
                    c2 = step(c2 ^ (long) LONGS.get(b, j + 2 * LANE));
                    c3 = step(c3 ^ (long) LONGS.get(b, j + 3 * LANE));
                }
                c = times(OVER_LANE, times(OVER_LANE, times(OVER_LANE, c) ^ c1) ^ c2) ^ c3;
            }
            for (; i + 8 <= end; i += 8) c = step(c ^ (long) LONGS.get(b, i));
            for (; i < end; i++) c = TABLES[(int) ((c ^ b[i]) & 0xff)] ^ (c >>> 8);
            crc = c;
        }

        /** The register after eight bytes, given the register xored with them (little-endian). */
        private static long step(long x) {
            long[] t = TABLES;
            return t[7 * 256 + (int) (x & 0xff)] ^ t[6 * 256 + (int) ((x >>> 8) & 0xff)] ^ t[5 * 256 + (int) ((x >>> 16) & 0xff)]
                    ^ t[4 * 256 + (int) ((x >>> 24) & 0xff)] ^ t[3 * 256 + (int) ((x >>> 32) & 0xff)] ^ t[2 * 256 + (int) ((x >>> 40) & 0xff)]
                    ^ t[256 + (int) ((x >>> 48) & 0xff)] ^ t[(int) (x >>> 56)];
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
