package dev.nimbus.services.cloudwatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Metric storage: every metric (namespace, name, dimension set) gets an id, and its data is kept
 * aggregated per unit in buckets of one minute (one second for high-resolution data), the finest
 * resolution AWS serves. A bucket holds count, sum, min, max and the distinct values with their
 * counts, so that percentiles stay computable. Other services publish through {@link #put}.
 */
public final class Metrics {
    /** One aggregate: what a bucket or a period holds. */
    public record Stats(double count, double sum, double min, double max, TreeMap<Double, Double> values) {
        public static Stats of(double value, double count) {
            TreeMap<Double, Double> v = new TreeMap<>();
            v.put(value, count);
            return new Stats(count, value * count, value, value, v);
        }

        public Stats plus(Stats o) {
            TreeMap<Double, Double> v = null;
            if (values != null && o.values != null) {
                v = new TreeMap<>(values);
                for (var e : o.values.entrySet()) v.merge(e.getKey(), e.getValue(), Double::sum);
                if (v.size() > MAX_DISTINCT) v = null; // percentiles stop being exact: AWS then answers none either
            }
            return new Stats(count + o.count, sum + o.sum, Math.min(min, o.min), Math.max(max, o.max), v);
        }

        /** The named statistic (Sum, Average, pNN ...), or null when it cannot be computed. */
        Double stat(String name) {
            return switch (name) {
                case "Sum" -> sum;
                case "Average" -> count == 0 ? null : sum / count;
                case "Minimum" -> min;
                case "Maximum" -> max;
                case "SampleCount" -> count;
                default -> percentile(name);
            };
        }

        private Double percentile(String name) {
            Double p = Metrics.percentileOf(name);
            if (p == null || values == null || count == 0) return null;
            // Nearest rank over the weighted values.
            double rank = Math.max(1, Math.ceil(p / 100 * count));
            double seen = 0;
            for (var e : values.entrySet()) {
                seen += e.getValue();
                if (seen >= rank) return e.getKey();
            }
            return max;
        }
    }

    /** A period's aggregate at its start time. */
    public record Point(Instant time, String unit, Stats stats) {}

    static final int MAX_DISTINCT = 5_000;
    private static final int SCAN = 1_000;

    private final Store store;
    private final Table metrics;
    private final Table data;
    private final InstantSource clock;

    Metrics(Store store, InstantSource clock) {
        this.store = store;
        this.metrics = store.table("cloudwatch.metrics");
        this.data = store.table("cloudwatch.data");
        this.clock = clock;
    }

    InstantSource clock() {
        return clock;
    }

    /** "p99", "p99.9" -> 99.0, 99.9; anything else (including p0 and above p100) -> null. */
    static Double percentileOf(String name) {
        if (!name.matches("p\\d{1,2}(\\.\\d{1,10})?|p100")) return null;
        double p = Double.parseDouble(name.substring(1));
        return p > 0 && p <= 100 ? p : null;
    }

    static String metricKey(String account, String region, String namespace, String name, SortedMap<String, String> dims) {
        StringBuilder k = new StringBuilder(account).append('/').append(region).append('/').append(namespace).append('\u0001').append(name);
        dims.forEach((n, v) -> k.append('\u0001').append(n).append('=').append(v));
        return k.toString();
    }

    /** Publishes one value: the Java API for services (Lambda's AWS/Lambda metrics). */
    public void put(String account, String region, String namespace, String name, Map<String, String> dimensions, double value,
                    String unit, Instant timestamp) {
        record(account, region, namespace, name, new TreeMap<>(dimensions), Stats.of(value, 1), unit, timestamp, 60);
    }

    /** Runs several puts as one store transaction. */
    public void batch(Runnable puts) {
        store.transaction(puts);
    }

    /** Adds data to the metric's bucket, creating the metric on first use (services publishing tallies: AWS/ApiGateway). */
    public void record(String account, String region, String namespace, String name, SortedMap<String, String> dims, Stats s, String unit,
                Instant timestamp, int resolution) {
        String key = metricKey(account, region, namespace, name, dims);
        long bucket = Math.floorDiv(timestamp.getEpochSecond(), resolution) * resolution;
        store.transaction(() -> {
            ObjectNode m = (ObjectNode) metrics.getJson(key);
            if (m == null) {
                m = Values.object().put("id", UUID.randomUUID().toString()).put("Namespace", namespace).put("MetricName", name);
                ArrayNode d = m.putArray("Dimensions");
                dims.forEach((n, v) -> d.addObject().put("Name", n).put("Value", v));
            }
            m.put("lastPut", clock.millis());
            metrics.putJson(key, m);
            String dataKey = m.get("id").asText() + "/" + String.format("%012d", bucket) + "/" + unit;
            JsonNode old = data.getJson(dataKey);
            data.putJson(dataKey, toJson(old == null ? s : fromJson(old).plus(s)));
        });
    }

    private static ObjectNode toJson(Stats s) {
        ObjectNode o = Values.object().put("n", s.count).put("sum", s.sum).put("min", s.min).put("max", s.max);
        if (s.values != null) {
            ArrayNode v = o.putArray("v");
            s.values.forEach((value, count) -> v.add(value).add(count));
        }
        return o;
    }

    private static Stats fromJson(JsonNode o) {
        TreeMap<Double, Double> v = null;
        if (o.has("v")) {
            v = new TreeMap<>();
            JsonNode a = o.get("v");
            for (int i = 0; i + 1 < a.size(); i += 2) v.put(a.get(i).asDouble(), a.get(i + 1).asDouble());
        }
        return new Stats(o.get("n").asDouble(), o.get("sum").asDouble(), o.get("min").asDouble(), o.get("max").asDouble(), v);
    }

    /** Metrics of an account and region with the given namespace (or any), in key order after {@code after}. */
    List<Table.Entry> list(String account, String region, String namespace, String after, int limit) {
        String prefix = account + "/" + region + "/" + (namespace == null ? "" : namespace + "\u0001");
        return metrics.scan(prefix, after, limit);
    }

    /** The metric's record (id, Namespace, MetricName, Dimensions), or null when nothing was ever published to it. */
    JsonNode metric(String account, String region, String namespace, String name, SortedMap<String, String> dims) {
        return metrics.getJson(metricKey(account, region, namespace, name, dims));
    }

    /**
     * The metric's data in [from, to) aggregated per period, periods counted from {@code from}; data
     * of different units stays apart, and only {@code unit}'s when given. In time order.
     */
    List<Point> query(JsonNode metric, Instant from, Instant to, int period, String unit) {
        if (metric == null) return List.of();
        String id = metric.get("id").asText();
        long start = from.getEpochSecond(), end = to.getEpochSecond();
        if (to.getNano() > 0) end++;
        Map<String, Stats> periods = new LinkedHashMap<>();
        String cursor = id + "/" + String.format("%012d", start - 1) + "/\uffff";
        while (true) {
            List<Table.Entry> batch = data.scan(id + "/", cursor, SCAN);
            for (Table.Entry e : batch) {
                String[] parts = e.key().split("/", 3);
                long t = Long.parseLong(parts[1]);
                if (t >= end) return points(periods);
                if (t < start || (unit != null && !unit.equals(parts[2]))) continue;
                long p = start + (t - start) / period * period;
                periods.merge(p + "/" + parts[2], fromJson(e.json()), Stats::plus);
            }
            if (batch.size() < SCAN) return points(periods);
            cursor = batch.get(batch.size() - 1).key();
        }
    }

    private static List<Point> points(Map<String, Stats> periods) {
        List<Point> out = new ArrayList<>();
        periods.forEach((k, s) -> {
            int slash = k.indexOf('/');
            out.add(new Point(Instant.ofEpochSecond(Long.parseLong(k.substring(0, slash))), k.substring(slash + 1), s));
        });
        out.sort((a, b) -> a.time().compareTo(b.time()));
        return out;
    }

    /** Values + Counts as one aggregate (a missing Counts list counts each value once). */
    static Stats ofValues(double[] values, double[] counts) {
        Stats s = null;
        for (int i = 0; i < values.length; i++) {
            Stats one = Stats.of(values[i], counts == null ? 1 : counts[i]);
            s = s == null ? one : s.plus(one);
        }
        return s;
    }

    static Stats ofSet(double count, double sum, double min, double max) {
        return new Stats(count, sum, min, max, null);
    }
}
