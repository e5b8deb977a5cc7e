package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.protocol.codec.RawHttp;
import dev.nimbus.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CORSRule;

/**
 * A bucket's CORS rules apply to whatever S3 answers a browser with, not only to API successes: an
 * expired presigned URL's AccessDenied, an API error, a website's index and error documents; and a
 * preflight is answered by the rules before any authentication of the URL it precedes.
 */
class S3CorsTest {
    static final String APP = "Origin: https://app.example";
    /** a presigned GET signed in 2020 for five minutes */
    static final String EXPIRED = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20200101%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20200101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "0".repeat(64);
    static TestServer t;
    static S3Client s3;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        for (String bucket : new String[] {"shared", "site"}) {
            s3.createBucket(b -> b.bucket(bucket));
            s3.putBucketCors(b -> b.bucket(bucket).corsConfiguration(c -> c.corsRules(CORSRule.builder().allowedOrigins("https://app.example")
                    .allowedMethods("GET", "HEAD").allowedHeaders("*").exposeHeaders("ETag").maxAgeSeconds(600).build())));
        }
        s3.putObject(b -> b.bucket("shared").key("report.txt"), RequestBody.fromString("quarterly"));
    }

    @AfterAll
    static void stop() {
        s3.close();
        t.close();
    }

    @Test
    void anExpiredPresignedUrlsErrorCarriesTheBucketsCorsHeaders() {
        RawHttp.Response expired = RawHttp.exchange(t.port(), "GET", "/shared/report.txt" + EXPIRED, "127.0.0.1", null, APP);
        assertEquals(403, expired.status(), expired.body());
        assertTrue(expired.body().contains("<Code>AccessDenied</Code><Message>Request has expired</Message>"), expired.body());
        // the browser may read the error: the page learns why, instead of an opaque network failure
        assertEquals("https://app.example", expired.header("Access-Control-Allow-Origin"));
        assertEquals("ETag", expired.header("Access-Control-Expose-Headers"));
        assertEquals("true", expired.header("Access-Control-Allow-Credentials"));
        // an origin no rule allows gets no CORS headers, not the server's permissive default
        RawHttp.Response stranger = RawHttp.exchange(t.port(), "GET", "/shared/report.txt" + EXPIRED, "127.0.0.1", null, "Origin: https://evil.test");
        assertEquals(403, stranger.status());
        assertNull(stranger.header("Access-Control-Allow-Origin"));
        // without an Origin it is no CORS request at all
        assertNull(RawHttp.exchange(t.port(), "GET", "/shared/report.txt" + EXPIRED, "127.0.0.1", null).header("Access-Control-Allow-Origin"));
    }

    @Test
    void aPreflightBeforeAPresignedRequestIsAnsweredByTheRules() {
        RawHttp.Response pre = RawHttp.exchange(t.port(), "OPTIONS", "/shared/report.txt" + EXPIRED, "127.0.0.1", null, APP,
                "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: range");
        assertEquals(200, pre.status(), pre.body());
        assertEquals("https://app.example", pre.header("Access-Control-Allow-Origin"));
        assertEquals("GET, HEAD", pre.header("Access-Control-Allow-Methods"));
        assertEquals("range", pre.header("Access-Control-Allow-Headers"));
        assertEquals("600", pre.header("Access-Control-Max-Age"));
    }

    @Test
    void apiErrorsCarryTheBucketsCorsHeaders() {
        RawHttp.Response missing = RawHttp.exchange(t.port(), "GET", "/shared/none.txt", "127.0.0.1", null, APP, S3ObjectsTest.SIGNED);
        assertEquals(404, missing.status());
        assertEquals("https://app.example", missing.header("Access-Control-Allow-Origin"));
    }

    @Test
    void websiteDocumentsCarryTheBucketsCorsHeaders() {
        s3.putObject(b -> b.bucket("site").key("index.html").contentType("text/html"), RequestBody.fromString("<h1>home</h1>"));
        s3.putObject(b -> b.bucket("site").key("404.html").contentType("text/html"), RequestBody.fromString("<h1>missing</h1>"));
        s3.putBucketWebsite(b -> b.bucket("site").websiteConfiguration(w -> w.indexDocument(i -> i.suffix("index.html")).errorDocument(e -> e.key("404.html"))));
        String host = "site.s3-website.localhost:" + t.port();

        RawHttp.Response home = RawHttp.exchange(t.port(), "GET", "/", host, null, APP);
        assertEquals(200, home.status());
        assertEquals("https://app.example", home.header("Access-Control-Allow-Origin"));
        assertEquals("GET, HEAD", home.header("Access-Control-Allow-Methods"));
        RawHttp.Response error = RawHttp.exchange(t.port(), "GET", "/nope.html", host, null, APP);
        assertEquals(404, error.status());
        assertEquals("<h1>missing</h1>", error.body());
        assertEquals("https://app.example", error.header("Access-Control-Allow-Origin"));
        assertNull(RawHttp.exchange(t.port(), "GET", "/", host, null, "Origin: https://evil.test").header("Access-Control-Allow-Origin"));
        assertNull(RawHttp.exchange(t.port(), "GET", "/", host, null).header("Access-Control-Allow-Origin"));

        RawHttp.Response pre = RawHttp.exchange(t.port(), "OPTIONS", "/index.html", host, null, APP, "Access-Control-Request-Method: GET");
        assertEquals(200, pre.status(), pre.body());
        assertEquals("https://app.example", pre.header("Access-Control-Allow-Origin"));
        RawHttp.Response refused = RawHttp.exchange(t.port(), "OPTIONS", "/index.html", host, null, APP, "Access-Control-Request-Method: PUT");
        assertEquals(403, refused.status());
        assertTrue(refused.body().contains("<Code>AccessForbidden</Code>"), refused.body());
    }
}
