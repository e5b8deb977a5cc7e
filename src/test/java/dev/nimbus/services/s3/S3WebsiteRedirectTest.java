package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nimbus.protocol.codec.RawHttp;
import dev.nimbus.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Protocol;
import software.amazon.awssdk.services.s3.model.RoutingRule;

/** Website redirects: an object's x-amz-website-redirect-location, and the configuration's routing rules. */
class S3WebsiteRedirectTest {
    static TestServer t;
    static S3Client s3;
    static String host;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        s3.createBucket(b -> b.bucket("www"));
        host = "www.s3-website.localhost:" + t.port();
        s3.putObject(b -> b.bucket("www").key("index.html").contentType("text/html"), RequestBody.fromString("home"));
        s3.putObject(b -> b.bucket("www").key("old.html").websiteRedirectLocation("/new.html"), RequestBody.empty());
        s3.putObject(b -> b.bucket("www").key("away.html").websiteRedirectLocation("https://elsewhere.example/page"), RequestBody.empty());
        s3.putObject(b -> b.bucket("www").key("docs/a.html"), RequestBody.fromString("a"));
        s3.putBucketWebsite(b -> b.bucket("www").websiteConfiguration(w -> w.indexDocument(i -> i.suffix("index.html")).routingRules(
                RoutingRule.builder().condition(c -> c.keyPrefixEquals("docs/")).redirect(r -> r.replaceKeyPrefixWith("documents/")).build(),
                RoutingRule.builder().condition(c -> c.keyPrefixEquals("exact")).redirect(r -> r.replaceKeyWith("landing.html").httpRedirectCode("302")).build(),
                RoutingRule.builder().condition(c -> c.httpErrorCodeReturnedEquals("404")).redirect(r -> r.hostName("fallback.example")
                        .protocol(Protocol.HTTPS).replaceKeyPrefixWith("report-404/")).build())));
    }

    @AfterAll
    static void stop() {
        s3.close();
        t.close();
    }

    static RawHttp.Response get(String path) {
        return RawHttp.exchange(t.port(), "GET", path, host, null);
    }

    @Test
    void anObjectsRedirectLocationIsAMovedPermanently() {
        RawHttp.Response old = get("/old.html");
        assertEquals(301, old.status());
        assertEquals("/new.html", old.header("Location"));
        assertEquals("https://elsewhere.example/page", get("/away.html").header("Location"));
        // the API still serves the object itself
        assertEquals("/new.html", s3.headObject(b -> b.bucket("www").key("old.html")).websiteRedirectLocation());
    }

    @Test
    void routingRulesRedirectByPrefixBeforeTheObjectIsLookedUp() {
        RawHttp.Response docs = get("/docs/a.html");
        assertEquals(301, docs.status());
        assertEquals("http://" + host + "/documents/a.html", docs.header("Location"));
        RawHttp.Response exact = get("/exact/anything");
        assertEquals(302, exact.status());
        assertEquals("http://" + host + "/landing.html", exact.header("Location"));
        assertEquals(200, get("/").status());
    }

    @Test
    void anErrorCodeConditionRedirectsOnlyWhatIsMissing() {
        RawHttp.Response missing = get("/gone/page.html");
        assertEquals(301, missing.status());
        assertEquals("https://fallback.example/report-404/gone/page.html", missing.header("Location"));
        assertEquals("home", get("/index.html").body());
    }
}
