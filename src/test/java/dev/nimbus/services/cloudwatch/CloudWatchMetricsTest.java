package dev.nimbus.services.cloudwatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.CloudWatchException;
import software.amazon.awssdk.services.cloudwatch.model.DashboardNotFoundErrorException;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.DimensionFilter;
import software.amazon.awssdk.services.cloudwatch.model.ListMetricsResponse;
import software.amazon.awssdk.services.cloudwatch.model.MetricDatum;
import software.amazon.awssdk.services.cloudwatch.model.MetricDataResult;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;

/** CloudWatch metrics and dashboards through the SDK (query protocol): aggregation, filters, limits and AWS's errors. */
class CloudWatchMetricsTest {
    static TestServer nimbus;
    static CloudWatchClient cw;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        cw = nimbus.client(CloudWatchClient.builder());
    }

    @AfterAll
    static void stop() {
        cw.close();
        nimbus.close();
    }

    static Instant minutesAgo(int minutes) {
        return Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(minutes, ChronoUnit.MINUTES);
    }

    static Dimension dim(String name, String value) {
        return Dimension.builder().name(name).value(value).build();
    }

    static CloudWatchException error(Runnable call, String code, int status) {
        CloudWatchException e = assertThrows(CloudWatchException.class, call::run);
        assertEquals(code, e.awsErrorDetails().errorCode(), e.getMessage());
        assertEquals(status, e.statusCode());
        return e;
    }

    @Test
    void valuesCountsAndStatisticSetsAggregatePerPeriod() {
        Instant t = minutesAgo(30);
        cw.putMetricData(r -> r.namespace("App/Agg").metricData(
                d -> d.metricName("Latency").timestamp(t).unit(StandardUnit.MILLISECONDS).values(10.0, 20.0, 30.0).counts(1.0, 2.0, 1.0),
                d -> d.metricName("Latency").timestamp(t.plusSeconds(20)).unit(StandardUnit.MILLISECONDS).value(100.0),
                d -> d.metricName("Latency").timestamp(t.plusSeconds(70)).unit(StandardUnit.MILLISECONDS)
                        .statisticValues(s -> s.sampleCount(2.0).sum(8.0).minimum(3.0).maximum(5.0))));
        List<Datapoint> points = cw.getMetricStatistics(r -> r.namespace("App/Agg").metricName("Latency").startTime(t)
                .endTime(t.plusSeconds(300)).period(60).statistics(Statistic.SAMPLE_COUNT, Statistic.SUM, Statistic.AVERAGE, Statistic.MINIMUM, Statistic.MAXIMUM))
                .datapoints();
        assertEquals(2, points.size());
        Datapoint first = points.get(0);
        assertEquals(t, first.timestamp());
        assertEquals(5.0, first.sampleCount());
        assertEquals(180.0, first.sum());
        assertEquals(36.0, first.average());
        assertEquals(10.0, first.minimum());
        assertEquals(100.0, first.maximum());
        assertEquals(StandardUnit.MILLISECONDS, first.unit());
        assertEquals(2.0, points.get(1).sampleCount());
        assertEquals(4.0, points.get(1).average());

        // A five-minute period takes both minutes in.
        Datapoint all = cw.getMetricStatistics(r -> r.namespace("App/Agg").metricName("Latency").startTime(t)
                .endTime(t.plusSeconds(300)).period(300).statistics(Statistic.SUM, Statistic.SAMPLE_COUNT)).datapoints().get(0);
        assertEquals(188.0, all.sum());
        assertEquals(7.0, all.sampleCount());
        assertNull(all.average());

        // Percentiles, nearest rank, over the values (the statistic set has none, so only the first minute has them).
        List<Datapoint> pct = cw.getMetricStatistics(r -> r.namespace("App/Agg").metricName("Latency").startTime(t)
                .endTime(t.plusSeconds(120)).period(60).extendedStatistics("p50", "p99", "p20")).datapoints();
        assertEquals(Map.of("p50", 20.0, "p99", 100.0, "p20", 10.0), pct.get(0).extendedStatistics());
        assertEquals(Map.of(), pct.get(1).extendedStatistics());
    }

    @Test
    void unitsStayApartAndFilter() {
        Instant t = minutesAgo(40);
        cw.putMetricData(r -> r.namespace("App/Units").metricData(
                d -> d.metricName("Size").timestamp(t).unit(StandardUnit.BYTES).value(1024.0),
                d -> d.metricName("Size").timestamp(t).unit(StandardUnit.KILOBYTES).value(2.0),
                d -> d.metricName("Size").timestamp(t).value(7.0)));
        List<Datapoint> points = cw.getMetricStatistics(r -> r.namespace("App/Units").metricName("Size").startTime(t)
                .endTime(t.plusSeconds(60)).period(60).statistics(Statistic.SUM)).datapoints();
        assertEquals(3, points.size());
        List<Datapoint> kb = cw.getMetricStatistics(r -> r.namespace("App/Units").metricName("Size").startTime(t)
                .endTime(t.plusSeconds(60)).period(60).statistics(Statistic.SUM).unit(StandardUnit.KILOBYTES)).datapoints();
        assertEquals(1, kb.size());
        assertEquals(2.0, kb.get(0).sum());
        assertEquals(StandardUnit.KILOBYTES, kb.get(0).unit());
        Datapoint none = cw.getMetricStatistics(r -> r.namespace("App/Units").metricName("Size").startTime(t)
                .endTime(t.plusSeconds(60)).period(60).statistics(Statistic.SUM).unit(StandardUnit.NONE)).datapoints().get(0);
        assertEquals(7.0, none.sum());
    }

    @Test
    void highResolutionDataServesShortPeriods() {
        Instant t = minutesAgo(20);
        cw.putMetricData(r -> r.namespace("App/Hi").metricData(
                d -> d.metricName("Q").timestamp(t.plusSeconds(1)).storageResolution(1).value(1.0),
                d -> d.metricName("Q").timestamp(t.plusSeconds(12)).storageResolution(1).value(2.0)));
        List<Datapoint> points = cw.getMetricStatistics(r -> r.namespace("App/Hi").metricName("Q").startTime(t)
                .endTime(t.plusSeconds(60)).period(10).statistics(Statistic.SUM)).datapoints();
        assertEquals(List.of(t, t.plusSeconds(10)), points.stream().map(Datapoint::timestamp).toList());
        assertEquals(List.of(1.0, 2.0), points.stream().map(Datapoint::sum).toList());
    }

    @Test
    void putMetricDataRefusesWhatAwsRefuses() {
        CloudWatchException e = error(() -> cw.putMetricData(r -> r.namespace("App/Bad").metricData(
                d -> d.metricName("M").value(1.0), d -> d.metricName("M").timestamp(Instant.now().minus(15, ChronoUnit.DAYS)).value(1.0))),
                "InvalidParameterValue", 400);
        assertEquals("The parameter MetricData.member.2.Timestamp must specify a time within the past two weeks.", e.awsErrorDetails().errorMessage());
        e = error(() -> cw.putMetricData(r -> r.namespace("App/Bad").metricData(d -> d.metricName("M").timestamp(Instant.now().plus(3, ChronoUnit.HOURS)).value(1.0))),
                "InvalidParameterValue", 400);
        assertEquals("The parameter MetricData.member.1.Timestamp must specify a time no more than two hours in the future.", e.awsErrorDetails().errorMessage());
        e = error(() -> cw.putMetricData(r -> r.namespace("App/Bad").metricData(d -> d.metricName("M").value(1.0).values(2.0))),
                "InvalidParameterCombination", 400);
        assertTrue(e.awsErrorDetails().errorMessage().contains("mutually exclusive"), e.getMessage());
        e = error(() -> cw.putMetricData(r -> r.namespace("App/Bad").metricData(d -> d.metricName("M").values(1.0, 2.0).counts(1.0))),
                "InvalidParameterValue", 400);
        assertEquals("The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.", e.awsErrorDetails().errorMessage());
        error(() -> cw.putMetricData(r -> r.namespace("App/Bad").metricData(d -> d.metricName("M"))), "MissingParameter", 400);
        e = error(() -> cw.putMetricData(r -> r.namespace("App/Bad").metricData(d -> d.metricName("M").value(1.0).storageResolution(5))),
                "InvalidParameterValue", 400);
        assertEquals("The value 5 for parameter MetricData.member.1.StorageResolution is invalid.", e.awsErrorDetails().errorMessage());
        e = error(() -> cw.putMetricData(r -> r.namespace("AWS/Lambda").metricData(d -> d.metricName("M").value(1.0))), "InvalidParameterValue", 400);
        assertEquals("The value AWS/Lambda for parameter Namespace is invalid.", e.awsErrorDetails().errorMessage());
        List<MetricDatum> many = IntStream.range(0, 1001).mapToObj(i -> MetricDatum.builder().metricName("M").value(1.0).build()).toList();
        e = error(() -> cw.putMetricData(r -> r.namespace("App/Bad").metricData(many)), "InvalidParameterValue", 400);
        assertEquals("The collection MetricData must not have a size greater than 1000.", e.awsErrorDetails().errorMessage());
        List<Dimension> dims = IntStream.range(0, 31).mapToObj(i -> dim("d" + i, "v")).toList();
        error(() -> cw.putMetricData(r -> r.namespace("App/Bad").metricData(d -> d.metricName("M").value(1.0).dimensions(dims))), "ValidationError", 400);
        // Nothing of the refused calls was kept: AWS takes a call's data whole or not at all.
        assertEquals(List.of(), cw.listMetrics(r -> r.namespace("App/Bad")).metrics());
    }

    @Test
    void getMetricStatisticsRefusesWhatAwsRefuses() {
        Instant t = minutesAgo(60);
        CloudWatchException e = error(() -> cw.getMetricStatistics(r -> r.namespace("N").metricName("M").startTime(t).endTime(t.plusSeconds(86_400 * 2))
                .period(60).statistics(Statistic.SUM)), "InvalidParameterCombination", 400);
        assertEquals("You have requested up to 2880 datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
                e.awsErrorDetails().errorMessage());
        e = error(() -> cw.getMetricStatistics(r -> r.namespace("N").metricName("M").startTime(t).endTime(t.plusSeconds(600)).period(90)
                .statistics(Statistic.SUM)), "InvalidParameterValue", 400);
        assertEquals("The parameter Period must be a multiple of 60.", e.awsErrorDetails().errorMessage());
        e = error(() -> cw.getMetricStatistics(r -> r.namespace("N").metricName("M").startTime(t).endTime(t).period(60).statistics(Statistic.SUM)),
                "InvalidParameterValue", 400);
        assertEquals("The parameter StartTime must be less than the parameter EndTime.", e.awsErrorDetails().errorMessage());
        error(() -> cw.getMetricStatistics(r -> r.namespace("N").metricName("M").startTime(t).endTime(t.plusSeconds(60)).period(60)), "MissingParameter", 400);
        error(() -> cw.getMetricStatistics(r -> r.namespace("N").metricName("M").startTime(t).endTime(t.plusSeconds(60)).period(60)
                .statistics(Statistic.SUM).extendedStatistics("p90")), "InvalidParameterCombination", 400);
        error(() -> cw.getMetricStatistics(r -> r.namespace("N").metricName("M").startTime(t).endTime(t.plusSeconds(60)).period(60)
                .extendedStatistics("p101")), "InvalidParameterValue", 400);
        // An unknown metric has no datapoints, not an error.
        assertEquals(List.of(), cw.getMetricStatistics(r -> r.namespace("N").metricName("M").startTime(t).endTime(t.plusSeconds(60)).period(60)
                .statistics(Statistic.SUM)).datapoints());
    }

    @Test
    void listMetricsFiltersAndPages() {
        cw.putMetricData(r -> r.namespace("App/List").metricData(
                d -> d.metricName("Hits").dimensions(dim("Host", "a"), dim("Zone", "z1")).value(1.0),
                d -> d.metricName("Hits").dimensions(dim("Host", "b")).value(1.0),
                d -> d.metricName("Misses").dimensions(dim("Host", "a")).value(1.0)));
        assertEquals(3, cw.listMetrics(r -> r.namespace("App/List")).metrics().size());
        assertEquals(2, cw.listMetrics(r -> r.namespace("App/List").metricName("Hits")).metrics().size());
        var hostA = cw.listMetrics(r -> r.namespace("App/List").dimensions(DimensionFilter.builder().name("Host").value("a").build())).metrics();
        assertEquals(List.of("Hits", "Misses"), hostA.stream().map(m -> m.metricName()).toList());
        var zoned = cw.listMetrics(r -> r.dimensions(DimensionFilter.builder().name("Zone").build())).metrics();
        assertEquals(1, zoned.size());
        assertEquals(List.of(dim("Host", "a"), dim("Zone", "z1")), zoned.get(0).dimensions());
        assertEquals(3, cw.listMetrics(r -> r.namespace("App/List").recentlyActive("PT3H")).metrics().size());

        // 600 metrics: two pages of at most 500.
        List<MetricDatum> data = IntStream.range(0, 600).mapToObj(i -> MetricDatum.builder().metricName("M" + i).value(1.0).build()).toList();
        cw.putMetricData(r -> r.namespace("App/Many").metricData(data));
        ListMetricsResponse first = cw.listMetrics(r -> r.namespace("App/Many"));
        assertEquals(500, first.metrics().size());
        ListMetricsResponse second = cw.listMetrics(r -> r.namespace("App/Many").nextToken(first.nextToken()));
        assertEquals(100, second.metrics().size());
        assertNull(second.nextToken());
        List<String> names = new ArrayList<>();
        first.metrics().forEach(m -> names.add(m.metricName()));
        second.metrics().forEach(m -> names.add(m.metricName()));
        assertEquals(600, names.stream().distinct().count());
    }

    @Test
    void getMetricDataOrdersLabelsAndHidesQueries() {
        Instant t = minutesAgo(25);
        cw.putMetricData(r -> r.namespace("App/Data").metricData(
                d -> d.metricName("Req").timestamp(t).value(3.0), d -> d.metricName("Req").timestamp(t.plusSeconds(60)).value(4.0),
                d -> d.metricName("Req").timestamp(t.plusSeconds(120)).value(5.0)));
        var res = cw.getMetricData(r -> r.startTime(t).endTime(t.plusSeconds(180)).metricDataQueries(
                q -> q.id("req").label("Requests").metricStat(s -> s.period(60).stat("Sum").metric(m -> m.namespace("App/Data").metricName("Req"))),
                q -> q.id("hidden").returnData(false).metricStat(s -> s.period(60).stat("Sum").metric(m -> m.namespace("App/Data").metricName("Req"))),
                q -> q.id("twomin").metricStat(s -> s.period(120).stat("Average").metric(m -> m.namespace("App/Data").metricName("Req")))));
        assertEquals(2, res.metricDataResults().size());
        MetricDataResult req = res.metricDataResults().get(0);
        assertEquals("Requests", req.label());
        assertEquals("Complete", req.statusCodeAsString());
        // Newest first unless asked otherwise, as AWS answers.
        assertEquals(List.of(t.plusSeconds(120), t.plusSeconds(60), t), req.timestamps());
        assertEquals(List.of(5.0, 4.0, 3.0), req.values());
        MetricDataResult two = res.metricDataResults().get(1);
        assertEquals("Req", two.label());
        assertEquals(List.of(5.0, 3.5), two.values());

        var asc = cw.getMetricData(r -> r.startTime(t).endTime(t.plusSeconds(180)).scanBy("TimestampAscending").metricDataQueries(
                q -> q.id("req").metricStat(s -> s.period(60).stat("Maximum").metric(m -> m.namespace("App/Data").metricName("Req")))));
        assertEquals(List.of(3.0, 4.0, 5.0), asc.metricDataResults().get(0).values());

        // Pages of MaxDatapoints across all results.
        var page1 = cw.getMetricData(r -> r.startTime(t).endTime(t.plusSeconds(180)).maxDatapoints(4).metricDataQueries(
                q -> q.id("a").metricStat(s -> s.period(60).stat("Sum").metric(m -> m.namespace("App/Data").metricName("Req"))),
                q -> q.id("b").metricStat(s -> s.period(60).stat("Maximum").metric(m -> m.namespace("App/Data").metricName("Req")))));
        assertEquals(List.of(5.0, 4.0, 3.0), page1.metricDataResults().get(0).values());
        assertEquals("Complete", page1.metricDataResults().get(0).statusCodeAsString());
        assertEquals(List.of(5.0), page1.metricDataResults().get(1).values());
        assertEquals("PartialData", page1.metricDataResults().get(1).statusCodeAsString());
        var page2 = cw.getMetricData(r -> r.startTime(t).endTime(t.plusSeconds(180)).maxDatapoints(4).nextToken(page1.nextToken()).metricDataQueries(
                q -> q.id("a").metricStat(s -> s.period(60).stat("Sum").metric(m -> m.namespace("App/Data").metricName("Req"))),
                q -> q.id("b").metricStat(s -> s.period(60).stat("Maximum").metric(m -> m.namespace("App/Data").metricName("Req")))));
        assertEquals(List.of(), page2.metricDataResults().get(0).values());
        assertEquals(List.of(4.0, 3.0), page2.metricDataResults().get(1).values());
        assertNull(page2.nextToken());

        CloudWatchException e = error(() -> cw.getMetricData(r -> r.startTime(t).endTime(t.plusSeconds(180)).metricDataQueries(
                q -> q.id("Bad").metricStat(s -> s.period(60).stat("Sum").metric(m -> m.namespace("App/Data").metricName("Req"))))),
                "InvalidParameterValue", 400);
        assertTrue(e.awsErrorDetails().errorMessage().contains("Bad"), e.getMessage());
    }

    @Test
    void metricMath() {
        Instant t = minutesAgo(35);
        cw.putMetricData(r -> r.namespace("App/Math").metricData(
                d -> d.metricName("Errors").timestamp(t).value(2.0), d -> d.metricName("Errors").timestamp(t.plusSeconds(60)).value(3.0),
                d -> d.metricName("Requests").timestamp(t).value(10.0), d -> d.metricName("Requests").timestamp(t.plusSeconds(60)).value(20.0),
                d -> d.metricName("Requests").timestamp(t.plusSeconds(180)).value(40.0)));
        var res = cw.getMetricData(r -> r.startTime(t).endTime(t.plusSeconds(240)).scanBy("TimestampAscending").metricDataQueries(
                q -> q.id("rate").expression("100 * e / (r - 0)").label("Error rate"),
                q -> q.id("e").returnData(false).metricStat(s -> s.period(60).stat("Sum").metric(m -> m.namespace("App/Math").metricName("Errors"))),
                q -> q.id("r").returnData(false).metricStat(s -> s.period(60).stat("Sum").metric(m -> m.namespace("App/Math").metricName("Requests"))),
                q -> q.id("total").expression("SUM(METRICS())"),
                q -> q.id("most").expression("MAX([e, r])"),
                q -> q.id("avg").expression("AVG([e, -r])"),
                q -> q.id("filled").expression("FILL(e, 0) + ABS(-1)"),
                q -> q.id("twice").expression("rate * 2")));
        Map<String, MetricDataResult> byId = new java.util.HashMap<>();
        res.metricDataResults().forEach(x -> byId.put(x.id(), x));
        assertEquals(List.of("rate", "total", "most", "avg", "filled", "twice"), res.metricDataResults().stream().map(MetricDataResult::id).toList());
        assertEquals("Error rate", byId.get("rate").label());
        assertEquals("total", byId.get("total").label());
        // Between two series: only where both have a datapoint.
        assertEquals(List.of(t, t.plusSeconds(60)), byId.get("rate").timestamps());
        assertEquals(List.of(20.0, 15.0), byId.get("rate").values());
        assertEquals(List.of(40.0, 30.0), byId.get("twice").values());
        assertEquals(List.of(12.0, 23.0, 40.0), byId.get("total").values());
        assertEquals(List.of(10.0, 20.0, 40.0), byId.get("most").values());
        assertEquals(List.of(-4.0, -8.5, -40.0), byId.get("avg").values());
        assertEquals(List.of(3.0, 4.0), byId.get("filled").values());

        for (String bad : List.of("e +", "nope * 2", "SUM(e", "e $ 2", "FOO(e)", "[e, r]")) {
            CloudWatchException e = error(() -> cw.getMetricData(r -> r.startTime(t).endTime(t.plusSeconds(240)).metricDataQueries(
                    q -> q.id("x").expression(bad),
                    q -> q.id("e").returnData(false).metricStat(s -> s.period(60).stat("Sum").metric(m -> m.namespace("App/Math").metricName("Errors"))),
                    q -> q.id("r").returnData(false).metricStat(s -> s.period(60).stat("Sum").metric(m -> m.namespace("App/Math").metricName("Requests"))))),
                    "ValidationError", 400);
            assertTrue(e.awsErrorDetails().errorMessage().startsWith("Error in expression 'x': "), e.getMessage());
        }
        error(() -> cw.getMetricData(r -> r.startTime(t).endTime(t.plusSeconds(240)).metricDataQueries(
                q -> q.id("a").expression("b + 1"), q -> q.id("b").expression("a + 1"))), "ValidationError", 400);
        error(() -> cw.getMetricData(r -> r.startTime(t).endTime(t.plusSeconds(240)).metricDataQueries(q -> q.id("a"))), "InvalidParameterCombination", 400);
    }

    @Test
    void dashboards() {
        String body = "{\"widgets\":[]}";
        assertEquals(List.of(), cw.putDashboard(r -> r.dashboardName("ops-main").dashboardBody(body)).dashboardValidationMessages());
        cw.putDashboard(r -> r.dashboardName("ops-other").dashboardBody(body));
        cw.putDashboard(r -> r.dashboardName("dev").dashboardBody(body));
        var got = cw.getDashboard(r -> r.dashboardName("ops-main"));
        assertEquals(body, got.dashboardBody());
        assertEquals("arn:aws:cloudwatch::000000000000:dashboard/ops-main", got.dashboardArn());
        var listed = cw.listDashboards(r -> r.dashboardNamePrefix("ops-")).dashboardEntries();
        assertEquals(List.of("ops-main", "ops-other"), listed.stream().map(d -> d.dashboardName()).toList());
        assertEquals(body.length(), listed.get(0).size());
        error(() -> cw.putDashboard(r -> r.dashboardName("x").dashboardBody("not json")), "InvalidParameterInput", 400);
        assertThrows(DashboardNotFoundErrorException.class, () -> cw.deleteDashboards(r -> r.dashboardNames("ops-main", "nope")));
        assertEquals(body, cw.getDashboard(r -> r.dashboardName("ops-main")).dashboardBody(), "a failed delete deletes nothing");
        cw.deleteDashboards(r -> r.dashboardNames("ops-main", "ops-other"));
        assertThrows(DashboardNotFoundErrorException.class, () -> cw.getDashboard(r -> r.dashboardName("ops-main")));
        assertEquals(1, cw.listDashboards(r -> {}).dashboardEntries().size());
    }
}
