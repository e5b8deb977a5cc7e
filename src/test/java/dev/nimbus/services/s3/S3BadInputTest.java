package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.protocol.codec.RawHttp;
import dev.nimbus.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

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
    void aPartNumberBeyondTheObjectsPartsIs416() {
        assertError(RawHttp.exchange(t.port(), "GET", "/bad/ten.txt?partNumber=2", "127.0.0.1", null, SIGNED), 416,
                "<Code>InvalidPartNumber</Code><Message>The requested partnumber is not satisfiable</Message><PartNumberRequested>2</PartNumberRequested>"
                        + "<ActualPartCount>1</ActualPartCount>");
        RawHttp.Response first = RawHttp.exchange(t.port(), "GET", "/bad/ten.txt?partNumber=1", "127.0.0.1", null, SIGNED);
        assertEquals(206, first.status());
        assertEquals("0123456789", first.body());
    }
}
