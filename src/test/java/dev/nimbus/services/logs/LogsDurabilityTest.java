package dev.nimbus.services.logs;

import static dev.nimbus.services.logs.LogsApi.in;
import static dev.nimbus.services.logs.LogsApi.put;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.testing.TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogsDurabilityTest {
    @Test
    void groupsStreamsAndEventsSurviveARestart(@TempDir Path dir) {
        long t = System.currentTimeMillis() - 1000;
        try (TestServer nimbus = TestServer.startDurable(dir)) {
            LogsApi logs = new LogsApi(nimbus.endpoint());
            logs.ok("CreateLogGroup", in("logGroupName", "/kept"));
            logs.ok("PutRetentionPolicy", in("logGroupName", "/kept", "retentionInDays", 7));
            logs.ok("CreateLogStream", in("logGroupName", "/kept", "logStreamName", "s"));
            logs.ok("PutLogEvents", put("/kept", "s", t, "one", t + 1, "two"));
        }
        try (TestServer nimbus = TestServer.startDurable(dir)) {
            LogsApi logs = new LogsApi(nimbus.endpoint());
            assertEquals(7, logs.ok("DescribeLogGroups", in()).get("logGroups").get(0).get("retentionInDays").asInt());
            logs.ok("PutLogEvents", put("/kept", "s", t + 2, "three"));
            JsonNode events = logs.ok("GetLogEvents", in("logGroupName", "/kept", "logStreamName", "s")).get("events");
            assertEquals(3, events.size());
            assertEquals("three", events.get(2).get("message").asText());
            JsonNode stream = logs.ok("DescribeLogStreams", in("logGroupName", "/kept")).get("logStreams").get(0);
            assertEquals(t, stream.get("firstEventTimestamp").asLong());
            assertEquals(t + 2, stream.get("lastEventTimestamp").asLong());
        }
    }
}
