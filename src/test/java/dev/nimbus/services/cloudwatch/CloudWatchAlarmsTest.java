package dev.nimbus.services.cloudwatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.logs.LogsApi;
import dev.nimbus.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.AlarmHistoryItem;
import software.amazon.awssdk.services.cloudwatch.model.CloudWatchException;
import software.amazon.awssdk.services.cloudwatch.model.ComparisonOperator;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.HistoryItemType;
import software.amazon.awssdk.services.cloudwatch.model.MetricAlarm;
import software.amazon.awssdk.services.cloudwatch.model.PutMetricAlarmRequest;
import software.amazon.awssdk.services.cloudwatch.model.ResourceNotFoundException;
import software.amazon.awssdk.services.cloudwatch.model.StateValue;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Runtime;

/**
 * Metric alarms through the SDK. The server's periodic evaluator is stopped; the test evaluates at
 * instants of its choosing, so that each transition is deterministic.
 */
class CloudWatchAlarmsTest {
    static TestServer nimbus;
    static CloudWatchClient cw;
    static Alarms alarms;
    static final DateTimeFormatter REASON_TIME = DateTimeFormatter.ofPattern("dd/MM/yy HH:mm:ss").withZone(ZoneOffset.UTC);

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        cw = nimbus.client(CloudWatchClient.builder());
        alarms = nimbus.server.services().cloudwatch().alarms();
        alarms.stopEvaluator();
    }

    @AfterAll
    static void stop() {
        cw.close();
        nimbus.close();
    }

    static Instant minutesAgo(int minutes) {
        return Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(minutes, ChronoUnit.MINUTES);
    }

    static void put(String namespace, String name, Instant t, double value) {
        cw.putMetricData(r -> r.namespace(namespace).metricData(d -> d.metricName(name).timestamp(t).value(value)));
    }

    static PutMetricAlarmRequest.Builder alarm(String name, String namespace) {
        return PutMetricAlarmRequest.builder().alarmName(name).namespace(namespace).metricName("Errors").statistic(Statistic.SUM).period(60)
                .evaluationPeriods(1).threshold(1.0).comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD);
    }

    static MetricAlarm describe(String name) {
        return cw.describeAlarms(r -> r.alarmNames(name)).metricAlarms().get(0);
    }

    static <T> T eventually(Supplier<T> probe) throws InterruptedException {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline) {
            T v = probe.get();
            if (v != null) return v;
            Thread.sleep(100);
        }
        throw new AssertionError("not reached within 90 s");
    }

    @Test
    void alarmMovesBetweenStatesWithAwsReasonsAndHistory() {
        Instant t = minutesAgo(10);
        cw.putMetricAlarm(alarm("errors", "App/A").alarmDescription("too many errors").build());
        MetricAlarm a = describe("errors");
        assertEquals(StateValue.INSUFFICIENT_DATA, a.stateValue());
        assertEquals("Unchecked: Initial alarm creation", a.stateReason());
        assertEquals("arn:aws:cloudwatch:us-east-1:000000000000:alarm:errors", a.alarmArn());
        assertTrue(a.actionsEnabled());

        put("App/A", "Errors", t.plusSeconds(5), 2.0);
        put("App/A", "Errors", t.plusSeconds(30), 3.0);
        alarms.evaluateAll(t.plusSeconds(65));
        a = describe("errors");
        assertEquals(StateValue.ALARM, a.stateValue());
        assertEquals("Threshold Crossed: 1 datapoint [5.0 (" + REASON_TIME.format(t) + ")] was greater than the threshold (1.0).", a.stateReason());
        assertTrue(a.stateReasonData().contains("\"recentDatapoints\":[5.0]"), a.stateReasonData());

        put("App/A", "Errors", t.plusSeconds(60), 0.0);
        alarms.evaluateAll(t.plusSeconds(125));
        a = describe("errors");
        assertEquals(StateValue.OK, a.stateValue());
        assertEquals("Threshold Crossed: 1 datapoint [0.0 (" + REASON_TIME.format(t.plusSeconds(60)) + ")] was not greater than the threshold (1.0).",
                a.stateReason());

        alarms.evaluateAll(t.plusSeconds(185));
        a = describe("errors");
        assertEquals(StateValue.INSUFFICIENT_DATA, a.stateValue());
        assertEquals("Insufficient Data: 1 datapoint was unknown.", a.stateReason());

        List<AlarmHistoryItem> history = cw.describeAlarmHistory(r -> r.alarmName("errors").historyItemType(HistoryItemType.STATE_UPDATE)).alarmHistoryItems();
        assertEquals(List.of("Alarm updated from OK to INSUFFICIENT_DATA", "Alarm updated from ALARM to OK", "Alarm updated from INSUFFICIENT_DATA to ALARM"),
                history.stream().map(AlarmHistoryItem::historySummary).toList());
        List<AlarmHistoryItem> all = cw.describeAlarmHistory(r -> r.alarmName("errors").scanBy("TimestampAscending")).alarmHistoryItems();
        assertEquals(HistoryItemType.CONFIGURATION_UPDATE, all.get(0).historyItemType());
        assertEquals("Alarm \"errors\" created", all.get(0).historySummary());
        assertEquals(4, all.size());
        var page = cw.describeAlarmHistory(r -> r.alarmName("errors").maxRecords(3));
        assertEquals(3, page.alarmHistoryItems().size());
        assertEquals(1, cw.describeAlarmHistory(r -> r.alarmName("errors").maxRecords(3).nextToken(page.nextToken())).alarmHistoryItems().size());

        // Evaluating again with nothing new adds no history.
        alarms.evaluateAll(t.plusSeconds(190));
        assertEquals(4, cw.describeAlarmHistory(r -> r.alarmName("errors")).alarmHistoryItems().size());
    }

    @Test
    void datapointsToAlarmAndMissingData() {
        Instant t = minutesAgo(10);
        put("App/M", "Errors", t, 12.0);
        put("App/M", "Errors", t.plusSeconds(120), 15.0);
        put("App/Sparse", "Errors", t, 12.0);
        for (String treat : List.of("missing", "breaching", "notBreaching", "ignore")) {
            cw.putMetricAlarm(alarm("two-of-three-" + treat, "App/M").statistic(Statistic.MAXIMUM).evaluationPeriods(3).datapointsToAlarm(2)
                    .threshold(10.0).comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD).treatMissingData(treat).build());
            cw.putMetricAlarm(alarm("sparse-" + treat, "App/Sparse").statistic(Statistic.MAXIMUM).evaluationPeriods(3).datapointsToAlarm(2)
                    .threshold(10.0).comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD).treatMissingData(treat).build());
            cw.putMetricAlarm(alarm("empty-" + treat, "App/Nothing").treatMissingData(treat).build());
        }
        alarms.evaluateAll(t.plusSeconds(185));
        MetricAlarm a = describe("two-of-three-missing");
        assertEquals(StateValue.ALARM, a.stateValue());
        assertEquals("Threshold Crossed: 2 out of the last 3 datapoints [15.0 (" + REASON_TIME.format(t.plusSeconds(120)) + "), 12.0 ("
                + REASON_TIME.format(t) + ")] were greater than or equal to the threshold (10.0) (minimum 2 datapoints for OK -> ALARM transition).",
                a.stateReason());
        assertEquals(StateValue.ALARM, describe("two-of-three-notBreaching").stateValue());
        assertEquals(StateValue.ALARM, describe("sparse-breaching").stateValue(), "one breaching datapoint and two missing ones counted as breaching");
        assertEquals(StateValue.OK, describe("sparse-notBreaching").stateValue());
        assertEquals(StateValue.OK, describe("sparse-missing").stateValue(), "one datapoint of the two needed");
        assertEquals(StateValue.INSUFFICIENT_DATA, describe("empty-missing").stateValue());
        assertEquals(StateValue.ALARM, describe("empty-breaching").stateValue());
        assertEquals(StateValue.OK, describe("empty-notBreaching").stateValue());
        MetricAlarm ignored = describe("empty-ignore");
        assertEquals(StateValue.INSUFFICIENT_DATA, ignored.stateValue());
        assertEquals("Unchecked: Initial alarm creation", ignored.stateReason(), "ignore keeps the state as it is");
    }

    @Test
    void metricMathAlarms() {
        Instant t = minutesAgo(10);
        put("App/Math", "Latency", t, 250.0);
        cw.putMetricAlarm(r -> r.alarmName("math").evaluationPeriods(1).threshold(200.0).comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
                .metrics(q -> q.id("m1").returnData(true).metricStat(s -> s.period(60).stat("Average")
                        .metric(m -> m.namespace("App/Math").metricName("Latency")))));
        cw.putMetricAlarm(r -> r.alarmName("math-expr").evaluationPeriods(1).threshold(20.0).comparisonOperator(ComparisonOperator.LESS_THAN_THRESHOLD)
                .metrics(q -> q.id("m1").returnData(false).metricStat(s -> s.period(60).stat("Average")
                        .metric(m -> m.namespace("App/Math").metricName("Latency"))), q -> q.id("e1").expression("m1 / 10").label("tenth")));
        alarms.evaluateAll(t.plusSeconds(61));
        assertEquals(StateValue.ALARM, describe("math").stateValue());
        assertEquals("m1", describe("math").metrics().get(0).id());
        MetricAlarm expr = describe("math-expr");
        assertEquals(StateValue.OK, expr.stateValue());
        assertEquals("Threshold Crossed: 1 datapoint [25.0 (" + REASON_TIME.format(t) + ")] was not less than the threshold (20.0).", expr.stateReason());

        CloudWatchException e = assertThrows(CloudWatchException.class, () -> cw.putMetricAlarm(r -> r.alarmName("expr").evaluationPeriods(1)
                .threshold(1.0).comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD).metrics(
                        q -> q.id("m1").returnData(false).metricStat(s -> s.period(60).stat("Sum").metric(m -> m.namespace("N").metricName("M"))),
                        q -> q.id("e1").expression("m2 * 2"))));
        assertEquals("ValidationError", e.awsErrorDetails().errorCode());
        assertEquals("Error in expression 'e1': Unrecognized identifier 'm2' at position 1", e.awsErrorDetails().errorMessage());
        e = assertThrows(CloudWatchException.class, () -> cw.putMetricAlarm(r -> r.alarmName("expr").evaluationPeriods(1)
                .threshold(1.0).comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD).metrics(
                        q -> q.id("m1").metricStat(s -> s.period(60).stat("Sum").metric(m -> m.namespace("N").metricName("M"))),
                        q -> q.id("e1").expression("m1 * 2"))));
        assertEquals("InvalidParameterValue", e.awsErrorDetails().errorCode(), "two queries return data");
    }

    @Test
    void putMetricAlarmRefusesWhatAwsRefuses() {
        for (var bad : List.of(alarm("bad", "App/Bad").statistic((String) null), alarm("bad", "App/Bad").extendedStatistic("p99"),
                alarm("bad", "App/Bad").evaluationPeriods(2).datapointsToAlarm(3), alarm("bad", "App/Bad").period(90),
                alarm("bad", "App/Bad").treatMissingData("sometimes"), alarm("bad", null))) {
            CloudWatchException e = assertThrows(CloudWatchException.class, () -> cw.putMetricAlarm(bad.build()));
            assertEquals(400, e.statusCode());
            assertTrue(List.of("InvalidParameterValue", "InvalidParameterCombination", "MissingParameter").contains(e.awsErrorDetails().errorCode()),
                    e.getMessage());
        }
        assertEquals(List.of(), cw.describeAlarms(r -> r.alarmNames("bad")).metricAlarms());
    }

    @Test
    void describeFiltersDeleteAndTags() throws Exception {
        for (String n : List.of("svc-a", "svc-b", "svc-c", "other")) {
            cw.putMetricAlarm(alarm(n, "App/D").dimensions(Dimension.builder().name("Host").value(n).build())
                    .alarmActions("arn:aws:sns:us-east-1:000000000000:" + n).build());
        }
        cw.setAlarmState(r -> r.alarmName("svc-b").stateValue(StateValue.ALARM).stateReason("manual"));
        assertEquals(List.of("svc-a", "svc-b", "svc-c"), cw.describeAlarms(r -> r.alarmNamePrefix("svc-")).metricAlarms().stream().map(MetricAlarm::alarmName).toList());
        assertEquals(List.of("svc-b"), cw.describeAlarms(r -> r.alarmNamePrefix("svc-").stateValue(StateValue.ALARM)).metricAlarms().stream()
                .map(MetricAlarm::alarmName).toList());
        assertEquals("manual", describe("svc-b").stateReason());
        assertEquals(List.of("other"), cw.describeAlarms(r -> r.actionPrefix("arn:aws:sns:us-east-1:000000000000:oth")).metricAlarms().stream()
                .map(MetricAlarm::alarmName).toList());
        var page = cw.describeAlarms(r -> r.alarmNamePrefix("svc-").maxRecords(2));
        assertEquals(2, page.metricAlarms().size());
        assertEquals(List.of("svc-c"), cw.describeAlarms(r -> r.alarmNamePrefix("svc-").maxRecords(2).nextToken(page.nextToken())).metricAlarms()
                .stream().map(MetricAlarm::alarmName).toList());
        assertEquals("InvalidParameterCombination", assertThrows(CloudWatchException.class,
                () -> cw.describeAlarms(r -> r.alarmNames("svc-a").alarmNamePrefix("svc"))).awsErrorDetails().errorCode());

        var forMetric = cw.describeAlarmsForMetric(r -> r.namespace("App/D").metricName("Errors").dimensions(Dimension.builder().name("Host").value("svc-c").build()));
        assertEquals(List.of("svc-c"), forMetric.metricAlarms().stream().map(MetricAlarm::alarmName).toList());

        String arn = describe("svc-a").alarmArn();
        cw.tagResource(r -> r.resourceARN(arn).tags(t -> t.key("team").value("core"), t -> t.key("env").value("test")));
        cw.untagResource(r -> r.resourceARN(arn).tagKeys("env"));
        var tags = cw.listTagsForResource(r -> r.resourceARN(arn)).tags();
        assertEquals(1, tags.size());
        assertEquals("core", tags.get(0).value());
        assertThrows(ResourceNotFoundException.class, () -> cw.listTagsForResource(r -> r.resourceARN(arn + "-nope")));

        CloudWatchException e = assertThrows(CloudWatchException.class, () -> cw.deleteAlarms(r -> r.alarmNames("svc-a", "nope")));
        assertEquals("ResourceNotFound", e.awsErrorDetails().errorCode());
        assertEquals(1, cw.describeAlarms(r -> r.alarmNames("svc-a")).metricAlarms().size(), "a failed delete deletes nothing");
        cw.deleteAlarms(r -> r.alarmNames("svc-a", "svc-c"));
        assertEquals(List.of("svc-b"), cw.describeAlarms(r -> r.alarmNamePrefix("svc-")).metricAlarms().stream().map(MetricAlarm::alarmName).toList());

        e = assertThrows(CloudWatchException.class, () -> cw.setAlarmState(r -> r.alarmName("nope").stateValue(StateValue.OK).stateReason("x")));
        assertEquals("ResourceNotFound", e.awsErrorDetails().errorCode());
        assertEquals("Alarm nope does not exist", e.awsErrorDetails().errorMessage());
        e = assertThrows(CloudWatchException.class, () -> cw.setAlarmState(r -> r.alarmName("svc-b").stateValue(StateValue.OK).stateReason("x")
                .stateReasonData("{not json")));
        assertEquals("InvalidFormat", e.awsErrorDetails().errorCode());

        // The SNS action of svc-b is recorded as failed, with SNS's reason in the history data: no such topic takes it.
        List<AlarmHistoryItem> actions = cw.describeAlarmHistory(r -> r.alarmName("svc-b").historyItemType(HistoryItemType.ACTION)).alarmHistoryItems();
        assertEquals(1, actions.size());
        assertEquals("Failed to execute action arn:aws:sns:us-east-1:000000000000:svc-b", actions.get(0).historySummary());
        assertTrue(actions.get(0).historyData().contains("Topic does not exist"), actions.get(0).historyData());
    }

    static byte[] zip(String name, String content) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            z.putNextEntry(new ZipEntry(name));
            z.write(content.getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Test
    void lambdaActionReceivesTheAlarmEvent() throws Exception {
        try (LambdaClient lambda = nimbus.client(LambdaClient.builder())) {
            String fn = lambda.createFunction(b -> b.functionName("on-alarm").role("arn:aws:iam::000000000000:role/lambda-role")
                    .runtime(Runtime.PYTHON3_12).handler("app.handler").code(c -> c.zipFile(SdkBytes.fromByteArray(zip("app.py", """
                            import json
                            def handler(event, context):
                                print("ALARM-EVENT " + json.dumps(event))
                                return {"ok": True}
                            """))))).functionArn();
            cw.putMetricAlarm(alarm("paging", "App/L").alarmActions(fn).build());
            cw.setAlarmState(r -> r.alarmName("paging").stateValue(StateValue.ALARM).stateReason("testing the action"));
            AlarmHistoryItem done = eventually(() -> cw.describeAlarmHistory(r -> r.alarmName("paging").historyItemType(HistoryItemType.ACTION))
                    .alarmHistoryItems().stream().findFirst().orElse(null));
            assertEquals("Successfully executed action " + fn, done.historySummary());

            LogsApi logs = new LogsApi(nimbus.endpoint());
            JsonNode line = eventually(() -> {
                // The action is an asynchronous invoke: the function's log group appears when it has run.
                JsonNode found = logs.okOrNull("FilterLogEvents", LogsApi.in("logGroupName", "/aws/lambda/on-alarm", "filterPattern", "ALARM-EVENT"));
                return found == null || found.path("events").isEmpty() ? null : found.get("events").get(0);
            });
            JsonNode event = Values.JSON.readTree(line.get("message").asText().substring("ALARM-EVENT ".length()));
            assertEquals("aws.cloudwatch", event.get("source").asText());
            assertEquals("arn:aws:cloudwatch:us-east-1:000000000000:alarm:paging", event.get("alarmArn").asText());
            assertEquals("000000000000", event.get("accountId").asText());
            JsonNode data = event.get("alarmData");
            assertEquals("paging", data.get("alarmName").asText());
            assertEquals("ALARM", data.path("state").path("value").asText());
            assertEquals("testing the action", data.path("state").path("reason").asText());
            assertEquals("INSUFFICIENT_DATA", data.path("previousState").path("value").asText());
            JsonNode metric = data.path("configuration").path("metrics").get(0).path("metricStat");
            assertEquals("App/L", metric.path("metric").path("namespace").asText());
            assertEquals("Errors", metric.path("metric").path("name").asText());
            assertEquals(60, metric.path("period").asInt());
            assertEquals("Sum", metric.path("stat").asText());

            // With actions disabled a change runs none.
            cw.disableAlarmActions(r -> r.alarmNames("paging"));
            assertFalse(describe("paging").actionsEnabled());
            cw.setAlarmState(r -> r.alarmName("paging").stateValue(StateValue.OK).stateReason("quiet"));
            cw.setAlarmState(r -> r.alarmName("paging").stateValue(StateValue.ALARM).stateReason("again"));
            assertEquals(1, cw.describeAlarmHistory(r -> r.alarmName("paging").historyItemType(HistoryItemType.ACTION)).alarmHistoryItems().size());
            cw.enableAlarmActions(r -> r.alarmNames("paging"));
            assertTrue(describe("paging").actionsEnabled());
            assertNull(describe("paging").stateReasonData());
        }
    }
}
