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
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.ObjectAttributes;
import software.amazon.awssdk.services.s3.model.ObjectPart;
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

    static String b64(long value, int bytes) {
        byte[] out = new byte[bytes];
        for (int i = 0; i < bytes; i++) out[i] = (byte) (value >>> (8 * (bytes - 1 - i)));
        return Base64.getEncoder().encodeToString(out);
    }

    @Test
    void compositeChecksumIsTheChecksumOfThePartChecksums() {
        byte[] one = random(5 * MIB, 3), two = random(777, 4);
        var created = s3.createMultipartUpload(b -> b.bucket("multi").key("composite.bin").checksumAlgorithm(ChecksumAlgorithm.CRC32_C));
        assertEquals(ChecksumType.COMPOSITE, created.checksumType());
        String id = created.uploadId();
        var p1 = s3.uploadPart(b -> b.bucket("multi").key("composite.bin").uploadId(id).partNumber(1).checksumAlgorithm(ChecksumAlgorithm.CRC32_C),
                RequestBody.fromBytes(one));
        var p2 = s3.uploadPart(b -> b.bucket("multi").key("composite.bin").uploadId(id).partNumber(2).checksumAlgorithm(ChecksumAlgorithm.CRC32_C),
                RequestBody.fromBytes(two));
        CRC32C c = new CRC32C();
        c.update(one);
        assertEquals(b64(c.getValue(), 4), p1.checksumCRC32C());
        assertEquals(List.of(p1.checksumCRC32C(), p2.checksumCRC32C()), s3.listParts(b -> b.bucket("multi").key("composite.bin").uploadId(id)).parts().stream()
                .map(Part::checksumCRC32C).toList());
        S3Exception otherAlgorithm = assertThrows(S3Exception.class, () -> s3.uploadPart(b -> b.bucket("multi").key("composite.bin").uploadId(id).partNumber(3)
                .checksumAlgorithm(ChecksumAlgorithm.SHA256), RequestBody.fromString("x")));
        assertTrue(otherAlgorithm.getMessage().contains("Checksum Type mismatch occurred, expected checksum Type: crc32c, actual checksum Type: sha256"),
                otherAlgorithm.getMessage());
        S3Exception withoutSums = assertThrows(S3Exception.class, () -> s3.completeMultipartUpload(b -> b.bucket("multi").key("composite.bin").uploadId(id)
                .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(p1.eTag()).build(), CompletedPart.builder().partNumber(2).eTag(p2.eTag()).build()))));
        assertEquals("InvalidRequest", withoutSums.awsErrorDetails().errorCode());
        assertTrue(withoutSums.getMessage().contains("It was missing for part 1 in the request."), withoutSums.getMessage());

        var done = s3.completeMultipartUpload(b -> b.bucket("multi").key("composite.bin").uploadId(id).multipartUpload(m -> m.parts(
                CompletedPart.builder().partNumber(1).eTag(p1.eTag()).checksumCRC32C(p1.checksumCRC32C()).build(),
                CompletedPart.builder().partNumber(2).eTag(p2.eTag()).checksumCRC32C(p2.checksumCRC32C()).build())));
        CRC32C ofSums = new CRC32C();
        ofSums.update(Base64.getDecoder().decode(p1.checksumCRC32C()));
        ofSums.update(Base64.getDecoder().decode(p2.checksumCRC32C()));
        String expected = b64(ofSums.getValue(), 4) + "-2";
        assertEquals(expected, done.checksumCRC32C());
        assertEquals(ChecksumType.COMPOSITE, done.checksumType());

        var head = s3.headObject(b -> b.bucket("multi").key("composite.bin").checksumMode(ChecksumMode.ENABLED));
        assertEquals(expected, head.checksumCRC32C());
        assertEquals(ChecksumType.COMPOSITE, head.checksumType());
        // the SDK validates whole-object checksums on GET; a composite one it leaves alone, and the bytes are intact
        var got = s3.getObjectAsBytes(b -> b.bucket("multi").key("composite.bin").checksumMode(ChecksumMode.ENABLED));
        assertEquals(one.length + two.length, got.asByteArray().length);
        assertEquals(expected, got.response().checksumCRC32C());

        var attrs = s3.getObjectAttributes(b -> b.bucket("multi").key("composite.bin").objectAttributes(ObjectAttributes.CHECKSUM, ObjectAttributes.OBJECT_PARTS)
                .maxParts(1));
        assertEquals(expected, attrs.checksum().checksumCRC32C());
        assertEquals(ChecksumType.COMPOSITE, attrs.checksum().checksumType());
        assertEquals(2, attrs.objectParts().totalPartsCount());
        assertEquals(1, attrs.objectParts().parts().size());
        assertEquals(p1.checksumCRC32C(), attrs.objectParts().parts().get(0).checksumCRC32C());
        assertEquals((long) one.length, attrs.objectParts().parts().get(0).size());
        assertTrue(attrs.objectParts().isTruncated());
        var rest = s3.getObjectAttributes(b -> b.bucket("multi").key("composite.bin").objectAttributes(ObjectAttributes.OBJECT_PARTS)
                .partNumberMarker(attrs.objectParts().nextPartNumberMarker()));
        assertEquals(List.of(2), rest.objectParts().parts().stream().map(ObjectPart::partNumber).toList());
        assertEquals(p2.checksumCRC32C(), rest.objectParts().parts().get(0).checksumCRC32C());
    }

    @Test
    void fullObjectChecksumIsTheCrcOfTheWholeObject() {
        byte[] one = random(5 * MIB, 5), two = random(5 * MIB + 3, 6), three = random(12345, 7);
        String id = s3.createMultipartUpload(b -> b.bucket("multi").key("full.bin").checksumAlgorithm(ChecksumAlgorithm.CRC32)
                .checksumType(ChecksumType.FULL_OBJECT)).uploadId();
        List<CompletedPart> parts = new java.util.ArrayList<>();
        byte[][] bodies = {one, two, three};
        for (int i = 0; i < 3; i++) {
            int n = i + 1;
            byte[] body = bodies[i];
            var p = s3.uploadPart(b -> b.bucket("multi").key("full.bin").uploadId(id).partNumber(n).checksumAlgorithm(ChecksumAlgorithm.CRC32), RequestBody.fromBytes(body));
            parts.add(CompletedPart.builder().partNumber(n).eTag(p.eTag()).checksumCRC32(p.checksumCRC32()).build());
        }
        CRC32 whole = new CRC32();
        for (byte[] b : bodies) whole.update(b);
        S3Exception wrong = assertThrows(S3Exception.class, () -> s3.completeMultipartUpload(b -> b.bucket("multi").key("full.bin").uploadId(id)
                .checksumCRC32(b64(whole.getValue() ^ 1, 4)).multipartUpload(m -> m.parts(parts))));
        assertEquals("BadDigest", wrong.awsErrorDetails().errorCode());
        var done = s3.completeMultipartUpload(b -> b.bucket("multi").key("full.bin").uploadId(id).checksumCRC32(b64(whole.getValue(), 4))
                .checksumType(ChecksumType.FULL_OBJECT).multipartUpload(m -> m.parts(parts)));
        assertEquals(b64(whole.getValue(), 4), done.checksumCRC32());
        assertEquals(ChecksumType.FULL_OBJECT, done.checksumType());
        // a full-object value the SDK checks against the bytes it reads
        var got = s3.getObjectAsBytes(b -> b.bucket("multi").key("full.bin").checksumMode(ChecksumMode.ENABLED));
        assertEquals(b64(whole.getValue(), 4), got.response().checksumCRC32());
        assertEquals(ChecksumType.FULL_OBJECT, got.response().checksumType());

        S3Exception sha = assertThrows(S3Exception.class, () -> s3.createMultipartUpload(b -> b.bucket("multi").key("x").checksumAlgorithm(ChecksumAlgorithm.SHA256)
                .checksumType(ChecksumType.FULL_OBJECT)));
        assertEquals("InvalidRequest", sha.awsErrorDetails().errorCode());
    }

    @Test
    void crcsCombineAsIfComputedOverTheJoinedBytes() {
        byte[] a = random(1000, 8), b = random(3 * MIB + 17, 9), c = random(1, 10);
        for (String alg : List.of("CRC32", "CRC32C", "CRC64NVME")) {
            Checksums.Running whole = Checksums.of(alg);
            List<String> parts = new java.util.ArrayList<>();
            for (byte[] p : List.of(a, b, c)) {
                whole.update(p, 0, p.length);
                Checksums.Running one = Checksums.of(alg);
                one.update(p, 0, p.length);
                parts.add(one.value());
            }
            assertEquals(whole.value(), Checksums.combined(alg, parts, List.of((long) a.length, (long) b.length, (long) c.length)), alg);
        }
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
        // the Transfer Manager asks for CRC32 parts: the object gets their composite checksum
        var head = s3.headObject(b -> b.bucket("multi").key("tm/big.bin").checksumMode(ChecksumMode.ENABLED));
        assertEquals(ChecksumType.COMPOSITE, head.checksumType());
        assertTrue(head.checksumCRC32().endsWith("-5"), head.checksumCRC32());
    }
}
