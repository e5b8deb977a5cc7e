package dev.nimbus.services.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** Invocations publish AWS/Lambda metrics, read back as the monitoring lab does (get-metric-statistics by FunctionName). */
class LambdaMetricsTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static CloudWatchClient cw;
    static SqsClient sqs;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        cw = nimbus.client(CloudWatchClient.builder());
        sqs = nimbus.client(SqsClient.builder());
    }

    @AfterAll
    static void stop() {
        sqs.close();
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

    /** The statistic over the last hour by GetMetricData, under exactly these dimensions, or null while there is no data. */
    static Double data(String metric, String statistic, Map<String, String> dimensions) {
        Instant end = Instant.now().truncatedTo(ChronoUnit.MINUTES).plusSeconds(60);
        List<Dimension> dims = dimensions.entrySet().stream().map(e -> Dimension.builder().name(e.getKey()).value(e.getValue()).build()).toList();
        List<Double> values = cw.getMetricData(r -> r.startTime(end.minusSeconds(3600)).endTime(end).metricDataQueries(q -> q.id("m")
                .metricStat(s -> s.period(3600).stat(statistic).metric(m -> m.namespace("AWS/Lambda").metricName(metric).dimensions(dims)))))
                .metricDataResults().get(0).values();
        return values.isEmpty() ? null : values.get(0);
    }

    /** Waits (bounded) until GetMetricData answers the expected value. */
    static void awaitData(String metric, String statistic, Map<String, String> dimensions, double expected) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        Double v = null;
        while (System.nanoTime() < deadline) {
            v = data(metric, statistic, dimensions);
            if (v != null && v == expected) return;
            Thread.sleep(100);
        }
        assertEquals(expected, v, metric + " " + dimensions);
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
                        .filter(d -> d.getOrDefault("FunctionName", "metered").equals("metered")) // the other tests' functions
                        .sorted((a, b) -> a.size() - b.size()).toList());
    }

    @Test
    void resourceExecutedVersionConcurrencyAndAccountTotals() throws Exception {
        lambda.createFunction(b -> b.functionName("aliased").role(Zips.ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .code(c -> c.zipFile(Zips.sdk("app.py", "def handler(event, context):\n    return 1\n"))));
        String version = lambda.publishVersion(b -> b.functionName("aliased")).version();
        lambda.createAlias(b -> b.functionName("aliased").name("live").functionVersion(version));
        lambda.invoke(b -> b.functionName("aliased").qualifier("live"));
        lambda.invoke(b -> b.functionName("aliased:live"));
        lambda.invoke(b -> b.functionName("aliased"));

        awaitData("Invocations", "Sum", Map.of("FunctionName", "aliased"), 3);
        awaitData("Invocations", "Sum", Map.of("FunctionName", "aliased", "Resource", "aliased:live"), 2);
        awaitData("Invocations", "Sum", Map.of("FunctionName", "aliased", "Resource", "aliased"), 1);
        awaitData("Invocations", "Sum", Map.of("FunctionName", "aliased", "ExecutedVersion", version), 2);
        awaitData("Duration", "SampleCount", Map.of("FunctionName", "aliased", "ExecutedVersion", version), 2);
        // One at a time: the most running at once was 1, for the function and (nothing else running) for the account.
        awaitData("ConcurrentExecutions", "Maximum", Map.of("FunctionName", "aliased"), 1);
        awaitData("ConcurrentExecutions", "Maximum", Map.of(), 1);
        awaitData("UnreservedConcurrentExecutions", "Maximum", Map.of(), 1);
        // All functions of the account, this test's and the others'.
        assertTrue(data("Invocations", "Sum", Map.of()) >= 3);
        assertTrue(data("Duration", "SampleCount", Map.of()) >= 3);
        assertEquals(0.0, data("Errors", "Sum", Map.of("FunctionName", "aliased", "Resource", "aliased:live")));
    }

    @Test
    void asyncEventsDeadLetterErrorsAndDestinationDeliveryFailures() throws Exception {
        // A dead-letter queue and a failure destination that exist when configured, then are deleted.
        String dlq = sqs.createQueue(b -> b.queueName("gone-dead-letters")).queueUrl();
        String failures = sqs.createQueue(b -> b.queueName("gone-failures")).queueUrl();
        String dlqArn = sqs.getQueueAttributes(b -> b.queueUrl(dlq).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
        String failuresArn = sqs.getQueueAttributes(b -> b.queueUrl(failures).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes()
                .get(QueueAttributeName.QUEUE_ARN);
        lambda.createFunction(b -> b.functionName("async-metered").role(Zips.ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .deadLetterConfig(d -> d.targetArn(dlqArn))
                .code(c -> c.zipFile(Zips.sdk("app.py", """
                        def handler(event, context):
                            if event.get("fail"):
                                raise ValueError("asked to fail")
                            return "ok"
                        """))));
        lambda.putFunctionEventInvokeConfig(b -> b.functionName("async-metered").maximumRetryAttempts(0)
                .destinationConfig(d -> d.onFailure(f -> f.destination(failuresArn))));
        sqs.deleteQueue(b -> b.queueUrl(dlq));
        sqs.deleteQueue(b -> b.queueUrl(failures));

        lambda.invoke(b -> b.functionName("async-metered").invocationType(InvocationType.EVENT).payload(SdkBytes.fromUtf8String("{}")));
        lambda.invoke(b -> b.functionName("async-metered").invocationType(InvocationType.EVENT).payload(SdkBytes.fromUtf8String("{\"fail\": true}")));

        Map<String, String> byName = Map.of("FunctionName", "async-metered");
        awaitData("AsyncEventsReceived", "Sum", byName, 2);
        awaitData("AsyncEventsReceived", "Sum", Map.of("FunctionName", "async-metered", "Resource", "async-metered"), 2);
        awaitData("AsyncEventAge", "SampleCount", byName, 2);
        awaitData("Invocations", "Sum", byName, 2);
        // The failed event, its retries used up, is dropped; sending it to the deleted queues fails twice over.
        awaitData("AsyncEventsDropped", "Sum", byName, 1);
        awaitData("DeadLetterErrors", "Sum", byName, 1);
        awaitData("DestinationDeliveryFailures", "Sum", byName, 1);
        assertTrue(data("AsyncEventAge", "Minimum", byName) >= 0);
        var unit = cw.getMetricStatistics(r -> r.namespace("AWS/Lambda").metricName("AsyncEventAge")
                .dimensions(Dimension.builder().name("FunctionName").value("async-metered").build())
                .startTime(Instant.now().minusSeconds(3600)).endTime(Instant.now().plusSeconds(60)).period(3600).statistics(Statistic.MAXIMUM)).datapoints();
        assertEquals("Milliseconds", unit.get(0).unitAsString());
    }
}
