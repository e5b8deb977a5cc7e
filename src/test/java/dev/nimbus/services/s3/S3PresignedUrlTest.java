package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.server.NimbusServer;
import dev.nimbus.server.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AccessKey;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;

/** Query-string (presigned) authentication: the URL alone names the service, region and account. */
class S3PresignedUrlTest {
    static NimbusServer server;
    static URI endpoint;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        server = NimbusServer.start(ServerConfig.defaults().withPort(0).asEphemeral());
        endpoint = URI.create("http://127.0.0.1:" + server.port());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void presignedS3GetIsServedWithoutAnyHeaders() throws Exception {
        StaticCredentialsProvider creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "secret"));
        try (S3Client s3 = S3Client.builder().endpointOverride(endpoint).forcePathStyle(true).region(Region.EU_WEST_1)
                .credentialsProvider(creds).build();
             S3Presigner presigner = S3Presigner.builder().endpointOverride(endpoint).region(Region.EU_WEST_1).credentialsProvider(creds)
                     .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build()) {
            s3.createBucket(b -> b.bucket("shared").createBucketConfiguration(c -> c.locationConstraint("eu-west-1")));
            s3.putObject(b -> b.bucket("shared").key("docs/report.txt"), RequestBody.fromString("quarterly"));
            URI url = presigner.presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(5))
                    .getObjectRequest(g -> g.bucket("shared").key("docs/report.txt"))).url().toURI();
            assertTrue(url.getRawQuery().contains("X-Amz-Credential="), url.toString());
            HttpResponse<String> res = get(url);
            assertEquals(200, res.statusCode(), res.body());
            assertEquals("quarterly", res.body());
        }
    }

    @Test
    void queryCredentialScopeGivesAccountAndService() throws Exception {
        // As a presigned query-protocol URL carries it: no Authorization header, the scope in X-Amz-Credential.
        HttpResponse<String> res = get(URI.create(endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15"
                + "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=123456789012%2F20260101%2Feu-west-1%2Fsts%2Faws4_request"
                + "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "0".repeat(64)));
        assertEquals(200, res.statusCode(), res.body());
        assertTrue(res.body().contains("<Account>123456789012</Account>"), res.body());
        assertTrue(res.body().contains("<Arn>arn:aws:iam::123456789012:root</Arn>"), res.body());
    }

    static S3Presigner presigner(AwsCredentials creds) {
        return S3Presigner.builder().endpointOverride(endpoint).region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(creds))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build();
    }

    static final StaticCredentialsProvider ANY = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));

    /** An IAM user's access key, whose secret Nimbus knows, so its presigned URLs' signatures are checked. */
    static AccessKey issuedKey(String user) {
        try (IamClient iam = IamClient.builder().endpointOverride(endpoint).region(Region.AWS_GLOBAL).credentialsProvider(ANY).build()) {
            iam.createUser(b -> b.userName(user));
            return iam.createAccessKey(b -> b.userName(user)).accessKey();
        }
    }

    static S3Client s3() {
        return S3Client.builder().endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1).credentialsProvider(ANY).build();
    }

    @Test
    void urlsSignedWithAnIssuedKeyAreCheckedAndATamperedOneIsRefused() throws Exception {
        AccessKey key = issuedKey("presigner");
        String odd = "dir/a b+c~d(é)!*'.txt";
        try (S3Client s3 = s3(); S3Presigner presigner = presigner(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey()))) {
            s3.createBucket(b -> b.bucket("signed"));
            s3.putObject(b -> b.bucket("signed").key(odd), RequestBody.fromString("payload"));
            URI url = presigner.presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(5))
                    .getObjectRequest(g -> g.bucket("signed").key(odd).responseContentType("text/plain"))).url().toURI();
            HttpResponse<String> ok = get(url);
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals("payload", ok.body());
            assertEquals("text/plain", ok.headers().firstValue("Content-Type").orElse(null));

            // A longer expiry written into the URL after signing.
            HttpResponse<String> longer = get(URI.create(url.toString().replace("X-Amz-Expires=300", "X-Amz-Expires=604800")));
            assertEquals(403, longer.statusCode(), longer.body());
            assertTrue(longer.body().contains("<Code>SignatureDoesNotMatch</Code>"), longer.body());
            assertTrue(longer.body().contains("<AWSAccessKeyId>" + key.accessKeyId() + "</AWSAccessKeyId>"), longer.body());
            assertTrue(longer.body().contains("<CanonicalRequest>GET\n/signed/dir/a%20b%2Bc~d%28%C3%A9%29%21%2A%27.txt\n"), longer.body());

            // Another object under the same signature.
            HttpResponse<String> other = get(URI.create(url.toString().replace("/signed/dir/", "/signed/dix/")));
            assertEquals(403, other.statusCode(), other.body());
            assertTrue(other.body().contains("<Code>SignatureDoesNotMatch</Code>"), other.body());

            // The right key id signed with a wrong secret.
            try (S3Presigner wrong = presigner(AwsBasicCredentials.create(key.accessKeyId(), "not-the-secret"))) {
                URI forged = wrong.presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(5)).getObjectRequest(g -> g.bucket("signed").key(odd))).url().toURI();
                HttpResponse<String> res = get(forged);
                assertEquals(403, res.statusCode(), res.body());
                assertTrue(res.body().contains("<Code>SignatureDoesNotMatch</Code>"), res.body());
            }
        }
    }

    @Test
    void presignedPutWithAnIssuedKeyStoresTheObject() throws Exception {
        AccessKey key = issuedKey("uploader");
        try (S3Client s3 = s3(); S3Presigner presigner = presigner(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey()))) {
            s3.createBucket(b -> b.bucket("uploads"));
            URI url = presigner.presignPutObject(p -> p.signatureDuration(Duration.ofMinutes(5))
                    .putObjectRequest(r -> r.bucket("uploads").key("in/file.txt"))).url().toURI();
            HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(url).PUT(HttpRequest.BodyPublishers.ofString("uploaded")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, res.statusCode(), res.body());
            assertEquals("uploaded", s3.getObjectAsBytes(b -> b.bucket("uploads").key("in/file.txt")).asUtf8String());
            HttpResponse<String> asGet = get(url);
            assertEquals(403, asGet.statusCode(), "a PUT's signature does not authorize a GET: " + asGet.body());
        }
    }

    @Test
    void presignedUrlWithStsSessionCredentialsIsChecked() throws Exception {
        try (StsClient sts = StsClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1).credentialsProvider(ANY).build();
             S3Client s3 = s3()) {
            Credentials c = sts.getSessionToken().credentials();
            s3.createBucket(b -> b.bucket("session"));
            s3.putObject(b -> b.bucket("session").key("k"), RequestBody.fromString("v"));
            try (S3Presigner presigner = presigner(AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken()))) {
                URI url = presigner.presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(5)).getObjectRequest(g -> g.bucket("session").key("k"))).url().toURI();
                assertTrue(url.getRawQuery().contains("X-Amz-Security-Token="), url.toString());
                assertEquals(200, get(url).statusCode());
                assertEquals(403, get(URI.create(url + "&x-id=extra")).statusCode(), "a parameter added after signing");
            }
        }
    }
}
