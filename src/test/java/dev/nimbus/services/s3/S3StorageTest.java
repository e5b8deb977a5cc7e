package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Where object bytes live: small bodies in the object's record, larger ones in blob files. Both
 * read back whole and by range, copy, overwrite each other, survive a restart; an upload cut off
 * midway publishes nothing; bucket changes (versioning) reach the next PUT at once.
 */
class S3StorageTest {
    static final String SIGNED = "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] get(S3Client s3, String key) {
        return s3.getObjectAsBytes(b -> b.bucket("store").key(key)).asByteArray();
    }

    @Test
    void smallAndLargeBodiesReadCopyOverwriteAndSurviveARestart(@TempDir Path dir) {
        Map<String, byte[]> objects = new LinkedHashMap<>();
        // around the size up to which a body stays in its record
        for (int size : new int[] {0, 1, 100, Upload.INLINE_MAX, Upload.INLINE_MAX + 1, 3_000_000}) objects.put("k" + size, bytes(size, size));
        try (TestServer t = TestServer.startDurable(dir); S3Client s3 = t.client(S3Client.builder().forcePathStyle(true))) {
            s3.createBucket(b -> b.bucket("store"));
            objects.forEach((k, v) -> s3.putObject(b -> b.bucket("store").key(k), RequestBody.fromBytes(v)));
            objects.forEach((k, v) -> assertArrayEquals(v, get(s3, k), k));
            byte[] small = objects.get("k100");
            byte[] range = s3.getObjectAsBytes(b -> b.bucket("store").key("k100").range("bytes=10-19")).asByteArray();
            assertArrayEquals(Arrays.copyOfRange(small, 10, 20), range);
            s3.copyObject(b -> b.sourceBucket("store").sourceKey("k100").destinationBucket("store").destinationKey("copy-small"));
            s3.copyObject(b -> b.sourceBucket("store").sourceKey("k3000000").destinationBucket("store").destinationKey("copy-large"));
            objects.put("copy-small", small);
            objects.put("copy-large", objects.get("k3000000"));
            // a small body replacing a file and a large one replacing a record's bytes
            s3.putObject(b -> b.bucket("store").key("k3000000"), RequestBody.fromBytes(small));
            s3.putObject(b -> b.bucket("store").key("k100"), RequestBody.fromBytes(objects.get("copy-large")));
            objects.put("k3000000", small);
            objects.put("k100", objects.get("copy-large"));
            objects.forEach((k, v) -> assertArrayEquals(v, get(s3, k), k));
            s3.deleteObject(b -> b.bucket("store").key("k1"));
            objects.remove("k1");
        }
        try (TestServer t = TestServer.startDurable(dir); S3Client s3 = t.client(S3Client.builder().forcePathStyle(true))) {
            objects.forEach((k, v) -> assertArrayEquals(v, get(s3, k), k));
            assertThrows(NoSuchKeyException.class, () -> get(s3, "k1"));
        }
    }

    @Test
    void anUploadCutOffMidwayPublishesNothing() throws IOException {
        try (TestServer t = TestServer.start(); S3Client s3 = t.client(S3Client.builder().forcePathStyle(true))) {
            s3.createBucket(b -> b.bucket("store"));
            s3.putObject(b -> b.bucket("store").key("kept"), RequestBody.fromString("old"));
            for (String key : new String[] {"kept", "new"}) {
                for (int declared : new int[] {1000, 3_000_000}) {
                    // the client sends part of the body and goes away; whatever the server answers, if anything, is not read
                    try (Socket c = new Socket("127.0.0.1", t.port())) {
                        c.setSoTimeout(60_000);
                        c.getOutputStream().write(("PUT /store/" + key + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + SIGNED + "\r\nContent-Length: " + declared
                                + "\r\n\r\n" + "x".repeat(500)).getBytes(StandardCharsets.US_ASCII));
                        c.shutdownOutput();
                        c.getInputStream().readAllBytes();
                    }
                }
            }
            assertArrayEquals("old".getBytes(), get(s3, "kept"));
            assertThrows(NoSuchKeyException.class, () -> get(s3, "new"));
        }
    }

    /** A body large enough to be digested on its own thread while it is written: its MD5 is the ETag and is checked against Content-MD5. */
    @Test
    void aLargeBodyIsDigestedWhileItIsWritten() throws Exception {
        byte[] body = bytes(5_000_000, 9);
        byte[] md5 = java.security.MessageDigest.getInstance("MD5").digest(body);
        try (TestServer t = TestServer.start(); S3Client s3 = t.client(S3Client.builder().forcePathStyle(true))) {
            s3.createBucket(b -> b.bucket("store"));
            PutObjectResponse put = s3.putObject(b -> b.bucket("store").key("big").contentMD5(Base64.getEncoder().encodeToString(md5)), RequestBody.fromBytes(body));
            assertEquals("\"" + HexFormat.of().formatHex(md5) + "\"", put.eTag());
            assertArrayEquals(body, get(s3, "big"));
            byte[] other = md5.clone();
            other[0]++;
            S3Exception bad = assertThrows(S3Exception.class, () -> s3.putObject(b -> b.bucket("store").key("bad").contentMD5(Base64.getEncoder().encodeToString(other)), RequestBody.fromBytes(body)));
            assertEquals("BadDigest", bad.awsErrorDetails().errorCode());
            assertThrows(NoSuchKeyException.class, () -> get(s3, "bad"));
        }
    }

    @Test
    void bucketChangesReachTheNextPut() {
        try (TestServer t = TestServer.start(); S3Client s3 = t.client(S3Client.builder().forcePathStyle(true))) {
            s3.createBucket(b -> b.bucket("store"));
            PutObjectResponse before = s3.putObject(b -> b.bucket("store").key("v"), RequestBody.fromString("1"));
            assertNull(before.versionId());
            s3.putBucketVersioning(b -> b.bucket("store").versioningConfiguration(v -> v.status("Enabled")));
            PutObjectResponse after = s3.putObject(b -> b.bucket("store").key("v"), RequestBody.fromString("2"));
            assertNotNull(after.versionId());
            assertEquals(2, s3.listObjectVersions(b -> b.bucket("store")).versions().size());
            s3.deleteObject(b -> b.bucket("store").key("v").versionId(after.versionId()));
            s3.deleteObject(b -> b.bucket("store").key("v").versionId("null"));
            s3.deleteBucket(b -> b.bucket("store"));
            // gone, then created again: the new bucket's settings, not the old one's
            s3.createBucket(b -> b.bucket("store"));
            assertNull(s3.putObject(b -> b.bucket("store").key("v"), RequestBody.fromString("3")).versionId());
        }
    }
}
