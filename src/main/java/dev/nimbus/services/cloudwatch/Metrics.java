package dev.nimbus.services.cloudwatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Metric storage: every metric (namespace, name, dimension set) gets an id, and its data is kept
 * aggregated per unit in buckets of one minute (one second for high-resolution data), the finest
 * resolution AWS serves. A bucket holds count, sum, min, max and the distinct values with their
 * counts (up to {@link #MAX_DISTINCT}), so that percentiles stay computable. Other services publish through {@link #put}.
 *
 * <p>Retention and roll-up as CloudWatch's: data of periods under a minute is kept 3 hours, then
 * rolled into 1-minute buckets, kept 15 days; then into 5-minute buckets, kept 63 days; then into
 * 1-hour buckets, kept 455 days; then deleted ({@link #rollUp}). Queries follow AWS's rule for old
 * data: a start more than 3 hours ago needs a period of a minute or more, more than 15 days ago a
 * multiple of 5 minutes, more than 63 days ago a multiple of an hour; otherwise that query gets no data.
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

    public static final int MAX_DISTINCT = 5_000;
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

    /**
     * Writes a service's pending tallies (AWS/Lambda, AWS/SNS ...) and removes them, in one store
     * transaction. A failure is logged and those tallies are lost: a service's metrics must never
     * fail the requests they count.
     */
    public <K, T> void publish(Map<K, T> pending, BiConsumer<K, T> write, String namespace) {
        if (pending.isEmpty()) return;
        try {
            batch(() -> {
                for (K k : List.copyOf(pending.keySet())) {
                    T t = pending.remove(k);
                    if (t != null) write.accept(k, t);
                }
            });
        } catch (RuntimeException e) {
            Logger.getLogger(Metrics.class.getName()).log(Level.WARNING, "could not publish " + namespace + " metrics", e);
        }
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
            // lastPut only answers ListMetrics' RecentlyActive (3 hours): rewriting it more than once a minute buys nothing.
            long now = clock.millis();
            if (now - m.path("lastPut").asLong(Long.MIN_VALUE / 2) >= 60_000) {
                m.put("lastPut", now);
                metrics.putJson(key, m);
            }
            String dataKey = m.get("id").asText() + "/" + seconds(bucket) + "/" + unit;
            byte[] old = data.get(dataKey);
            data.put(dataKey, encode(old == null ? s : decode(old).plus(s)));
        });
    }

    /** Epoch seconds zero-padded to 12 digits, so that data keys sort in time order. */
    static String seconds(long epochSecond) {
        String digits = Long.toString(epochSecond);
        return "0".repeat(Math.max(0, 12 - digits.length())) + digits;
    }

    /**
     * A bucket's binary form: count, sum, min, max, then the number of distinct values (-1 when not
     * kept) and each value with its count, all doubles. Binary because a bucket is read and written
     * on every put, and JSON of a few thousand distinct values made a put cost a few hundred microseconds.
     */
    static byte[] encode(Stats s) {
        int k = s.values == null ? 0 : s.values.size();
        ByteBuffer b = ByteBuffer.allocate(8 * (5 + 2 * k)).putDouble(s.count).putDouble(s.sum).putDouble(s.min).putDouble(s.max)
                .putDouble(s.values == null ? -1 : k);
        if (s.values != null) s.values.forEach((value, count) -> b.putDouble(value).putDouble(count));
        return b.array();
    }

    static Stats decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        double count = b.getDouble(), sum = b.getDouble(), min = b.getDouble(), max = b.getDouble();
        int k = (int) b.getDouble();
        TreeMap<Double, Double> v = null;
        if (k >= 0) {
            v = new TreeMap<>();
            for (int i = 0; i < k; i++) v.put(b.getDouble(), b.getDouble());
        }
        return new Stats(count, sum, min, max, v);
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

    private static final long HOUR = 3_600, DAY = 86_400;

    /** The bucket size data of this age is kept at (seconds), or 0 when it is past retention. */
    static long resolutionAt(long ageSeconds) {
        if (ageSeconds > 455 * DAY) return 0;
        if (ageSeconds > 63 * DAY) return HOUR;
        if (ageSeconds > 15 * DAY) return 300;
        if (ageSeconds > 3 * HOUR) return 60;
        return 1;
    }

    /** Whether a query starting at {@code from} with this period gets data (AWS's rule for old data). */
    boolean servable(Instant from, int period) {
        long res = resolutionAt(clock.instant().getEpochSecond() - from.getEpochSecond());
        return period % (res == 0 ? HOUR : res) == 0;
    }

    /**
     * Rolls every metric's old buckets into the coarser ones their age calls for and deletes those
     * past 455 days. Returns how many buckets were rewritten or deleted. Each window is one small
     * transaction, so puts are never held up for long.
     */
    public long rollUp() {
        long now = clock.instant().getEpochSecond();
        long changed = 0;
        String after = null;
        // Keys are id/seconds/unit: one metric's buckets are adjacent, in time order.
        List<Table.Entry> window = new ArrayList<>();
        String windowKey = null;
        while (true) {
            List<Table.Entry> batch = data.scan("", after, SCAN);
            for (Table.Entry e : batch) {
                String[] parts = e.key().split("/", 3);
                long second = Long.parseLong(parts[1]);
                long res = resolutionAt(now - second);
                String target = res == 0 ? null : parts[0] + "/" + seconds(Math.floorDiv(second, res) * res) + "/" + parts[2];
                String wk = target == null ? "delete:" + e.key() : target;
                if (!wk.equals(windowKey)) {
                    changed += flush(windowKey, window);
                    window.clear();
                    windowKey = wk;
                }
                window.add(e);
            }
            if (batch.size() < SCAN) break;
            after = batch.get(batch.size() - 1).key();
        }
        return changed + flush(windowKey, window);
    }

    /** Merges a window's buckets into its target key (or deletes them when past retention). */
    private long flush(String target, List<Table.Entry> window) {
        if (window.isEmpty()) return 0;
        if (target.startsWith("delete:")) {
            store.transaction(() -> window.forEach(e -> data.delete(e.key())));
            return window.size();
        }
        if (window.size() == 1 && window.get(0).key().equals(target)) return 0;
        Stats merged = null;
        for (Table.Entry e : window) merged = merged == null ? decode(e.value()) : merged.plus(decode(e.value()));
        Stats m = merged;
        store.transaction(() -> {
            window.forEach(e -> data.delete(e.key()));
            byte[] existing = data.get(target);
            data.put(target, encode(existing == null ? m : decode(existing).plus(m)));
        });
        return window.size();
    }

    /**
     * The metric's data in [from, to) aggregated per period, periods counted from {@code from}; data
     * of different units stays apart, and only {@code unit}'s when given. In time order.
     */
    List<Point> query(JsonNode metric, Instant from, Instant to, int period, String unit) {
        if (metric == null || !servable(from, period)) return List.of();
        String id = metric.get("id").asText();
        long start = from.getEpochSecond(), end = to.getEpochSecond();
        if (to.getNano() > 0) end++;
        Map<String, Stats> periods = new LinkedHashMap<>();
        String cursor = id + "/" + seconds(start - 1) + "/\uffff";
        while (true) {
            List<Table.Entry> batch = data.scan(id + "/", cursor, SCAN);
            for (Table.Entry e : batch) {
                String[] parts = e.key().split("/", 3);
                long t = Long.parseLong(parts[1]);
                if (t >= end) return points(periods);
                if (t < start || (unit != null && !unit.equals(parts[2]))) continue;
                long p = start + (t - start) / period * period;
                periods.merge(p + "/" + parts[2], decode(e.value()), Stats::plus);
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
