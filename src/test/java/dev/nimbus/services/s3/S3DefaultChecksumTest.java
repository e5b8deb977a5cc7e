package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.protocol.codec.RawHttp;
import dev.nimbus.testing.TestServer;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ObjectAttributes;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.transfer.s3.S3TransferManager;

/**
 * S3's default data integrity: an object uploaded without a checksum still gets one, a CRC64NVME of
 * its bytes (FULL_OBJECT), whether it came by PutObject, a copy or a multipart upload; and the
 * checksum a read of one part of a multipart object is given.
 */
class S3DefaultChecksumTest {
    static final int MIB = 1024 * 1024;
    static final String SIGNED = S3ObjectsTest.SIGNED;
    static TestServer t;
    /** a client that sends no checksum unless an operation requires one (as SDKs before December 2024 did) */
    static S3Client plain;
    static S3Client s3;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        plain = t.client(S3Client.builder().forcePathStyle(true).requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED));
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        s3.createBucket(b -> b.bucket("sums"));
    }

    @AfterAll
    static void stop() {
        plain.close();
        s3.close();
        t.close();
    }

    static byte[] random(int size, long seed) {
        return S3MultipartTest.random(size, seed);
    }

    /** CRC-64/NVME one bit at a time, straight from its definition: the reference the table-driven one must match. */
    static String crc64(byte[]... pieces) {
        long crc = ~0L;
        for (byte[] p : pieces) {
            for (byte b : p) {
                crc ^= b & 0xff;
                for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x9a6c9329ac4bc9b5L : crc >>> 1;
            }
        }
        crc = ~crc;
        byte[] out = new byte[8];
        for (int i = 0; i < 8; i++) out[i] = (byte) (crc >>> (56 - 8 * i));
        return Base64.getEncoder().encodeToString(out);
    }

    @Test
    void crc64NvmeEightBytesAStepMatchesTheBitwiseDefinition() {
        byte[] data = random(1000, 3);
        for (int off : new int[] {0, 1, 7}) {
            for (int len : new int[] {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 999 - off}) {
                Checksums.Running r = Checksums.of("CRC64NVME");
                // in two pieces, so that the state carries from one update to the next
                r.update(data, off, len / 3);
                r.update(data, off + len / 3, len - len / 3);
                assertEquals(crc64(java.util.Arrays.copyOfRange(data, off, off + len)), r.value(), off + "+" + len);
            }
        }
        // updates of 64 KiB and more go four lanes at a time, what is left of them (and smaller ones) a step at a time
        byte[] big = random(700_000, 4);
        Checksums.Running r = Checksums.of("CRC64NVME");
        int[] cuts = {0, 70_000, 70_100, 70_200, 200_000, 200_001, 600_000, 700_000};
        for (int i = 0; i + 1 < cuts.length; i++) r.update(big, cuts[i], cuts[i + 1] - cuts[i]);
        assertEquals(crc64(big), r.value());
        assertEquals(crc64(), Checksums.of("CRC64NVME").value());
    }

    @Test
    void putObjectWithoutAChecksumGetsCrc64Nvme() {
        byte[] data = random(10_000, 1);
        var put = plain.putObject(b -> b.bucket("sums").key("plain.bin"), RequestBody.fromBytes(data));
        assertEquals(crc64(data), put.checksumCRC64NVME());
        assertEquals(ChecksumType.FULL_OBJECT, put.checksumType());
        assertNull(put.checksumCRC32());

        var head = plain.headObject(b -> b.bucket("sums").key("plain.bin").checksumMode(ChecksumMode.ENABLED));
        assertEquals(crc64(data), head.checksumCRC64NVME());
        assertEquals(ChecksumType.FULL_OBJECT, head.checksumType());
        // without checksum mode, no checksum
        assertNull(plain.headObject(b -> b.bucket("sums").key("plain.bin")).checksumCRC64NVME());
        var got = s3.getObjectAsBytes(b -> b.bucket("sums").key("plain.bin").checksumMode(ChecksumMode.ENABLED));
        assertArrayEquals(data, got.asByteArray());
        assertEquals(crc64(data), got.response().checksumCRC64NVME());
        var attrs = plain.getObjectAttributes(b -> b.bucket("sums").key("plain.bin").objectAttributes(ObjectAttributes.CHECKSUM));
        assertEquals(crc64(data), attrs.checksum().checksumCRC64NVME());
        assertEquals(ChecksumType.FULL_OBJECT, attrs.checksum().checksumType());

        // a bare HTTP PUT (curl, a presigned URL) too; a small body is kept in the record, a large one in a file
        RawHttp.Response raw = RawHttp.exchange(t.port(), "PUT", "/sums/raw.txt", "127.0.0.1", "hello", SIGNED);
        assertEquals(200, raw.status(), raw.body());
        assertEquals(crc64("hello".getBytes()), raw.header("x-amz-checksum-crc64nvme"));
        assertEquals("FULL_OBJECT", raw.header("x-amz-checksum-type"));

        // the SDK's own default (CRC32) is what such an object keeps, no second checksum
        var sdk = s3.putObject(b -> b.bucket("sums").key("sdk.bin"), RequestBody.fromBytes(data));
        assertTrue(sdk.checksumCRC32() != null);
        assertNull(sdk.checksumCRC64NVME());
    }

    @Test
    void aMalformedChecksumHeaderIsInvalidAndAWrongOneIsBadDigest() {
        RawHttp.Response malformed = RawHttp.exchange(t.port(), "PUT", "/sums/bad.txt", "127.0.0.1", "hello", SIGNED, "x-amz-checksum-crc32: AAAA");
        assertEquals(400, malformed.status(), malformed.body());
        assertTrue(malformed.body().contains("<Code>InvalidRequest</Code><Message>Value for x-amz-checksum-crc32 header is invalid.</Message>"), malformed.body());
        RawHttp.Response notBase64 = RawHttp.exchange(t.port(), "PUT", "/sums/bad.txt", "127.0.0.1", "hello", SIGNED, "x-amz-checksum-sha256: %%%");
        assertTrue(notBase64.body().contains("<Message>Value for x-amz-checksum-sha256 header is invalid.</Message>"), notBase64.body());
        RawHttp.Response wrong = RawHttp.exchange(t.port(), "PUT", "/sums/bad.txt", "127.0.0.1", "hello", SIGNED, "x-amz-checksum-crc32: AAAAAA==");
        assertTrue(wrong.body().contains("<Code>BadDigest</Code><Message>The CRC32 you specified did not match the calculated checksum.</Message>"), wrong.body());
        assertEquals(404, RawHttp.exchange(t.port(), "HEAD", "/sums/bad.txt", "127.0.0.1", null, SIGNED).status());
    }

    @Test
    void copiesKeepTheSourceAlgorithmOrGetTheDefault() {
        byte[] data = random(3000, 4);
        plain.putObject(b -> b.bucket("sums").key("copy/src"), RequestBody.fromBytes(data));
        var copied = plain.copyObject(b -> b.sourceBucket("sums").sourceKey("copy/src").destinationBucket("sums").destinationKey("copy/dst"));
        assertEquals(crc64(data), copied.copyObjectResult().checksumCRC64NVME());
        assertEquals(ChecksumType.FULL_OBJECT, copied.copyObjectResult().checksumType());
        // asked for another algorithm, the copy computes that one
        var sha = plain.copyObject(b -> b.sourceBucket("sums").sourceKey("copy/src").destinationBucket("sums").destinationKey("copy/sha")
                .checksumAlgorithm(ChecksumAlgorithm.SHA256));
        assertTrue(sha.copyObjectResult().checksumSHA256() != null);
        assertEquals(sha.copyObjectResult().checksumSHA256(),
                plain.headObject(b -> b.bucket("sums").key("copy/sha").checksumMode(ChecksumMode.ENABLED)).checksumSHA256());
    }

    @Test
    void multipartUploadWithoutAnAlgorithmGetsAFullObjectCrc64Nvme() {
        byte[] one = random(5 * MIB, 5), two = random(777, 6);
        String id = plain.createMultipartUpload(b -> b.bucket("sums").key("mpu.bin")).uploadId();
        var p1 = plain.uploadPart(b -> b.bucket("sums").key("mpu.bin").uploadId(id).partNumber(1), RequestBody.fromBytes(one));
        var p2 = plain.uploadPart(b -> b.bucket("sums").key("mpu.bin").uploadId(id).partNumber(2), RequestBody.fromBytes(two));
        // the parts answer with no checksum they were not asked for
        assertNull(p1.checksumCRC64NVME());
        List<Part> listed = plain.listParts(b -> b.bucket("sums").key("mpu.bin").uploadId(id)).parts();
        assertNull(listed.get(0).checksumCRC64NVME());
        var done = plain.completeMultipartUpload(b -> b.bucket("sums").key("mpu.bin").uploadId(id).multipartUpload(m -> m.parts(
                CompletedPart.builder().partNumber(1).eTag(p1.eTag()).build(), CompletedPart.builder().partNumber(2).eTag(p2.eTag()).build())));
        assertEquals(crc64(one, two), done.checksumCRC64NVME());
        assertEquals(ChecksumType.FULL_OBJECT, done.checksumType());
        var head = plain.headObject(b -> b.bucket("sums").key("mpu.bin").checksumMode(ChecksumMode.ENABLED));
        assertEquals(crc64(one, two), head.checksumCRC64NVME());
        assertEquals(ChecksumType.FULL_OBJECT, head.checksumType());
        // one part of it: a full-object checksum covers no single part
        var part = plain.headObject(b -> b.bucket("sums").key("mpu.bin").partNumber(2).checksumMode(ChecksumMode.ENABLED));
        assertEquals(777L, part.contentLength());
        assertNull(part.checksumCRC64NVME());

        // a part copied into such an upload is counted too
        String copyId = plain.createMultipartUpload(b -> b.bucket("sums").key("mpu-copy.bin")).uploadId();
        var c1 = plain.uploadPartCopy(b -> b.sourceBucket("sums").sourceKey("mpu.bin").destinationBucket("sums").destinationKey("mpu-copy.bin")
                .uploadId(copyId).partNumber(1).copySourceRange("bytes=0-" + (5 * MIB - 1)));
        assertNull(c1.copyPartResult().checksumCRC64NVME());
        var c2 = plain.uploadPart(b -> b.bucket("sums").key("mpu-copy.bin").uploadId(copyId).partNumber(2), RequestBody.fromBytes(two));
        var copyDone = plain.completeMultipartUpload(b -> b.bucket("sums").key("mpu-copy.bin").uploadId(copyId).multipartUpload(m -> m.parts(
                CompletedPart.builder().partNumber(1).eTag(c1.copyPartResult().eTag()).build(), CompletedPart.builder().partNumber(2).eTag(c2.eTag()).build())));
        assertEquals(crc64(one, two), copyDone.checksumCRC64NVME());
    }

    @Test
    void aPartOfACompositeObjectIsGivenThatPartsChecksum() {
        byte[] one = random(5 * MIB, 7), two = random(1234, 8);
        String id = s3.createMultipartUpload(b -> b.bucket("sums").key("composite.bin").checksumAlgorithm(ChecksumAlgorithm.SHA256)).uploadId();
        var p1 = s3.uploadPart(b -> b.bucket("sums").key("composite.bin").uploadId(id).partNumber(1).checksumAlgorithm(ChecksumAlgorithm.SHA256),
                RequestBody.fromBytes(one));
        var p2 = s3.uploadPart(b -> b.bucket("sums").key("composite.bin").uploadId(id).partNumber(2).checksumAlgorithm(ChecksumAlgorithm.SHA256),
                RequestBody.fromBytes(two));
        var done = s3.completeMultipartUpload(b -> b.bucket("sums").key("composite.bin").uploadId(id).multipartUpload(m -> m.parts(
                CompletedPart.builder().partNumber(1).eTag(p1.eTag()).checksumSHA256(p1.checksumSHA256()).build(),
                CompletedPart.builder().partNumber(2).eTag(p2.eTag()).checksumSHA256(p2.checksumSHA256()).build())));
        assertTrue(done.checksumSHA256().endsWith("-2"), done.checksumSHA256());

        var head = s3.headObject(b -> b.bucket("sums").key("composite.bin").partNumber(2).checksumMode(ChecksumMode.ENABLED));
        assertEquals(p2.checksumSHA256(), head.checksumSHA256());
        assertEquals(ChecksumType.COMPOSITE, head.checksumType());
        assertEquals(2, head.partsCount());
        // the SDK checks a part's value against the part's bytes as it reads them
        var got = s3.getObjectAsBytes(b -> b.bucket("sums").key("composite.bin").partNumber(1).checksumMode(ChecksumMode.ENABLED));
        assertArrayEquals(one, got.asByteArray());
        assertEquals(p1.checksumSHA256(), got.response().checksumSHA256());
        // a range is given no checksum
        assertNull(s3.getObjectAsBytes(b -> b.bucket("sums").key("composite.bin").range("bytes=0-9").checksumMode(ChecksumMode.ENABLED))
                .response().checksumSHA256());
        S3Exception beyond = assertThrows(S3Exception.class, () -> s3.headObject(b -> b.bucket("sums").key("composite.bin").partNumber(3)));
        assertEquals(416, beyond.statusCode());
    }

    @Test
    void transferManagerWithoutChecksumsGetsTheDefault(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("big.bin");
        List<byte[]> blocks = new ArrayList<>();
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < 20; i++) {
                byte[] block = random(MIB, 100 + i);
                blocks.add(block);
                out.write(block);
            }
        }
        try (S3AsyncClient async = t.client(S3AsyncClient.builder().forcePathStyle(true).requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                     .multipartEnabled(true).multipartConfiguration(c -> c.minimumPartSizeInBytes(8L * MIB).thresholdInBytes(8L * MIB)));
             S3TransferManager tm = S3TransferManager.builder().s3Client(async).build()) {
            tm.uploadFile(u -> u.putObjectRequest(p -> p.bucket("sums").key("tm.bin")).source(file)).completionFuture().join();
            Path back = dir.resolve("back.bin");
            tm.downloadFile(d -> d.getObjectRequest(g -> g.bucket("sums").key("tm.bin").checksumMode(ChecksumMode.ENABLED)).destination(back))
                    .completionFuture().join();
            assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(back));
        }
        var head = s3.headObject(b -> b.bucket("sums").key("tm.bin").checksumMode(ChecksumMode.ENABLED));
        assertEquals(crc64(blocks.toArray(byte[][]::new)), head.checksumCRC64NVME());
        assertEquals(ChecksumType.FULL_OBJECT, head.checksumType());
        assertEquals(3, s3.headObject(b -> b.bucket("sums").key("tm.bin").partNumber(1)).partsCount());
    }
}
