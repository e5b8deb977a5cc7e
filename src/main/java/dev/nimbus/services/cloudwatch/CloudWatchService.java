package dev.nimbus.services.cloudwatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import dev.nimbus.services.Targets;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * CloudWatch (monitoring 2010-08-01; query, awsJson 1.0 and rpc-v2-cbor): metrics, dashboards and
 * alarms. Other services publish metrics through {@link #metrics()}.
 */
public final class CloudWatchService implements AwsService {
    private static final Logger LOG = Logger.getLogger(CloudWatchService.class.getName());
    static final Set<String> STATISTICS = Set.of("SampleCount", "Average", "Sum", "Minimum", "Maximum");
    private static final int MAX_DATUMS = 1_000;
    private static final int MAX_DATAPOINTS = 1_440;
    private static final int LIST_PAGE = 500;
    /** GetMetricData's default (and largest) page. */
    private static final int MAX_METRIC_DATA_POINTS = 100_800;

    private final Metrics metrics;
    private final Alarms alarms;
    private final Table dashboards;
    private ScheduledExecutorService rollUps;

    /** @param targets where alarm actions are delivered (Lambda functions, SNS topics) */
    public CloudWatchService(Store store, Targets targets) {
        this(store, targets, InstantSource.system());
    }

    CloudWatchService(Store store, Targets targets, InstantSource clock) {
        this.metrics = new Metrics(store, clock);
        this.alarms = new Alarms(store, metrics, this::queries, targets, clock);
        this.dashboards = store.table("cloudwatch.dashboards");
    }

    @Override
    public String modelName() {
        return "cloudwatch";
    }

    public Metrics metrics() {
        return metrics;
    }

    public Alarms alarms() {
        return alarms;
    }

    @Override
    public void register(Operations ops) {
        ops.add("PutMetricData", this::putMetricData)
                .add("ListMetrics", this::listMetrics)
                .add("GetMetricStatistics", this::getMetricStatistics)
                .add("GetMetricData", this::getMetricData)
                .add("PutDashboard", this::putDashboard)
                .add("GetDashboard", this::getDashboard)
                .add("ListDashboards", this::listDashboards)
                .add("DeleteDashboards", this::deleteDashboards);
        alarms.register(ops);
    }

    /** Starts the alarm evaluator (every minute) and the metric roll-up (every 10 minutes). */
    public synchronized void start() {
        alarms.start();
        if (rollUps != null) return;
        rollUps = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("metric-rollup").factory());
        rollUps.scheduleWithFixedDelay(() -> {
            try {
                metrics.rollUp();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "metric roll-up failed; it runs again at the next period", e);
            }
        }, 10, 10, TimeUnit.MINUTES);
    }

    /** Stops the alarm evaluator and the roll-up; called before the store closes. */
    public synchronized void close() {
        alarms.close();
        if (rollUps != null) rollUps.shutdownNow();
        rollUps = null;
    }

    static AwsException invalid(String message) {
        return new AwsException("InvalidParameterValue", message, 400);
    }

    static AwsException combination(String message) {
        return new AwsException("InvalidParameterCombination", message, 400);
    }

    static AwsException missing(String message) {
        return new AwsException("MissingParameter", message, 400);
    }

    // ---- metric data

    private JsonNode putMetricData(RequestContext ctx, ObjectNode in) {
        String namespace = Values.text(in, "Namespace");
        if (namespace.startsWith("AWS/")) throw invalid("The value " + namespace + " for parameter Namespace is invalid.");
        JsonNode data = in.path("MetricData");
        if (data.isEmpty()) throw missing("The parameter MetricData is required.");
        if (data.size() > MAX_DATUMS) throw invalid("The collection MetricData must not have a size greater than " + MAX_DATUMS + ".");
        Instant now = metrics.clock().instant();
        record Datum(String name, SortedMap<String, String> dims, Metrics.Stats stats, String unit, Instant time, int resolution) {}
        List<Datum> datums = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            JsonNode d = data.get(i);
            String p = "MetricData.member." + (i + 1) + ".";
            Instant time = d.has("Timestamp") ? Values.instant(d.get("Timestamp")) : now;
            if (time.isBefore(now.minus(Duration.ofDays(14)))) throw invalid("The parameter " + p + "Timestamp must specify a time within the past two weeks.");
            if (time.isAfter(now.plus(Duration.ofHours(2)))) throw invalid("The parameter " + p + "Timestamp must specify a time no more than two hours in the future.");
            int resolution = Values.integer(d, "StorageResolution", 60);
            if (resolution != 1 && resolution != 60) throw invalid("The value " + resolution + " for parameter " + p + "StorageResolution is invalid.");
            datums.add(new Datum(Values.text(d, "MetricName"), dimensions(d.path("Dimensions"), p), stats(d, p), Values.text(d, "Unit", "None"),
                    time, resolution));
        }
        // Validated as a whole first: AWS takes all of a call's data or none. Datums of one metric,
        // unit and bucket are merged first, so that each bucket is read and written once a call.
        record Bucket(String name, SortedMap<String, String> dims, String unit, long second, int resolution) {}
        Map<Bucket, Metrics.Stats> merged = new LinkedHashMap<>();
        for (Datum d : datums) {
            long second = Math.floorDiv(d.time.getEpochSecond(), d.resolution) * d.resolution;
            merged.merge(new Bucket(d.name, d.dims, d.unit, second, d.resolution), d.stats, Metrics.Stats::plus);
        }
        metrics.batch(() -> merged.forEach((b, stats) -> metrics.record(ctx.accountId(), ctx.region(), namespace, b.name, b.dims, stats, b.unit,
                Instant.ofEpochSecond(b.second), b.resolution)));
        return null;
    }

    private static SortedMap<String, String> dimensions(JsonNode list, String p) {
        SortedMap<String, String> dims = new TreeMap<>();
        for (JsonNode dim : list) {
            if (dims.put(dim.path("Name").asText(), dim.path("Value").asText()) != null) {
                throw invalid("No Metric may specify the same dimension name twice: " + dim.path("Name").asText() + " in " + p + "Dimensions.");
            }
        }
        return dims;
    }

    private static double number(JsonNode n, String param) {
        double v = n.asDouble();
        if (Double.isNaN(v) || Double.isInfinite(v) || (v != 0 && (Math.abs(v) > 1e108 || Math.abs(v) < 1e-130))) {
            throw invalid("The value " + n.asText() + " for parameter " + param + " is invalid.");
        }
        return v;
    }

    /** A datum's Value, Values (+ Counts) or StatisticValues as one aggregate. */
    private static Metrics.Stats stats(JsonNode d, String p) {
        boolean value = d.hasNonNull("Value"), values = d.hasNonNull("Values"), set = d.hasNonNull("StatisticValues");
        if ((value ? 1 : 0) + (values ? 1 : 0) + (set ? 1 : 0) > 1) {
            throw combination("The parameters " + p + "Value, " + p + "Values and " + p + "StatisticValues are mutually exclusive and you have specified more than one.");
        }
        if (value) return Metrics.Stats.of(number(d.get("Value"), p + "Value"), 1);
        if (set) {
            JsonNode s = d.get("StatisticValues");
            double count = number(s.path("SampleCount"), p + "StatisticValues.SampleCount");
            double min = number(s.path("Minimum"), p + "StatisticValues.Minimum"), max = number(s.path("Maximum"), p + "StatisticValues.Maximum");
            if (min > max) throw invalid("The parameter " + p + "StatisticValues.Minimum must not be greater than " + p + "StatisticValues.Maximum.");
            return Metrics.ofSet(count, number(s.path("Sum"), p + "StatisticValues.Sum"), min, max);
        }
        if (!values || d.get("Values").isEmpty()) {
            throw missing("The parameter " + p + "Value, " + p + "Values or " + p + "StatisticValues is required.");
        }
        JsonNode vs = d.get("Values"), cs = d.get("Counts");
        if (cs != null && !cs.isNull() && cs.size() != vs.size()) {
            throw invalid("The parameters " + p + "Values and " + p + "Counts must be of the same size.");
        }
        double[] v = new double[vs.size()];
        double[] c = cs == null || cs.isNull() ? null : new double[cs.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = number(vs.get(i), p + "Values.member." + (i + 1));
            if (c != null) c[i] = number(cs.get(i), p + "Counts.member." + (i + 1));
        }
        return Metrics.ofValues(v, c);
    }

    private JsonNode listMetrics(RequestContext ctx, ObjectNode in) {
        String namespace = Values.text(in, "Namespace", null);
        String name = Values.text(in, "MetricName", null);
        JsonNode filters = in.path("Dimensions");
        boolean recent = "PT3H".equals(Values.text(in, "RecentlyActive", null));
        long since = metrics.clock().millis() - Duration.ofHours(3).toMillis();
        String after = token(Values.text(in, "NextToken", null));
        ObjectNode out = Values.object();
        ArrayNode found = out.putArray("Metrics");
        while (true) {
            List<Table.Entry> batch = metrics.list(ctx.accountId(), ctx.region(), namespace, after, LIST_PAGE);
            for (Table.Entry e : batch) {
                JsonNode m = e.json();
                if (name != null && !name.equals(m.get("MetricName").asText())) continue;
                if (recent && m.path("lastPut").asLong() < since) continue;
                if (!matches(m.get("Dimensions"), filters)) continue;
                if (found.size() == LIST_PAGE) {
                    out.put("NextToken", Base64.getUrlEncoder().encodeToString(after.getBytes(StandardCharsets.UTF_8)));
                    return out;
                }
                found.add(metricOutput(m));
                after = e.key();
            }
            if (batch.size() < LIST_PAGE) return out;
            after = batch.get(batch.size() - 1).key();
        }
    }

    private static String token(String t) {
        if (t == null) return null;
        try {
            return new String(Base64.getUrlDecoder().decode(t), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid("The value " + t + " for parameter NextToken is invalid.");
        }
    }

    /** Every filter {Name, Value?} names a dimension the metric has (with that value when given). */
    private static boolean matches(JsonNode dims, JsonNode filters) {
        for (JsonNode f : filters) {
            boolean hit = false;
            for (JsonNode d : dims) {
                if (d.get("Name").asText().equals(f.path("Name").asText()) && (!f.hasNonNull("Value") || d.get("Value").asText().equals(f.get("Value").asText()))) {
                    hit = true;
                }
            }
            if (!hit) return false;
        }
        return true;
    }

    static ObjectNode metricOutput(JsonNode m) {
        ObjectNode o = Values.object().put("Namespace", m.get("Namespace").asText()).put("MetricName", m.get("MetricName").asText());
        o.set("Dimensions", m.get("Dimensions").deepCopy());
        return o;
    }

    /** Period: a multiple of 60, or 1, 5, 10, 30 for high-resolution data. */
    static void checkPeriod(int period, String param) {
        if (period <= 0 || (period % 60 != 0 && period != 1 && period != 5 && period != 10 && period != 30)) {
            throw invalid("The parameter " + param + " must be a multiple of 60.");
        }
    }

    private JsonNode getMetricStatistics(RequestContext ctx, ObjectNode in) {
        String namespace = Values.text(in, "Namespace"), name = Values.text(in, "MetricName");
        Instant from = Values.instant(in.get("StartTime")), to = Values.instant(in.get("EndTime"));
        int period = Values.integer(in, "Period", 0);
        List<String> stats = new ArrayList<>();
        in.path("Statistics").forEach(s -> stats.add(s.asText()));
        List<String> extended = new ArrayList<>();
        in.path("ExtendedStatistics").forEach(s -> extended.add(s.asText()));
        if (stats.isEmpty() && extended.isEmpty()) throw missing("Must specify either Statistics or ExtendedStatistics.");
        if (!stats.isEmpty() && !extended.isEmpty()) throw combination("Must specify either Statistics or ExtendedStatistics, but not both.");
        for (String e : extended) {
            if (Metrics.percentileOf(e) == null) throw invalid("The value " + e + " for parameter ExtendedStatistics is not supported.");
        }
        checkPeriod(period, "Period");
        if (!from.isBefore(to)) throw invalid("The parameter StartTime must be less than the parameter EndTime.");
        long requested = (Duration.between(from, to).getSeconds() + period - 1) / period;
        if (requested > MAX_DATAPOINTS) {
            throw combination("You have requested up to " + requested + " datapoints, which exceeds the limit of " + MAX_DATAPOINTS
                    + ". You may reduce the datapoints requested by increasing Period, or decreasing the time range.");
        }
        JsonNode metric = metrics.metric(ctx.accountId(), ctx.region(), namespace, name, dimensions(in.path("Dimensions"), ""));
        ObjectNode out = Values.object().put("Label", name);
        ArrayNode points = out.putArray("Datapoints");
        for (Metrics.Point p : metrics.query(metric, from, to, period, Values.text(in, "Unit", null))) {
            ObjectNode o = points.addObject();
            o.set("Timestamp", Values.timestamp(p.time()));
            for (String s : stats) o.put(s, p.stats().stat(s));
            if (!extended.isEmpty()) {
                ObjectNode x = o.putObject("ExtendedStatistics");
                for (String e : extended) {
                    Double v = p.stats().stat(e);
                    if (v != null) x.put(e, v);
                }
            }
            o.put("Unit", p.unit());
        }
        return out;
    }

    private JsonNode getMetricData(RequestContext ctx, ObjectNode in) {
        Instant from = Values.instant(in.get("StartTime")), to = Values.instant(in.get("EndTime"));
        if (!from.isBefore(to)) throw invalid("The parameter StartTime must be less than the parameter EndTime.");
        boolean ascending = "TimestampAscending".equals(Values.text(in, "ScanBy", "TimestampDescending"));
        JsonNode queries = in.path("MetricDataQueries");
        int max = Values.integer(in, "MaxDatapoints", MAX_METRIC_DATA_POINTS);
        if (max < 1) throw invalid("The value " + max + " for parameter MaxDatapoints is invalid.");
        // A page is the next max datapoints of all results together; the token counts those already answered.
        String token = token(Values.text(in, "NextToken", null));
        long skip;
        try {
            skip = token == null ? 0 : Long.parseLong(token);
        } catch (NumberFormatException e) {
            throw invalid("The value " + in.get("NextToken").asText() + " for parameter NextToken is invalid.");
        }
        long seen = 0;
        int answered = 0;
        Map<String, Expressions.Series> series = queries(ctx.accountId(), ctx.region(), queries, from, to);
        ObjectNode out = Values.object();
        ArrayNode results = out.putArray("MetricDataResults");
        out.putArray("Messages");
        for (JsonNode q : queries) {
            if (!q.path("ReturnData").asBoolean(true)) continue;
            String id = q.get("Id").asText();
            String label = q.has("MetricStat") ? q.get("MetricStat").path("Metric").path("MetricName").asText() : id;
            ObjectNode r = results.addObject().put("Id", id).put("Label", Values.text(q, "Label", label));
            ArrayNode times = r.putArray("Timestamps"), values = r.putArray("Values");
            List<Map.Entry<Instant, Double>> points = new ArrayList<>(series.get(id).points().entrySet());
            String status = "Complete";
            for (Map.Entry<Instant, Double> p : ascending ? points : points.reversed()) {
                if (Double.isNaN(p.getValue()) || Double.isInfinite(p.getValue())) continue; // CloudWatch drops what has no value (x / 0)
                if (seen++ < skip) continue;
                if (answered == max) {
                    status = "PartialData";
                    out.put("NextToken", Base64.getUrlEncoder().encodeToString(Long.toString(skip + max).getBytes(StandardCharsets.UTF_8)));
                    break;
                }
                answered++;
                times.add(Values.timestamp(p.getKey()));
                values.add(p.getValue());
            }
            r.put("StatusCode", status);
            r.putArray("Messages");
        }
        return out;
    }

    /**
     * MetricDataQueries (MetricStat and Expression) over [from, to): every query's series by id, in
     * query order. Shared by GetMetricData and metric-math alarms.
     */
    Map<String, Expressions.Series> queries(String account, String region, JsonNode queries, Instant from, Instant to) {
        if (queries.size() > 500) throw invalid("The collection MetricDataQueries must not have a size greater than 500.");
        // MetricStat queries first; expressions then see every id, whatever the order.
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        Map<String, Expressions.Series> series = new HashMap<>();
        List<Expressions.Series> stats = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            JsonNode q = queries.get(i);
            String p = "MetricDataQueries.member." + (i + 1) + ".";
            String id = Values.text(q, "Id");
            if (!id.matches("[a-z][a-zA-Z0-9_]*")) throw invalid("The value " + id + " for parameter " + p + "Id is invalid.");
            if (byId.put(id, q) != null) throw invalid("The value " + id + " for parameter " + p + "Id is used more than once.");
            boolean stat = q.hasNonNull("MetricStat"), expression = q.hasNonNull("Expression");
            if (stat == expression) throw combination("Exactly one of " + p + "MetricStat and " + p + "Expression must be specified.");
            if (stat) {
                Expressions.Series s = statSeries(account, region, q.get("MetricStat"), p, from, to);
                series.put(id, s);
                stats.add(s);
            }
        }
        Expressions.Ids ids = new Expressions.Ids() {
            private final Set<String> evaluating = new java.util.HashSet<>();

            @Override
            public Expressions.Series get(String id) {
                Expressions.Series s = series.get(id);
                JsonNode q = byId.get(id);
                if (s != null || q == null) return s;
                if (!evaluating.add(id)) throw new Expressions.Invalid("Circular reference to " + id);
                s = Expressions.evaluate(q.get("Expression").asText(), this);
                series.put(id, s);
                return s;
            }

            @Override
            public List<Expressions.Series> all() {
                return stats;
            }
        };
        Map<String, Expressions.Series> out = new LinkedHashMap<>();
        for (String id : byId.keySet()) {
            try {
                out.put(id, ids.get(id));
            } catch (Expressions.Invalid e) {
                throw new AwsException("ValidationError", "Error in expression '" + id + "': " + e.getMessage(), 400);
            }
        }
        return out;
    }

    private Expressions.Series statSeries(String account, String region, JsonNode stat, String p, Instant from, Instant to) {
        JsonNode m = stat.path("Metric");
        int period = Values.integer(stat, "Period", 0);
        checkPeriod(period, p + "MetricStat.Period");
        String statName = Values.text(stat, "Stat");
        if (!STATISTICS.contains(statName) && Metrics.percentileOf(statName) == null) {
            throw invalid("The value " + statName + " for parameter " + p + "MetricStat.Stat is invalid.");
        }
        JsonNode metric = metrics.metric(account, region, Values.text(m, "Namespace"), Values.text(m, "MetricName"),
                dimensions(m.path("Dimensions"), p + "MetricStat.Metric."));
        TreeMap<Instant, Double> points = new TreeMap<>();
        for (Metrics.Point point : metrics.query(metric, from, to, period, Values.text(stat, "Unit", null))) {
            Double v = point.stats().stat(statName);
            if (v != null) points.merge(point.time(), v, Double::sum);
        }
        return new Expressions.Series(points);
    }

    // ---- dashboards

    private static String dashboardKey(RequestContext ctx, String name) {
        return ctx.accountId() + "/" + name;
    }

    private static AwsException noDashboard(String name) {
        return new AwsException("DashboardNotFoundError", "Dashboard " + name + " does not exist", 404);
    }

    private JsonNode putDashboard(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "DashboardName"), body = Values.text(in, "DashboardBody");
        if (!name.matches("[A-Za-z0-9_-]{1,255}")) {
            throw invalid("The value " + name + " for parameter DashboardName is invalid. Dashboard name should only contain alphanumerics, dash (-) and underscore (_).");
        }
        JsonNode parsed;
        try {
            parsed = Values.JSON.readTree(body);
        } catch (java.io.IOException e) {
            parsed = null;
        }
        if (parsed == null || !parsed.isObject()) {
            throw new AwsException("InvalidParameterInput", "The field DashboardBody must be a valid JSON object", 400);
        }
        ObjectNode record = Values.object().put("DashboardName", name).put("DashboardBody", body)
                .put("DashboardArn", ctx.globalArn("cloudwatch", "dashboard/" + name));
        record.set("LastModified", Values.timestamp(metrics.clock().instant()));
        record.put("Size", body.getBytes(StandardCharsets.UTF_8).length);
        dashboards.putJson(dashboardKey(ctx, name), record);
        ObjectNode out = Values.object();
        out.putArray("DashboardValidationMessages");
        return out;
    }

    private JsonNode getDashboard(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "DashboardName");
        JsonNode d = dashboards.getJson(dashboardKey(ctx, name));
        if (d == null) throw noDashboard(name);
        return Values.object().put("DashboardArn", d.get("DashboardArn").asText()).put("DashboardBody", d.get("DashboardBody").asText())
                .put("DashboardName", name);
    }

    private JsonNode listDashboards(RequestContext ctx, ObjectNode in) {
        String prefix = Values.text(in, "DashboardNamePrefix", "");
        ObjectNode out = Values.object();
        ArrayNode entries = out.putArray("DashboardEntries");
        for (Table.Entry e : dashboards.scan(ctx.accountId() + "/" + prefix, null, 1_000)) {
            JsonNode d = e.json();
            ObjectNode o = entries.addObject().put("DashboardName", d.get("DashboardName").asText()).put("DashboardArn", d.get("DashboardArn").asText());
            o.set("LastModified", d.get("LastModified"));
            o.put("Size", d.get("Size").asLong());
        }
        return out;
    }

    private JsonNode deleteDashboards(RequestContext ctx, ObjectNode in) {
        List<String> names = new ArrayList<>();
        in.path("DashboardNames").forEach(n -> names.add(n.asText()));
        for (String n : names) {
            if (dashboards.getJson(dashboardKey(ctx, n)) == null) throw noDashboard(n);
        }
        for (String n : names) dashboards.delete(dashboardKey(ctx, n));
        return null;
    }
}
