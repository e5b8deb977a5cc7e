package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.protocol.codec.RawHttp;
import dev.nimbus.testing.TestServer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.CORSRule;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectAttributes;
import software.amazon.awssdk.services.s3.model.ObjectOwnership;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.Tag;

/** Bucket sub-resources stored and returned, and what acts on them: CORS preflight, website, lifecycle, presigned expiry. */
class S3ConfigsTest {
    static TestServer t;
    static S3Client s3;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        s3.createBucket(b -> b.bucket("configs"));
    }

    @AfterAll
    static void stop() {
        s3.close();
        t.close();
    }

    static String code(org.junit.jupiter.api.function.Executable call) {
        return assertThrows(S3Exception.class, call).awsErrorDetails().errorCode();
    }

    @Test
    void subResourcesRoundTrip() {
        assertEquals("NoSuchTagSet", code(() -> s3.getBucketTagging(b -> b.bucket("configs"))));
        s3.putBucketTagging(b -> b.bucket("configs").tagging(g -> g.tagSet(Tag.builder().key("team").value("storage").build())));
        assertEquals("storage", s3.getBucketTagging(b -> b.bucket("configs")).tagSet().get(0).value());
        s3.deleteBucketTagging(b -> b.bucket("configs"));
        assertEquals("NoSuchTagSet", code(() -> s3.getBucketTagging(b -> b.bucket("configs"))));

        String policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::configs/*\"}]}";
        assertEquals("NoSuchBucketPolicy", code(() -> s3.getBucketPolicy(b -> b.bucket("configs"))));
        s3.putBucketPolicy(b -> b.bucket("configs").policy(policy));
        assertEquals(policy, s3.getBucketPolicy(b -> b.bucket("configs")).policy());
        assertEquals("MalformedPolicy", code(() -> s3.putBucketPolicy(b -> b.bucket("configs").policy("not json"))));

        // what a new bucket has without being asked
        assertEquals(ObjectOwnership.BUCKET_OWNER_ENFORCED, s3.getBucketOwnershipControls(b -> b.bucket("configs")).ownershipControls().rules().get(0).objectOwnership());
        assertTrue(s3.getPublicAccessBlock(b -> b.bucket("configs")).publicAccessBlockConfiguration().blockPublicAcls());
        assertEquals("AES256", s3.getBucketEncryption(b -> b.bucket("configs")).serverSideEncryptionConfiguration().rules().get(0)
                .applyServerSideEncryptionByDefault().sseAlgorithmAsString());
        s3.deletePublicAccessBlock(b -> b.bucket("configs"));
        assertEquals("NoSuchPublicAccessBlockConfiguration", code(() -> s3.getPublicAccessBlock(b -> b.bucket("configs"))));
        s3.putBucketOwnershipControls(b -> b.bucket("configs").ownershipControls(o -> o.rules(r -> r.objectOwnership(ObjectOwnership.OBJECT_WRITER))));
        assertEquals(ObjectOwnership.OBJECT_WRITER, s3.getBucketOwnershipControls(b -> b.bucket("configs")).ownershipControls().rules().get(0).objectOwnership());
        assertEquals("FULL_CONTROL", s3.getBucketAcl(b -> b.bucket("configs")).grants().get(0).permission().toString());

        assertEquals(null, s3.getBucketVersioning(b -> b.bucket("configs")).status());
        s3.putBucketVersioning(b -> b.bucket("configs").versioningConfiguration(v -> v.status(BucketVersioningStatus.SUSPENDED)));
        assertEquals(BucketVersioningStatus.SUSPENDED, s3.getBucketVersioning(b -> b.bucket("configs")).status());
        assertEquals("InvalidArgument", code(() -> s3.getObject(b -> b.bucket("configs").key("tagged.txt").versionId("3HL4kqtJlcpXroDTDmJ"))));

        s3.putObject(b -> b.bucket("configs").key("tagged.txt").tagging("a=1&b=two"), RequestBody.fromString("t"));
        assertEquals(2, s3.getObjectAsBytes(b -> b.bucket("configs").key("tagged.txt")).response().tagCount());
        s3.putObjectTagging(b -> b.bucket("configs").key("tagged.txt").tagging(g -> g.tagSet(Tag.builder().key("c").value("3").build())));
        assertEquals(List.of("c"), s3.getObjectTagging(b -> b.bucket("configs").key("tagged.txt")).tagSet().stream().map(Tag::key).toList());
        s3.deleteObjectTagging(b -> b.bucket("configs").key("tagged.txt"));
        assertTrue(s3.getObjectTagging(b -> b.bucket("configs").key("tagged.txt")).tagSet().isEmpty());

        var attrs = s3.getObjectAttributes(b -> b.bucket("configs").key("tagged.txt").objectAttributes(ObjectAttributes.E_TAG, ObjectAttributes.OBJECT_SIZE));
        assertEquals(1L, attrs.objectSize());
        assertFalse(attrs.eTag().contains("\""), attrs.eTag());
    }

    @Test
    void corsPreflightFollowsTheBucketRules() {
        s3.createBucket(b -> b.bucket("cors-bucket"));
        RawHttp.Response none = RawHttp.exchange(t.port(), "OPTIONS", "/cors-bucket/x", "127.0.0.1", null, "Origin: https://app.example",
                "Access-Control-Request-Method: GET");
        assertEquals(403, none.status(), none.body());
        assertTrue(none.body().contains("CORS is not enabled for this bucket"), none.body());
        s3.putBucketCors(b -> b.bucket("cors-bucket").corsConfiguration(c -> c.corsRules(CORSRule.builder().allowedOrigins("https://*.example")
                .allowedMethods("GET", "PUT").allowedHeaders("x-amz-*", "content-type").maxAgeSeconds(600).build())));
        assertEquals(List.of("GET", "PUT"), s3.getBucketCors(b -> b.bucket("cors-bucket")).corsRules().get(0).allowedMethods());
        RawHttp.Response ok = RawHttp.exchange(t.port(), "OPTIONS", "/cors-bucket/x", "127.0.0.1", null, "Origin: https://app.example",
                "Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: content-type, x-amz-date");
        assertEquals(200, ok.status(), ok.body());
        assertEquals("https://app.example", ok.header("Access-Control-Allow-Origin"));
        assertEquals("600", ok.header("Access-Control-Max-Age"));
        RawHttp.Response wrongMethod = RawHttp.exchange(t.port(), "OPTIONS", "/cors-bucket/x", "127.0.0.1", null, "Origin: https://app.example",
                "Access-Control-Request-Method: DELETE");
        assertEquals(403, wrongMethod.status());
        RawHttp.Response wrongOrigin = RawHttp.exchange(t.port(), "OPTIONS", "/cors-bucket/x", "127.0.0.1", null, "Origin: https://evil.test",
                "Access-Control-Request-Method: GET");
        assertEquals(403, wrongOrigin.status());
    }

    @Test
    void actualCrossOriginRequestsCarryTheMatchingRulesHeaders() {
        s3.createBucket(b -> b.bucket("cors-actual"));
        s3.putObject(b -> b.bucket("cors-actual").key("a.txt"), RequestBody.fromString("a"));
        // No CORS configuration: S3 answers without CORS headers, not with the server's permissive default.
        RawHttp.Response bare = RawHttp.exchange(t.port(), "GET", "/cors-actual/a.txt", "127.0.0.1", null, "Origin: https://app.example");
        assertEquals(200, bare.status(), bare.body());
        assertEquals(null, bare.header("Access-Control-Allow-Origin"));
        s3.putBucketCors(b -> b.bucket("cors-actual").corsConfiguration(c -> c.corsRules(
                CORSRule.builder().allowedOrigins("https://app.example").allowedMethods("GET", "HEAD").exposeHeaders("ETag").build(),
                CORSRule.builder().allowedOrigins("*").allowedMethods("PUT").build())));
        RawHttp.Response get = RawHttp.exchange(t.port(), "GET", "/cors-actual/a.txt", "127.0.0.1", null, "Origin: https://app.example");
        assertEquals(200, get.status());
        assertEquals("https://app.example", get.header("Access-Control-Allow-Origin"));
        assertEquals("ETag", get.header("Access-Control-Expose-Headers"));
        assertEquals("true", get.header("Access-Control-Allow-Credentials"));
        assertEquals("GET, HEAD", get.header("Access-Control-Allow-Methods"));
        assertTrue(get.header("Vary").startsWith("Origin"), get.header("Vary"));
        // Errors carry them too, so the page can read the error.
        RawHttp.Response missing = RawHttp.exchange(t.port(), "GET", "/cors-actual/none.txt", "127.0.0.1", null, "Origin: https://app.example");
        assertEquals(404, missing.status());
        assertEquals("https://app.example", missing.header("Access-Control-Allow-Origin"));
        RawHttp.Response put = RawHttp.exchange(t.port(), "PUT", "/cors-actual/b.txt", "127.0.0.1", "b", "Origin: https://other.example");
        assertEquals(200, put.status(), put.body());
        assertEquals("*", put.header("Access-Control-Allow-Origin"));
        assertEquals(null, put.header("Access-Control-Allow-Credentials"));
        RawHttp.Response stranger = RawHttp.exchange(t.port(), "GET", "/cors-actual/a.txt", "127.0.0.1", null, "Origin: https://evil.test");
        assertEquals(200, stranger.status());
        assertEquals(null, stranger.header("Access-Control-Allow-Origin"));
        assertEquals(null, stranger.header("Access-Control-Expose-Headers"));
        // Not a bucket: the server's default still answers other services' cross-origin calls.
        RawHttp.Response other = RawHttp.exchange(t.port(), "GET", "/no-such-bucket-here/a.txt", "127.0.0.1", null, "Origin: https://evil.test");
        assertEquals("*", other.header("Access-Control-Allow-Origin"));
    }

    @Test
    void websiteServesIndexAndErrorDocuments() {
        s3.createBucket(b -> b.bucket("site"));
        s3.putObject(b -> b.bucket("site").key("index.html").contentType("text/html"), RequestBody.fromString("<h1>home</h1>"));
        s3.putObject(b -> b.bucket("site").key("docs/index.html").contentType("text/html"), RequestBody.fromString("<h1>docs</h1>"));
        s3.putObject(b -> b.bucket("site").key("404.html").contentType("text/html"), RequestBody.fromString("<h1>missing</h1>"));
        String host = "site.s3-website.localhost:" + t.port();
        assertEquals(404, RawHttp.exchange(t.port(), "GET", "/", host, null).status());
        s3.putBucketWebsite(b -> b.bucket("site").websiteConfiguration(w -> w.indexDocument(i -> i.suffix("index.html")).errorDocument(e -> e.key("404.html"))));
        assertEquals("index.html", s3.getBucketWebsite(b -> b.bucket("site")).indexDocument().suffix());
        RawHttp.Response home = RawHttp.exchange(t.port(), "GET", "/", host, null);
        assertEquals(200, home.status());
        assertEquals("<h1>home</h1>", home.body());
        assertEquals("text/html", home.header("Content-Type"));
        assertEquals("<h1>docs</h1>", RawHttp.exchange(t.port(), "GET", "/docs/", host, null).body());
        RawHttp.Response folder = RawHttp.exchange(t.port(), "GET", "/docs", host, null);
        assertEquals(302, folder.status());
        assertEquals("/docs/", folder.header("Location"));
        RawHttp.Response missing = RawHttp.exchange(t.port(), "GET", "/nope.html", host, null);
        assertEquals(404, missing.status());
        assertEquals("<h1>missing</h1>", missing.body());
    }

    @Test
    void lifecycleExpirationDeletesDueObjects() {
        s3.createBucket(b -> b.bucket("aging"));
        s3.putObject(b -> b.bucket("aging").key("logs/a.log"), RequestBody.fromString("a"));
        s3.putObject(b -> b.bucket("aging").key("keep/b.log"), RequestBody.fromString("b"));
        s3.putBucketLifecycleConfiguration(b -> b.bucket("aging").lifecycleConfiguration(l -> l.rules(LifecycleRule.builder().id("old-logs")
                .status(ExpirationStatus.ENABLED).filter(f -> f.prefix("logs/")).expiration(e -> e.days(1)).build())));
        assertEquals("old-logs", s3.getBucketLifecycleConfiguration(b -> b.bucket("aging")).rules().get(0).id());
        assertEquals(0, t.server.services().s3().expire(Instant.now()));
        assertEquals(1, t.server.services().s3().expire(Instant.now().plus(2, ChronoUnit.DAYS)));
        assertThrows(NoSuchKeyException.class, () -> s3.headObject(b -> b.bucket("aging").key("logs/a.log")));
        s3.headObject(b -> b.bucket("aging").key("keep/b.log"));
        s3.deleteBucketLifecycle(b -> b.bucket("aging"));
        assertEquals("NoSuchLifecycleConfiguration", code(() -> s3.getBucketLifecycleConfiguration(b -> b.bucket("aging"))));
    }

    @Test
    void lifecycleAbortsIncompleteMultipartUploads() {
        s3.createBucket(b -> b.bucket("stale-uploads"));
        String stale = s3.createMultipartUpload(b -> b.bucket("stale-uploads").key("tmp/big")).uploadId();
        s3.uploadPart(b -> b.bucket("stale-uploads").key("tmp/big").uploadId(stale).partNumber(1), RequestBody.fromString("part"));
        String kept = s3.createMultipartUpload(b -> b.bucket("stale-uploads").key("keep/big")).uploadId();
        s3.putBucketLifecycleConfiguration(b -> b.bucket("stale-uploads").lifecycleConfiguration(l -> l.rules(LifecycleRule.builder().id("abort")
                .status(ExpirationStatus.ENABLED).filter(f -> f.prefix("tmp/")).abortIncompleteMultipartUpload(a -> a.daysAfterInitiation(1)).build())));
        t.server.services().s3().expire(Instant.now());
        assertEquals(2, s3.listMultipartUploads(b -> b.bucket("stale-uploads")).uploads().size());
        t.server.services().s3().expire(Instant.now().plus(2, ChronoUnit.DAYS));
        assertEquals(List.of(kept), s3.listMultipartUploads(b -> b.bucket("stale-uploads")).uploads().stream().map(u -> u.uploadId()).toList());
        assertThrows(S3Exception.class, () -> s3.listParts(b -> b.bucket("stale-uploads").key("tmp/big").uploadId(stale)));
    }

    @Test
    void expiredPresignedUrlsAreDenied() {
        s3.putObject(b -> b.bucket("configs").key("shared.txt"), RequestBody.fromString("s"));
        RawHttp.Response r = RawHttp.exchange(t.port(), "GET", "/configs/shared.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=test%2F20200101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20200101T000000Z&X-Amz-Expires=60"
                + "&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "0".repeat(64), "127.0.0.1", null);
        assertEquals(403, r.status(), r.body());
        assertTrue(r.body().contains("<Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>60</X-Amz-Expires>"
                + "<Expires>2020-01-01T00:01:00Z</Expires>"), r.body());
    }
}
