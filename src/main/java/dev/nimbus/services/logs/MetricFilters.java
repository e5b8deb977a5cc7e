package dev.nimbus.services.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import dev.nimbus.services.cloudwatch.Metrics;
import dev.nimbus.services.logs.Logs.InputEvent;
import dev.nimbus.store.Table;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Metric filters: a log group's events that match a filter pattern publish a metric to CloudWatch.
 * The metric value is a number or a JSON field of the event ($.latency); dimensions are JSON
 * fields too. Events are published with their own timestamps, aggregated per metric and minute.
 */
final class MetricFilters {
    private static final Logger LOG = Logger.getLogger(MetricFilters.class.getName());
    private static final int MAX_PER_GROUP = 100;

    private final Logs logs;
    private final Table filters;
    private volatile Metrics metrics;

    MetricFilters(Logs logs) {
        this.logs = logs;
        this.filters = logs.store.table("logs.metric_filters");
    }

    void publishTo(Metrics m) {
        this.metrics = m;
    }

    void register(Operations ops) {
        ops.add("PutMetricFilter", this::put)
                .add("DescribeMetricFilters", this::describe)
                .add("DeleteMetricFilter", this::delete)
                .add("TestMetricFilter", this::test);
    }

    private static String prefix(String account, String region, String group) {
        return account + "/" + region + "/" + group + "\u0001";
    }

    /** How many metric filters the group has (DescribeLogGroups' metricFilterCount). */
    int count(String account, String region, String group) {
        return (int) filters.count(prefix(account, region, group));
    }

    private JsonNode put(RequestContext ctx, ObjectNode in) {
        String group = Values.text(in, "logGroupName"), name = Values.text(in, "filterName");
        String pattern = Values.text(in, "filterPattern");
        FilterPattern.compile(pattern);
        JsonNode transformations = in.path("metricTransformations");
        if (transformations.size() != 1) throw Logs.invalidParameter("Exactly one metric transformation is allowed per metric filter.");
        String value = transformations.get(0).path("metricValue").asText();
        if (!value.startsWith("$.") && !isNumber(value)) throw Logs.invalidParameter("Invalid metric value: " + value);
        logs.store.transaction(() -> {
            logs.requireGroup(ctx.accountId(), ctx.region(), group);
            String key = prefix(ctx.accountId(), ctx.region(), group) + name;
            if (filters.get(key) == null && filters.count(prefix(ctx.accountId(), ctx.region(), group)) >= MAX_PER_GROUP) {
                throw new AwsException("LimitExceededException", "Resource limit exceeded.", 400);
            }
            ObjectNode f = Values.object().put("filterName", name).put("filterPattern", pattern);
            f.set("metricTransformations", transformations.deepCopy());
            f.put("creationTime", System.currentTimeMillis()).put("logGroupName", group);
            filters.putJson(key, f);
        });
        return null;
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private JsonNode describe(RequestContext ctx, ObjectNode in) {
        String group = Values.text(in, "logGroupName", null);
        String namePrefix = Values.text(in, "filterNamePrefix", null);
        if (namePrefix != null && group == null) throw Logs.invalidParameter("If filterNamePrefix is specified, logGroupName must also be specified.");
        String metricName = Values.text(in, "metricName", null), metricNamespace = Values.text(in, "metricNamespace", null);
        int limit = Values.integer(in, "limit", 50);
        String token = Values.text(in, "nextToken", null);
        String after;
        try {
            after = token == null ? null : new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw Logs.invalidParameter("The specified nextToken is invalid.");
        }
        String base = group == null ? ctx.accountId() + "/" + ctx.region() + "/" : prefix(ctx.accountId(), ctx.region(), group);
        ObjectNode out = Values.object();
        ArrayNode list = out.putArray("metricFilters");
        String lastKey = null;
        for (Table.Entry e : filters.scan(base + (namePrefix == null ? "" : namePrefix), after, 10_000)) {
            JsonNode f = e.json();
            JsonNode t = f.path("metricTransformations").path(0);
            if (metricName != null && !metricName.equals(t.path("metricName").asText())) continue;
            if (metricNamespace != null && !metricNamespace.equals(t.path("metricNamespace").asText())) continue;
            if (list.size() == limit) {
                out.put("nextToken", Base64.getUrlEncoder().encodeToString(lastKey.getBytes(StandardCharsets.UTF_8)));
                return out;
            }
            list.add(f);
            lastKey = e.key();
        }
        return out;
    }

    private JsonNode delete(RequestContext ctx, ObjectNode in) {
        String group = Values.text(in, "logGroupName");
        logs.requireGroup(ctx.accountId(), ctx.region(), group);
        if (!filters.delete(prefix(ctx.accountId(), ctx.region(), group) + Values.text(in, "filterName"))) {
            throw new AwsException("ResourceNotFoundException", "The specified metric filter does not exist.", 400);
        }
        return null;
    }

    private JsonNode test(RequestContext ctx, ObjectNode in) {
        FilterPattern p = FilterPattern.compile(Values.text(in, "filterPattern"));
        ObjectNode out = Values.object();
        ArrayNode matches = out.putArray("matches");
        JsonNode messages = in.path("logEventMessages");
        for (int i = 0; i < messages.size(); i++) {
            String m = messages.get(i).asText();
            if (!p.matches(m)) continue;
            ObjectNode match = matches.addObject().put("eventNumber", i + 1).put("eventMessage", m);
            match.putObject("extractedValues");
        }
        return out;
    }

    /**
     * Publishes the metrics of the group's filters for the events stored by a put: the batch
     * without the rejected runs at either end (too old or expired at the start, too new at the end).
     */
    void emit(String account, String region, String group, List<InputEvent> batch, Logs.PutResult result) {
        Metrics m = metrics;
        if (m == null || batch.isEmpty()) return;
        List<JsonNode> found = new ArrayList<>();
        for (Table.Entry e : filters.scan(prefix(account, region, group), null, MAX_PER_GROUP)) found.add(e.json());
        if (found.isEmpty()) return;
        int first = 0, last = batch.size();
        if (result.rejected() != null) {
            first = Math.max(result.rejected().path("tooOldLogEventEndIndex").asInt(-1), result.rejected().path("expiredLogEventEndIndex").asInt(-1)) + 1;
            last = result.rejected().path("tooNewLogEventStartIndex").asInt(batch.size());
        }
        List<InputEvent> stored = batch.subList(first, Math.max(first, last));
        try {
            m.batch(() -> {
                for (JsonNode f : found) publish(m, account, region, f, stored);
            });
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not publish the metric filters of " + group, e);
        }
    }

    private static void publish(Metrics m, String account, String region, JsonNode f, List<InputEvent> events) {
        FilterPattern pattern = FilterPattern.compile(f.get("filterPattern").asText());
        JsonNode t = f.path("metricTransformations").path(0);
        String valueSpec = t.path("metricValue").asText();
        Double defaultValue = t.hasNonNull("defaultValue") ? t.get("defaultValue").asDouble() : null;
        for (InputEvent e : events) {
            boolean match = pattern.matches(e.message());
            if (!match && defaultValue == null) continue;
            JsonNode json = json(e.message());
            Double v = match ? value(valueSpec, json) : defaultValue;
            if (v == null) continue; // the field is missing or not a number: no datapoint, as CloudWatch Logs does
            Map<String, String> dims = new LinkedHashMap<>();
            boolean complete = true;
            for (var d : t.path("dimensions").properties()) {
                JsonNode field = json == null ? null : field(json, d.getValue().asText());
                if (field == null || field.isContainerNode()) complete = false;
                else dims.put(d.getKey(), field.asText());
            }
            if (!complete) continue;
            m.put(account, region, t.path("metricNamespace").asText(), t.path("metricName").asText(), dims, v,
                    t.path("unit").asText("None"), Instant.ofEpochMilli(e.timestamp()));
        }
    }

    private static JsonNode json(String message) {
        String s = message.strip();
        if (!s.startsWith("{")) return null;
        try {
            return Values.JSON.readTree(s);
        } catch (IOException e) {
            return null;
        }
    }

    private static Double value(String spec, JsonNode json) {
        if (!spec.startsWith("$.")) return Double.parseDouble(spec);
        JsonNode n = json == null ? null : field(json, spec);
        if (n == null) return null;
        if (n.isNumber()) return n.asDouble();
        return isNumber(n.asText()) ? Double.parseDouble(n.asText()) : null;
    }

    /** $.a.b of a JSON event, or null. */
    private static JsonNode field(JsonNode json, String path) {
        if (!path.startsWith("$.")) return null;
        JsonNode n = json;
        for (String part : path.substring(2).split("\\.")) {
            n = n.get(part);
            if (n == null) return null;
        }
        return n;
    }
}
