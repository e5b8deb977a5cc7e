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
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

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
}
