package dev.nimbus.services.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The digests SQS returns and SDKs verify: MD5OfMessageBody is the MD5 of the body's UTF-8 bytes;
 * MD5OfMessageAttributes is the MD5 of the attributes sorted by name, each encoded as
 * length-prefixed (4 bytes, big-endian) name, length-prefixed data type, one transport byte
 * (1 for String and Number, 2 for Binary) and the length-prefixed value.
 */
final class Md5 {
    private Md5() {}

    /**
     * The MD5 of the text's UTF-8 bytes. Consecutive bodies often share most of their start: an
     * SNS topic's notification reaches each of its queues as the same envelope but for its
     * UnsubscribeURL, and the digest was a tenth of such a publish. So the digest's state after
     * the whole 64-byte blocks a body shares with the one before it is kept, and a body that
     * starts with them digests only its rest. Any thread may use it: the kept state is only
     * cloned, and a body is matched against it byte for byte.
     */
    static String of(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Start kept = lastStart;
        MessageDigest d;
        int done = 0;
        if (kept.state != null && Arrays.equals(bytes, 0, Math.min(kept.length, bytes.length), kept.bytes, 0, kept.length)) {
            d = copy(kept.state);
            done = kept.length;
        } else {
            d = digest();
            int common = Arrays.mismatch(bytes, kept.bytes);
            int blocks = (common < 0 ? bytes.length : common) / 64 * 64;
            if (blocks >= MIN_SHARED) {
                d.update(bytes, 0, blocks);
                done = blocks;
                lastStart = new Start(bytes, blocks, copy(d));
            } else {
                lastStart = new Start(bytes, 0, null);
            }
        }
        d.update(bytes, done, bytes.length - done);
        return hex(d.digest());
    }

    /** A body's bytes and the digest's state after its first {@code length} of them (null when none is worth keeping). */
    private record Start(byte[] bytes, int length, MessageDigest state) {}

    /** Shared starts shorter than this are digested again: cloning the state costs about as much. */
    private static final int MIN_SHARED = 256;

    private static volatile Start lastStart = new Start(new byte[0], 0, null);

    /** Over attributes in the json model's shape ({name: {DataType, StringValue | BinaryValue (base64)}}); null when there are none. */
    static String ofAttributes(JsonNode attributes) {
        if (attributes == null || attributes.isEmpty()) return null;
        Map<String, JsonNode> sorted = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = attributes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            sorted.put(e.getKey(), e.getValue());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sorted.forEach((name, value) -> {
            String type = value.path("DataType").asText();
            field(out, name.getBytes(StandardCharsets.UTF_8));
            field(out, type.getBytes(StandardCharsets.UTF_8));
            if (type.startsWith("Binary")) {
                out.write(2);
                field(out, Base64.getDecoder().decode(value.path("BinaryValue").asText()));
            } else {
                out.write(1);
                field(out, value.path("StringValue").asText().getBytes(StandardCharsets.UTF_8));
            }
        });
        return hex(digest().digest(out.toByteArray()));
    }

    /** MD5OfMessageSystemAttributes: the same encoding over AWSTraceHeader, the one system attribute senders set. */
    static String ofTraceHeader(String traceHeader) {
        if (traceHeader == null) return null;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        field(out, "AWSTraceHeader".getBytes(StandardCharsets.UTF_8));
        field(out, "String".getBytes(StandardCharsets.UTF_8));
        out.write(1);
        field(out, traceHeader.getBytes(StandardCharsets.UTF_8));
        return hex(digest().digest(out.toByteArray()));
    }

    private static void field(ByteArrayOutputStream out, byte[] bytes) {
        int n = bytes.length;
        out.write(n >>> 24);
        out.write(n >>> 16);
        out.write(n >>> 8);
        out.write(n);
        out.writeBytes(bytes);
    }

    /** Cloned for each digest: cheaper than looking the algorithm up among the providers every time (every message). */
    private static final MessageDigest PROTOTYPE;

    static {
        try {
            PROTOTYPE = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static MessageDigest digest() {
        return copy(PROTOTYPE);
    }

    private static MessageDigest copy(MessageDigest d) {
        try {
            return (MessageDigest) d.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
