package dev.nimbus.services.logs;

import static dev.nimbus.services.logs.LogsApi.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;

/** Metric filters: matching log events publish CloudWatch metrics, read back with the CloudWatch SDK client. */
class LogsMetricFiltersTest {
    static TestServer nimbus;
    static LogsApi api;
    static CloudWatchClient cw;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        api = new LogsApi(nimbus.endpoint());
        cw = nimbus.client(CloudWatchClient.builder());
    }

    @AfterAll
    static void stop() {
        cw.close();
        nimbus.close();
    }

    static ObjectNode transformation(String namespace, String name, String value, Object... more) {
        ObjectNode t = in("metricNamespace", namespace, "metricName", name, "metricValue", value);
        t.setAll(in(more));
        return t;
    }

    static ObjectNode filter(String group, String name, String pattern, ObjectNode transformation) {
        ObjectNode f = in("logGroupName", group, "filterName", name, "filterPattern", pattern);
        f.putArray("metricTransformations").add(transformation);
        return f;
    }

    static ObjectNode events(String group, String stream, long t, String... messages) {
        ObjectNode req = in("logGroupName", group, "logStreamName", stream);
        ArrayNode list = req.putArray("logEvents");
        for (String m : messages) list.addObject().put("timestamp", t).put("message", m);
        return req;
    }

    static List<Datapoint> stats(String namespace, String name, Instant t, Dimension... dims) {
        return cw.getMetricStatistics(r -> r.namespace(namespace).metricName(name).dimensions(dims).startTime(t).endTime(t.plusSeconds(60))
                .period(60).statistics(Statistic.SUM, Statistic.SAMPLE_COUNT, Statistic.MAXIMUM)).datapoints();
    }

    @Test
    void matchingEventsPublishMetrics() {
        api.ok("CreateLogGroup", in("logGroupName", "/app/web"));
        api.ok("CreateLogStream", in("logGroupName", "/app/web", "logStreamName", "s"));
        api.ok("PutMetricFilter", filter("/app/web", "errors", "ERROR", transformation("App/Web", "ErrorCount", "1", "defaultValue", 0)));
        ObjectNode latency = transformation("App/Web", "Latency", "$.latency", "unit", "Milliseconds");
        latency.putObject("dimensions").put("Route", "$.route");
        api.ok("PutMetricFilter", filter("/app/web", "latency", "{ $.latency > 0 }", latency));
        assertEquals(2, api.ok("DescribeLogGroups", in("logGroupNamePrefix", "/app/web")).get("logGroups").get(0).get("metricFilterCount").asInt());

        Instant t = Instant.now().truncatedTo(ChronoUnit.MINUTES).minusSeconds(300);
        api.ok("PutLogEvents", events("/app/web", "s", t.toEpochMilli(), "ERROR disk full", "all good", "ERROR again",
                "{\"route\": \"/home\", \"latency\": 120}", "{\"route\": \"/home\", \"latency\": 80}", "{\"latency\": 5}"));

        Datapoint errors = stats("App/Web", "ErrorCount", t).get(0);
        assertEquals(2.0, errors.sum());
        assertEquals(6.0, errors.sampleCount(), "non-matching events count as the default value 0");
        Datapoint home = stats("App/Web", "Latency", t, Dimension.builder().name("Route").value("/home").build()).get(0);
        assertEquals(200.0, home.sum());
        assertEquals(120.0, home.maximum());
        assertEquals("Milliseconds", home.unitAsString());
        // An event without the dimension's field publishes nothing.
        assertEquals(List.of(), stats("App/Web", "Latency", t));

        JsonNode listed = api.ok("DescribeMetricFilters", in("logGroupName", "/app/web")).get("metricFilters");
        assertEquals(2, listed.size());
        assertEquals("errors", listed.get(0).get("filterName").asText());
        assertEquals("ErrorCount", listed.get(0).path("metricTransformations").path(0).path("metricName").asText());
        assertEquals(1, api.ok("DescribeMetricFilters", in("metricNamespace", "App/Web", "metricName", "Latency")).get("metricFilters").size());
        JsonNode page = api.ok("DescribeMetricFilters", in("logGroupName", "/app/web", "limit", 1));
        assertEquals(1, page.get("metricFilters").size());
        JsonNode next = api.ok("DescribeMetricFilters", in("logGroupName", "/app/web", "limit", 1, "nextToken", page.get("nextToken").asText()));
        assertEquals("latency", next.get("metricFilters").get(0).get("filterName").asText());
        assertFalse(next.has("nextToken"));

        api.ok("DeleteMetricFilter", in("logGroupName", "/app/web", "filterName", "errors"));
        assertEquals(1, api.ok("DescribeMetricFilters", in("logGroupName", "/app/web")).get("metricFilters").size());
        api.fails("DeleteMetricFilter", in("logGroupName", "/app/web", "filterName", "errors"), "ResourceNotFoundException");
    }

    @Test
    void badFiltersAreRefused() {
        api.ok("CreateLogGroup", in("logGroupName", "/app/bad"));
        api.fails("PutMetricFilter", filter("/app/bad", "f", "{ $.x = ", transformation("N", "M", "1")), "InvalidParameterException");
        api.fails("PutMetricFilter", filter("/app/bad", "f", "x", transformation("N", "M", "lots")), "InvalidParameterException");
        api.fails("PutMetricFilter", filter("/app/none", "f", "x", transformation("N", "M", "1")), "ResourceNotFoundException");
    }

    @Test
    void testMetricFilterShowsMatches() {
        ObjectNode req = in("filterPattern", "ERROR -timeout");
        req.putArray("logEventMessages").add("ERROR disk").add("ERROR timeout").add("fine").add("ERROR again");
        JsonNode matches = api.ok("TestMetricFilter", req).get("matches");
        assertEquals(2, matches.size());
        assertEquals(1, matches.get(0).get("eventNumber").asInt());
        assertEquals("ERROR again", matches.get(1).get("eventMessage").asText());
        assertTrue(matches.get(0).get("extractedValues").isObject());
        assertEquals(Values.object(), matches.get(0).get("extractedValues"));
    }
}
