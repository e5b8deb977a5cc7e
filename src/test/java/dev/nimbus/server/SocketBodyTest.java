package dev.nimbus.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Large request bodies read from the socket past Helidon ({@link SocketBody}): the bytes arrive whole
 * and in order, the connection is closed after the answer (Helidon still expects them), a body cut
 * short publishes nothing, and chunked or smaller bodies keep their connection.
 */
class SocketBodyTest {
    private static final int LARGE = (int) SocketBody.FROM + (6 << 20) + 7;
    private static final String AUTH = "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\n";

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String etag(byte[] body) throws Exception {
        return "\"" + HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body)) + "\"";
    }

    private static S3Client s3(TestServer t) {
        return t.client(S3Client.builder().forcePathStyle(true));
    }

    private static RawHttp.Response put(RawHttp c, String key, String headers, byte[] body) throws Exception {
        c.send("PUT /bulk/" + key + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH + headers + "\r\n").send(body);
        return c.read();
    }

    /** Helidon's private fields are found: without them every body goes through Helidon's 8 KiB reads. */
    @Test
    void helidonsConnectionIsReachable() {
        assertTrue(SocketBody.AVAILABLE, "Helidon's internals changed: SocketBody is off");
    }

    @Test
    void aLargeBodyArrivesWholeAndItsConnectionClosesAfterTheAnswer() throws Exception {
        byte[] small = bytes(1 << 20, 1);
        byte[] large = bytes(LARGE, 2);
        try (TestServer t = TestServer.start(); S3Client s3 = s3(t); RawHttp c = new RawHttp(t.port())) {
            s3.createBucket(b -> b.bucket("bulk"));
            RawHttp.Response first = put(c, "small", "Content-Length: " + small.length + "\r\n", small);
            assertEquals(200, first.status());
            assertEquals("keep-alive", first.header("connection"), "a smaller body leaves its connection open");
            RawHttp.Response second = put(c, "large", "Content-Length: " + large.length + "\r\n", large);
            assertEquals(200, second.status(), second.text());
            assertEquals(etag(large), second.header("etag"));
            assertEquals("close", second.header("connection"));
            assertTrue(c.closedByServer());
            assertArrayEquals(large, s3.getObjectAsBytes(b -> b.bucket("bulk").key("large")).asByteArray());
            assertArrayEquals(small, s3.getObjectAsBytes(b -> b.bucket("bulk").key("small")).asByteArray());
        }
    }

    /** The SDK's upload: an aws-chunked body with a trailing checksum, decoded above the socket as above Helidon. */
    @Test
    void anSdkUploadRoundTripsAndTheClientCarriesOn() {
        byte[] large = bytes(LARGE, 3);
        try (TestServer t = TestServer.start(); S3Client s3 = s3(t)) {
            s3.createBucket(b -> b.bucket("bulk"));
            s3.putObject(b -> b.bucket("bulk").key("sdk"), RequestBody.fromBytes(large));
            assertArrayEquals(large, s3.getObjectAsBytes(b -> b.bucket("bulk").key("sdk")).asByteArray());
            s3.putObject(b -> b.bucket("bulk").key("after"), RequestBody.fromString("next"));
            assertEquals("next", s3.getObjectAsBytes(b -> b.bucket("bulk").key("after")).asUtf8String());
        }
    }

    @Test
    void aLargeBodyCutShortPublishesNothing() throws Exception {
        byte[] sent = bytes((int) SocketBody.FROM + (1 << 20), 4);
        try (TestServer t = TestServer.start(); S3Client s3 = s3(t)) {
            s3.createBucket(b -> b.bucket("bulk"));
            try (RawHttp c = new RawHttp(t.port())) {
                c.send("PUT /bulk/cut HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH + "Content-Length: " + LARGE + "\r\n\r\n").send(sent);
                c.shutdownOutput();
                RawHttp.Response r = c.read();
                assertEquals(400, r.status(), r.text());
                assertTrue(r.text().contains("<Code>IncompleteBody</Code>"), r.text());
            }
            assertThrows(NoSuchKeyException.class, () -> s3.getObjectAsBytes(b -> b.bucket("bulk").key("cut")));
        }
    }

    /** A chunked body has no declared length and is Helidon's to read (its framing is not the body): the connection stays open. */
    @Test
    void aLargeChunkedBodyKeepsItsConnection() throws Exception {
        byte[] large = bytes(LARGE, 5);
        ByteArrayOutputStream framed = new ByteArrayOutputStream();
        for (int off = 0; off < large.length; off += 1 << 20) {
            int n = Math.min(1 << 20, large.length - off);
            framed.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            framed.write(large, off, n);
            framed.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        framed.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        try (TestServer t = TestServer.start(); S3Client s3 = s3(t); RawHttp c = new RawHttp(t.port())) {
            s3.createBucket(b -> b.bucket("bulk"));
            RawHttp.Response r = put(c, "chunked", "Transfer-Encoding: chunked\r\n", framed.toByteArray());
            assertEquals(200, r.status(), r.text());
            assertEquals(etag(large), r.header("etag"));
            assertEquals("keep-alive", r.header("connection"));
            assertEquals(200, put(c, "next", "Content-Length: 4\r\n", "next".getBytes(StandardCharsets.US_ASCII)).status());
            assertArrayEquals(large, s3.getObjectAsBytes(b -> b.bucket("bulk").key("chunked")).asByteArray());
        }
    }
}
