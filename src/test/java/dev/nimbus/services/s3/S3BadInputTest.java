package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.protocol.codec.RawHttp;
import dev.nimbus.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Bad input answered with S3's exact error bodies: code, message and the fields S3 adds. */
class S3BadInputTest {
    static final String SIGNED = S3ObjectsTest.SIGNED;
    static TestServer t;
    static S3Client s3;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        s3.createBucket(b -> b.bucket("bad"));
        s3.putObject(b -> b.bucket("bad").key("ten.txt"), RequestBody.fromString("0123456789"));
    }

    @AfterAll
    static void stop() {
        s3.close();
        t.close();
    }

    static void assertError(RawHttp.Response r, int status, String body) {
        assertEquals(status, r.status(), r.body());
        assertTrue(r.body().contains(body), r.body());
    }

    @Test
    void aContentMd5ThatIsNoMd5IsInvalidDigest() {
        assertError(RawHttp.exchange(t.port(), "PUT", "/bad/x", "127.0.0.1", "hello", SIGNED, "Content-MD5: not-an-md5"), 400,
                "<Code>InvalidDigest</Code><Message>The Content-MD5 you specified is not valid.</Message>");
    }

    @Test
    void twoChecksumHeadersAreRefused() {
        // crc32("hello") and crc32c("hello"), both right: S3 takes one checksum per request
        assertError(RawHttp.exchange(t.port(), "PUT", "/bad/x", "127.0.0.1", "hello", SIGNED, "x-amz-checksum-crc32: NhCmhg==",
                "x-amz-checksum-crc32c: mnG7TA=="), 400,
                "<Code>InvalidRequest</Code><Message>Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.</Message>");
        assertEquals(200, RawHttp.exchange(t.port(), "PUT", "/bad/x", "127.0.0.1", "hello", SIGNED, "x-amz-checksum-crc32c: mnG7TA==").status());
    }

    @Test
    void anUnsatisfiableRangeIs416WithTheRangeAndSize() {
        assertError(RawHttp.exchange(t.port(), "GET", "/bad/ten.txt", "127.0.0.1", null, SIGNED, "Range: bytes=10-20"), 416,
                "<Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message><RangeRequested>bytes=10-20</RangeRequested>"
                        + "<ActualObjectSize>10</ActualObjectSize>");
        // a range past the end is cut to the object, a malformed one reads the whole object
        RawHttp.Response cut = RawHttp.exchange(t.port(), "GET", "/bad/ten.txt", "127.0.0.1", null, SIGNED, "Range: bytes=8-20");
        assertEquals(206, cut.status());
        assertEquals("89", cut.body());
        assertEquals("bytes 8-9/10", cut.header("Content-Range"));
        RawHttp.Response whole = RawHttp.exchange(t.port(), "GET", "/bad/ten.txt", "127.0.0.1", null, SIGNED, "Range: lines=1-2");
        assertEquals(200, whole.status());
        assertEquals("0123456789", whole.body());
    }

    @Test
    void aCopySourceRangeIsReadStrictly() {
        String id = s3.createMultipartUpload(b -> b.bucket("bad").key("copy.bin")).uploadId();
        for (String[] c : new String[][] {{"bytes=2-100", "InvalidArgument", "Range specified is not valid for source object of size: 10"},
                {"bytes=20-30", "InvalidRequest", "The specified copy range is invalid for the source object size"},
                {"bytes=-3", "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last"},
                {"bytes=5-2", "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last"}}) {
            S3Exception e = assertThrows(S3Exception.class, () -> s3.uploadPartCopy(b -> b.sourceBucket("bad").sourceKey("ten.txt").destinationBucket("bad")
                    .destinationKey("copy.bin").uploadId(id).partNumber(1).copySourceRange(c[0])));
            assertEquals(c[1], e.awsErrorDetails().errorCode(), c[0]);
            assertTrue(e.awsErrorDetails().errorMessage().startsWith(c[2]), e.awsErrorDetails().errorMessage());
        }
        String etag = s3.uploadPartCopy(b -> b.sourceBucket("bad").sourceKey("ten.txt").destinationBucket("bad").destinationKey("copy.bin")
                .uploadId(id).partNumber(1).copySourceRange("bytes=3-9")).copyPartResult().eTag();
        CompletedPart part = CompletedPart.builder().partNumber(1).eTag(etag).build();
        // the object size the client announces must be what the parts add up to
        S3Exception size = assertThrows(S3Exception.class, () -> s3.completeMultipartUpload(b -> b.bucket("bad").key("copy.bin").uploadId(id)
                .mpuObjectSize(8L).multipartUpload(m -> m.parts(part))));
        assertEquals("InvalidRequest", size.awsErrorDetails().errorCode());
        assertEquals("The provided 'x-amz-mp-object-size' header value 8 does not match what was computed: 7", size.awsErrorDetails().errorMessage());
        s3.completeMultipartUpload(b -> b.bucket("bad").key("copy.bin").uploadId(id).mpuObjectSize(7L).multipartUpload(m -> m.parts(part)));
        assertEquals("3456789", s3.getObjectAsBytes(b -> b.bucket("bad").key("copy.bin")).asUtf8String());
    }

    @Test
    void aPartNumberBeyondTheObjectsPartsIs416() {
        assertError(RawHttp.exchange(t.port(), "GET", "/bad/ten.txt?partNumber=2", "127.0.0.1", null, SIGNED), 416,
                "<Code>InvalidPartNumber</Code><Message>The requested partnumber is not satisfiable</Message><PartNumberRequested>2</PartNumberRequested>"
                        + "<ActualPartCount>1</ActualPartCount>");
        RawHttp.Response first = RawHttp.exchange(t.port(), "GET", "/bad/ten.txt?partNumber=1", "127.0.0.1", null, SIGNED);
        assertEquals(206, first.status());
        assertEquals("0123456789", first.body());
    }
}
