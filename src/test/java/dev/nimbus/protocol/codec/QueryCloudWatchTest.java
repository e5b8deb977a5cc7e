package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.CloudWatchException;
import software.amazon.awssdk.services.cloudwatch.model.DashboardNotFoundErrorException;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.GetMetricDataResponse;
import software.amazon.awssdk.services.cloudwatch.model.GetMetricStatisticsResponse;
import software.amazon.awssdk.services.cloudwatch.model.Metric;
import software.amazon.awssdk.services.cloudwatch.model.MetricDataResult;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/**
 * The CloudWatch client of the SDK in the pom against Nimbus's CloudWatch. SDK 2.31.0 speaks the
 * query protocol to CloudWatch (form parameters in, XML out), so this exercises QueryCodec on a
 * service whose current model is cbor/json; newer SDKs send the same calls as smithy-rpc-v2-cbor,
 * and every assertion here holds for both.
 */
class QueryCloudWatchTest {
    static TestServer nimbus;
    static CloudWatchClient cw;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start(new WidgetImageTestService());
        cw = nimbus.client(CloudWatchClient.builder());
    }

    @AfterAll
    static void stop() {
        cw.close();
        nimbus.close();
    }

    static final Dimension HOST = Dimension.builder().name("Host").value("web-1").build();

    /** A whole minute some minutes ago: within the two weeks PutMetricData accepts, where periods of 60 s start. */
    static Instant minutesAgo(int minutes) {
        return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES).minusSeconds(60L * minutes);
    }

    /** A statistic set at t (with milliseconds) and a single value a minute later. */
    static void put(String namespace, Instant t) {
        cw.putMetricData(r -> r.namespace(namespace).metricData(
                d -> d.metricName("Latency").dimensions(HOST).timestamp(t).unit(StandardUnit.MILLISECONDS)
                        .statisticValues(s -> s.sampleCount(4.0).sum(10.0).minimum(1.0).maximum(4.0)),
                d -> d.metricName("Latency").dimensions(HOST).timestamp(t.plusSeconds(60)).unit(StandardUnit.MILLISECONDS).value(2.25)));
    }

    @Test
    void statisticsRoundTripTimestampsDoublesListsAndMaps() {
        Instant t = minutesAgo(60);
        put("Sdk/Stats", t.plusMillis(250));
        GetMetricStatisticsResponse stats = cw.getMetricStatistics(r -> r.namespace("Sdk/Stats").metricName("Latency").dimensions(HOST)
                .startTime(t).endTime(t.plusSeconds(3600)).period(60).statisticsWithStrings("SampleCount", "Sum", "Average", "Maximum"));
        assertEquals("Latency", stats.label());
        List<Datapoint> points = stats.datapoints();
        assertEquals(2, points.size());
        Datapoint first = points.get(0);
        assertEquals(t, first.timestamp());
        assertEquals(4.0, first.sampleCount());
        assertEquals(10.0, first.sum());
        assertEquals(2.5, first.average());
        assertEquals(StandardUnit.MILLISECONDS, first.unit());
        assertEquals(t.plusSeconds(60), points.get(1).timestamp());
        assertEquals(2.25, points.get(1).maximum());

        List<Datapoint> percentiles = cw.getMetricStatistics(r -> r.namespace("Sdk/Stats").metricName("Latency").dimensions(HOST)
                .startTime(t).endTime(t.plusSeconds(3600)).period(60).extendedStatistics("p99")).datapoints();
        assertEquals(Map.of("p99", 2.25), percentiles.get(1).extendedStatistics());
    }

    @Test
    void metricDataAndListMetricsRoundTrip() {
        Instant t = minutesAgo(50);
        put("Sdk/Data", t);
        GetMetricDataResponse data = cw.getMetricData(r -> r.startTime(t).endTime(t.plusSeconds(3600)).scanBy("TimestampAscending")
                .metricDataQueries(q -> q.id("m1").metricStat(s -> s.period(60).stat("Maximum")
                        .metric(m -> m.namespace("Sdk/Data").metricName("Latency").dimensions(HOST)))));
        MetricDataResult r = data.metricDataResults().get(0);
        assertEquals("m1", r.id());
        assertEquals("Latency", r.label());
        assertEquals(List.of(t, t.plusSeconds(60)), r.timestamps());
        assertEquals(List.of(4.0, 2.25), r.values());

        List<Metric> metrics = cw.listMetrics(q -> q.namespace("Sdk/Data")).metrics();
        assertEquals(List.of(Metric.builder().namespace("Sdk/Data").metricName("Latency").dimensions(HOST).build()), metrics);
    }

    @Test
    void blobsRoundTrip() {
        SdkBytes image = cw.getMetricWidgetImage(r -> r.metricWidget("{\"metrics\":[]}")).metricWidgetImage();
        assertArrayEquals(WidgetImageTestService.image("{\"metrics\":[]}"), image.asByteArray());
    }

    @Test
    void modeledErrorsReachTheSdkTyped() {
        DashboardNotFoundErrorException e = assertThrows(DashboardNotFoundErrorException.class, () -> cw.getDashboard(r -> r.dashboardName("nope")));
        assertEquals(404, e.statusCode());
        assertEquals("ResourceNotFound", e.awsErrorDetails().errorCode()); // the legacy query code of DashboardNotFoundError
        assertEquals("Dashboard nope does not exist", e.awsErrorDetails().errorMessage());

        // Shape ResourceNotFound shares that query code; which class an SDK picks for it varies by
        // SDK version, the code and status do not.
        CloudWatchException alarm = assertThrows(CloudWatchException.class,
                () -> cw.setAlarmState(r -> r.alarmName("missing").stateValue("OK").stateReason("test")));
        assertEquals("ResourceNotFound", alarm.awsErrorDetails().errorCode());
        assertEquals(404, alarm.statusCode());
        assertEquals("Alarm missing does not exist", alarm.awsErrorDetails().errorMessage());
    }

    @Test
    void unimplementedOperationIsNotImplemented501() {
        CloudWatchException e = assertThrows(CloudWatchException.class, () -> cw.describeAnomalyDetectors(r -> {}));
        assertEquals("NotImplemented", e.awsErrorDetails().errorCode());
        assertEquals(501, e.statusCode());
        assertTrue(e.awsErrorDetails().errorMessage().contains("cloudwatch.DescribeAnomalyDetectors"), e.getMessage());
    }

    @Test
    void missingRequiredMemberIsA400ValidationError() {
        // The SDK does not check required members itself: the request goes out without Namespace.
        CloudWatchException e = assertThrows(CloudWatchException.class,
                () -> cw.putMetricData(r -> r.metricData(d -> d.metricName("Latency").value(1.0))));
        // The code is the protocol's (query: ValidationError, cbor: ValidationException); the message is AWS's.
        assertEquals(400, e.statusCode());
        assertEquals("1 validation error detected: Value null at 'namespace' failed to satisfy constraint: Member must not be null",
                e.awsErrorDetails().errorMessage());
    }
}
