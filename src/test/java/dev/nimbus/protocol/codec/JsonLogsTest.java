package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** awsJson 1.1 end to end against a test CloudWatch Logs, as plain HTTP (the pom has no Logs client). */
class JsonLogsTest {
    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start(new LogsTestService());
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    static HttpResponse<byte[]> call(String operation, String body) {
        return Raw.post(nimbus.endpoint(), "/", body.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/x-amz-json-1.1",
                "X-Amz-Target", "Logs_20140328." + operation, "Authorization", Raw.auth("logs"));
    }

    static JsonNode json(HttpResponse<byte[]> res, int status) throws IOException {
        assertEquals(status, res.statusCode(), () -> new String(res.body(), StandardCharsets.UTF_8));
        assertEquals("application/x-amz-json-1.1", res.headers().firstValue("Content-Type").orElse(null));
        return Values.JSON.readTree(res.body());
    }

    static JsonNode expected(String json) throws IOException {
        return Values.JSON.readTree(json);
    }

    @Test
    void logGroupsAndEventsRoundTrip() throws IOException {
        json(call("CreateLogGroup", "{\"logGroupName\":\"/json-rt/app\",\"tags\":{\"team\":\"core\"}}"), 200);
        assertEquals(expected("{\"logGroups\":[{\"logGroupName\":\"/json-rt/app\",\"creationTime\":1767225600123,"
                        + "\"arn\":\"arn:aws:logs:us-east-1:000000000000:log-group:/json-rt/app:*\",\"storedBytes\":0}]}"),
                json(call("DescribeLogGroups", "{\"logGroupNamePrefix\":\"/json-rt/\"}"), 200));

        String events = "[{\"timestamp\":1767225600001,\"message\":\"first \\u00e9 \\\"quoted\\\"\"},{\"timestamp\":1767225600002,\"message\":\"second\"}]";
        assertEquals(expected("{\"nextSequenceToken\":\"2\"}"),
                json(call("PutLogEvents", "{\"logGroupName\":\"/json-rt/app\",\"logStreamName\":\"s1\",\"logEvents\":" + events + "}"), 200));
        assertEquals(expected("{\"events\":[{\"timestamp\":1767225600001,\"message\":\"first \u00e9 \\\"quoted\\\"\",\"ingestionTime\":1767225600002},"
                        + "{\"timestamp\":1767225600002,\"message\":\"second\",\"ingestionTime\":1767225600003}]}"),
                json(call("GetLogEvents", "{\"logGroupName\":\"/json-rt/app\",\"logStreamName\":\"s1\"}"), 200));
    }

    @Test
    void modeledErrorsHaveTheirType() throws IOException {
        json(call("CreateLogGroup", "{\"logGroupName\":\"/json/twice\"}"), 200);
        JsonNode err = json(call("CreateLogGroup", "{\"logGroupName\":\"/json/twice\"}"), 400);
        assertEquals("ResourceAlreadyExistsException", err.path("__type").asText());
        assertEquals("The specified log group already exists", err.path("message").asText());
        // Logs is not awsQueryCompatible: no query error header.
        assertNull(call("PutLogEvents", "{\"logGroupName\":\"/json/none\",\"logStreamName\":\"s\",\"logEvents\":[{\"timestamp\":1,\"message\":\"m\"}]}")
                .headers().firstValue("x-amzn-query-error").orElse(null));
    }

    @Test
    void validationCoversPatternsLengthsAndNesting() throws IOException {
        JsonNode err = json(call("CreateLogGroup", "{\"logGroupName\":\"bad name!\"}"), 400);
        assertEquals("ValidationException", err.path("__type").asText());
        assertEquals("1 validation error detected: Value 'bad name!' at 'logGroupName' failed to satisfy constraint: "
                + "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", err.path("message").asText());

        err = json(call("PutLogEvents", "{\"logGroupName\":\"/json-rt/app\",\"logStreamName\":\"s\",\"logEvents\":[]}"), 400);
        assertEquals("1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: "
                + "Member must have length greater than or equal to 1", err.path("message").asText());

        err = json(call("PutLogEvents", "{\"logGroupName\":\"/json-rt/app\",\"logStreamName\":\"s\",\"logEvents\":[{\"timestamp\":1}]}"), 400);
        assertEquals("1 validation error detected: Value null at 'logEvents.1.member.message' failed to satisfy constraint: "
                + "Member must not be null", err.path("message").asText());
    }

    @Test
    void wrongTypesAreSerializationExceptions() throws IOException {
        for (String body : new String[] {"{\"logGroupName\":[\"x\"]}", "{\"logGroupName\":\"x\",\"tags\":[]}", "{\"logGroupName\":true}"}) {
            assertEquals("SerializationException", json(call("CreateLogGroup", body), 400).path("__type").asText(), body);
        }
        JsonNode err = json(call("PutLogEvents", "{\"logGroupName\":\"g\",\"logStreamName\":\"s\",\"logEvents\":[{\"timestamp\":\"soon\",\"message\":\"m\"}]}"), 400);
        assertEquals("SerializationException", err.path("__type").asText());
    }
}
