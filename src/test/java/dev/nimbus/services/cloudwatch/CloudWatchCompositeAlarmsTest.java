package dev.nimbus.services.cloudwatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.AlarmHistoryItem;
import software.amazon.awssdk.services.cloudwatch.model.AlarmType;
import software.amazon.awssdk.services.cloudwatch.model.CloudWatchException;
import software.amazon.awssdk.services.cloudwatch.model.CompositeAlarm;
import software.amazon.awssdk.services.cloudwatch.model.DescribeAlarmsResponse;
import software.amazon.awssdk.services.cloudwatch.model.HistoryItemType;
import software.amazon.awssdk.services.cloudwatch.model.StateValue;

/** Composite alarms through the SDK: the rule language, evaluation on children's changes, listing, history. */
class CloudWatchCompositeAlarmsTest {
    static TestServer nimbus;
    static CloudWatchClient cw;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        cw = nimbus.client(CloudWatchClient.builder());
        nimbus.server.services().cloudwatch().alarms().stopEvaluator();
    }

    @AfterAll
    static void stop() {
        cw.close();
        nimbus.close();
    }

    static void set(String alarm, StateValue state) {
        cw.setAlarmState(r -> r.alarmName(alarm).stateValue(state).stateReason("test"));
    }

    static CompositeAlarm composite(String name) {
        return cw.describeAlarms(r -> r.alarmNames(name).alarmTypes(AlarmType.COMPOSITE_ALARM)).compositeAlarms().get(0);
    }

    @Test
    void ruleLanguage() {
        Map<String, String> states = Map.of("a", "ALARM", "b", "OK", "c b", "INSUFFICIENT_DATA");
        assertTrue(AlarmRule.parse("ALARM(a) AND OK(\"b\")").holds(states::get));
        assertTrue(AlarmRule.parse("alarm(a) and not ok(b) or INSUFFICIENT_DATA(c b)").holds(states::get), "AND binds tighter than OR");
        assertFalse(AlarmRule.parse("ALARM(a) AND (NOT OK(b) OR OK(\"c b\"))").holds(states::get));
        assertTrue(AlarmRule.parse("ALARM(arn:aws:cloudwatch:us-east-1:000000000000:alarm:a)").holds(states::get));
        assertEquals(Set.of("a", "b"), AlarmRule.parse("ALARM(a) OR (TRUE AND OK(b)) OR FALSE").alarms());
        assertFalse(AlarmRule.parse("NOT TRUE").holds(states::get));
        assertFalse(AlarmRule.parse("ALARM(missing)").holds(states::get));
        for (String bad : List.of("ALARM(a) AND", "ALARM(a", "ALARM()", "(TRUE", "ALARM(a) XOR OK(b)", "SOMETHING(a)", "")) {
            assertThrows(IllegalArgumentException.class, () -> AlarmRule.parse(bad), bad);
        }
        assertEquals("expected ')' at position 10 of the AlarmRule", assertThrows(IllegalArgumentException.class, () -> AlarmRule.parse("(ALARM(a)")).getMessage());
    }

    @Test
    void compositeFollowsItsChildren() {
        cw.putMetricAlarm(CloudWatchAlarmsTest.alarm("cpu", "App/C").build());
        cw.putMetricAlarm(CloudWatchAlarmsTest.alarm("disk", "App/C").build());
        cw.putMetricAlarm(CloudWatchAlarmsTest.alarm("deploying", "App/C").build());
        set("cpu", StateValue.OK);
        set("disk", StateValue.OK);
        set("deploying", StateValue.OK);
        cw.putCompositeAlarm(r -> r.alarmName("host-sick").alarmRule("(ALARM(cpu) OR ALARM(\"disk\")) AND NOT ALARM(deploying)")
                .alarmDescription("cpu or disk, outside deployments").alarmActions("arn:aws:sns:us-east-1:000000000000:nowhere"));
        CompositeAlarm c = composite("host-sick");
        assertEquals(StateValue.OK, c.stateValue(), "evaluated at creation");
        assertEquals("arn:aws:cloudwatch:us-east-1:000000000000:alarm:host-sick", c.alarmArn());
        assertEquals("cpu or disk, outside deployments", c.alarmDescription());

        set("disk", StateValue.ALARM);
        c = composite("host-sick");
        assertEquals(StateValue.ALARM, c.stateValue());
        assertTrue(c.stateReason().startsWith("arn:aws:cloudwatch:us-east-1:000000000000:alarm:disk transitioned to ALARM at "), c.stateReason());
        assertTrue(c.stateReasonData().contains("\"triggeringAlarms\""), c.stateReasonData());
        set("deploying", StateValue.ALARM);
        assertEquals(StateValue.OK, composite("host-sick").stateValue());
        set("deploying", StateValue.OK);
        assertEquals(StateValue.ALARM, composite("host-sick").stateValue());

        // A composite of a composite follows too.
        cw.putCompositeAlarm(r -> r.alarmName("page-someone").alarmRule("ALARM(host-sick)"));
        assertEquals(StateValue.ALARM, composite("page-someone").stateValue());
        set("disk", StateValue.OK);
        assertEquals(StateValue.OK, composite("host-sick").stateValue());
        assertEquals(StateValue.OK, composite("page-someone").stateValue());

        // Listing: metric alarms by default, composites when asked, parents and children.
        DescribeAlarmsResponse all = cw.describeAlarms(r -> r.alarmTypes(AlarmType.COMPOSITE_ALARM, AlarmType.METRIC_ALARM));
        assertEquals(3, all.metricAlarms().size());
        assertEquals(List.of("host-sick", "page-someone"), all.compositeAlarms().stream().map(CompositeAlarm::alarmName).toList());
        assertEquals(0, cw.describeAlarms(r -> r.alarmNames("host-sick")).compositeAlarms().size());
        assertEquals(List.of("cpu", "deploying", "disk"),
                cw.describeAlarms(r -> r.childrenOfAlarmName("host-sick")).metricAlarms().stream().map(a -> a.alarmName()).toList());
        assertEquals(List.of("host-sick"), cw.describeAlarms(r -> r.parentsOfAlarmName("cpu")).compositeAlarms().stream().map(CompositeAlarm::alarmName).toList());

        // History says CompositeAlarm; the SNS action was attempted on each move to ALARM.
        List<AlarmHistoryItem> history = cw.describeAlarmHistory(r -> r.alarmName("host-sick").historyItemType(HistoryItemType.STATE_UPDATE)).alarmHistoryItems();
        assertEquals(AlarmType.COMPOSITE_ALARM, history.get(0).alarmType());
        assertEquals(2, cw.describeAlarmHistory(r -> r.alarmName("host-sick").historyItemType(HistoryItemType.ACTION)).alarmHistoryItems().size());
    }

    @Test
    void putCompositeAlarmRefusesBadRules() {
        cw.putMetricAlarm(CloudWatchAlarmsTest.alarm("x", "App/X").build());
        CloudWatchException e = assertThrows(CloudWatchException.class, () -> cw.putCompositeAlarm(r -> r.alarmName("bad").alarmRule("ALARM(x) AND")));
        assertEquals("InvalidParameterValue", e.awsErrorDetails().errorCode());
        e = assertThrows(CloudWatchException.class, () -> cw.putCompositeAlarm(r -> r.alarmName("bad").alarmRule("ALARM(nope)")));
        assertEquals("InvalidParameterValue", e.awsErrorDetails().errorCode());
        cw.putCompositeAlarm(r -> r.alarmName("loop-a").alarmRule("ALARM(x)"));
        cw.putCompositeAlarm(r -> r.alarmName("loop-b").alarmRule("ALARM(loop-a)"));
        e = assertThrows(CloudWatchException.class, () -> cw.putCompositeAlarm(r -> r.alarmName("loop-a").alarmRule("ALARM(loop-b)")));
        assertEquals("InvalidParameterValue", e.awsErrorDetails().errorCode());
        cw.deleteAlarms(r -> r.alarmNames("loop-b", "loop-a"));
        assertEquals(0, cw.describeAlarms(r -> r.alarmNamePrefix("loop-").alarmTypes(AlarmType.COMPOSITE_ALARM)).compositeAlarms().size());
    }
}
