package dev.nimbus.services.apigateway;

import static dev.nimbus.services.apigateway.ApiGatewayApi.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.services.logs.LogsApi;
import dev.nimbus.testing.TestServer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;

/** Access logs in CloudWatch Logs and AWS/ApiGateway metrics, for a REST API and an HTTP API. */
class ApiGatewayObservabilityTest {
    static TestServer nimbus;
    static ApiGatewayApi api;
    static CloudWatchClient cloudwatch;
    static LogsApi logs;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        api = new ApiGatewayApi(nimbus.endpoint());
        cloudwatch = nimbus.client(CloudWatchClient.builder());
        logs = new LogsApi(nimbus.endpoint());
    }

    @AfterAll
    static void stop() {
        cloudwatch.close();
        nimbus.close();
    }

    /** Polls (bounded) until the value is present: metrics are written once a second. */
    static <T> T eventually(Supplier<T> probe) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            T v = probe.get();
            if (v != null) return v;
            Thread.sleep(100);
        }
        throw new AssertionError("not there within 30 s");
    }

    static Datapoint sum(String metric, String dimension, String value) throws InterruptedException {
        return sum(metric, dimension, value, 1);
    }

    /** The metric's hour once it counts at least {@code samples}: requests can be written by two flushes. */
    static Datapoint sum(String metric, String dimension, String value, int samples) throws InterruptedException {
        return eventually(() -> {
            List<Datapoint> points = cloudwatch.getMetricStatistics(b -> b.namespace("AWS/ApiGateway").metricName(metric)
                    .dimensions(d -> d.name(dimension).value(value)).startTime(Instant.now().minus(1, ChronoUnit.HOURS))
                    .endTime(Instant.now().plus(1, ChronoUnit.HOURS)).period(3600).statistics(Statistic.SUM, Statistic.SAMPLE_COUNT)).datapoints();
            return points.isEmpty() || points.get(0).sampleCount() < samples ? null : points.get(0);
        });
    }

    @Test
    void restApiWritesAccessLogsAndMetricsByApiName() throws Exception {
        JsonNode created = api.ok(201, "POST", "/restapis", in("name", "observed"));
        String id = created.path("id").asText();
        String root = created.path("rootResourceId").asText();
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + root + "/methods/GET", in("authorizationType", "NONE"));
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + root + "/methods/GET/integration", in("type", "MOCK",
                "requestTemplates", Map.of("application/json", "{\"statusCode\": 200}")));
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + root + "/methods/GET/integration/responses/200", in());
        api.ok(201, "POST", "/restapis/" + id + "/deployments", in("stageName", "prod"));
        logs.ok("CreateLogGroup", LogsApi.in("logGroupName", "api-access"));
        api.ok(200, "PATCH", "/restapis/" + id + "/stages/prod", in("patchOperations", List.of(
                Map.of("op", "replace", "path", "/accessLogSettings/destinationArn", "value", "arn:aws:logs:us-east-1:000000000000:log-group:api-access"),
                Map.of("op", "replace", "path", "/accessLogSettings/format", "value", "$context.requestId $context.httpMethod $context.resourcePath $context.status"))));

        assertEquals(200, api.invoke("GET", "/_aws/execute-api/" + id + "/prod/", null).status());
        assertEquals(403, api.invoke("GET", "/_aws/execute-api/" + id + "/prod/missing", null).status());

        JsonNode events = eventually(() -> {
            JsonNode e = logs.ok("FilterLogEvents", LogsApi.in("logGroupName", "api-access")).path("events");
            return e.size() >= 2 ? e : null;
        });
        String first = events.get(0).path("message").asText();
        assertTrue(first.matches("[0-9a-f-]{36} GET / 200"), first);
        assertTrue(events.get(1).path("message").asText().endsWith(" GET - 403"), events.get(1).path("message").asText());

        Datapoint count = sum("Count", "ApiName", "observed", 2);
        assertEquals(2.0, count.sum());
        assertEquals(1.0, sum("4XXError", "ApiName", "observed").sum());
        assertEquals(0.0, sum("5XXError", "ApiName", "observed").sum());
        assertEquals(2.0, sum("Latency", "ApiName", "observed").sampleCount());
    }

    @Test
    void httpApiMetricsAreByApiId() throws Exception {
        String id = api.ok(201, "POST", "/v2/apis", in("name", "observed-http", "protocolType", "HTTP",
                "target", "http://127.0.0.1:" + nimbus.port() + "/_nimbus/health")).path("apiId").asText();
        assertEquals(200, api.invoke("GET", "/_aws/execute-api/" + id + "/x", null).status());
        assertEquals(1.0, sum("Count", "ApiId", id).sum());
        assertEquals(1.0, sum("IntegrationLatency", "ApiId", id).sampleCount());
    }
}
