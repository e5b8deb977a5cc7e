package dev.nimbus.services.logs;

import static dev.nimbus.services.logs.LogsApi.in;
import static dev.nimbus.services.logs.LogsApi.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** Subscription filters delivering to a real Python function that decodes awslogs.data as AWS's examples do. */
class LogsSubscriptionFiltersTest {
    static TestServer nimbus;
    static LogsApi logs;
    static LambdaClient lambda;
    static String fn;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        logs = new LogsApi(nimbus.endpoint());
        lambda = nimbus.client(LambdaClient.builder());
        fn = lambda.createFunction(b -> b.functionName("log-sink").role("arn:aws:iam::000000000000:role/lambda-role").runtime(Runtime.PYTHON3_12)
                .handler("app.handler").code(c -> c.zipFile(SdkBytes.fromByteArray(zip("app.py", """
                        import base64, gzip, json
                        def handler(event, context):
                            data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
                            print("DELIVERED " + json.dumps(data))
                        """))))).functionArn();
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    static byte[] zip(String name, String content) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            z.putNextEntry(new ZipEntry(name));
            z.write(content.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static <T> T eventually(Supplier<T> probe) throws InterruptedException {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline) {
            T v = probe.get();
            if (v != null) return v;
            Thread.sleep(100);
        }
        throw new AssertionError("not reached within 90 s");
    }

    /** The message the sink function decoded and printed, of the given type. */
    static JsonNode delivered(String type) throws InterruptedException {
        String line = eventually(() -> {
            JsonNode found = logs.okOrNull("FilterLogEvents", in("logGroupName", "/aws/lambda/log-sink", "filterPattern", "\"" + type + "\""));
            return found == null || found.path("events").isEmpty() ? null : found.get("events").get(0).get("message").asText();
        });
        try {
            return Values.JSON.readTree(line.substring(line.indexOf("DELIVERED ") + "DELIVERED ".length()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode filter(String group, String name, String pattern, String destination) {
        return in("logGroupName", group, "filterName", name, "filterPattern", pattern, "destinationArn", destination);
    }

    @Test
    void matchingEventsReachTheFunction() throws Exception {
        logs.ok("CreateLogGroup", in("logGroupName", "/app/sub"));
        logs.ok("CreateLogStream", in("logGroupName", "/app/sub", "logStreamName", "web-1"));
        logs.ok("PutSubscriptionFilter", filter("/app/sub", "errors", "ERROR", fn));

        JsonNode control = delivered("CONTROL_MESSAGE");
        assertEquals("CloudwatchLogs", control.get("owner").asText());
        assertEquals("CWL CONTROL MESSAGE: Checking health of destination Lambda function.", control.get("logEvents").get(0).get("message").asText());

        long t = System.currentTimeMillis() - 1000;
        logs.ok("PutLogEvents", put("/app/sub", "web-1", t, "ERROR disk full", t + 1, "all good", t + 2, "ERROR again"));
        JsonNode data = delivered("DATA_MESSAGE");
        assertEquals("000000000000", data.get("owner").asText());
        assertEquals("/app/sub", data.get("logGroup").asText());
        assertEquals("web-1", data.get("logStream").asText());
        assertEquals(List.of("errors"), List.of(data.get("subscriptionFilters").get(0).asText()));
        JsonNode events = data.get("logEvents");
        assertEquals(2, events.size());
        assertEquals("ERROR disk full", events.get(0).get("message").asText());
        assertEquals(t, events.get(0).get("timestamp").asLong());
        assertEquals("ERROR again", events.get(1).get("message").asText());
        // The ids are those FilterLogEvents gives the same events.
        JsonNode filtered = logs.ok("FilterLogEvents", in("logGroupName", "/app/sub", "filterPattern", "ERROR")).get("events");
        assertEquals(filtered.get(0).get("eventId").asText(), events.get(0).get("id").asText());
        assertEquals(56, events.get(0).get("id").asText().length());
    }

    @Test
    void filtersAreDescribedLimitedAndDeleted() {
        logs.ok("CreateLogGroup", in("logGroupName", "/app/subs"));
        logs.ok("PutSubscriptionFilter", filter("/app/subs", "a", "", fn));
        logs.ok("PutSubscriptionFilter", filter("/app/subs", "b", "{ $.level = \"ERROR\" }", fn));
        logs.ok("PutSubscriptionFilter", filter("/app/subs", "b", "ERROR", fn)); // an update, not a third
        assertEquals("Resource limit exceeded.", logs.fails("PutSubscriptionFilter", filter("/app/subs", "c", "", fn), "LimitExceededException"));
        JsonNode list = logs.ok("DescribeSubscriptionFilters", in("logGroupName", "/app/subs")).get("subscriptionFilters");
        assertEquals(2, list.size());
        assertEquals("b", list.get(1).get("filterName").asText());
        assertEquals("ERROR", list.get(1).get("filterPattern").asText());
        assertEquals(fn, list.get(1).get("destinationArn").asText());
        assertEquals("ByLogStream", list.get(1).get("distribution").asText());
        assertTrue(list.get(1).get("creationTime").asLong() > 0);
        JsonNode page = logs.ok("DescribeSubscriptionFilters", in("logGroupName", "/app/subs", "limit", 1));
        assertEquals(1, page.get("subscriptionFilters").size());
        assertEquals("b", logs.ok("DescribeSubscriptionFilters", in("logGroupName", "/app/subs", "nextToken", page.get("nextToken").asText()))
                .get("subscriptionFilters").get(0).get("filterName").asText());

        logs.ok("DeleteSubscriptionFilter", in("logGroupName", "/app/subs", "filterName", "a"));
        assertEquals("The specified subscription filter does not exist.",
                logs.fails("DeleteSubscriptionFilter", in("logGroupName", "/app/subs", "filterName", "a"), "ResourceNotFoundException"));
        logs.fails("PutSubscriptionFilter", filter("/app/subs", "c", "", "arn:aws:lambda:us-east-1:000000000000:function:nope"), "InvalidParameterException");
        logs.fails("PutSubscriptionFilter", filter("/app/subs", "c", "{ $.x = ", fn), "InvalidParameterException");
        logs.fails("PutSubscriptionFilter", filter("/app/none", "c", "", fn), "ResourceNotFoundException");
    }
}
