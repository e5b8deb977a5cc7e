package dev.nimbus.services.logs;

import static dev.nimbus.services.logs.LogsApi.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Identity;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.services.Operations;
import dev.nimbus.services.logs.Logs.InputEvent;
import dev.nimbus.store.SqliteStore;
import dev.nimbus.store.Store;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention needs time to pass, so these tests drive the service's operations directly with a
 * clock they move, and the Java API other services append through.
 */
class LogsRetentionTest {
    static final long DAY = 86_400_000L;
    static final String ACCOUNT = "123456789012";

    Store store;
    long now = Instant.parse("2026-06-01T00:00:00Z").toEpochMilli();
    LogsService service;
    Operations ops = new Operations();

    @BeforeEach
    void open() {
        store = SqliteStore.ephemeral();
        InstantSource clock = () -> Instant.ofEpochMilli(now);
        service = new LogsService(store, clock);
        ops.register(service);
    }

    @AfterEach
    void close() {
        store.close();
    }

    JsonNode call(String operation, ObjectNode input) {
        RequestContext ctx = new RequestContext("req", Identity.ofUnknownKey(ACCOUNT), "eu-west-1", null);
        return ops.handler("logs", operation).handle(ctx, input);
    }

    List<String> messages(String group, String stream) {
        List<String> out = new ArrayList<>();
        call("GetLogEvents", in("logGroupName", group, "logStreamName", stream, "startFromHead", true)).get("events")
                .forEach(e -> out.add(e.get("message").asText()));
        return out;
    }

    @Test
    void expiredEventsAreHiddenThenSweptAway() {
        service.append(ACCOUNT, "eu-west-1", "/aws/lambda/fn", "s", List.of(new InputEvent(now - 1000, "old"), new InputEvent(now, "new")));
        call("PutRetentionPolicy", in("logGroupName", "/aws/lambda/fn", "retentionInDays", 1));
        assertEquals(List.of("old", "new"), messages("/aws/lambda/fn", "s"));

        now += DAY - 500; // "old" is a day and half a second old now, "new" not yet a day
        assertEquals(List.of("new"), messages("/aws/lambda/fn", "s"));
        assertEquals(1, call("FilterLogEvents", in("logGroupName", "/aws/lambda/fn")).get("events").size());
        assertEquals(1, service.sweepExpired());
        assertEquals(0, service.sweepExpired());

        // With the policy gone the swept event stays gone; the one within retention is still there.
        call("DeleteRetentionPolicy", in("logGroupName", "/aws/lambda/fn"));
        assertEquals(List.of("new"), messages("/aws/lambda/fn", "s"));
        now += 30 * DAY;
        assertEquals(0, service.sweepExpired());
        assertEquals(List.of("new"), messages("/aws/lambda/fn", "s"));
    }

    @Test
    void insightsResultsAreKeptSevenDays() {
        service.append(ACCOUNT, "eu-west-1", "/g", "s", List.of(new InputEvent(now, "hello")));
        String id = call("StartQuery", in("logGroupName", "/g", "startTime", now / 1000 - 10, "endTime", now / 1000 + 10,
                "queryString", "fields @message")).get("queryId").asText();
        now += 6 * DAY;
        service.sweepExpired();
        assertEquals("hello", call("GetQueryResults", in("queryId", id)).get("results").get(0).get(0).get("value").asText());
        now += 2 * DAY;
        service.sweepExpired();
        assertEquals("ResourceNotFoundException", assertThrows(AwsException.class, () -> call("GetQueryResults", in("queryId", id))).code());
    }

    @Test
    void appendCreatesTheGroupAndStreamAndOrdersEvents() {
        service.append(ACCOUNT, "eu-west-1", "/aws/lambda/f", "2026/06/01/[$LATEST]abc",
                List.of(new InputEvent(now + 2, "END RequestId: r1"), new InputEvent(now, "START RequestId: r1"), new InputEvent(now + 1, "hello")));
        assertEquals(List.of("START RequestId: r1", "hello", "END RequestId: r1"), messages("/aws/lambda/f", "2026/06/01/[$LATEST]abc"));
        service.append(ACCOUNT, "eu-west-1", "/aws/lambda/f", "2026/06/01/[$LATEST]abc", List.of(new InputEvent(now + 3, "more")));
        assertEquals(4, messages("/aws/lambda/f", "2026/06/01/[$LATEST]abc").size());
        JsonNode group = call("DescribeLogGroups", in("logGroupNamePrefix", "/aws/lambda/f")).get("logGroups").get(0);
        assertEquals("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/f:*", group.get("arn").asText());

        // Another account or region sees nothing of it.
        RequestContext other = new RequestContext("req", Identity.ofUnknownKey("210987654321"), "eu-west-1", null);
        assertEquals(0, ops.handler("logs", "DescribeLogGroups").handle(other, in()).get("logGroups").size());
        AwsException e = assertThrows(AwsException.class, () -> service.append(ACCOUNT, "eu-west-1", "/aws/lambda/f", "s",
                List.of(new InputEvent(now, "x".repeat(300_000)))));
        assertEquals("InvalidParameterException", e.code());
    }
}
