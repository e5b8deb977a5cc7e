package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.transfer.s3.S3TransferManager;
import software.amazon.awssdk.transfer.s3.model.CompletedFileUpload;

/** Multipart uploads: the API's rules and errors, and the S3 Transfer Manager end to end. */
class S3MultipartTest {
    static final int MIB = 1024 * 1024;
    static TestServer t;
    static S3Client s3;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        s3.createBucket(b -> b.bucket("multi"));
    }

    @AfterAll
    static void stop() {
        s3.close();
        t.close();
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] md5(byte[]... parts) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5");
        for (byte[] p : parts) md.update(p);
        return md.digest();
    }

    @Test
    void completeJoinsPartsWithTheMultipartEtag() throws Exception {
        byte[] one = random(5 * MIB, 1), two = random(1000, 2);
        String id = s3.createMultipartUpload(b -> b.bucket("multi").key("joined.bin").contentType("application/x-joined")).uploadId();
        String e1 = s3.uploadPart(b -> b.bucket("multi").key("joined.bin").uploadId(id).partNumber(1), RequestBody.fromBytes(one)).eTag();
        String e2 = s3.uploadPart(b -> b.bucket("multi").key("joined.bin").uploadId(id).partNumber(2), RequestBody.fromBytes(two)).eTag();
        assertEquals(List.of(1, 2), s3.listParts(b -> b.bucket("multi").key("joined.bin").uploadId(id)).parts().stream().map(Part::partNumber).toList());
        assertTrue(s3.listMultipartUploads(b -> b.bucket("multi")).uploads().stream().map(MultipartUpload::uploadId).toList().contains(id));

        String etag = s3.completeMultipartUpload(b -> b.bucket("multi").key("joined.bin").uploadId(id).multipartUpload(m -> m.parts(
                CompletedPart.builder().partNumber(1).eTag(e1).build(), CompletedPart.builder().partNumber(2).eTag(e2).build()))).eTag();
        String expected = "\"" + HexFormat.of().formatHex(md5(md5(one), md5(two))) + "-2\"";
        assertEquals(expected, etag);
        var got = s3.getObjectAsBytes(b -> b.bucket("multi").key("joined.bin"));
        assertArrayEquals(md5(one, two), md5(got.asByteArray()));
        assertEquals("application/x-joined", got.response().contentType());
        assertEquals(expected, got.response().eTag());
        var part2 = s3.getObjectAsBytes(b -> b.bucket("multi").key("joined.bin").partNumber(2));
        assertArrayEquals(two, part2.asByteArray());
        assertEquals(2, part2.response().partsCount());
        assertThrows(NoSuchUploadException.class, () -> s3.listParts(b -> b.bucket("multi").key("joined.bin").uploadId(id)));
    }

    @Test
    void partsAreCheckedOnComplete() {
        String id = s3.createMultipartUpload(b -> b.bucket("multi").key("bad.bin")).uploadId();
        String small = s3.uploadPart(b -> b.bucket("multi").key("bad.bin").uploadId(id).partNumber(1), RequestBody.fromString("tiny")).eTag();
        String last = s3.uploadPart(b -> b.bucket("multi").key("bad.bin").uploadId(id).partNumber(2), RequestBody.fromString("end")).eTag();
        S3Exception tooSmall = assertThrows(S3Exception.class, () -> s3.completeMultipartUpload(b -> b.bucket("multi").key("bad.bin").uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(small).build(), CompletedPart.builder().partNumber(2).eTag(last).build()))));
        assertEquals("EntityTooSmall", tooSmall.awsErrorDetails().errorCode());
        S3Exception order = assertThrows(S3Exception.class, () -> s3.completeMultipartUpload(b -> b.bucket("multi").key("bad.bin").uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(2).eTag(last).build(), CompletedPart.builder().partNumber(1).eTag(small).build()))));
        assertEquals("InvalidPartOrder", order.awsErrorDetails().errorCode());
        S3Exception missing = assertThrows(S3Exception.class, () -> s3.completeMultipartUpload(b -> b.bucket("multi").key("bad.bin").uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(3).eTag(last).build()))));
        assertEquals("InvalidPart", missing.awsErrorDetails().errorCode());
        S3Exception wrongTag = assertThrows(S3Exception.class, () -> s3.completeMultipartUpload(b -> b.bucket("multi").key("bad.bin").uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(2).eTag("\"0123\"").build()))));
        assertEquals("InvalidPart", wrongTag.awsErrorDetails().errorCode());
        // a single (last) part may be small
        s3.completeMultipartUpload(b -> b.bucket("multi").key("bad.bin").uploadId(id).multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(2).eTag(last).build())));
        assertEquals("end", s3.getObjectAsBytes(b -> b.bucket("multi").key("bad.bin")).asUtf8String());

        String aborted = s3.createMultipartUpload(b -> b.bucket("multi").key("aborted.bin")).uploadId();
        s3.uploadPart(b -> b.bucket("multi").key("aborted.bin").uploadId(aborted).partNumber(1), RequestBody.fromString("x"));
        s3.abortMultipartUpload(b -> b.bucket("multi").key("aborted.bin").uploadId(aborted));
        assertThrows(NoSuchUploadException.class, () -> s3.uploadPart(b -> b.bucket("multi").key("aborted.bin").uploadId(aborted).partNumber(2),
                RequestBody.fromString("y")));
        S3Exception number = assertThrows(S3Exception.class, () -> s3.uploadPart(b -> b.bucket("multi").key("bad.bin").uploadId("nope").partNumber(10001),
                RequestBody.fromString("y")));
        assertEquals("InvalidArgument", number.awsErrorDetails().errorCode());
    }

    @Test
    void uploadPartCopyTakesARangeOfAnotherObject() {
        s3.putObject(b -> b.bucket("multi").key("source.txt"), RequestBody.fromString("0123456789"));
        String id = s3.createMultipartUpload(b -> b.bucket("multi").key("copied.txt")).uploadId();
        String etag = s3.uploadPartCopy(b -> b.sourceBucket("multi").sourceKey("source.txt").destinationBucket("multi").destinationKey("copied.txt")
                .uploadId(id).partNumber(1).copySourceRange("bytes=2-5")).copyPartResult().eTag();
        s3.completeMultipartUpload(b -> b.bucket("multi").key("copied.txt").uploadId(id).multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(etag).build())));
        assertEquals("2345", s3.getObjectAsBytes(b -> b.bucket("multi").key("copied.txt")).asUtf8String());
    }

    @Test
    void transferManagerUploadsAndDownloadsInParts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("big.bin");
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = Files.newOutputStream(file)) {
            Random r = new Random(7);
            byte[] block = new byte[MIB];
            for (int i = 0; i < 40; i++) {
                r.nextBytes(block);
                out.write(block);
                md.update(block);
            }
        }
        byte[] sha = md.digest();
        try (S3AsyncClient async = t.client(S3AsyncClient.builder().forcePathStyle(true).multipartEnabled(true)
                     .multipartConfiguration(c -> c.minimumPartSizeInBytes(8L * MIB).thresholdInBytes(8L * MIB)));
             S3TransferManager tm = S3TransferManager.builder().s3Client(async).build()) {
            CompletedFileUpload up = tm.uploadFile(u -> u.putObjectRequest(p -> p.bucket("multi").key("tm/big.bin")).source(file)).completionFuture().join();
            assertTrue(up.response().eTag().endsWith("-5\""), up.response().eTag());
            Path back = dir.resolve("back.bin");
            tm.downloadFile(d -> d.getObjectRequest(g -> g.bucket("multi").key("tm/big.bin")).destination(back)).completionFuture().join();
            MessageDigest check = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(back)) {
                byte[] buf = new byte[1 << 16];
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) check.update(buf, 0, n);
            }
            assertArrayEquals(sha, check.digest());
        }
        assertEquals(40L * MIB, s3.headObject(b -> b.bucket("multi").key("tm/big.bin")).contentLength());
    }
}
