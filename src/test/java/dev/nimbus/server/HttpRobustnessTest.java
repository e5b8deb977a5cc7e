package dev.nimbus.server;

import static dev.nimbus.server.Wire.assertAwsError;
import static dev.nimbus.server.Wire.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.1 at its edges: truncated and oversized bodies, chunked bodies, 100-continue, keep-alive,
 * Connection: close, and bytes that are not HTTP at all. The answer is an AWS-shaped error or a
 * clean close, never a hang, and the server keeps serving.
 */
class HttpRobustnessTest {
    private static final int MAX_BODY = 64 * 1024;
    private static final String FORM = "application/x-www-form-urlencoded";
    private static final String CALLER_IDENTITY = "Action=GetCallerIdentity&Version=2011-06-15";
    private static final String LIST_TABLES = "X-Amz-Target: DynamoDB_20120810.ListTables";

    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start(ServerConfig.defaults().withPort(0).asEphemeral().withMaxBodyBytes(MAX_BODY));
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    @AfterEach
    void stillServes() {
        Wire.assertStillServes(nimbus);
    }

    private RawHttp connect() throws IOException {
        return new RawHttp(nimbus.port());
    }

    private static void assertCallerIdentity(RawHttp.Response r) {
        assertEquals(200, r.status(), r.text());
        assertTrue(r.text().contains("<Account>000000000000</Account>"), r.text());
    }

    @Test
    void truncatedBodyThenHalfCloseIsIncompleteBody() throws IOException {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: localhost\r\n" + LIST_TABLES + "\r\nContent-Length: 100\r\n\r\n{\"Limit\":1");
            c.shutdownOutput();
            RawHttp.Response r = c.read();
            // The client is gone for good: an error it may still read, or a plain close.
            if (r != null) assertAwsError(r, 400, "IncompleteBody");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void truncatedBodyThenCloseLeavesNothingBehind() throws IOException {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + FORM + "\r\nContent-Length: 100\r\n\r\nAction=Get");
        }
    }

    @Test
    void declaredLengthOverTheLimitIs413WithoutReadingTheBody() throws IOException {
        try (RawHttp c = connect()) {
            // Only the head is sent: the answer must not wait for a body.
            c.send("POST / HTTP/1.1\r\nHost: localhost\r\n" + LIST_TABLES + "\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: "
                    + (MAX_BODY + 1) + "\r\n\r\n");
            RawHttp.Response r = c.read();
            assertAwsError(r, 413, "RequestEntityTooLargeException");
            assertEquals("close", r.header("Connection"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void hugeDeclaredLengthIs413() throws IOException {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + FORM + "\r\nContent-Length: 999999999999999\r\n\r\n");
            assertAwsError(c.read(), 413, "RequestEntityTooLargeException");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void chunkedBodyOverTheLimitIs413() throws IOException {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: localhost\r\n" + LIST_TABLES + "\r\nTransfer-Encoding: chunked\r\n\r\n");
            // Chunks adding up to one byte over the limit and no last chunk: the server must stop reading at the limit.
            String chunk = "x".repeat(16 * 1024);
            for (int i = 0; i < MAX_BODY / chunk.length(); i++) c.send(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
            c.send("1\r\nx\r\n");
            assertAwsError(c.read(), 413, "RequestEntityTooLargeException");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void chunkedBodyParses() throws IOException {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + FORM + "\r\nTransfer-Encoding: chunked\r\n\r\n");
            c.send("7\r\nAction=\r\n");
            c.send("11\r\nGetCallerIdentity\r\n");
            c.send("13\r\n&Version=2011-06-15\r\n");
            c.send("0\r\n\r\n");
            assertCallerIdentity(c.read());
            // and the connection goes on
            c.send(post(FORM, CALLER_IDENTITY));
            assertCallerIdentity(c.read());
        }
    }

    @Test
    void expect100ContinueSendsContinueThenReadsTheBody() throws IOException {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + FORM + "\r\nExpect: 100-continue\r\nContent-Length: "
                    + CALLER_IDENTITY.length() + "\r\n\r\n");
            assertEquals(100, c.read().status());
            c.send(CALLER_IDENTITY);
            assertCallerIdentity(c.read());
        }
    }

    @Test
    void oversizedExpect100ContinueIs413WithoutContinue() throws IOException {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: localhost\r\n" + LIST_TABLES + "\r\nExpect: 100-continue\r\nContent-Length: " + (MAX_BODY + 1) + "\r\n\r\n");
            RawHttp.Response r = c.read();
            assertNotEquals(100, r.status(), "a refused body must not be invited");
            assertAwsError(r, 413, "RequestEntityTooLargeException");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void expect100ContinueRefusedBeforeTheBodyGetsNoContinue() throws IOException {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: NoSuchService.Op\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
            RawHttp.Response r = c.read();
            assertAwsError(r, 400, "UnknownOperationException");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void manyRequestsOnOneKeepAliveConnection() throws IOException {
        Set<String> ids = new HashSet<>();
        try (RawHttp c = connect()) {
            for (int i = 0; i < 200; i++) {
                c.send(post(FORM, CALLER_IDENTITY));
                RawHttp.Response r = c.read();
                assertCallerIdentity(r);
                assertTrue(ids.add(r.header("x-amzn-RequestId")), "request ids are unique");
            }
            // errors that read their body keep the connection too
            c.send(post("application/x-amz-json-1.0", "{\"Limit\":", LIST_TABLES));
            assertAwsError(c.read(), 400, "SerializationException");
            c.send(post(FORM, CALLER_IDENTITY));
            assertCallerIdentity(c.read());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        try (RawHttp c = connect()) {
            c.send(post(FORM, CALLER_IDENTITY) + post(FORM, "Action=Nope") + post(FORM, CALLER_IDENTITY));
            assertCallerIdentity(c.read());
            assertAwsError(c.read(), 400, "InvalidAction");
            assertCallerIdentity(c.read());
        }
    }

    @Test
    void connectionCloseClosesAfterTheResponse() throws IOException {
        try (RawHttp c = connect()) {
            c.send("POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: " + FORM + "\r\nContent-Length: "
                    + CALLER_IDENTITY.length() + "\r\n\r\n" + CALLER_IDENTITY);
            RawHttp.Response r = c.read();
            assertCallerIdentity(r);
            assertEquals("close", r.header("Connection"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void notHttpAtAll() throws IOException {
        try (RawHttp c = connect()) {
            // the start of a TLS ClientHello, as from https:// against the plain port
            c.send(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03, '\r', '\n', '\r', '\n'});
            RawHttp.Response r = c.read();
            if (r != null) assertAwsError(r, 400, "MalformedHttpRequestException");
            assertTrue(c.closedByServer());
        }
        try (RawHttp c = connect()) {
            c.send("HELLO THERE\r\n\r\n");
            assertAwsError(c.read(), 400, "MalformedHttpRequestException");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void headerWithoutColon() throws IOException {
        try (RawHttp c = connect()) {
            c.send("GET /_nimbus/health HTTP/1.1\r\nHost: localhost\r\nNoColonHere\r\n\r\n");
            assertAwsError(c.read(), 400, "MalformedHttpRequestException");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void badContentLength() throws IOException {
        for (String length : new String[] {"abc", "-5", "1, 2"}) {
            try (RawHttp c = connect()) {
                c.send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + length + "\r\n\r\n");
                assertAwsError(c.read(), 400, "MalformedHttpRequestException");
                assertTrue(c.closedByServer());
            }
        }
    }

    @Test
    void headersOverTheLimitAreRefused() throws IOException {
        try (RawHttp c = connect()) {
            c.send("GET /_nimbus/health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(64 * 1024) + "\r\n\r\n");
            RawHttp.Response r = c.read();
            // 400 or 431 are both fair answers; either way an AWS error and a closed connection.
            if (r != null) assertAwsError(r, r.status() == 431 ? 431 : 400, "MalformedHttpRequestException");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void requestLineOverTheLimitIs414() throws IOException {
        try (RawHttp c = connect()) {
            c.send("GET /" + "a".repeat(64 * 1024) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
            RawHttp.Response r = c.read();
            if (r != null) assertAwsError(r, 414, "MalformedHttpRequestException");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void longPresignedStyleUrlIsAccepted() throws IOException {
        // Longer than Helidon's default 4 KiB request line, as a presigned URL with a long key and a session token is.
        String padding = "&X-Amz-Security-Token=" + "T".repeat(6000);
        try (RawHttp c = connect()) {
            c.send("GET /?" + CALLER_IDENTITY + padding + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertCallerIdentity(c.read());
        }
    }

    @Test
    void absoluteFormRequestLineIsServedAsItsPathAndHost() throws IOException {
        // As clients send through a proxy: the path and query are the target's, and so is the host, whatever Host says.
        try (RawHttp c = connect()) {
            c.send("GET http://localhost:" + nimbus.port() + "/?" + CALLER_IDENTITY + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertCallerIdentity(c.read());
            c.send("GET http://localhost/_nimbus/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
            RawHttp.Response health = c.read();
            assertEquals(200, health.status(), health.text());
            assertTrue(health.text().contains("\"status\":\"running\""), health.text());
            // With the Host header, "GET /" would be ListBuckets; with the target's host it is ListObjects of a bucket that is not there.
            c.send("GET http://no-such-bucket.s3.localhost HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + Wire.auth("s3") + "\r\n\r\n");
            assertAwsError(c.read(), 404, "NoSuchBucket");
        }
    }

    @Test
    void unsupportedHttpVersion() throws IOException {
        try (RawHttp c = connect()) {
            c.send("GET /_nimbus/health HTTP/2.0\r\nHost: localhost\r\n\r\n");
            RawHttp.Response r = c.read();
            if (r != null) assertTrue(r.status() == 400 || r.status() == 505, r.status() + " " + r.text());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void javaHttpClientWithChunkedUpload() throws Exception {
        // java.net.http sends a body of unknown length chunked
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(nimbus.endpoint() + "/"))
                    .header("Content-Type", FORM)
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(CALLER_IDENTITY.getBytes())))
                    .build();
            HttpResponse<String> res = client.send(req, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, res.statusCode(), res.body());
            assertTrue(res.headers().firstValue("x-amzn-RequestId").isPresent());
            assertNull(res.headers().firstValue("Transfer-Encoding").orElse(null), "documents are sent with a Content-Length");
        }
    }
}
