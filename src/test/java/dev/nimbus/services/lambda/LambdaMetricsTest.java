package dev.nimbus.services.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nimbus.testing.TestServer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/** Invocations publish AWS/Lambda metrics, read back as the monitoring lab does (get-metric-statistics by FunctionName). */
class LambdaMetricsTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static CloudWatchClient cw;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        cw = nimbus.client(CloudWatchClient.builder());
    }

    @AfterAll
    static void stop() {
        cw.close();
        lambda.close();
        nimbus.close();
    }

    /** The statistic summed over the last hour, or null while no datapoint is there. */
    static Double stat(String metric, Statistic statistic, String function) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES).plusSeconds(60);
        List<Datapoint> points = cw.getMetricStatistics(r -> r.namespace("AWS/Lambda").metricName(metric)
                .dimensions(Dimension.builder().name("FunctionName").value(function).build())
                .startTime(now.minusSeconds(3600)).endTime(now).period(3600).statistics(statistic)).datapoints();
        if (points.isEmpty()) return null;
        Datapoint p = points.get(0);
        return statistic == Statistic.SUM ? p.sum() : p.sampleCount();
    }

    /** Waits (bounded) until the metric reaches the expected value: metrics are written off the invoke path. */
    static void awaitMetric(String metric, Statistic statistic, String function, double expected) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        Double v = null;
        while (System.nanoTime() < deadline) {
            v = stat(metric, statistic, function);
            if (v != null && v == expected) return;
            Thread.sleep(100);
        }
        assertEquals(expected, v, metric);
    }

    @Test
    void invocationsErrorsDurationAndThrottles() throws Exception {
        lambda.createFunction(b -> b.functionName("metered").role(Zips.ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .code(c -> c.zipFile(Zips.sdk("app.py", """
                        def handler(event, context):
                            if event.get("fail"):
                                raise ValueError("asked to fail")
                            return "ok"
                        """))));
        for (String payload : List.of("{}", "{}", "{\"fail\": true}")) {
            lambda.invoke(b -> b.functionName("metered").payload(SdkBytes.fromUtf8String(payload)));
        }
        awaitMetric("Invocations", Statistic.SUM, "metered", 3);
        awaitMetric("Errors", Statistic.SUM, "metered", 1);
        awaitMetric("Duration", Statistic.SAMPLE_COUNT, "metered", 3);
        Datapoint duration = cw.getMetricStatistics(r -> r.namespace("AWS/Lambda").metricName("Duration")
                .dimensions(Dimension.builder().name("FunctionName").value("metered").build())
                .startTime(Instant.now().minusSeconds(3600)).endTime(Instant.now().plusSeconds(60)).period(60).statisticsWithStrings("Maximum")
                .unit("Milliseconds")).datapoints().get(0);
        assertEquals("Milliseconds", duration.unitAsString());

        lambda.putFunctionConcurrency(b -> b.functionName("metered").reservedConcurrentExecutions(0));
        // One attempt: the SDK would retry a throttled call, and every attempt counts as a throttle.
        try (LambdaClient once = nimbus.client(LambdaClient.builder().overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())))) {
            assertThrows(TooManyRequestsException.class, () -> once.invoke(b -> b.functionName("metered")));
        }
        awaitMetric("Throttles", Statistic.SUM, "metered", 1);
        awaitMetric("Invocations", Statistic.SUM, "metered", 3);

        // Also by FunctionName and Resource, and for all functions, as Lambda publishes them.
        var listed = cw.listMetrics(r -> r.namespace("AWS/Lambda").metricName("Invocations")).metrics();
        assertEquals(List.of(Map.of(), Map.of("FunctionName", "metered"), Map.of("FunctionName", "metered", "Resource", "metered")),
                listed.stream().map(m -> m.dimensions().stream().collect(java.util.stream.Collectors.toMap(Dimension::name, Dimension::value)))
                        .sorted((a, b) -> a.size() - b.size()).toList());
    }
}
