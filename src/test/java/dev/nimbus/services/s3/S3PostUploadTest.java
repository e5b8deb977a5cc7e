package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/** Browser POST uploads: a multipart/form-data form with a policy, as an HTML page sends it. */
class S3PostUploadTest {
    static TestServer t;
    static S3Client s3;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        s3.createBucket(b -> b.bucket("forms"));
    }

    @AfterAll
    static void stop() {
        s3.close();
        t.close();
    }

    static String policy(Instant expiration, String... conditions) {
        String json = "{\"expiration\":\"" + expiration + "\",\"conditions\":[" + String.join(",", conditions) + "]}";
        return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    static HttpResponse<String> post(Map<String, String> fields, String filename, String content) throws Exception {
        String boundary = "----form" + System.nanoTime();
        StringBuilder body = new StringBuilder();
        fields.forEach((k, v) -> body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"").append(k).append("\"\r\n\r\n")
                .append(v).append("\r\n"));
        body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"").append(filename)
                .append("\"\r\nContent-Type: text/plain\r\n\r\n").append(content).append("\r\n--").append(boundary).append("--\r\n");
        return HTTP.send(HttpRequest.newBuilder(URI.create(t.endpoint() + "/forms")).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void formUploadWithPolicyStoresTheFile() throws Exception {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("key", "uploads/${filename}");
        fields.put("x-amz-meta-owner", "ada");
        fields.put("success_action_status", "201");
        fields.put("policy", policy(Instant.now().plus(1, ChronoUnit.HOURS), "{\"bucket\":\"forms\"}", "[\"starts-with\",\"$key\",\"uploads/\"]",
                "{\"success_action_status\":\"201\"}", "[\"starts-with\",\"$x-amz-meta-owner\",\"\"]", "[\"content-length-range\",1,1000]"));
        HttpResponse<String> res = post(fields, "notes.txt", "line one\r\n--not a boundary\r\nline two");
        assertEquals(201, res.statusCode(), res.body());
        assertTrue(res.body().contains("<Key>uploads/notes.txt</Key>"), res.body());
        var got = s3.getObjectAsBytes(b -> b.bucket("forms").key("uploads/notes.txt"));
        assertEquals("line one\r\n--not a boundary\r\nline two", got.asUtf8String());
        assertEquals("ada", got.response().metadata().get("owner"));
        assertEquals("text/plain", got.response().contentType());
    }

    @Test
    void policyViolationsAreDenied() throws Exception {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("key", "elsewhere/x.txt");
        fields.put("policy", policy(Instant.now().plus(1, ChronoUnit.HOURS), "[\"starts-with\",\"$key\",\"uploads/\"]"));
        HttpResponse<String> wrongKey = post(fields, "x.txt", "x");
        assertEquals(403, wrongKey.statusCode());
        assertTrue(wrongKey.body().contains("Invalid according to Policy: Policy Condition failed"), wrongKey.body());

        fields.put("key", "uploads/x.txt");
        fields.put("policy", policy(Instant.now().minus(1, ChronoUnit.HOURS), "[\"starts-with\",\"$key\",\"uploads/\"]"));
        HttpResponse<String> expired = post(fields, "x.txt", "x");
        assertEquals(403, expired.statusCode());
        assertTrue(expired.body().contains("Invalid according to Policy: Policy expired."), expired.body());

        fields.put("policy", policy(Instant.now().plus(1, ChronoUnit.HOURS), "[\"starts-with\",\"$key\",\"uploads/\"]", "[\"content-length-range\",1,3]"));
        HttpResponse<String> tooBig = post(fields, "x.txt", "too long");
        assertEquals(400, tooBig.statusCode());
        assertTrue(tooBig.body().contains("<Code>EntityTooLarge</Code>"), tooBig.body());
        assertThrows(NoSuchKeyException.class, () -> s3.headObject(b -> b.bucket("forms").key("uploads/x.txt")));

        fields.put("policy", policy(Instant.now().plus(1, ChronoUnit.HOURS), "[\"starts-with\",\"$key\",\"uploads/\"]"));
        assertEquals(204, post(fields, "x.txt", "ok").statusCode());
        assertEquals("ok", s3.getObjectAsBytes(b -> b.bucket("forms").key("uploads/x.txt")).asUtf8String());
    }
}
