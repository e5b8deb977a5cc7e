package dev.nimbus.services.cloudwatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import dev.nimbus.services.Targets;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Metric alarms: their configuration, history and tags, an evaluator that moves them between OK,
 * ALARM and INSUFFICIENT_DATA over their metric's recent periods, and the actions run on a change.
 */
public final class Alarms {
    private static final Logger LOG = Logger.getLogger(Alarms.class.getName());
    /** AWS evaluates alarms once a minute. */
    private static final Duration INTERVAL = Duration.ofMinutes(1);
    private static final DateTimeFormatter REASON_TIME = DateTimeFormatter.ofPattern("dd/MM/yy HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter EVENT_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);
    private static final Map<String, String> OPERATORS = Map.of("GreaterThanThreshold", "greater than",
            "GreaterThanOrEqualToThreshold", "greater than or equal to", "LessThanThreshold", "less than",
            "LessThanOrEqualToThreshold", "less than or equal to");

    private final Store store;
    private final Table alarms;
    private final Table history;
    private final Metrics metrics;
    private final Queries queries;
    private final Targets targets;
    private final InstantSource clock;
    private final AtomicLong sequence = new AtomicLong();
    private ScheduledExecutorService timer;

    /** Metric math: MetricDataQueries over a time range, every query's series by id. */
    interface Queries {
        Map<String, Expressions.Series> run(String account, String region, JsonNode queries, Instant from, Instant to);
    }

    Alarms(Store store, Metrics metrics, Queries queries, Targets targets, InstantSource clock) {
        this.store = store;
        this.queries = queries;
        this.alarms = store.table("cloudwatch.alarms");
        this.history = store.table("cloudwatch.alarm_history");
        this.metrics = metrics;
        this.targets = targets;
        this.clock = clock;
    }

    void register(Operations o) {
        o.add("PutMetricAlarm", this::putMetricAlarm)
                .add("PutCompositeAlarm", this::putCompositeAlarm)
                .add("DescribeAlarms", this::describeAlarms)
                .add("DescribeAlarmsForMetric", this::describeAlarmsForMetric)
                .add("DeleteAlarms", this::deleteAlarms)
                .add("SetAlarmState", this::setAlarmState)
                .add("DescribeAlarmHistory", this::describeAlarmHistory)
                .add("EnableAlarmActions", (ctx, in) -> actionsEnabled(ctx, in, true))
                .add("DisableAlarmActions", (ctx, in) -> actionsEnabled(ctx, in, false))
                .add("TagResource", this::tagResource)
                .add("UntagResource", this::untagResource)
                .add("ListTagsForResource", this::listTagsForResource);
    }

    /** Evaluates every alarm each interval (AWS: every minute) until {@link #close}. */
    public synchronized void start(Duration every) {
        if (timer != null) return;
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("alarm-evaluator").factory());
        timer.scheduleWithFixedDelay(() -> {
            try {
                evaluateAll(clock.instant());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "alarm evaluation failed; it runs again at the next interval", e);
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void start() {
        start(INTERVAL);
    }

    /** Stops the periodic evaluation (tests then evaluate at instants of their choosing). */
    public synchronized void stopEvaluator() {
        if (timer != null) timer.shutdownNow();
        timer = null;
    }

    public void close() {
        stopEvaluator();
    }

    private static String key(String account, String region, String name) {
        return account + "/" + region + "/" + name;
    }

    private static String key(RequestContext ctx, String name) {
        return key(ctx.accountId(), ctx.region(), name);
    }

    private static AwsException notFound(String name) {
        return new AwsException("ResourceNotFound", "Alarm " + name + " does not exist", 404);
    }

    // ---- configuration

    private JsonNode putMetricAlarm(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "AlarmName");
        boolean math = in.hasNonNull("Metrics") && !in.get("Metrics").isEmpty();
        if (math && (in.hasNonNull("MetricName") || in.hasNonNull("Namespace") || in.hasNonNull("Statistic"))) {
            throw CloudWatchService.combination("The parameters MetricName, Namespace, Statistic and Metrics are mutually exclusive: specify either a metric or Metrics.");
        }
        if (!math) {
            if (!in.hasNonNull("MetricName")) throw CloudWatchService.missing("The parameter MetricName is required.");
            if (!in.hasNonNull("Namespace")) throw CloudWatchService.missing("The parameter Namespace is required.");
            if (in.hasNonNull("Statistic") == in.hasNonNull("ExtendedStatistic")) {
                throw CloudWatchService.combination("Exactly one of the parameters Statistic and ExtendedStatistic must be specified.");
            }
            if (in.hasNonNull("ExtendedStatistic") && Metrics.percentileOf(in.get("ExtendedStatistic").asText()) == null) {
                throw CloudWatchService.invalid("The value " + in.get("ExtendedStatistic").asText() + " for parameter ExtendedStatistic is not supported.");
            }
            if (!in.hasNonNull("Period")) throw CloudWatchService.missing("The parameter Period is required.");
            CloudWatchService.checkPeriod(in.get("Period").asInt(), "Period");
        } else {
            mathPeriod(in);
            Instant now = clock.instant();
            queries.run(ctx.accountId(), ctx.region(), in.get("Metrics"), now.minusSeconds(60), now); // refuses what cannot be evaluated
        }
        if (!in.hasNonNull("EvaluationPeriods")) throw CloudWatchService.missing("The parameter EvaluationPeriods is required.");
        if (!in.hasNonNull("ComparisonOperator")) throw CloudWatchService.missing("The parameter ComparisonOperator is required.");
        String operator = in.get("ComparisonOperator").asText();
        if (!OPERATORS.containsKey(operator)) {
            throw CloudWatchService.invalid("The value " + operator + " for parameter ComparisonOperator is only supported for anomaly detection alarms.");
        }
        if (!in.hasNonNull("Threshold")) throw CloudWatchService.missing("The parameter Threshold is required.");
        int periods = in.get("EvaluationPeriods").asInt();
        int toAlarm = Values.integer(in, "DatapointsToAlarm", periods);
        if (toAlarm > periods) throw CloudWatchService.invalid("DatapointsToAlarm must be less than or equal to EvaluationPeriods.");
        String treat = Values.text(in, "TreatMissingData", "missing");
        if (!List.of("breaching", "notBreaching", "ignore", "missing").contains(treat)) {
            throw CloudWatchService.invalid("The value " + treat + " for parameter TreatMissingData is invalid.");
        }
        Instant now = clock.instant();
        String k = key(ctx, name);
        store.transaction(() -> {
            JsonNode old = alarms.getJson(k);
            ObjectNode a = Values.object().put("AlarmName", name).put("AlarmArn", ctx.arn("cloudwatch", "alarm:" + name));
            for (String f : List.of("AlarmDescription", "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Unit")) {
                if (in.hasNonNull(f)) a.put(f, in.get(f).asText());
            }
            a.set("AlarmConfigurationUpdatedTimestamp", Values.timestamp(now));
            a.put("ActionsEnabled", in.path("ActionsEnabled").asBoolean(true));
            for (String f : List.of("OKActions", "AlarmActions", "InsufficientDataActions", "Dimensions", "Metrics")) {
                a.set(f, in.hasNonNull(f) ? in.get(f).deepCopy() : Values.array());
            }
            if (in.hasNonNull("Period")) a.put("Period", in.get("Period").asInt());
            a.put("EvaluationPeriods", periods).put("DatapointsToAlarm", toAlarm).put("Threshold", in.get("Threshold").asDouble())
                    .put("ComparisonOperator", operator).put("TreatMissingData", treat);
            if (old == null) {
                a.put("StateValue", "INSUFFICIENT_DATA").put("StateReason", "Unchecked: Initial alarm creation");
                a.set("StateUpdatedTimestamp", Values.timestamp(now));
                a.set("StateTransitionedTimestamp", Values.timestamp(now));
            } else {
                for (String f : List.of("StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp", "StateTransitionedTimestamp")) {
                    if (old.get("alarm").has(f)) a.set(f, old.get("alarm").get(f));
                }
            }
            ObjectNode record = Values.object();
            record.set("alarm", a);
            ObjectNode tags = old == null ? Values.object() : (ObjectNode) old.get("tags");
            for (JsonNode t : in.path("Tags")) tags.put(t.path("Key").asText(), t.path("Value").asText());
            record.set("tags", tags);
            alarms.putJson(k, record);
            ObjectNode data = Values.object().put("version", "1.0").put("type", old == null ? "Create" : "Update");
            data.set(old == null ? "createdAlarm" : "updatedAlarm", a);
            addHistory(ctx.accountId(), ctx.region(), name, "ConfigurationUpdate",
                    "Alarm \"" + name + "\" " + (old == null ? "created" : "updated"), data.toString());
        });
        return null;
    }

    /** The query of a metric-math alarm that returns data: the one the alarm watches. */
    private static JsonNode returned(JsonNode alarm) {
        JsonNode returned = null;
        for (JsonNode q : alarm.path("Metrics")) {
            if (q.path("ReturnData").asBoolean(true)) {
                if (returned != null) throw CloudWatchService.invalid("Exactly one element of the metrics list should return data.");
                returned = q;
            }
        }
        if (returned == null) throw CloudWatchService.invalid("Exactly one element of the metrics list should return data.");
        return returned;
    }

    /** A metric-math alarm's period: its returned query's, else that of its first MetricStat. */
    private static int mathPeriod(JsonNode alarm) {
        JsonNode q = returned(alarm);
        if (q.has("MetricStat")) return q.get("MetricStat").path("Period").asInt();
        if (q.hasNonNull("Period")) return q.get("Period").asInt();
        for (JsonNode m : alarm.path("Metrics")) if (m.has("MetricStat")) return m.get("MetricStat").path("Period").asInt();
        throw CloudWatchService.invalid("The metrics list must contain at least one MetricStat.");
    }

    private JsonNode putCompositeAlarm(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "AlarmName");
        String ruleText = Values.text(in, "AlarmRule");
        AlarmRule rule;
        try {
            rule = AlarmRule.parse(ruleText);
        } catch (IllegalArgumentException e) {
            throw CloudWatchService.invalid("Error in AlarmRule: " + e.getMessage());
        }
        Instant now = clock.instant();
        String k = key(ctx, name);
        List<Runnable> after = new ArrayList<>();
        store.transaction(() -> {
            for (String child : rule.alarms()) {
                if (alarms.get(key(ctx, child)) == null) throw CloudWatchService.invalid("Could not find alarm " + child + " referenced in AlarmRule.");
            }
            if (reaches(ctx.accountId(), ctx.region(), rule.alarms(), name, new HashSet<>())) {
                throw CloudWatchService.invalid("AlarmRule creates a cycle: " + name + " would depend on itself.");
            }
            JsonNode old = alarms.getJson(k);
            if (old != null && !old.has("type")) throw CloudWatchService.invalid("A metric alarm named " + name + " exists already.");
            ObjectNode a = Values.object().put("AlarmName", name).put("AlarmArn", ctx.arn("cloudwatch", "alarm:" + name));
            if (in.hasNonNull("AlarmDescription")) a.put("AlarmDescription", in.get("AlarmDescription").asText());
            a.put("AlarmRule", ruleText).put("ActionsEnabled", in.path("ActionsEnabled").asBoolean(true));
            for (String f : List.of("OKActions", "AlarmActions", "InsufficientDataActions")) a.set(f, in.hasNonNull(f) ? in.get(f).deepCopy() : Values.array());
            a.set("AlarmConfigurationUpdatedTimestamp", Values.timestamp(now));
            if (old == null) {
                a.put("StateValue", "INSUFFICIENT_DATA").put("StateReason", "Unchecked: Initial alarm creation");
                a.set("StateUpdatedTimestamp", Values.timestamp(now));
                a.set("StateTransitionedTimestamp", Values.timestamp(now));
            } else {
                for (String f : List.of("StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp", "StateTransitionedTimestamp")) {
                    if (old.get("alarm").has(f)) a.set(f, old.get("alarm").get(f));
                }
            }
            ObjectNode record = Values.object().put("type", "CompositeAlarm");
            record.set("alarm", a);
            ObjectNode tags = old == null ? Values.object() : (ObjectNode) old.get("tags");
            for (JsonNode t : in.path("Tags")) tags.put(t.path("Key").asText(), t.path("Value").asText());
            record.set("tags", tags);
            alarms.putJson(k, record);
            ObjectNode data = Values.object().put("version", "1.0").put("type", old == null ? "Create" : "Update");
            data.set(old == null ? "createdAlarm" : "updatedAlarm", a);
            addHistory(ctx.accountId(), ctx.region(), name, "ConfigurationUpdate", "Alarm \"" + name + "\" " + (old == null ? "created" : "updated"),
                    data.toString());
            evaluateComposite(ctx.accountId(), ctx.region(), name, null, after);
        });
        after.forEach(Runnable::run);
        return null;
    }

    /** Whether any of these alarms is, or (through composite rules) depends on, {@code target}. */
    private boolean reaches(String account, String region, Set<String> from, String target, Set<String> seen) {
        for (String n : from) {
            if (n.equals(target)) return true;
            if (!seen.add(n)) continue;
            JsonNode r = alarms.getJson(key(account, region, n));
            if (r != null && r.has("type") && reaches(account, region, AlarmRule.parse(r.get("alarm").get("AlarmRule").asText()).alarms(), target, seen)) {
                return true;
            }
        }
        return false;
    }

    /** Names of the composite alarms whose rules name this alarm. */
    private List<String> parentsOf(String account, String region, String name) {
        List<String> out = new ArrayList<>();
        for (Table.Entry e : alarms.scan(key(account, region, ""), null, Integer.MAX_VALUE)) {
            if (!e.json().has("type")) continue;
            JsonNode a = e.json().get("alarm");
            if (AlarmRule.parse(a.get("AlarmRule").asText()).alarms().contains(name)) out.add(a.get("AlarmName").asText());
        }
        return out;
    }

    /**
     * Evaluates a composite alarm's rule against its children's states now: TRUE is ALARM, FALSE is
     * OK. {@code trigger} is the child whose change caused this (null on creation).
     */
    private void evaluateComposite(String account, String region, String name, JsonNode trigger, List<Runnable> after) {
        JsonNode r = alarms.getJson(key(account, region, name));
        if (r == null || !r.has("type")) return;
        AlarmRule rule = AlarmRule.parse(r.get("alarm").get("AlarmRule").asText());
        boolean holds = rule.holds(child -> {
            JsonNode c = alarms.getJson(key(account, region, child));
            return c == null ? null : c.get("alarm").get("StateValue").asText();
        });
        String state = holds ? "ALARM" : "OK";
        if (state.equals(r.get("alarm").get("StateValue").asText())) return;
        String time = EVENT_TIME.format(clock.instant());
        String reason;
        ObjectNode data = Values.object();
        ArrayNode triggering = data.putArray("triggeringAlarms");
        if (trigger != null) {
            reason = trigger.get("AlarmArn").asText() + " transitioned to " + trigger.get("StateValue").asText() + " at " + time;
            ObjectNode t = triggering.addObject().put("arn", trigger.get("AlarmArn").asText());
            t.putObject("state").put("value", trigger.get("StateValue").asText()).put("timestamp", time);
        } else {
            reason = "Alarm rule evaluated to " + (holds ? "TRUE" : "FALSE") + " at " + time;
        }
        transition(account, region, name, state, reason, data.toString(), after);
    }

    private JsonNode describeAlarms(RequestContext ctx, ObjectNode in) {
        List<String> names = new ArrayList<>();
        in.path("AlarmNames").forEach(n -> names.add(n.asText()));
        String prefix = Values.text(in, "AlarmNamePrefix", null);
        if (prefix != null && !names.isEmpty()) throw CloudWatchService.combination("AlarmNames and AlarmNamePrefix are mutually exclusive.");
        String state = Values.text(in, "StateValue", null);
        String actionPrefix = Values.text(in, "ActionPrefix", null);
        // Without AlarmTypes only metric alarms are listed, as AWS does.
        List<String> types = new ArrayList<>();
        in.path("AlarmTypes").forEach(t -> types.add(t.asText()));
        if (types.isEmpty()) types.add("MetricAlarm");
        String children = Values.text(in, "ChildrenOfAlarmName", null), parents = Values.text(in, "ParentsOfAlarmName", null);
        if ((children != null || parents != null) && (prefix != null || !names.isEmpty() || state != null || actionPrefix != null)) {
            throw CloudWatchService.combination("ChildrenOfAlarmName and ParentsOfAlarmName cannot be combined with other filters.");
        }
        if (children != null) {
            JsonNode c = alarms.getJson(key(ctx, children));
            if (c != null && c.has("type")) names.addAll(AlarmRule.parse(c.get("alarm").get("AlarmRule").asText()).alarms());
            if (names.isEmpty()) names.add("\u0000"); // none
        }
        if (parents != null) {
            names.addAll(parentsOf(ctx.accountId(), ctx.region(), parents));
            if (names.isEmpty()) names.add("\u0000");
            types.add("CompositeAlarm");
        }
        int max = Values.integer(in, "MaxRecords", 50);
        String after = decode(Values.text(in, "NextToken", null));
        ObjectNode out = Values.object();
        ArrayNode metric = out.putArray("MetricAlarms");
        ArrayNode composite = out.putArray("CompositeAlarms");
        int count = 0;
        String last = null;
        String base = key(ctx, "");
        String cursor = after == null ? null : base + after;
        while (true) {
            List<Table.Entry> batch = alarms.scan(base + (prefix == null ? "" : prefix), cursor, 200);
            for (Table.Entry e : batch) {
                boolean isComposite = e.json().has("type");
                if (!types.contains(isComposite ? "CompositeAlarm" : "MetricAlarm")) continue;
                JsonNode a = e.json().get("alarm");
                String name = a.get("AlarmName").asText();
                if (!names.isEmpty() && !names.contains(name)) continue;
                if (state != null && !state.equals(a.get("StateValue").asText())) continue;
                if (actionPrefix != null && !hasAction(a, actionPrefix)) continue;
                if (count == max) {
                    out.put("NextToken", encode(last));
                    return out;
                }
                (isComposite ? composite : metric).add(a);
                count++;
                last = name;
            }
            if (batch.size() < 200) return out;
            cursor = batch.get(batch.size() - 1).key();
        }
    }

    private static boolean hasAction(JsonNode a, String prefix) {
        for (String f : List.of("OKActions", "AlarmActions", "InsufficientDataActions")) {
            for (JsonNode arn : a.path(f)) if (arn.asText().startsWith(prefix)) return true;
        }
        return false;
    }

    private static String encode(String s) {
        return Base64.getUrlEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String token) {
        if (token == null) return null;
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new AwsException("InvalidNextToken", "The service returned an invalid NextToken.", 400);
        }
    }

    private JsonNode describeAlarmsForMetric(RequestContext ctx, ObjectNode in) {
        ObjectNode out = Values.object();
        ArrayNode found = out.putArray("MetricAlarms");
        String name = Values.text(in, "MetricName"), namespace = Values.text(in, "Namespace");
        TreeMap<String, String> dims = dims(in.path("Dimensions"));
        for (Table.Entry e : alarms.scan(key(ctx, ""), null, 10_000)) {
            JsonNode a = e.json().get("alarm");
            if (!name.equals(a.path("MetricName").asText()) || !namespace.equals(a.path("Namespace").asText())) continue;
            if (!dims.equals(dims(a.path("Dimensions")))) continue;
            boolean other = false;
            for (String f : List.of("Statistic", "ExtendedStatistic", "Unit")) {
                if (in.hasNonNull(f) && !in.get(f).asText().equals(a.path(f).asText())) other = true;
            }
            if (in.hasNonNull("Period") && in.get("Period").asInt() != a.path("Period").asInt()) other = true;
            if (!other) found.add(a);
        }
        return out;
    }

    private static TreeMap<String, String> dims(JsonNode list) {
        TreeMap<String, String> m = new TreeMap<>();
        for (JsonNode d : list) m.put(d.path("Name").asText(), d.path("Value").asText());
        return m;
    }

    private JsonNode deleteAlarms(RequestContext ctx, ObjectNode in) {
        List<String> missing = new ArrayList<>();
        in.path("AlarmNames").forEach(n -> {
            if (alarms.get(key(ctx, n.asText())) == null) missing.add(n.asText());
        });
        // AWS deletes none when any name is wrong.
        if (!missing.isEmpty()) throw new AwsException("ResourceNotFound", missing.size() + " of the alarms were not found: " + missing, 404);
        store.transaction(() -> in.path("AlarmNames").forEach(n -> alarms.delete(key(ctx, n.asText()))));
        return null;
    }

    private JsonNode actionsEnabled(RequestContext ctx, ObjectNode in, boolean enabled) {
        store.transaction(() -> in.path("AlarmNames").forEach(n -> {
            String k = key(ctx, n.asText());
            JsonNode r = alarms.getJson(k);
            if (r == null) return;
            ((ObjectNode) r.get("alarm")).put("ActionsEnabled", enabled);
            alarms.putJson(k, r);
        }));
        return null;
    }

    // ---- tags

    /** The alarm record an ARN names, and its key; ResourceNotFoundException otherwise. */
    private Map.Entry<String, JsonNode> tagged(RequestContext ctx, String arn) {
        String prefix = ctx.arn("cloudwatch", "alarm:");
        JsonNode r = arn.startsWith(prefix) ? alarms.getJson(key(ctx, arn.substring(prefix.length()))) : null;
        if (r == null) {
            throw new AwsException("ResourceNotFoundException", "The specified resource does not exist.", 404)
                    .with("ResourceType", "Alarm").with("ResourceId", arn);
        }
        return Map.entry(key(ctx, arn.substring(prefix.length())), r);
    }

    private JsonNode tagResource(RequestContext ctx, ObjectNode in) {
        store.transaction(() -> {
            var t = tagged(ctx, Values.text(in, "ResourceARN"));
            ObjectNode tags = (ObjectNode) t.getValue().get("tags");
            for (JsonNode tag : in.path("Tags")) tags.put(tag.path("Key").asText(), tag.path("Value").asText());
            alarms.putJson(t.getKey(), t.getValue());
        });
        return null;
    }

    private JsonNode untagResource(RequestContext ctx, ObjectNode in) {
        store.transaction(() -> {
            var t = tagged(ctx, Values.text(in, "ResourceARN"));
            ObjectNode tags = (ObjectNode) t.getValue().get("tags");
            in.path("TagKeys").forEach(k -> tags.remove(k.asText()));
            alarms.putJson(t.getKey(), t.getValue());
        });
        return null;
    }

    private JsonNode listTagsForResource(RequestContext ctx, ObjectNode in) {
        ObjectNode out = Values.object();
        ArrayNode list = out.putArray("Tags");
        tagged(ctx, Values.text(in, "ResourceARN")).getValue().get("tags").fields()
                .forEachRemaining(e -> list.addObject().put("Key", e.getKey()).put("Value", e.getValue().asText()));
        return out;
    }

    // ---- state

    private JsonNode setAlarmState(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "AlarmName");
        String reasonData = Values.text(in, "StateReasonData", null);
        if (reasonData != null) {
            try {
                Values.JSON.readTree(reasonData);
            } catch (IOException e) {
                throw new AwsException("InvalidFormat", "The value for parameter StateReasonData must be valid JSON.", 400);
            }
        }
        if (alarms.get(key(ctx, name)) == null) throw notFound(name);
        transition(ctx.accountId(), ctx.region(), name, Values.text(in, "StateValue"), Values.text(in, "StateReason"), reasonData);
        return null;
    }

    private JsonNode describeAlarmHistory(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "AlarmName", null);
        String type = Values.text(in, "HistoryItemType", null);
        Instant from = Values.instant(in.get("StartDate")), to = Values.instant(in.get("EndDate"));
        boolean ascending = "TimestampAscending".equals(Values.text(in, "ScanBy", "TimestampDescending"));
        int max = Values.integer(in, "MaxRecords", 100);
        int skip = 0;
        String token = decode(Values.text(in, "NextToken", null));
        if (token != null) {
            try {
                skip = Integer.parseInt(token);
            } catch (NumberFormatException e) {
                throw new AwsException("InvalidNextToken", "The service returned an invalid NextToken.", 400);
            }
        }
        List<JsonNode> items = new ArrayList<>();
        for (Table.Entry e : history.scan(key(ctx, name == null ? "" : name + "/"), null, 100_000)) {
            JsonNode h = e.json();
            if (type != null && !type.equals(h.get("HistoryItemType").asText())) continue;
            Instant t = Values.instant(h.get("Timestamp"));
            if ((from != null && t.isBefore(from)) || (to != null && t.isAfter(to))) continue;
            items.add(h);
        }
        // In the order they happened: by time, then by the order this process recorded them in.
        items.sort(java.util.Comparator.<JsonNode>comparingDouble(h -> h.get("Timestamp").asDouble()).thenComparingLong(h -> h.get("seq").asLong()));
        if (!ascending) items = items.reversed();
        ObjectNode out = Values.object();
        ArrayNode list = out.putArray("AlarmHistoryItems");
        for (int i = skip; i < items.size(); i++) {
            if (list.size() == max) {
                out.put("NextToken", encode(Integer.toString(i)));
                break;
            }
            ObjectNode h = items.get(i).deepCopy();
            h.remove("seq");
            list.add(h);
        }
        return out;
    }

    private void addHistory(String account, String region, String name, String type, String summary, String data) {
        Instant now = clock.instant();
        long seq = sequence.incrementAndGet();
        JsonNode r = alarms.getJson(key(account, region, name));
        ObjectNode h = Values.object().put("AlarmName", name).put("AlarmType", r != null && r.has("type") ? "CompositeAlarm" : "MetricAlarm");
        h.set("Timestamp", Values.timestamp(now));
        h.put("HistoryItemType", type).put("HistorySummary", summary).put("HistoryData", data).put("seq", seq);
        history.putJson(key(account, region, name) + "/" + String.format("%013d", now.toEpochMilli()) + "/" + UUID.randomUUID(), h);
    }

    /**
     * Moves an alarm to a state, recording history and sending the state's actions when it changes;
     * the actions are delivered durably with the change (Targets), and woken once it commits.
     */
    private void transition(String account, String region, String name, String state, String reason, String reasonData) {
        List<Runnable> after = new ArrayList<>();
        store.transaction(() -> transition(account, region, name, state, reason, reasonData, after));
        after.forEach(Runnable::run);
    }

    private void transition(String account, String region, String name, String state, String reason, String reasonData, List<Runnable> after) {
        String k = key(account, region, name);
        Instant now = clock.instant();
        store.transaction(() -> {
            JsonNode r = alarms.getJson(k);
            if (r == null) return;
            ObjectNode a = (ObjectNode) r.get("alarm");
            String old = a.get("StateValue").asText();
            ObjectNode before = state(a);
            a.put("StateValue", state).put("StateReason", reason);
            if (reasonData != null) a.put("StateReasonData", reasonData);
            else a.remove("StateReasonData");
            a.set("StateUpdatedTimestamp", Values.timestamp(now));
            if (!old.equals(state)) a.set("StateTransitionedTimestamp", Values.timestamp(now));
            alarms.putJson(k, r);
            if (old.equals(state)) return;
            ObjectNode data = Values.object().put("version", "1.0");
            data.set("oldState", before);
            data.set("newState", state(a));
            addHistory(account, region, name, "StateUpdate", "Alarm updated from " + old + " to " + state, data.toString());
            sendActions(account, region, a, before, after);
            for (String parent : parentsOf(account, region, name)) evaluateComposite(account, region, parent, a, after);
        });
    }

    private static ObjectNode state(JsonNode a) {
        ObjectNode s = Values.object().put("stateValue", a.get("StateValue").asText()).put("stateReason", a.get("StateReason").asText());
        if (a.hasNonNull("StateReasonData")) {
            try {
                s.set("stateReasonData", Values.JSON.readTree(a.get("StateReasonData").asText()));
            } catch (IOException e) {
                s.put("stateReasonData", a.get("StateReasonData").asText());
            }
        }
        return s;
    }

    // ---- evaluation

    /** Evaluates every alarm of every account and region once as of {@code now}: what the timer does each interval. */
    public void evaluateAll(Instant now) {
        String after = null;
        while (true) {
            List<Table.Entry> batch = alarms.scan("", after, 200);
            for (Table.Entry e : batch) {
                String[] parts = e.key().split("/", 3);
                if (e.json().has("type")) continue; // composite alarms follow their children's changes
                try {
                    evaluate(parts[0], parts[1], e.json().get("alarm"), now);
                } catch (RuntimeException ex) {
                    LOG.log(Level.WARNING, "could not evaluate alarm " + e.key(), ex);
                }
            }
            if (batch.size() < 200) return;
            after = batch.get(batch.size() - 1).key();
        }
    }

    private void evaluate(String account, String region, JsonNode a, Instant now) {
        boolean math = !a.path("Metrics").isEmpty();
        int period = math ? mathPeriod(a) : a.get("Period").asInt();
        String statistic = math ? "" : Values.text(a, "Statistic", Values.text(a, "ExtendedStatistic", "Average"));
        int n = a.get("EvaluationPeriods").asInt(), m = a.get("DatapointsToAlarm").asInt();
        double threshold = a.get("Threshold").asDouble();
        String operator = a.get("ComparisonOperator").asText();
        String treat = a.get("TreatMissingData").asText();

        // The last n complete periods.
        long end = Math.floorDiv(now.getEpochSecond(), period) * period;
        Instant from = Instant.ofEpochSecond(end - (long) n * period), to = Instant.ofEpochSecond(end);
        Map<Instant, Double> values = new HashMap<>();
        if (math) {
            queries.run(account, region, a.get("Metrics"), from, to).get(returned(a).get("Id").asText()).points().forEach((t, v) -> {
                if (!Double.isNaN(v) && !Double.isInfinite(v)) values.put(t, v);
            });
        } else {
            JsonNode metric = metrics.metric(account, region, a.get("Namespace").asText(), a.get("MetricName").asText(), dims(a.path("Dimensions")));
            for (Metrics.Point p : metrics.query(metric, from, to, period, Values.text(a, "Unit", null))) {
                Double v = p.stats().stat(statistic);
                if (v != null) values.merge(p.time(), v, Double::sum);
            }
        }
        List<Instant> present = new ArrayList<>(values.keySet());
        present.sort((x, y) -> y.compareTo(x)); // most recent first, as AWS lists them
        int missing = n - present.size();
        int breaching = 0;
        for (Instant t : present) if (breaches(operator, values.get(t), threshold)) breaching++;
        if (treat.equals("breaching")) breaching += missing;

        String state;
        String reason;
        String text = OPERATORS.get(operator);
        String listed = present.stream().map(t -> values.get(t) + " (" + REASON_TIME.format(t) + ")").reduce((x, y) -> x + ", " + y).orElse("");
        if (present.isEmpty() && (treat.equals("missing") || treat.equals("ignore"))) {
            if (treat.equals("ignore")) return; // the alarm keeps its state
            state = "INSUFFICIENT_DATA";
            reason = "Insufficient Data: " + n + (n == 1 ? " datapoint was" : " datapoints were") + " unknown.";
        } else if (breaching >= m) {
            state = "ALARM";
            reason = n == 1 ? "Threshold Crossed: 1 datapoint [" + listed + "] was " + text + " the threshold (" + threshold + ")."
                    : "Threshold Crossed: " + breaching + " out of the last " + n + " datapoints [" + listed + "] were " + text
                    + " the threshold (" + threshold + ") (minimum " + m + " datapoint" + (m == 1 ? "" : "s") + " for OK -> ALARM transition).";
        } else {
            state = "OK";
            int ok = present.size() - (breaching - (treat.equals("breaching") ? missing : 0));
            reason = n == 1 && present.size() == 1 ? "Threshold Crossed: 1 datapoint [" + listed + "] was not " + text + " the threshold (" + threshold + ")."
                    : "Threshold Crossed: " + ok + " datapoint" + (ok == 1 ? "" : "s") + " [" + listed + "] " + (ok == 1 ? "was" : "were")
                    + " not " + text + " the threshold (" + threshold + ").";
        }
        if (state.equals(a.get("StateValue").asText())) return;
        ObjectNode data = Values.object().put("version", "1.0").put("queryDate", EVENT_TIME.format(now))
                .put("startDate", EVENT_TIME.format(from)).put("period", period);
        if (!math) data.put("statistic", statistic);
        ArrayNode recent = data.putArray("recentDatapoints");
        present.forEach(t -> recent.add(values.get(t)));
        data.put("threshold", threshold);
        ArrayNode evaluatedPoints = data.putArray("evaluatedDatapoints");
        present.forEach(t -> evaluatedPoints.addObject().put("timestamp", EVENT_TIME.format(t)).put("value", values.get(t)));
        transition(account, region, a.get("AlarmName").asText(), state, reason, data.toString());
    }

    static boolean breaches(String operator, double v, double threshold) {
        return switch (operator) {
            case "GreaterThanThreshold" -> v > threshold;
            case "GreaterThanOrEqualToThreshold" -> v >= threshold;
            case "LessThanThreshold" -> v < threshold;
            default -> v <= threshold;
        };
    }

    // ---- actions

    /** Sends the alarm's actions for its new state (when its actions are enabled), recording each in its history. */
    private void sendActions(String account, String region, ObjectNode a, ObjectNode before, List<Runnable> after) {
        if (!a.path("ActionsEnabled").asBoolean(true)) return;
        String list = switch (a.get("StateValue").asText()) {
            case "ALARM" -> "AlarmActions";
            case "OK" -> "OKActions";
            default -> "InsufficientDataActions";
        };
        String name = a.get("AlarmName").asText();
        for (JsonNode arn : a.path(list)) {
            String target = arn.asText();
            ObjectNode data = Values.object();
            try {
                Targets.Message message = target.startsWith("arn:aws:sns:") ? snsMessage(account, region, a, before)
                        : new Targets.Message(event(account, region, a, before).toString());
                Runnable wake = targets.send(target, message);
                if (wake != null) after.add(wake);
                data.put("actionState", "Succeeded").put("notificationResource", target);
                addHistory(account, region, name, "Action", "Successfully executed action " + target, data.toString());
            } catch (AwsException e) {
                LOG.info(() -> "alarm " + name + ": action " + target + " failed: " + e.getMessage());
                data.put("actionState", "Failed").put("notificationResource", target).put("error", e.getMessage());
                addHistory(account, region, name, "Action", "Failed to execute action " + target, data.toString());
            }
        }
    }

    /** The notification an SNS topic receives from an alarm: CloudWatch's JSON message and its subject. */
    private Targets.Message snsMessage(String account, String region, JsonNode a, ObjectNode before) {
        String regionName = REGION_NAMES.getOrDefault(region, region);
        ObjectNode m = Values.object().put("AlarmName", a.get("AlarmName").asText());
        if (a.hasNonNull("AlarmDescription")) m.put("AlarmDescription", a.get("AlarmDescription").asText());
        else m.putNull("AlarmDescription");
        m.put("AWSAccountId", account)
                .put("AlarmConfigurationUpdatedTimestamp", EVENT_TIME.format(Values.instant(a.get("AlarmConfigurationUpdatedTimestamp"))))
                .put("NewStateValue", a.get("StateValue").asText()).put("NewStateReason", a.get("StateReason").asText())
                .put("StateChangeTime", EVENT_TIME.format(clock.instant())).put("Region", regionName).put("AlarmArn", a.get("AlarmArn").asText())
                .put("OldStateValue", before.get("stateValue").asText());
        for (String f : List.of("OKActions", "AlarmActions", "InsufficientDataActions")) m.set(f, a.path(f).deepCopy());
        if (a.has("AlarmRule")) {
            m.put("AlarmRule", a.get("AlarmRule").asText());
        } else {
            ObjectNode t = m.putObject("Trigger");
            if (a.path("Metrics").isEmpty()) {
                t.put("MetricName", a.get("MetricName").asText()).put("Namespace", a.get("Namespace").asText());
                boolean extended = a.hasNonNull("ExtendedStatistic");
                t.put("StatisticType", extended ? "ExtendedStatistic" : "Statistic");
                if (extended) t.put("ExtendedStatistic", a.get("ExtendedStatistic").asText());
                else t.put("Statistic", a.get("Statistic").asText().toUpperCase(java.util.Locale.ROOT));
                if (a.hasNonNull("Unit")) t.put("Unit", a.get("Unit").asText());
                else t.putNull("Unit");
                ArrayNode d = t.putArray("Dimensions");
                a.path("Dimensions").forEach(x -> d.addObject().put("value", x.path("Value").asText()).put("name", x.path("Name").asText()));
                t.put("Period", a.get("Period").asInt());
            } else {
                t.set("Metrics", a.get("Metrics").deepCopy());
            }
            t.put("EvaluationPeriods", a.get("EvaluationPeriods").asInt()).put("ComparisonOperator", a.get("ComparisonOperator").asText())
                    .put("Threshold", a.get("Threshold").asDouble()).put("TreatMissingData", a.get("TreatMissingData").asText())
                    .put("EvaluateLowSampleCountPercentile", "");
        }
        String subject = a.get("StateValue").asText() + ": \"" + a.get("AlarmName").asText() + "\" in " + regionName;
        return new Targets.Message(m.toString(), subject.length() > 100 ? subject.substring(0, 100) : subject, Map.of());
    }

    /** AWS's names of regions, as alarm notifications spell them. */
    private static final Map<String, String> REGION_NAMES = Map.ofEntries(Map.entry("us-east-1", "US East (N. Virginia)"),
            Map.entry("us-east-2", "US East (Ohio)"), Map.entry("us-west-1", "US West (N. California)"), Map.entry("us-west-2", "US West (Oregon)"),
            Map.entry("ca-central-1", "Canada (Central)"), Map.entry("eu-west-1", "EU (Ireland)"), Map.entry("eu-west-2", "EU (London)"),
            Map.entry("eu-west-3", "EU (Paris)"), Map.entry("eu-central-1", "EU (Frankfurt)"), Map.entry("eu-north-1", "EU (Stockholm)"),
            Map.entry("ap-south-1", "Asia Pacific (Mumbai)"), Map.entry("ap-northeast-1", "Asia Pacific (Tokyo)"),
            Map.entry("ap-northeast-2", "Asia Pacific (Seoul)"), Map.entry("ap-southeast-1", "Asia Pacific (Singapore)"),
            Map.entry("ap-southeast-2", "Asia Pacific (Sydney)"), Map.entry("sa-east-1", "South America (Sao Paulo)"));

    /** The event Lambda receives from a CloudWatch alarm action. */
    private ObjectNode event(String account, String region, JsonNode a, ObjectNode before) {
        String time = EVENT_TIME.format(clock.instant());
        ObjectNode e = Values.object().put("source", "aws.cloudwatch").put("alarmArn", a.get("AlarmArn").asText())
                .put("accountId", account).put("time", time).put("region", region);
        ObjectNode data = e.putObject("alarmData").put("alarmName", a.get("AlarmName").asText());
        ObjectNode state = data.putObject("state").put("value", a.get("StateValue").asText()).put("reason", a.get("StateReason").asText());
        if (a.hasNonNull("StateReasonData")) state.put("reasonData", a.get("StateReasonData").asText());
        state.put("timestamp", time);
        ObjectNode prev = data.putObject("previousState").put("value", before.get("stateValue").asText()).put("reason", before.get("stateReason").asText());
        if (before.has("stateReasonData")) prev.put("reasonData", before.get("stateReasonData").toString());
        ObjectNode config = data.putObject("configuration");
        if (a.hasNonNull("AlarmDescription")) config.put("description", a.get("AlarmDescription").asText());
        if (a.has("AlarmRule")) {
            config.put("alarmRule", a.get("AlarmRule").asText());
            return e;
        }
        ArrayNode list = config.putArray("metrics");
        if (a.path("Metrics").isEmpty()) {
            ObjectNode q = list.addObject().put("id", "m1");
            ObjectNode stat = q.putObject("metricStat");
            ObjectNode metric = stat.putObject("metric").put("namespace", a.get("Namespace").asText()).put("name", a.get("MetricName").asText());
            ObjectNode d = metric.putObject("dimensions");
            a.path("Dimensions").forEach(x -> d.put(x.path("Name").asText(), x.path("Value").asText()));
            stat.put("period", a.get("Period").asInt()).put("stat", Values.text(a, "Statistic", Values.text(a, "ExtendedStatistic", "")));
            q.put("returnData", true);
        } else {
            for (JsonNode m : a.get("Metrics")) {
                ObjectNode q = list.addObject().put("id", m.path("Id").asText());
                if (m.hasNonNull("Expression")) {
                    q.put("expression", m.get("Expression").asText()).put("label", Values.text(m, "Label", m.path("Id").asText()))
                            .put("returnData", m.path("ReturnData").asBoolean(true));
                    continue;
                }
                JsonNode s = m.path("MetricStat");
                ObjectNode stat = q.putObject("metricStat");
                ObjectNode metric = stat.putObject("metric").put("namespace", s.path("Metric").path("Namespace").asText())
                        .put("name", s.path("Metric").path("MetricName").asText());
                ObjectNode d = metric.putObject("dimensions");
                s.path("Metric").path("Dimensions").forEach(x -> d.put(x.path("Name").asText(), x.path("Value").asText()));
                stat.put("period", s.path("Period").asInt()).put("stat", s.path("Stat").asText());
                q.put("returnData", m.path("ReturnData").asBoolean(true));
            }
        }
        return e;
    }
}
