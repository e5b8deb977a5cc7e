package dev.nimbus.services.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * CloudWatch Logs calls as the SDKs send them (awsJson 1.1, X-Amz-Target Logs_20140328.*): the
 * SDK v2 Logs client is not available to the build, so tests speak the wire protocol directly.
 */
public final class LogsApi {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final URI endpoint;

    public LogsApi(URI endpoint) {
        this.endpoint = endpoint;
    }

    /** The response of a call that must succeed ({} when the operation has no output). */
    public JsonNode ok(String operation, ObjectNode input) {
        HttpResponse<String> res = send(operation, input);
        assertEquals(200, res.statusCode(), () -> operation + " " + input + " -> " + res.body());
        return parse(res.body());
    }

    /** The response when the call succeeds, else null: for waiting until something exists (an asynchronous function's log group). */
    public JsonNode okOrNull(String operation, ObjectNode input) {
        HttpResponse<String> res = send(operation, input);
        return res.statusCode() == 200 ? parse(res.body()) : null;
    }

    /** The error of a call that must fail with {@code code}; returns its message. */
    String fails(String operation, ObjectNode input, String code) {
        HttpResponse<String> res = send(operation, input);
        assertEquals(400, res.statusCode(), () -> operation + " " + input + " -> " + res.body());
        JsonNode err = parse(res.body());
        assertEquals(code, err.path("__type").asText(), err::toString);
        return err.path("message").asText();
    }

    private HttpResponse<String> send(String operation, ObjectNode input) {
        HttpRequest req = HttpRequest.newBuilder(endpoint.resolve("/"))
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", "Logs_20140328." + operation)
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=00")
                .POST(HttpRequest.BodyPublishers.ofString(input.toString()))
                .build();
        try {
            return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return body.isEmpty() ? Values.object() : Values.JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An input object from name/value pairs: {@code in("logGroupName", "g", "limit", 2)}. */
    public static ObjectNode in(Object... pairs) {
        ObjectNode o = Values.object();
        for (int i = 0; i < pairs.length; i += 2) o.set((String) pairs[i], Values.JSON.valueToTree(pairs[i + 1]));
        return o;
    }

    /** logEvents: alternating timestamps and messages. */
    static ObjectNode put(String group, String stream, Object... timesAndMessages) {
        ObjectNode in = in("logGroupName", group, "logStreamName", stream);
        var events = in.putArray("logEvents");
        for (int i = 0; i < timesAndMessages.length; i += 2) {
            events.addObject().put("timestamp", (Long) timesAndMessages[i]).put("message", (String) timesAndMessages[i + 1]);
        }
        return in;
    }
}
