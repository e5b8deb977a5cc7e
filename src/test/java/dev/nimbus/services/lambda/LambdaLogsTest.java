package dev.nimbus.services.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.services.logs.LogsApi;
import dev.nimbus.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** A function's output and its START/END/REPORT lines land in CloudWatch Logs, /aws/lambda/NAME. */
class LambdaLogsTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static LogsApi logs;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        logs = new LogsApi(nimbus.endpoint());
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    /** Messages of the group's events once at least {@code count} are there (logs are shipped off the invoke path). */
    static List<String> messages(String group, int count) throws InterruptedException {
        List<String> found = new ArrayList<>();
        for (int attempt = 0; attempt < 200 && found.size() < count; attempt++) {
            if (attempt > 0) Thread.sleep(50);
            found.clear();
            JsonNode groups = logs.ok("DescribeLogGroups", LogsApi.in("logGroupNamePrefix", group));
            if (groups.path("logGroups").isEmpty()) continue;
            for (JsonNode e : logs.ok("FilterLogEvents", LogsApi.in("logGroupName", group)).path("events")) found.add(e.path("message").asText());
        }
        return found;
    }

    @Test
    void invocationLogsReachTheFunctionsLogGroup() throws Exception {
        lambda.createFunction(b -> b.functionName("talker").role("arn:aws:iam::000000000000:role/r").runtime(Runtime.PYTHON3_12)
                .handler("app.handler").code(c -> c.zipFile(Zips.sdk("app.py", "def handler(event, context):\n    print('hello from talker')\n    return 1\n"))));
        lambda.invoke(b -> b.functionName("talker").payload(SdkBytes.fromUtf8String("{}")));
        List<String> lines = messages("/aws/lambda/talker", 4);
        assertTrue(lines.get(0).startsWith("START RequestId: "), lines.toString());
        assertTrue(lines.contains("hello from talker"), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("END RequestId: ")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("REPORT RequestId: ") && l.contains("Init Duration: ")), lines.toString());

        JsonNode streams = logs.ok("DescribeLogStreams", LogsApi.in("logGroupName", "/aws/lambda/talker")).path("logStreams");
        assertEquals(1, streams.size());
        // YYYY/MM/DD/[$LATEST]<environment id>, as Lambda names its streams
        assertTrue(streams.get(0).path("logStreamName").asText().matches("\\d{4}/\\d{2}/\\d{2}/\\[\\$LATEST][0-9a-f]{32}"), streams.toString());
    }
}
