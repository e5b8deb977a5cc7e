package dev.nimbus.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.sts.StsClient;

/** Assertions on what the server sends back: AWS-shaped errors, request ids, a server that still works. */
final class Wire {
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern XML_CODE = Pattern.compile("<Code>([^<]*)</Code>");
    private static final Pattern XML_REQUEST_ID = Pattern.compile("<RequestId>([^<]*)</RequestId>");

    /** A signed-looking Authorization header for the given service (Nimbus parses the scope, it does not verify). */
    static String auth(String service) {
        return "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=0";
    }

    /** A POST with a body and a correct Content-Length; extra headers are full lines without CRLF. */
    static String post(String contentType, String body, String... headers) {
        StringBuilder b = new StringBuilder("POST / HTTP/1.1\r\nHost: localhost\r\n");
        if (contentType != null) b.append("Content-Type: ").append(contentType).append("\r\n");
        for (String h : headers) b.append(h).append("\r\n");
        return b.append("Content-Length: ").append(body.length()).append("\r\n\r\n").append(body).toString();
    }

    static void assertRequestId(RawHttp.Response r) {
        String id = r.header("x-amzn-RequestId");
        assertNotNull(id, "x-amzn-RequestId on every response");
        assertTrue(UUID.matcher(id).matches(), id);
    }

    /** The response is the AWS error {@code code} with {@code status}, in JSON or query XML, and leaks no Java internals. */
    static void assertAwsError(RawHttp.Response r, int status, String code) {
        assertNotNull(r, "expected an error response, the connection was closed");
        String body = r.text();
        assertEquals(status, r.status(), body);
        assertRequestId(r);
        assertNoInternals(body);
        String type = r.header("Content-Type");
        if (type != null && type.contains("json")) {
            JsonNode doc;
            try {
                doc = Values.JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("error body is not JSON: " + body, e);
            }
            String t = doc.path("__type").asText();
            assertEquals(code, t.substring(t.indexOf('#') + 1), body);
            assertTrue(doc.has("message") || doc.has("Message"), body);
        } else {
            Matcher m = XML_CODE.matcher(body);
            assertTrue(m.find(), "no <Code> in " + body);
            assertEquals(code, m.group(1), body);
            Matcher id = XML_REQUEST_ID.matcher(body);
            assertTrue(id.find(), "no <RequestId> in " + body);
            assertEquals(r.header("x-amzn-RequestId"), id.group(1));
        }
    }

    static void assertNoInternals(String body) {
        assertFalse(body.contains("Exception:"), body);
        assertFalse(body.contains("at dev.nimbus"), body);
        assertFalse(body.contains("at java."), body);
    }

    /** Whatever happened before, the server still answers a real SDK. */
    static void assertStillServes(TestServer t) {
        try (StsClient sts = t.client(StsClient.builder())) {
            assertEquals("000000000000", sts.getCallerIdentity().account());
        }
    }

    private Wire() {}
}
