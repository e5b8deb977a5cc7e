package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.protocol.codec.RawHttp;
import dev.nimbus.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Buckets and objects through the SDK as users call them, and the exact bytes where SDKs hide them. */
class S3ObjectsTest {
    static final String SIGNED = "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";
    static TestServer t;
    static S3Client s3;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        s3.createBucket(b -> b.bucket("objects"));
    }

    @AfterAll
    static void stop() {
        s3.close();
        t.close();
    }

    static S3Exception error(org.junit.jupiter.api.function.Executable call) {
        return assertThrows(S3Exception.class, call);
    }

    @Test
    void bucketLifecycleAndNamingRules() {
        s3.createBucket(b -> b.bucket("life-cycle.bucket"));
        s3.headBucket(b -> b.bucket("life-cycle.bucket"));
        assertEquals("us-east-1", s3.headBucket(b -> b.bucket("life-cycle.bucket")).bucketRegion());
        // us-east-1 is the empty LocationConstraint element
        assertEquals("", s3.getBucketLocation(b -> b.bucket("life-cycle.bucket")).locationConstraintAsString());
        assertTrue(s3.listBuckets().buckets().stream().map(Bucket::name).toList().contains("life-cycle.bucket"));
        // us-east-1 answers its owner's repeated create with success; another account is refused
        s3.createBucket(b -> b.bucket("life-cycle.bucket"));
        try (S3Client other = t.client(S3Client.builder().forcePathStyle(true), "111122223333", "us-east-1")) {
            assertThrows(BucketAlreadyExistsException.class, () -> other.createBucket(b -> b.bucket("life-cycle.bucket")));
            assertFalse(other.listBuckets().buckets().stream().map(Bucket::name).toList().contains("life-cycle.bucket"));
        }
        try (S3Client west = t.client(S3Client.builder().forcePathStyle(true), "test", "us-west-2")) {
            west.createBucket(b -> b.bucket("west-bucket").createBucketConfiguration(c -> c.locationConstraint("us-west-2")));
            assertThrows(BucketAlreadyOwnedByYouException.class,
                    () -> west.createBucket(b -> b.bucket("west-bucket").createBucketConfiguration(c -> c.locationConstraint("us-west-2"))));
            // the SDK adds its region as LocationConstraint; without one, a regional endpoint refuses
            RawHttp.Response e = RawHttp.exchange(t.port(), "PUT", "/west-nowhere", "127.0.0.1", "",
                    "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-west-2/s3/aws4_request, SignedHeaders=host, Signature=00");
            assertEquals(400, e.status());
            assertTrue(e.body().contains("<Code>IllegalLocationConstraintException</Code>"), e.body());
            assertEquals("us-west-2", west.getBucketLocation(b -> b.bucket("west-bucket")).locationConstraintAsString());
        }

        s3.putObject(b -> b.bucket("life-cycle.bucket").key("k"), RequestBody.fromString("x"));
        S3Exception notEmpty = error(() -> s3.deleteBucket(b -> b.bucket("life-cycle.bucket")));
        assertEquals(409, notEmpty.statusCode());
        assertEquals("BucketNotEmpty", notEmpty.awsErrorDetails().errorCode());
        s3.deleteObject(b -> b.bucket("life-cycle.bucket").key("k"));
        s3.deleteBucket(b -> b.bucket("life-cycle.bucket"));
        assertThrows(NoSuchBucketException.class, () -> s3.headBucket(b -> b.bucket("life-cycle.bucket")));
        NoSuchBucketException gone = assertThrows(NoSuchBucketException.class, () -> s3.listObjectsV2(b -> b.bucket("life-cycle.bucket")));
        assertEquals("The specified bucket does not exist", gone.awsErrorDetails().errorMessage());

        for (String bad : List.of("ab", "Upper", "-dash", "dash-", "two..dots", "192.168.1.1", "xn--punycode", "a".repeat(64), "under_score", "bad-s3alias")) {
            // raw: the SDK refuses some of these names itself
            RawHttp.Response e = RawHttp.exchange(t.port(), "PUT", "/" + bad, "127.0.0.1", "", SIGNED);
            assertEquals(400, e.status(), bad);
            assertTrue(e.body().contains("<Code>InvalidBucketName</Code><Message>The specified bucket is not valid.</Message><BucketName>" + bad), e.body());
        }
    }

    @Test
    void contentMd5AndChecksumsAreVerified() throws Exception {
        byte[] data = "checksummed body".getBytes(StandardCharsets.UTF_8);
        String md5 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(data));
        s3.putObject(b -> b.bucket("objects").key("sum/md5").contentMD5(md5), RequestBody.fromBytes(data));
        S3Exception bad = error(() -> s3.putObject(b -> b.bucket("objects").key("sum/bad").contentMD5(
                Base64.getEncoder().encodeToString(new byte[16])), RequestBody.fromBytes(data)));
        assertEquals("BadDigest", bad.awsErrorDetails().errorCode());
        assertThrows(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class, () -> s3.headObject(b -> b.bucket("objects").key("sum/bad")));

        for (ChecksumAlgorithm alg : List.of(ChecksumAlgorithm.CRC32, ChecksumAlgorithm.CRC32_C, ChecksumAlgorithm.SHA1, ChecksumAlgorithm.SHA256)) {
            String key = "sum/" + alg;
            PutObjectResponse put = s3.putObject(b -> b.bucket("objects").key(key).checksumAlgorithm(alg), RequestBody.fromBytes(data));
            String sent = switch (alg) {
                case CRC32 -> put.checksumCRC32();
                case CRC32_C -> put.checksumCRC32C();
                case SHA1 -> put.checksumSHA1();
                default -> put.checksumSHA256();
            };
            assertTrue(sent != null && !sent.isEmpty(), alg.toString());
            // the SDK validates the returned checksum against the body it reads
            ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket("objects").key(key).checksumMode(ChecksumMode.ENABLED));
            assertArrayEquals(data, got.asByteArray());
        }
        assertEquals(Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(data)),
                s3.headObject(b -> b.bucket("objects").key("sum/SHA256").checksumMode(ChecksumMode.ENABLED)).checksumSHA256());

        // a wrong header checksum, and a wrong trailing one in an aws-chunked body
        RawHttp.Response wrong = RawHttp.exchange(t.port(), "PUT", "/objects/sum/wrong", "127.0.0.1", "hello",
                SIGNED, "x-amz-checksum-crc32: AAAAAA==");
        assertEquals(400, wrong.status(), wrong.body());
        assertTrue(wrong.body().contains("<Code>BadDigest</Code>"), wrong.body());
        String chunked = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
        RawHttp.Response trailer = RawHttp.exchange(t.port(), "PUT", "/objects/sum/trailer", "127.0.0.1", chunked, SIGNED,
                "Content-Encoding: aws-chunked", "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-decoded-content-length: 5",
                "x-amz-trailer: x-amz-checksum-crc32");
        assertEquals(400, trailer.status(), trailer.body());
        assertTrue(trailer.body().contains("<Code>BadDigest</Code>"), trailer.body());
        // crc32("hello") = 0x3610a686
        String right = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
        RawHttp.Response ok = RawHttp.exchange(t.port(), "PUT", "/objects/sum/trailer", "127.0.0.1", right, SIGNED,
                "Content-Encoding: aws-chunked", "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-decoded-content-length: 5",
                "x-amz-trailer: x-amz-checksum-crc32");
        assertEquals(200, ok.status(), ok.body());
        assertEquals("hello", s3.getObjectAsBytes(b -> b.bucket("objects").key("sum/trailer")).asUtf8String());
        // signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) carry a signature per chunk
        String signedChunks = "5;chunk-signature=" + "a".repeat(64) + "\r\nworld\r\n0;chunk-signature=" + "b".repeat(64) + "\r\n\r\n";
        RawHttp.Response signed = RawHttp.exchange(t.port(), "PUT", "/objects/sum/signed", "127.0.0.1", signedChunks, SIGNED,
                "Content-Encoding: aws-chunked", "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x-amz-decoded-content-length: 5");
        assertEquals(200, signed.status(), signed.body());
        assertEquals("world", s3.getObjectAsBytes(b -> b.bucket("objects").key("sum/signed")).asUtf8String());
    }

    @Test
    void crc64NvmeMatchesTheCheckValue() {
        Checksums.Crc64Nvme c = new Checksums.Crc64Nvme();
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        c.update(check, 0, check.length);
        assertEquals(0xAE8B14860A799888L, c.getValue());
        Checksums.Running r = Checksums.of("CRC64NVME");
        r.update(check, 0, check.length);
        assertEquals(Base64.getEncoder().encodeToString(new byte[] {(byte) 0xAE, (byte) 0x8B, 0x14, (byte) 0x86, 0x0A, 0x79, (byte) 0x98, (byte) 0x88}), r.value());
    }

    @Test
    void rangesConditionalsAndOverrides() {
        PutObjectResponse put = s3.putObject(b -> b.bucket("objects").key("get/alphabet").contentType("text/plain"), RequestBody.fromString("abcdefghijklmnopqrstuvwxyz"));
        assertEquals("cde", s3.getObjectAsBytes(b -> b.bucket("objects").key("get/alphabet").range("bytes=2-4")).asUtf8String());
        assertEquals("xyz", s3.getObjectAsBytes(b -> b.bucket("objects").key("get/alphabet").range("bytes=-3")).asUtf8String());
        assertEquals("yz", s3.getObjectAsBytes(b -> b.bucket("objects").key("get/alphabet").range("bytes=24-")).asUtf8String());
        assertEquals("bytes 2-4/26", s3.getObjectAsBytes(b -> b.bucket("objects").key("get/alphabet").range("bytes=2-4")).response().contentRange());
        S3Exception range = error(() -> s3.getObjectAsBytes(b -> b.bucket("objects").key("get/alphabet").range("bytes=26-30")));
        assertEquals(416, range.statusCode());
        assertEquals("InvalidRange", range.awsErrorDetails().errorCode());
        RawHttp.Response partial = RawHttp.exchange(t.port(), "GET", "/objects/get/alphabet", "127.0.0.1", null, SIGNED, "Range: bytes=0-0");
        assertEquals(206, partial.status());
        assertEquals("a", partial.body());

        S3Exception failed = error(() -> s3.getObjectAsBytes(b -> b.bucket("objects").key("get/alphabet").ifMatch("\"nope\"")));
        assertEquals(412, failed.statusCode());
        assertEquals("PreconditionFailed", failed.awsErrorDetails().errorCode());
        assertEquals("abcdefghijklmnopqrstuvwxyz", s3.getObjectAsBytes(b -> b.bucket("objects").key("get/alphabet").ifMatch(put.eTag())).asUtf8String());
        assertEquals(304, error(() -> s3.getObjectAsBytes(b -> b.bucket("objects").key("get/alphabet").ifNoneMatch(put.eTag()))).statusCode());
        assertEquals(304, error(() -> s3.getObjectAsBytes(b -> b.bucket("objects").key("get/alphabet")
                .ifModifiedSince(Instant.now().plusSeconds(60)))).statusCode());
        assertEquals(412, error(() -> s3.getObjectAsBytes(b -> b.bucket("objects").key("get/alphabet")
                .ifUnmodifiedSince(Instant.parse("2001-01-01T00:00:00Z")))).statusCode());

        GetObjectResponse o = s3.getObjectAsBytes(b -> b.bucket("objects").key("get/alphabet").responseContentType("application/x-alpha")
                .responseContentDisposition("attachment; filename=\"a.txt\"").responseCacheControl("no-cache")).response();
        assertEquals("application/x-alpha", o.contentType());
        assertEquals("attachment; filename=\"a.txt\"", o.contentDisposition());
        assertEquals("no-cache", o.cacheControl());
    }

    @Test
    void limitsOnKeysAndMetadata() {
        S3Exception longKey = error(() -> s3.putObject(b -> b.bucket("objects").key("k".repeat(1025)), RequestBody.fromString("x")));
        assertEquals("KeyTooLongError", longKey.awsErrorDetails().errorCode());
        s3.putObject(b -> b.bucket("objects").key("k".repeat(1024)), RequestBody.fromString("x"));
        S3Exception meta = error(() -> s3.putObject(b -> b.bucket("objects").key("meta/big").metadata(Map.of("big", "v".repeat(2100))),
                RequestBody.fromString("x")));
        assertEquals("MetadataTooLarge", meta.awsErrorDetails().errorCode());
        S3Exception noBucket = error(() -> s3.putObject(b -> b.bucket("no-such-bucket-here").key("x"), RequestBody.fromString("x")));
        assertEquals("NoSuchBucket", noBucket.awsErrorDetails().errorCode());
    }

    @Test
    void copyKeepsOrReplacesMetadataAcrossBuckets() {
        s3.createBucket(b -> b.bucket("copy-target"));
        s3.putObject(b -> b.bucket("objects").key("copy/src.txt").contentType("text/plain").metadata(Map.of("color", "blue")), RequestBody.fromString("copied"));
        s3.copyObject(b -> b.sourceBucket("objects").sourceKey("copy/src.txt").destinationBucket("copy-target").destinationKey("dst one.txt"));
        var kept = s3.headObject(b -> b.bucket("copy-target").key("dst one.txt"));
        assertEquals(Map.of("color", "blue"), kept.metadata());
        assertEquals("text/plain", kept.contentType());
        s3.copyObject(b -> b.sourceBucket("objects").sourceKey("copy/src.txt").destinationBucket("copy-target").destinationKey("dst2")
                .metadataDirective(MetadataDirective.REPLACE).metadata(Map.of("shape", "round")).contentType("text/x-new"));
        var replaced = s3.headObject(b -> b.bucket("copy-target").key("dst2"));
        assertEquals(Map.of("shape", "round"), replaced.metadata());
        assertEquals("text/x-new", replaced.contentType());
        assertEquals("copied", s3.getObjectAsBytes(b -> b.bucket("copy-target").key("dst2")).asUtf8String());
        S3Exception self = error(() -> s3.copyObject(b -> b.sourceBucket("objects").sourceKey("copy/src.txt").destinationBucket("objects").destinationKey("copy/src.txt")));
        assertEquals("InvalidRequest", self.awsErrorDetails().errorCode());
        S3Exception cond = error(() -> s3.copyObject(b -> b.sourceBucket("objects").sourceKey("copy/src.txt").destinationBucket("copy-target")
                .destinationKey("dst3").copySourceIfMatch("\"other\"")));
        assertEquals(412, cond.statusCode());
    }

    @Test
    void listingWithDelimiterPagesAndUrlEncoding() {
        s3.createBucket(b -> b.bucket("listing"));
        List<String> keys = List.of("a.txt", "photos/2024/jan.jpg", "photos/2024/feb.jpg", "photos/2025/mar.jpg", "photos/top.jpg", "videos/v1.mp4",
                "videos/v2.mp4", "z with space.txt");
        for (String k : keys) s3.putObject(b -> b.bucket("listing").key(k), RequestBody.fromString(k));

        ListObjectsV2Response root = s3.listObjectsV2(b -> b.bucket("listing").delimiter("/"));
        assertEquals(List.of("a.txt", "z with space.txt"), root.contents().stream().map(S3Object::key).toList());
        assertEquals(List.of("photos/", "videos/"), root.commonPrefixes().stream().map(CommonPrefix::prefix).toList());
        assertEquals(4, root.keyCount());

        ListObjectsV2Response photos = s3.listObjectsV2(b -> b.bucket("listing").prefix("photos/").delimiter("/"));
        assertEquals(List.of("photos/top.jpg"), photos.contents().stream().map(S3Object::key).toList());
        assertEquals(List.of("photos/2024/", "photos/2025/"), photos.commonPrefixes().stream().map(CommonPrefix::prefix).toList());

        // pages of two, common prefixes counted, continuation tokens followed to the end
        List<String> seen = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            String tk = token;
            ListObjectsV2Response page = s3.listObjectsV2(b -> b.bucket("listing").delimiter("/").maxKeys(2).continuationToken(tk));
            page.contents().forEach(o -> seen.add(o.key()));
            page.commonPrefixes().forEach(p -> seen.add(p.prefix()));
            assertTrue(page.keyCount() <= 2);
            token = page.nextContinuationToken();
            pages++;
        } while (token != null);
        assertEquals(2, pages);
        assertEquals(List.of("a.txt", "photos/", "videos/", "z with space.txt"), seen.stream().sorted().toList());

        assertEquals(List.of("videos/v1.mp4", "videos/v2.mp4", "z with space.txt"),
                s3.listObjectsV2(b -> b.bucket("listing").startAfter("photos/top.jpg")).contents().stream().map(S3Object::key).toList());

        // v1: NextMarker with a delimiter; the paginator follows markers
        ListObjectsResponse v1 = s3.listObjects(b -> b.bucket("listing").delimiter("/").maxKeys(2));
        assertTrue(v1.isTruncated());
        assertEquals("photos/", v1.nextMarker());
        ListObjectsResponse v1next = s3.listObjects(b -> b.bucket("listing").delimiter("/").marker("photos/"));
        assertEquals(List.of("videos/"), v1next.commonPrefixes().stream().map(CommonPrefix::prefix).toList());
        assertEquals(keys.size(), s3.listObjectsV2Paginator(b -> b.bucket("listing").maxKeys(3)).contents().stream().count());

        RawHttp.Response raw = RawHttp.exchange(t.port(), "GET", "/listing?list-type=2&prefix=z&encoding-type=url", "127.0.0.1", null, SIGNED);
        assertTrue(raw.body().contains("<Key>z+with+space.txt</Key>"), raw.body());
        assertTrue(raw.body().contains("<EncodingType>url</EncodingType>"), raw.body());
        // S3 writes timestamps with milliseconds
        assertTrue(raw.body().matches(".*<LastModified>\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.000Z</LastModified>.*"), raw.body());
        assertEquals(List.of("z with space.txt"), s3.listObjectsV2(b -> b.bucket("listing").prefix("z").encodingType("url")).contents().stream()
                .map(S3Object::key).collect(Collectors.toList()));
    }
}
