package dev.nimbus.services.logs;

import static dev.nimbus.services.logs.LogsApi.in;
import static dev.nimbus.services.logs.LogsApi.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.testing.TestServer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** CloudWatch Logs end to end over awsJson 1.1, every operation and its errors. */
class LogsServiceTest {
    static final String ARN_PREFIX = "arn:aws:logs:us-east-1:000000000000:log-group:";
    static TestServer nimbus;
    static LogsApi logs;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        logs = new LogsApi(nimbus.endpoint());
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    static long now() {
        return System.currentTimeMillis();
    }

    static List<String> messages(JsonNode events) {
        List<String> out = new ArrayList<>();
        events.forEach(e -> out.add(e.get("message").asText()));
        return out;
    }

    static void group(String name) {
        logs.ok("CreateLogGroup", in("logGroupName", name));
    }

    static void stream(String group, String name) {
        logs.ok("CreateLogStream", in("logGroupName", group, "logStreamName", name));
    }

    @Test
    void logGroupsAreCreatedDescribedAndDeleted() {
        long before = now();
        group("/groups/app");
        assertEquals("The specified log group already exists",
                logs.fails("CreateLogGroup", in("logGroupName", "/groups/app"), "ResourceAlreadyExistsException"));
        JsonNode g = logs.ok("DescribeLogGroups", in("logGroupNamePrefix", "/groups/app")).get("logGroups").get(0);
        assertEquals("/groups/app", g.get("logGroupName").asText());
        assertEquals(ARN_PREFIX + "/groups/app:*", g.get("arn").asText());
        assertEquals(ARN_PREFIX + "/groups/app", g.get("logGroupArn").asText());
        assertTrue(g.get("creationTime").asLong() >= before, g::toString);
        assertEquals(0, g.get("storedBytes").asLong());
        assertEquals(0, g.get("metricFilterCount").asInt());
        assertEquals("STANDARD", g.get("logGroupClass").asText());
        assertFalse(g.has("retentionInDays"));

        logs.ok("DeleteLogGroup", in("logGroupName", "/groups/app"));
        assertEquals(0, logs.ok("DescribeLogGroups", in("logGroupNamePrefix", "/groups/app")).get("logGroups").size());
        assertEquals("The specified log group does not exist.",
                logs.fails("DeleteLogGroup", in("logGroupName", "/groups/app"), "ResourceNotFoundException"));
    }

    @Test
    void describeLogGroupsFiltersByPrefixOrPatternAndPaginates() {
        for (String n : List.of("/page/a", "/page/b", "/page/c", "/page/d", "/page/e", "/pagex/Alpha")) group(n);
        List<String> seen = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            ObjectNode req = in("logGroupNamePrefix", "/page/", "limit", 2);
            if (token != null) req.put("nextToken", token);
            JsonNode page = logs.ok("DescribeLogGroups", req);
            page.get("logGroups").forEach(x -> seen.add(x.get("logGroupName").asText()));
            token = page.path("nextToken").asText(null);
            pages++;
        } while (token != null);
        assertEquals(List.of("/page/a", "/page/b", "/page/c", "/page/d", "/page/e"), seen);
        assertEquals(3, pages);

        JsonNode byPattern = logs.ok("DescribeLogGroups", in("logGroupNamePattern", "ALPHA")).get("logGroups");
        assertEquals(1, byPattern.size(), byPattern::toString);
        assertEquals("/pagex/Alpha", byPattern.get(0).get("logGroupName").asText());
        logs.fails("DescribeLogGroups", in("logGroupNamePrefix", "/p", "logGroupNamePattern", "a"), "InvalidParameterException");
    }

    @Test
    void logStreamsAreOrderedByNameOrLastEventTime() {
        group("/streams/app");
        for (String s : List.of("b", "a", "c")) stream("/streams/app", s);
        assertEquals("The specified log stream already exists",
                logs.fails("CreateLogStream", in("logGroupName", "/streams/app", "logStreamName", "a"), "ResourceAlreadyExistsException"));
        assertEquals("The specified log group does not exist.",
                logs.fails("CreateLogStream", in("logGroupName", "/streams/none", "logStreamName", "a"), "ResourceNotFoundException"));
        long t = now() - 10_000;
        logs.ok("PutLogEvents", put("/streams/app", "a", t + 3, "a1"));
        logs.ok("PutLogEvents", put("/streams/app", "b", t + 1, "b1", t + 2, "b2"));
        logs.ok("PutLogEvents", put("/streams/app", "c", t + 5, "c1"));

        assertEquals(List.of("a", "b", "c"), names(logs.ok("DescribeLogStreams", in("logGroupName", "/streams/app"))));
        assertEquals(List.of("c", "b", "a"), names(logs.ok("DescribeLogStreams", in("logGroupName", "/streams/app", "descending", true))));
        assertEquals(List.of("c", "a", "b"),
                names(logs.ok("DescribeLogStreams", in("logGroupName", "/streams/app", "orderBy", "LastEventTime", "descending", true))));
        assertEquals(List.of("b", "a", "c"), names(logs.ok("DescribeLogStreams", in("logGroupName", "/streams/app", "orderBy", "LastEventTime"))));
        assertEquals(List.of("b"), names(logs.ok("DescribeLogStreams", in("logGroupName", "/streams/app", "logStreamNamePrefix", "b"))));
        assertEquals("Cannot order by LastEventTime with a logStreamNamePrefix.", logs.fails("DescribeLogStreams",
                in("logGroupName", "/streams/app", "orderBy", "LastEventTime", "logStreamNamePrefix", "b"), "InvalidParameterException"));

        JsonNode first = logs.ok("DescribeLogStreams", in("logGroupName", "/streams/app", "limit", 2));
        assertEquals(List.of("a", "b"), names(first));
        assertEquals(List.of("c"), names(logs.ok("DescribeLogStreams",
                in("logGroupName", "/streams/app", "limit", 2, "nextToken", first.get("nextToken").asText()))));

        JsonNode b = logs.ok("DescribeLogStreams", in("logGroupName", "/streams/app", "logStreamNamePrefix", "b")).get("logStreams").get(0);
        assertEquals(t + 1, b.get("firstEventTimestamp").asLong());
        assertEquals(t + 2, b.get("lastEventTimestamp").asLong());
        assertTrue(b.get("lastIngestionTime").asLong() >= t, b::toString);
        assertEquals(ARN_PREFIX + "/streams/app:log-stream:b", b.get("arn").asText());
        assertTrue(b.get("uploadSequenceToken").isTextual());

        logs.ok("DeleteLogStream", in("logGroupName", "/streams/app", "logStreamName", "b"));
        assertEquals(List.of("a", "c"), names(logs.ok("DescribeLogStreams", in("logGroupName", "/streams/app"))));
        assertEquals("The specified log stream does not exist.",
                logs.fails("DeleteLogStream", in("logGroupName", "/streams/app", "logStreamName", "b"), "ResourceNotFoundException"));
        logs.fails("DescribeLogStreams", in("logGroupName", "/streams/none"), "ResourceNotFoundException");
    }

    static List<String> names(JsonNode describe) {
        List<String> out = new ArrayList<>();
        describe.get("logStreams").forEach(s -> out.add(s.get("logStreamName").asText()));
        return out;
    }

    @Test
    void putLogEventsValidatesTheBatch() {
        group("/put/app");
        stream("/put/app", "s");
        long t = now();
        assertEquals("The specified log group does not exist.", logs.fails("PutLogEvents", put("/put/none", "s", t, "m"), "ResourceNotFoundException"));
        assertEquals("The specified log stream does not exist.", logs.fails("PutLogEvents", put("/put/app", "none", t, "m"), "ResourceNotFoundException"));
        assertEquals("Log events in a single PutLogEvents request must be in chronological order.",
                logs.fails("PutLogEvents", put("/put/app", "s", t, "second", t - 1, "first"), "InvalidParameterException"));
        assertEquals("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
                logs.fails("PutLogEvents", put("/put/app", "s", t - 25 * 3_600_000L, "old", t, "new"), "InvalidParameterException"));

        // 1,048,576 bytes counting 26 bytes per event: five 250,000-byte messages are over.
        String big = "x".repeat(250_000);
        assertEquals("Upload too large: 1250130 bytes exceeds limit of 1048576",
                logs.fails("PutLogEvents", put("/put/app", "s", t, big, t, big, t, big, t, big, t, big), "InvalidParameterException"));
        // Exactly at both limits: four events of 262,144 bytes each (with their overhead) make 1,048,576.
        String largest = "y".repeat(262_144 - 26);
        logs.ok("PutLogEvents", put("/put/app", "s", t, largest, t, largest, t, largest, t, largest));
        assertEquals("Log event too large: 262145 bytes exceeds limit of 262144",
                logs.fails("PutLogEvents", put("/put/app", "s", t, largest + "z"), "InvalidParameterException"));

        ObjectNode tooMany = in("logGroupName", "/put/app", "logStreamName", "s");
        for (int i = 0; i < 10_001; i++) tooMany.withArray("logEvents").addObject().put("timestamp", t).put("message", "m");
        logs.fails("PutLogEvents", tooMany, "ValidationException");
        assertEquals(4, logs.ok("GetLogEvents", in("logGroupName", "/put/app", "logStreamName", "s")).get("events").size());
    }

    @Test
    void eventsOutsideTheWindowAreRejectedNotStored() {
        group("/reject/app");
        stream("/reject/app", "s");
        long t = now();
        long day = 86_400_000L;
        // A batch spans at most 24 hours, so events too old and too new come in separate batches.
        JsonNode r = logs.ok("PutLogEvents", put("/reject/app", "s", t - 14 * day - 7_200_000L, "too old", t - 14 * day - 3_600_000L, "also too old",
                t - 14 * day + 3_600_000L, "kept"));
        assertEquals(1, r.get("rejectedLogEventsInfo").get("tooOldLogEventEndIndex").asInt(), r::toString);
        assertFalse(r.get("rejectedLogEventsInfo").has("tooNewLogEventStartIndex"));
        r = logs.ok("PutLogEvents", put("/reject/app", "s", t - 60_000, "kept too", t + 3 * 3_600_000L, "too new", t + 4 * 3_600_000L, "newer"));
        assertEquals(1, r.get("rejectedLogEventsInfo").get("tooNewLogEventStartIndex").asInt(), r::toString);
        assertFalse(r.get("rejectedLogEventsInfo").has("tooOldLogEventEndIndex"));
        assertFalse(r.get("rejectedLogEventsInfo").has("expiredLogEventEndIndex"));
        assertEquals(List.of("kept", "kept too"),
                messages(logs.ok("GetLogEvents", in("logGroupName", "/reject/app", "logStreamName", "s")).get("events")));

        logs.ok("PutRetentionPolicy", in("logGroupName", "/reject/app", "retentionInDays", 1));
        r = logs.ok("PutLogEvents", put("/reject/app", "s", t - day - 3_600_000L, "expired", t - day - 1_800_000L, "expired too", t - 7_200_000L, "fresh"));
        assertEquals(1, r.get("rejectedLogEventsInfo").get("expiredLogEventEndIndex").asInt(), r::toString);
        assertFalse(r.get("rejectedLogEventsInfo").has("tooOldLogEventEndIndex"));

        JsonNode ok = logs.ok("PutLogEvents", put("/reject/app", "s", t, "fine"));
        assertFalse(ok.has("rejectedLogEventsInfo"), ok::toString);
        assertTrue(ok.get("nextSequenceToken").isTextual());
    }

    @Test
    void getLogEventsPagesForwardAndBackward() {
        group("/get/app");
        stream("/get/app", "s");
        long t = now() - 60_000;
        logs.ok("PutLogEvents", put("/get/app", "s", t, "e0", t + 1, "e1", t + 2, "e2", t + 3, "e3", t + 4, "e4"));
        ObjectNode base = in("logGroupName", "/get/app", "logStreamName", "s");

        // Without startFromHead the newest events come, oldest first within the page.
        JsonNode tail = logs.ok("GetLogEvents", base.deepCopy().put("limit", 2));
        assertEquals(List.of("e3", "e4"), messages(tail.get("events")));
        assertTrue(tail.get("nextForwardToken").asText().startsWith("f/"));
        JsonNode back = logs.ok("GetLogEvents", base.deepCopy().put("limit", 2).put("nextToken", tail.get("nextBackwardToken").asText()));
        assertEquals(List.of("e1", "e2"), messages(back.get("events")));
        back = logs.ok("GetLogEvents", base.deepCopy().put("limit", 2).put("nextToken", back.get("nextBackwardToken").asText()));
        assertEquals(List.of("e0"), messages(back.get("events")));
        String start = back.get("nextBackwardToken").asText();
        JsonNode none = logs.ok("GetLogEvents", base.deepCopy().put("limit", 2).put("nextToken", start));
        assertEquals(0, none.get("events").size());
        assertEquals(start, none.get("nextBackwardToken").asText());

        // Forward from the head until the same token comes back.
        List<String> all = new ArrayList<>();
        JsonNode page = logs.ok("GetLogEvents", base.deepCopy().put("limit", 2).put("startFromHead", true));
        String token = null;
        while (!page.get("nextForwardToken").asText().equals(token)) {
            all.addAll(messages(page.get("events")));
            token = page.get("nextForwardToken").asText();
            page = logs.ok("GetLogEvents", base.deepCopy().put("limit", 2).put("nextToken", token));
        }
        assertEquals(List.of("e0", "e1", "e2", "e3", "e4"), all);
        // New events show up behind the caught-up forward token.
        logs.ok("PutLogEvents", put("/get/app", "s", t + 5, "e5"));
        assertEquals(List.of("e5"), messages(logs.ok("GetLogEvents", base.deepCopy().put("nextToken", token)).get("events")));

        // Events hours apart: the newest page is still the newest events, and paging back reaches the first.
        stream("/get/app", "sparse");
        long h = 3_600_000L;
        long u = now() - 6 * h;
        logs.ok("PutLogEvents", put("/get/app", "sparse", u, "h0", u + h, "h1", u + 2 * h, "h2", u + 3 * h, "h3", u + 4 * h, "h4"));
        ObjectNode sparse = in("logGroupName", "/get/app", "logStreamName", "sparse", "limit", 2);
        JsonNode newest = logs.ok("GetLogEvents", sparse);
        assertEquals(List.of("h3", "h4"), messages(newest.get("events")));
        JsonNode older = logs.ok("GetLogEvents", sparse.deepCopy().put("nextToken", newest.get("nextBackwardToken").asText()));
        assertEquals(List.of("h1", "h2"), messages(older.get("events")));
        older = logs.ok("GetLogEvents", sparse.deepCopy().put("nextToken", older.get("nextBackwardToken").asText()));
        assertEquals(List.of("h0"), messages(older.get("events")));
        assertEquals(List.of("h1", "h2"), messages(logs.ok("GetLogEvents", sparse.deepCopy().put("endTime", u + 3 * h)).get("events")));

        // startTime inclusive, endTime exclusive.
        assertEquals(List.of("e1", "e2"), messages(logs.ok("GetLogEvents",
                base.deepCopy().put("startFromHead", true).put("startTime", t + 1).put("endTime", t + 3)).get("events")));
        logs.fails("GetLogEvents", base.deepCopy().put("nextToken", "nonsense"), "InvalidParameterException");
        assertEquals("The specified log stream does not exist.",
                logs.fails("GetLogEvents", in("logGroupName", "/get/app", "logStreamName", "none"), "ResourceNotFoundException"));
        assertEquals(List.of("e0"), messages(logs.ok("GetLogEvents",
                in("logGroupIdentifier", ARN_PREFIX + "/get/app", "logStreamName", "s", "startFromHead", true, "limit", 1)).get("events")));
    }

    @Test
    void putsOutOfTimeOrderReadBackInTimeOrder() {
        // Each put is stored as chunks; puts whose times interleave must still read back merged, page by page.
        group("/interleave/app");
        stream("/interleave/app", "s");
        long t = (now() / 60_000 - 10) * 60_000; // a minute's start: the puts below share minutes and cross one
        logs.ok("PutLogEvents", put("/interleave/app", "s", t + 10, "a1", t + 30, "a3", t + 60_010, "a5"));
        logs.ok("PutLogEvents", put("/interleave/app", "s", t, "b0", t + 20, "b2", t + 30, "b3", t + 60_000, "b4"));
        logs.ok("PutLogEvents", put("/interleave/app", "s", t + 30, "c3"));
        List<String> expected = List.of("b0", "a1", "b2", "a3", "b3", "c3", "b4", "a5");
        ObjectNode base = in("logGroupName", "/interleave/app", "logStreamName", "s");
        assertEquals(expected, messages(logs.ok("GetLogEvents", base.deepCopy().put("startFromHead", true)).get("events")));
        List<String> paged = new ArrayList<>();
        JsonNode page = logs.ok("GetLogEvents", base.deepCopy().put("startFromHead", true).put("limit", 3));
        while (!page.get("events").isEmpty()) {
            paged.addAll(messages(page.get("events")));
            page = logs.ok("GetLogEvents", base.deepCopy().put("limit", 3).put("nextToken", page.get("nextForwardToken").asText()));
        }
        assertEquals(expected, paged);
        assertEquals(List.of("a3", "b3", "c3", "b4"), messages(logs.ok("GetLogEvents",
                base.deepCopy().put("startFromHead", true).put("startTime", t + 30).put("limit", 4)).get("events")));
        assertEquals(List.of("a3", "b3", "c3", "b4", "a5"), messages(logs.ok("FilterLogEvents",
                in("logGroupName", "/interleave/app", "startTime", t + 25)).get("events")));
    }

    @Test
    void filterLogEventsMergesStreamsInTimeOrder() {
        group("/filter/app");
        stream("/filter/app", "web-1");
        stream("/filter/app", "web-2");
        stream("/filter/app", "worker");
        long t = now() - 60_000;
        logs.ok("PutLogEvents", put("/filter/app", "web-1", t, "GET / 200", t + 2, "GET /x 500 ERROR", t + 4, "GET /y 200"));
        logs.ok("PutLogEvents", put("/filter/app", "web-2", t + 1, "GET /a 200", t + 2, "POST /b 500 ERROR", t + 3, "GET /c 404"));
        logs.ok("PutLogEvents", put("/filter/app", "worker", t + 2, "{\"level\":\"ERROR\",\"latency\":120}", t + 5, "{\"level\":\"INFO\"}"));

        JsonNode all = logs.ok("FilterLogEvents", in("logGroupName", "/filter/app")).get("events");
        assertEquals(List.of("GET / 200", "GET /a 200", "GET /x 500 ERROR", "POST /b 500 ERROR", "{\"level\":\"ERROR\",\"latency\":120}",
                "GET /c 404", "GET /y 200", "{\"level\":\"INFO\"}"), messages(all));
        JsonNode e = all.get(2);
        assertEquals("web-1", e.get("logStreamName").asText());
        assertEquals(t + 2, e.get("timestamp").asLong());
        assertTrue(e.get("ingestionTime").asLong() >= t);
        Set<String> ids = new HashSet<>();
        all.forEach(x -> ids.add(x.get("eventId").asText()));
        assertEquals(8, ids.size());

        assertEquals(List.of("GET /x 500 ERROR", "POST /b 500 ERROR", "{\"level\":\"ERROR\",\"latency\":120}"),
                messages(logs.ok("FilterLogEvents", in("logGroupName", "/filter/app", "filterPattern", "ERROR")).get("events")));
        assertEquals(List.of("{\"level\":\"ERROR\",\"latency\":120}"), messages(logs.ok("FilterLogEvents",
                in("logGroupName", "/filter/app", "filterPattern", "{ $.level = \"ERROR\" && $.latency > 100 }")).get("events")));
        assertEquals(List.of("GET /x 500 ERROR", "POST /b 500 ERROR"), messages(logs.ok("FilterLogEvents",
                in("logGroupName", "/filter/app", "filterPattern", "[method, path, status = 5*, ...]")).get("events")));
        assertEquals(List.of("GET /a 200", "GET /c 404"), messages(logs.ok("FilterLogEvents",
                in("logGroupName", "/filter/app", "logStreamNames", List.of("web-2"), "filterPattern", "GET")).get("events")));
        assertEquals(6, logs.ok("FilterLogEvents", in("logGroupName", "/filter/app", "logStreamNamePrefix", "web")).get("events").size());
        assertEquals(List.of("GET /x 500 ERROR", "POST /b 500 ERROR", "{\"level\":\"ERROR\",\"latency\":120}", "GET /c 404"),
                messages(logs.ok("FilterLogEvents", in("logGroupName", "/filter/app", "startTime", t + 2, "endTime", t + 3)).get("events")));

        // Pages of two walk the same merged order, with no event twice.
        List<String> paged = new ArrayList<>();
        String token = null;
        do {
            ObjectNode req = in("logGroupName", "/filter/app", "limit", 2);
            if (token != null) req.put("nextToken", token);
            JsonNode page = logs.ok("FilterLogEvents", req);
            assertTrue(page.get("events").size() <= 2);
            paged.addAll(messages(page.get("events")));
            token = page.path("nextToken").asText(null);
        } while (token != null);
        assertEquals(messages(all), paged);

        assertEquals("Invalid filter pattern",
                logs.fails("FilterLogEvents", in("logGroupName", "/filter/app", "filterPattern", "{ $.level = }"), "InvalidParameterException"));
        logs.fails("FilterLogEvents", in("logGroupName", "/filter/none"), "ResourceNotFoundException");
    }

    @Test
    void retentionPoliciesTakeOnlyAwsValues() {
        group("/retention/app");
        logs.ok("PutRetentionPolicy", in("logGroupName", "/retention/app", "retentionInDays", 14));
        assertEquals(14, logs.ok("DescribeLogGroups", in("logGroupNamePrefix", "/retention/app")).get("logGroups").get(0).get("retentionInDays").asInt());
        String msg = logs.fails("PutRetentionPolicy", in("logGroupName", "/retention/app", "retentionInDays", 2), "InvalidParameterException");
        assertTrue(msg.contains("Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, "
                + "2192, 2557, 2922, 3288, 3653]"), msg);
        logs.ok("DeleteRetentionPolicy", in("logGroupName", "/retention/app"));
        assertFalse(logs.ok("DescribeLogGroups", in("logGroupNamePrefix", "/retention/app")).get("logGroups").get(0).has("retentionInDays"));
        logs.fails("PutRetentionPolicy", in("logGroupName", "/retention/none", "retentionInDays", 1), "ResourceNotFoundException");
    }

    @Test
    void tagsByGroupNameAndByArn() {
        logs.ok("CreateLogGroup", in("logGroupName", "/tags/app", "tags", Map.of("team", "core")));
        logs.ok("TagLogGroup", in("logGroupName", "/tags/app", "tags", Map.of("env", "dev")));
        assertEquals(Map.of("team", "core", "env", "dev"), tags(logs.ok("ListTagsLogGroup", in("logGroupName", "/tags/app"))));
        logs.ok("UntagLogGroup", in("logGroupName", "/tags/app", "tags", List.of("team")));
        assertEquals(Map.of("env", "dev"), tags(logs.ok("ListTagsLogGroup", in("logGroupName", "/tags/app"))));

        logs.ok("TagResource", in("resourceArn", ARN_PREFIX + "/tags/app", "tags", Map.of("owner", "ann")));
        assertEquals(Map.of("env", "dev", "owner", "ann"), tags(logs.ok("ListTagsForResource", in("resourceArn", ARN_PREFIX + "/tags/app"))));
        logs.ok("UntagResource", in("resourceArn", ARN_PREFIX + "/tags/app", "tagKeys", List.of("env", "owner")));
        assertEquals(Map.of(), tags(logs.ok("ListTagsForResource", in("resourceArn", ARN_PREFIX + "/tags/app"))));
        logs.fails("ListTagsForResource", in("resourceArn", ARN_PREFIX + "/tags/none"), "ResourceNotFoundException");
        logs.fails("ListTagsForResource", in("resourceArn", "arn:aws:logs:us-east-1:111111111111:log-group:/tags/app"), "ResourceNotFoundException");
        logs.fails("ListTagsForResource", in("resourceArn", "arn:aws:logs:eu-west-1:000000000000:log-group:/tags/app"), "ResourceNotFoundException");
        logs.fails("TagLogGroup", in("logGroupName", "/tags/none", "tags", Map.of("a", "b")), "ResourceNotFoundException");
    }

    static Map<String, String> tags(JsonNode out) {
        Map<String, String> m = new java.util.HashMap<>();
        out.get("tags").properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    @Test
    void insightsQueriesRunOverGroupsAndTimeWindows() {
        group("/insights/fn");
        stream("/insights/fn", "a");
        stream("/insights/fn", "b");
        long t = (now() / 1000 - 600) * 1000;
        logs.ok("PutLogEvents", put("/insights/fn", "a", t, "START RequestId: r1 Version: $LATEST", t + 10,
                "REPORT RequestId: r1\tDuration: 10.00 ms\tBilled Duration: 10 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB", t + 20, "late"));
        logs.ok("PutLogEvents", put("/insights/fn", "b", t + 5, "{\"level\":\"ERROR\",\"ms\":7}", t + 6,
                "REPORT RequestId: r2\tDuration: 30.00 ms\tBilled Duration: 30 ms\tMemory Size: 128 MB\tMax Memory Used: 31 MB"));
        long from = t / 1000;

        String id = logs.ok("StartQuery", in("logGroupName", "/insights/fn", "startTime", from, "endTime", from + 60,
                "queryString", "filter @type = 'REPORT' | stats count(*) as n, avg(@duration) as avg")).get("queryId").asText();
        JsonNode res = logs.ok("GetQueryResults", in("queryId", id));
        assertEquals("Complete", res.get("status").asText());
        assertEquals("[[{\"field\":\"n\",\"value\":\"2\"},{\"field\":\"avg\",\"value\":\"20\"}]]", res.get("results").toString());
        assertEquals(5, res.get("statistics").get("recordsScanned").asInt());
        assertEquals(2, res.get("statistics").get("recordsMatched").asInt());

        id = logs.ok("StartQuery", in("logGroupIdentifiers", List.of(ARN_PREFIX + "/insights/fn"), "startTime", from, "endTime", from,
                "queryString", "fields @logStream, level | filter level = 'ERROR'")).get("queryId").asText();
        assertEquals("[[{\"field\":\"@logStream\",\"value\":\"b\"},{\"field\":\"level\",\"value\":\"ERROR\"}]]",
                logs.ok("GetQueryResults", in("queryId", id)).get("results").toString());

        JsonNode described = logs.ok("DescribeQueries", in("logGroupName", "/insights/fn")).get("queries");
        assertEquals(2, described.size());
        assertEquals(id, described.get(0).get("queryId").asText());
        assertEquals("Complete", described.get(0).get("status").asText());
        assertFalse(logs.ok("StopQuery", in("queryId", id)).get("success").asBoolean());

        String msg = logs.fails("StartQuery", in("logGroupName", "/insights/fn", "startTime", from, "endTime", from + 60,
                "queryString", "fields @message | sortt @timestamp"), "MalformedQueryException");
        assertEquals("unexpected symbol found sortt at line 1 and position 19: expected a command (fields, filter, stats, sort, limit, display, parse, dedup)", msg);
        logs.fails("StartQuery", in("logGroupName", "/insights/none", "startTime", from, "endTime", from + 60, "queryString", "fields @message"),
                "ResourceNotFoundException");
        logs.fails("GetQueryResults", in("queryId", "no-such-query"), "ResourceNotFoundException");
    }

    @Test
    void deletingAGroupRemovesItsEvents() {
        group("/recreate/app");
        stream("/recreate/app", "s");
        logs.ok("PutLogEvents", put("/recreate/app", "s", now(), "before"));
        logs.ok("DeleteLogGroup", in("logGroupName", "/recreate/app"));
        group("/recreate/app");
        stream("/recreate/app", "s");
        JsonNode events = logs.ok("GetLogEvents", in("logGroupName", "/recreate/app", "logStreamName", "s")).get("events");
        assertEquals(0, events.size());
        assertNotEquals(null, events);
    }
}
