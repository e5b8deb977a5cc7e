package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-only CloudWatch that keeps every datum it is given and hands it back unaggregated, so
 * that a round trip through a codec shows timestamps, doubles, lists and maps survive both ways.
 * GetMetricWidgetImage answers a blob. SetAlarmState and GetDashboard know no alarm or dashboard:
 * they exist to throw modeled errors.
 */
final class CloudWatchTestService implements AwsService {
    /** One stored datum: the metric it belongs to and its numbers. */
    private record Datum(String namespace, String name, JsonNode dimensions, Instant time, double count, double sum,
                         double min, double max, String unit) {}

    private final List<Datum> data = new ArrayList<>();

    @Override
    public String modelName() {
        return "cloudwatch";
    }

    @Override
    public void register(Operations ops) {
        ops.add("PutMetricData", (ctx, in) -> putMetricData(in))
                .add("ListMetrics", (ctx, in) -> listMetrics(in))
                .add("GetMetricStatistics", (ctx, in) -> getMetricStatistics(in))
                .add("GetMetricData", (ctx, in) -> getMetricData(in))
                .add("GetMetricWidgetImage", (ctx, in) -> widgetImage(in))
                .add("SetAlarmState", (ctx, in) -> {
                    throw new AwsException("ResourceNotFound", "Alarm " + Values.text(in, "AlarmName") + " does not exist", 404);
                })
                .add("GetDashboard", (ctx, in) -> {
                    throw new AwsException("DashboardNotFoundError", "Dashboard " + Values.text(in, "DashboardName") + " does not exist", 404);
                });
    }

    private synchronized JsonNode putMetricData(ObjectNode in) {
        String namespace = Values.text(in, "Namespace");
        for (JsonNode d : in.path("MetricData")) {
            JsonNode dims = d.has("Dimensions") ? d.get("Dimensions") : Values.array();
            Instant time = d.has("Timestamp") ? Values.instant(d.get("Timestamp")) : Instant.now();
            String unit = Values.text(d, "Unit", "None");
            JsonNode stats = d.get("StatisticValues");
            if (stats != null) {
                data.add(new Datum(namespace, d.get("MetricName").asText(), dims, time, stats.get("SampleCount").asDouble(),
                        stats.get("Sum").asDouble(), stats.get("Minimum").asDouble(), stats.get("Maximum").asDouble(), unit));
            } else {
                double v = d.path("Value").asDouble();
                data.add(new Datum(namespace, d.get("MetricName").asText(), dims, time, 1, v, v, v, unit));
            }
        }
        return null;
    }

    /** A fake image: a PNG signature (bytes that are not UTF-8) followed by the widget definition. */
    static byte[] image(String widget) {
        byte[] text = widget.getBytes(StandardCharsets.UTF_8);
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xff};
        byte[] out = Arrays.copyOf(png, png.length + text.length);
        System.arraycopy(text, 0, out, png.length, text.length);
        return out;
    }

    private static JsonNode widgetImage(ObjectNode in) {
        return Values.object().put("MetricWidgetImage", image(Values.text(in, "MetricWidget")));
    }

    private synchronized JsonNode listMetrics(ObjectNode in) {
        Map<String, ObjectNode> metrics = new LinkedHashMap<>();
        for (Datum d : data) {
            if (in.has("Namespace") && !in.get("Namespace").asText().equals(d.namespace)) continue;
            if (in.has("MetricName") && !in.get("MetricName").asText().equals(d.name)) continue;
            metrics.computeIfAbsent(d.namespace + "\n" + d.name + "\n" + d.dimensions, k -> metric(d));
        }
        ObjectNode out = Values.object();
        out.putArray("Metrics").addAll(metrics.values());
        return out;
    }

    private static ObjectNode metric(Datum d) {
        ObjectNode m = Values.object().put("Namespace", d.namespace).put("MetricName", d.name);
        m.set("Dimensions", d.dimensions.deepCopy());
        return m;
    }

    private synchronized List<Datum> matching(JsonNode metric, JsonNode start, JsonNode end) {
        Instant from = Values.instant(start), to = Values.instant(end);
        JsonNode dims = metric.has("Dimensions") ? metric.get("Dimensions") : Values.array();
        List<Datum> found = new ArrayList<>();
        for (Datum d : data) {
            if (d.namespace.equals(metric.path("Namespace").asText()) && d.name.equals(metric.path("MetricName").asText())
                    && d.dimensions.equals(dims) && !d.time.isBefore(from) && d.time.isBefore(to)) {
                found.add(d);
            }
        }
        return found;
    }

    private JsonNode getMetricStatistics(ObjectNode in) {
        ObjectNode out = Values.object().put("Label", in.get("MetricName").asText());
        ArrayNode points = out.putArray("Datapoints");
        for (Datum d : matching(in, in.get("StartTime"), in.get("EndTime"))) {
            ObjectNode p = points.addObject();
            p.set("Timestamp", Values.timestamp(d.time));
            p.put("SampleCount", d.count).put("Sum", d.sum).put("Minimum", d.min).put("Maximum", d.max)
                    .put("Average", d.sum / d.count).put("Unit", d.unit);
            // Percentiles of a single datum: its maximum stands for all of them here.
            ObjectNode extended = Values.object();
            for (JsonNode name : in.path("ExtendedStatistics")) extended.put(name.asText(), d.max);
            if (!extended.isEmpty()) p.set("ExtendedStatistics", extended);
        }
        return out;
    }

    private JsonNode getMetricData(ObjectNode in) {
        ObjectNode out = Values.object();
        ArrayNode results = out.putArray("MetricDataResults");
        for (JsonNode q : in.get("MetricDataQueries")) {
            JsonNode stat = q.get("MetricStat");
            ObjectNode r = results.addObject().put("Id", q.get("Id").asText()).put("StatusCode", "Complete");
            r.put("Label", Values.text(q, "Label", stat.path("Metric").path("MetricName").asText()));
            ArrayNode times = r.putArray("Timestamps");
            ArrayNode values = r.putArray("Values");
            for (Datum d : matching(stat.get("Metric"), in.get("StartTime"), in.get("EndTime"))) {
                times.add(Values.timestamp(d.time));
                values.add(switch (stat.get("Stat").asText()) {
                    case "Sum" -> d.sum;
                    case "Minimum" -> d.min;
                    case "Maximum" -> d.max;
                    case "SampleCount" -> d.count;
                    default -> d.sum / d.count;
                });
            }
        }
        return out;
    }
}
