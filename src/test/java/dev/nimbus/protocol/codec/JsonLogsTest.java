package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** awsJson 1.1 end to end against CloudWatch Logs, as plain HTTP (the pom has no Logs client). */
class JsonLogsTest {
    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
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
        JsonNode groups = json(call("DescribeLogGroups", "{\"logGroupNamePrefix\":\"/json-rt/\"}"), 200);
        assertEquals(1, groups.get("logGroups").size());
        JsonNode group = groups.get("logGroups").get(0);
        assertEquals("arn:aws:logs:us-east-1:000000000000:log-group:/json-rt/app:*", group.get("arn").asText());
        // Logs' times are longs of epoch millis, not timestamps: they stay integral on the wire.
        assertTrue(group.get("creationTime").isIntegralNumber(), group::toString);
        assertEquals(expected("{\"team\":\"core\"}"), json(call("ListTagsLogGroup", "{\"logGroupName\":\"/json-rt/app\"}"), 200).get("tags"));

        json(call("CreateLogStream", "{\"logGroupName\":\"/json-rt/app\",\"logStreamName\":\"s1\"}"), 200);
        long t = System.currentTimeMillis() - 1000;
        String events = "[{\"timestamp\":" + t + ",\"message\":\"first \\u00e9 \\\"quoted\\\"\"},{\"timestamp\":" + (t + 1) + ",\"message\":\"second\"}]";
        JsonNode put = json(call("PutLogEvents", "{\"logGroupName\":\"/json-rt/app\",\"logStreamName\":\"s1\",\"logEvents\":" + events + "}"), 200);
        assertTrue(put.get("nextSequenceToken").isTextual(), put::toString);
        JsonNode got = json(call("GetLogEvents", "{\"logGroupName\":\"/json-rt/app\",\"logStreamName\":\"s1\",\"startFromHead\":true}"), 200);
        assertEquals(2, got.get("events").size());
        JsonNode first = got.get("events").get(0);
        assertEquals(t, first.get("timestamp").longValue());
        assertTrue(first.get("timestamp").isIntegralNumber() && first.get("ingestionTime").isIntegralNumber(), first::toString);
        assertEquals("first \u00e9 \"quoted\"", first.get("message").asText());
        assertEquals("second", got.get("events").get(1).get("message").asText());
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
