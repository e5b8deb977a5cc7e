package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.protocol.codec.RawHttp;
import dev.nimbus.server.NimbusServer;
import dev.nimbus.server.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketLocationConstraint;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.DeletedObject;
import software.amazon.awssdk.services.s3.model.GetObjectAclResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.Grant;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.Permission;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.Type;

/**
 * rest-xml through the real S3 SDK against the S3 service. The server's document-body limit is
 * 1 MB, so a 20 MB object can only pass if its body streams.
 */
class S3RestXmlTest {
    static final String SIGNED_S3 = "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";
    static NimbusServer server;
    static S3Client pathStyle;
    static S3Client virtualHost;

    @BeforeAll
    static void start() {
        server = NimbusServer.start(ServerConfig.defaults().withPort(0).asEphemeral().withMaxBodyBytes(1 << 20));
        pathStyle = S3Client.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + server.port()))
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "secret")))
                .build();
        // Virtual-host style as SDKs form it: bucket.s3.localhost:PORT. *.localhost does not resolve
        // through /etc/hosts here, so the client's resolver sends every localhost name to loopback.
        virtualHost = S3Client.builder()
                .endpointOverride(URI.create("http://s3.localhost:" + server.port()))
                .forcePathStyle(false)
                .httpClientBuilder(ApacheHttpClient.builder().dnsResolver(host -> host.endsWith("localhost")
                        ? new InetAddress[] {InetAddress.getLoopbackAddress()} : InetAddress.getAllByName(host)))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "secret")))
                .build();
        pathStyle.createBucket(b -> b.bucket("photos"));
    }

    @AfterAll
    static void stop() {
        pathStyle.close();
        virtualHost.close();
        server.close();
    }

    @Test
    void twentyMegabyteObjectStreamsInAndOutWithUserMetadata() throws Exception {
        byte[] data = new byte[20 * 1024 * 1024];
        new Random(42).nextBytes(data);
        String etag = pathStyle.putObject(b -> b.bucket("photos").key("big/blob.bin").contentType("application/x-test")
                .metadata(Map.of("Owner", "Ada", "purpose", "streaming test")), RequestBody.fromBytes(data)).eTag();
        assertEquals("\"" + HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data)) + "\"", etag);
        assertEquals(data.length, pathStyle.headObject(b -> b.bucket("photos").key("big/blob.bin")).contentLength());

        try (ResponseInputStream<GetObjectResponse> in = pathStyle.getObject(b -> b.bucket("photos").key("big/blob.bin"))) {
            GetObjectResponse r = in.response();
            assertEquals(data.length, r.contentLength());
            assertEquals("application/x-test", r.contentType());
            assertEquals(Map.of("owner", "Ada", "purpose", "streaming test"), r.metadata());
            assertEquals(etag, r.eTag());
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), sha256(in));
        }
    }

    @Test
    void headObjectAnswersHeadersOnly() {
        pathStyle.putObject(b -> b.bucket("photos").key("head/me.txt").metadata(Map.of("k", "v")), RequestBody.fromString("hello head"));
        HeadObjectResponse head = pathStyle.headObject(b -> b.bucket("photos").key("head/me.txt"));
        assertEquals(10L, head.contentLength());
        assertEquals(Map.of("k", "v"), head.metadata());
        assertNotNull(head.lastModified());

        RawHttp.Response raw = RawHttp.exchange(server.port(), "HEAD", "/photos/head/me.txt", "127.0.0.1", null, SIGNED_S3);
        assertEquals(200, raw.status());
        assertEquals("10", raw.header("Content-Length"));
        assertTrue(raw.header("Last-Modified").endsWith(" GMT"), raw.header("Last-Modified"));
        assertEquals("v", raw.header("x-amz-meta-k"));
        assertEquals("", raw.body());
    }

    @Test
    void listObjectsV2WritesListBucketResultWithFlattenedContents() {
        for (String k : List.of("list/a", "list/b", "list/c")) pathStyle.putObject(b -> b.bucket("photos").key(k), RequestBody.fromString(k));
        ListObjectsV2Response page = pathStyle.listObjectsV2(b -> b.bucket("photos").prefix("list/").maxKeys(2));
        assertEquals("photos", page.name());
        assertEquals("list/", page.prefix());
        assertEquals(2, page.keyCount());
        assertTrue(page.isTruncated());
        assertEquals(List.of("list/a", "list/b"), page.contents().stream().map(S3Object::key).toList());
        assertEquals(6L, page.contents().get(0).size());
        assertNotNull(page.contents().get(0).lastModified());

        RawHttp.Response raw = RawHttp.exchange(server.port(), "GET", "/photos?list-type=2&prefix=list/&max-keys=1", "127.0.0.1", null, SIGNED_S3);
        assertEquals(200, raw.status());
        assertEquals("application/xml", raw.header("Content-Type"));
        // flattened: <Contents> sits directly under the root, no wrapper element
        assertTrue(raw.body().startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsTruncated>true</IsTruncated><Contents>"),
                raw.body());
        assertTrue(raw.body().contains("<Key>list/a</Key>"), raw.body());
        assertFalse(raw.body().contains("<member>"), raw.body());
    }

    @Test
    void virtualHostAndPathStyleReachTheSameObjects() {
        virtualHost.putObject(b -> b.bucket("photos").key("vhost/x.txt"), RequestBody.fromString("virtual"));
        assertEquals("virtual", pathStyle.getObjectAsBytes(b -> b.bucket("photos").key("vhost/x.txt")).asUtf8String());
        assertEquals("virtual", virtualHost.getObjectAsBytes(b -> b.bucket("photos").key("vhost/x.txt")).asUtf8String());
        assertEquals(List.of("vhost/x.txt"), virtualHost.listObjectsV2(b -> b.bucket("photos").prefix("vhost/")).contents().stream()
                .map(S3Object::key).toList());

        RawHttp.Response raw = RawHttp.exchange(server.port(), "GET", "/?list-type=2&prefix=vhost/", "photos.s3.localhost:" + server.port(), null, SIGNED_S3);
        assertEquals(200, raw.status(), raw.body());
        assertTrue(raw.body().contains("<Name>photos</Name>"), raw.body());
    }

    @Test
    void keysWithSlashesSpacesAndUnicodeRoundTrip() {
        List<String> keys = List.of("odd/dir with space/ünï+cödé?&=.txt", "odd/a//b", "odd/trailing/", "odd/100%.txt");
        for (String k : keys) pathStyle.putObject(b -> b.bucket("photos").key(k), RequestBody.fromString("key " + k));
        for (String k : keys) assertEquals("key " + k, pathStyle.getObjectAsBytes(b -> b.bucket("photos").key(k)).asUtf8String(), k);
        assertEquals(keys.stream().sorted().toList(),
                pathStyle.listObjectsV2(b -> b.bucket("photos").prefix("odd/")).contents().stream().map(S3Object::key).sorted().toList());
    }

    @Test
    void deleteObjectsReadsTheXmlBody() {
        List<String> keys = List.of("del/one", "del/a&b<c>.txt");
        for (String k : keys) pathStyle.putObject(b -> b.bucket("photos").key(k), RequestBody.fromString("x"));
        DeleteObjectsResponse r = pathStyle.deleteObjects(b -> b.bucket("photos").delete(Delete.builder()
                .objects(ObjectIdentifier.builder().key("del/one").build(), ObjectIdentifier.builder().key("del/a&b<c>.txt").build(),
                        ObjectIdentifier.builder().key("del/never-was").build())
                .build()));
        assertEquals(List.of("del/one", "del/a&b<c>.txt", "del/never-was"), r.deleted().stream().map(DeletedObject::key).toList());
        assertTrue(pathStyle.listObjectsV2(b -> b.bucket("photos").prefix("del/")).contents().isEmpty());

        pathStyle.putObject(b -> b.bucket("photos").key("del/quiet"), RequestBody.fromString("x"));
        DeleteObjectsResponse quiet = pathStyle.deleteObjects(b -> b.bucket("photos")
                .delete(Delete.builder().quiet(true).objects(ObjectIdentifier.builder().key("del/quiet").build()).build()));
        assertTrue(quiet.deleted().isEmpty());
        assertThrows(NoSuchKeyException.class, () -> pathStyle.headObject(b -> b.bucket("photos").key("del/quiet")));
    }

    @Test
    void aclRoundTripsXmlAttributesAndPrefixedNamespaces() {
        pathStyle.putObject(b -> b.bucket("photos").key("acl/x"), RequestBody.fromString("x"));
        pathStyle.putObjectAcl(b -> b.bucket("photos").key("acl/x").accessControlPolicy(p -> p
                .owner(o -> o.id("owner-id").displayName("Ada"))
                .grants(Grant.builder().grantee(g -> g.type(Type.CANONICAL_USER).id("friend-id")).permission(Permission.READ).build(),
                        Grant.builder().grantee(g -> g.type(Type.GROUP).uri("http://acs.amazonaws.com/groups/global/AllUsers"))
                                .permission(Permission.READ_ACP).build())));
        GetObjectAclResponse acl = pathStyle.getObjectAcl(b -> b.bucket("photos").key("acl/x"));
        assertEquals("owner-id", acl.owner().id());
        assertEquals(2, acl.grants().size());
        assertEquals(Type.CANONICAL_USER, acl.grants().get(0).grantee().type());
        assertEquals("friend-id", acl.grants().get(0).grantee().id());
        assertEquals(Permission.READ, acl.grants().get(0).permission());
        assertEquals(Type.GROUP, acl.grants().get(1).grantee().type());
        assertEquals("http://acs.amazonaws.com/groups/global/AllUsers", acl.grants().get(1).grantee().uri());

        RawHttp.Response raw = RawHttp.exchange(server.port(), "GET", "/photos/acl/x?acl", "127.0.0.1", null, SIGNED_S3);
        assertTrue(raw.body().contains("<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"), raw.body());
        assertTrue(raw.body().contains("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">"), raw.body());
    }

    @Test
    void noSuchKeyIsParsedByTheSdk() {
        NoSuchKeyException e = assertThrows(NoSuchKeyException.class, () -> pathStyle.getObjectAsBytes(b -> b.bucket("photos").key("nope/missing.txt")));
        assertEquals(404, e.statusCode());
        assertEquals("NoSuchKey", e.awsErrorDetails().errorCode());
        assertEquals("The specified key does not exist.", e.awsErrorDetails().errorMessage());

        RawHttp.Response raw = RawHttp.exchange(server.port(), "GET", "/photos/nope/missing.txt", "127.0.0.1", null, SIGNED_S3);
        assertEquals(404, raw.status());
        String body = raw.body();
        assertTrue(body.startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
                + "<Key>nope/missing.txt</Key><RequestId>" + raw.header("x-amz-request-id") + "</RequestId><HostId>" + raw.header("x-amz-id-2") + "</HostId></Error>"), body);

        RawHttp.Response head = RawHttp.exchange(server.port(), "HEAD", "/photos/nope/missing.txt", "127.0.0.1", null, SIGNED_S3);
        assertEquals(404, head.status());
        assertEquals("", head.body());
        assertThrows(NoSuchKeyException.class, () -> pathStyle.headObject(b -> b.bucket("photos").key("nope/missing.txt")));
    }

    @Test
    void unregisteredOperationIsNotImplemented() {
        S3Exception e = assertThrows(S3Exception.class, () -> pathStyle.getBucketAnalyticsConfiguration(b -> b.bucket("photos").id("a")));
        assertEquals(501, e.statusCode());
        assertEquals("NotImplemented", e.awsErrorDetails().errorCode());
        assertTrue(e.awsErrorDetails().errorMessage().contains("s3.GetBucketAnalyticsConfiguration"), e.awsErrorDetails().errorMessage());
    }

    @Test
    void bucketLocationIsTheRootElementItself() {
        pathStyle.createBucket(b -> b.bucket("irish-photos").createBucketConfiguration(c -> c.locationConstraint(BucketLocationConstraint.EU_WEST_1)));
        assertEquals(BucketLocationConstraint.EU_WEST_1, pathStyle.getBucketLocation(b -> b.bucket("irish-photos")).locationConstraint());
        RawHttp.Response raw = RawHttp.exchange(server.port(), "GET", "/irish-photos?location", "127.0.0.1", null, SIGNED_S3);
        assertEquals("<?xml version=\"1.0\" encoding=\"UTF-8\"?><LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">eu-west-1</LocationConstraint>",
                raw.body());
    }

    @Test
    void badXmlBodiesAnswerS3Codes() {
        RawHttp.Response broken = RawHttp.exchange(server.port(), "POST", "/photos?delete", "127.0.0.1",
                "<Delete><Object><Key>a</Key></Delete>", SIGNED_S3);
        assertEquals(400, broken.status());
        assertTrue(broken.body().contains("<Code>MalformedXML</Code>"), broken.body());

        RawHttp.Response wrongType = RawHttp.exchange(server.port(), "POST", "/photos?delete", "127.0.0.1",
                "<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>", SIGNED_S3);
        assertEquals(400, wrongType.status());
        assertTrue(wrongType.body().contains("<Code>MalformedXML</Code>"), wrongType.body());

        RawHttp.Response empty = RawHttp.exchange(server.port(), "POST", "/photos?delete", "127.0.0.1", "", SIGNED_S3);
        assertEquals(400, empty.status());
        assertTrue(empty.body().contains("<Code>MissingRequestBodyError</Code>"), empty.body());

        RawHttp.Response badQuery = RawHttp.exchange(server.port(), "GET", "/photos?list-type=2&max-keys=lots", "127.0.0.1", null, SIGNED_S3);
        assertEquals(400, badQuery.status());
        assertTrue(badQuery.body().contains("<Code>InvalidArgument</Code>"), badQuery.body());

        RawHttp.Response badMethod = RawHttp.exchange(server.port(), "PATCH", "/photos/some/key", "127.0.0.1", "", SIGNED_S3);
        assertEquals(405, badMethod.status());
        assertTrue(badMethod.body().contains("<Code>MethodNotAllowed</Code>"), badMethod.body());
        assertTrue(badMethod.body().contains("<Method>PATCH</Method>"), badMethod.body());
    }

    private static byte[] sha256(InputStream in) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) md.update(buf, 0, n);
            return md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
