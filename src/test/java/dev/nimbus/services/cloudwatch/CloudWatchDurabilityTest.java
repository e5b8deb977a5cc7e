package dev.nimbus.services.cloudwatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nimbus.testing.TestServer;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.ComparisonOperator;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;

/** Metrics, alarms and dashboards are in the store: a restarted server has them. */
class CloudWatchDurabilityTest {
    @TempDir
    Path dir;

    @Test
    void survivesARestart() {
        Instant t = Instant.now().truncatedTo(ChronoUnit.MINUTES).minusSeconds(600);
        try (TestServer nimbus = TestServer.startDurable(dir); CloudWatchClient cw = nimbus.client(CloudWatchClient.builder())) {
            cw.putMetricData(r -> r.namespace("App/Durable").metricData(d -> d.metricName("M").timestamp(t).value(4.0)));
            cw.putMetricAlarm(r -> r.alarmName("kept").namespace("App/Durable").metricName("M").statistic(Statistic.SUM).period(60)
                    .evaluationPeriods(1).threshold(1.0).comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD));
            cw.putDashboard(r -> r.dashboardName("kept").dashboardBody("{\"widgets\":[]}"));
        }
        try (TestServer nimbus = TestServer.startDurable(dir); CloudWatchClient cw = nimbus.client(CloudWatchClient.builder())) {
            nimbus.server.services().cloudwatch().alarms().stopEvaluator();
            assertEquals(4.0, cw.getMetricStatistics(r -> r.namespace("App/Durable").metricName("M").startTime(t).endTime(t.plusSeconds(60))
                    .period(60).statistics(Statistic.SUM)).datapoints().get(0).sum());
            assertEquals(1, cw.listMetrics(r -> r.namespace("App/Durable")).metrics().size());
            assertEquals("kept", cw.describeAlarms(r -> r.alarmNames("kept")).metricAlarms().get(0).alarmName());
            nimbus.server.services().cloudwatch().alarms().evaluateAll(t.plusSeconds(61));
            assertEquals("ALARM", cw.describeAlarms(r -> r.alarmNames("kept")).metricAlarms().get(0).stateValueAsString());
            assertEquals("{\"widgets\":[]}", cw.getDashboard(r -> r.dashboardName("kept")).dashboardBody());
        }
    }
}
