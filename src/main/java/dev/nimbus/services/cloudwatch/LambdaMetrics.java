package dev.nimbus.services.cloudwatch;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The AWS/Lambda metrics Lambda publishes per invocation: Invocations, Errors, Duration and
 * Throttles, each under {FunctionName}, {FunctionName, Resource} and no dimension (all functions),
 * as AWS does.
 *
 * Invocations are tallied in memory per function and minute and written once a second: a store
 * write per invocation (nine metric buckets, each rewritten whole) capped warm invokes at a few
 * hundred a second, while AWS itself shows these metrics about a minute late.
 */
public final class LambdaMetrics implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LambdaMetrics.class.getName());
    private static final String NAMESPACE = "AWS/Lambda";

    private record Key(String account, String region, String function, long minute) {}

    /**
     * One function's minute so far; mutated only inside the map's compute. Durations are kept as
     * the Stats they become at the flush, but in one mutable map: folding each invocation in with
     * Stats.plus copied the map of distinct durations every time (thousands of entries by the end
     * of a busy minute), the largest cost of a warm invoke.
     */
    private static final class Tally {
        double invocations, errors, throttles;
        double durationSum, durationMin = Double.POSITIVE_INFINITY, durationMax = Double.NEGATIVE_INFINITY;
        /** duration -> how many; null once there are more distinct ones than Stats keeps (percentiles are then not exact). */
        TreeMap<Double, Double> durations = new TreeMap<>();

        void duration(double millis) {
            durationSum += millis;
            durationMin = Math.min(durationMin, millis);
            durationMax = Math.max(durationMax, millis);
            if (durations != null) {
                durations.merge(millis, 1.0, Double::sum);
                if (durations.size() > Metrics.MAX_DISTINCT) durations = null;
            }
        }

        Metrics.Stats duration() {
            return new Metrics.Stats(invocations, durationSum, durationMin, durationMax, durations);
        }
    }

    private final Metrics metrics;
    private final Map<Key, Tally> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("lambda-metrics").factory());

    public LambdaMetrics(Metrics metrics) {
        this.metrics = metrics;
        flusher.scheduleWithFixedDelay(this::flush, 1, 1, TimeUnit.SECONDS);
    }

    /** A finished invocation (errors included): Invocations, Errors and Duration. */
    public void invoked(String account, String region, String function, long nanos, boolean error) {
        pending.compute(key(account, region, function), (k, t) -> {
            if (t == null) t = new Tally();
            t.invocations++;
            if (error) t.errors++;
            t.duration(nanos / 1e6);
            return t;
        });
    }

    /** An invocation refused for concurrency. */
    public void throttled(String account, String region, String function) {
        pending.compute(key(account, region, function), (k, t) -> {
            if (t == null) t = new Tally();
            t.throttles++;
            return t;
        });
    }

    private Key key(String account, String region, String function) {
        return new Key(account, region, function, Math.floorDiv(metrics.clock().instant().getEpochSecond(), 60));
    }

    /** Writes what was tallied since the last flush, one store transaction. */
    synchronized void flush() {
        if (pending.isEmpty()) return;
        try {
            metrics.batch(() -> {
                for (Key k : List.copyOf(pending.keySet())) {
                    Tally t = pending.remove(k);
                    if (t != null) write(k, t);
                }
            });
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not publish AWS/Lambda metrics", e);
        }
    }

    private void write(Key k, Tally t) {
        Instant at = Instant.ofEpochSecond(k.minute() * 60);
        List<Map<String, String>> dimensionSets = List.of(Map.of("FunctionName", k.function()),
                Map.of("FunctionName", k.function(), "Resource", k.function()), Map.of());
        for (Map<String, String> dims : dimensionSets) {
            if (t.invocations > 0) {
                record(k, "Invocations", dims, Metrics.Stats.of(1, t.invocations), "Count", at);
                // One Errors sample per invocation, 1 for a failed one: Average is the error rate.
                Metrics.Stats errors = t.errors == t.invocations ? Metrics.Stats.of(1, t.errors)
                        : t.errors == 0 ? Metrics.Stats.of(0, t.invocations) : Metrics.Stats.of(0, t.invocations - t.errors).plus(Metrics.Stats.of(1, t.errors));
                record(k, "Errors", dims, errors, "Count", at);
                record(k, "Duration", dims, t.duration(), "Milliseconds", at);
            }
            if (t.throttles > 0) record(k, "Throttles", dims, Metrics.Stats.of(1, t.throttles), "Count", at);
        }
    }

    private void record(Key k, String name, Map<String, String> dims, Metrics.Stats s, String unit, Instant at) {
        metrics.record(k.account(), k.region(), NAMESPACE, name, new TreeMap<>(dims), s, unit, at, 60);
    }

    /** Writes what is left; called before the store closes. */
    @Override
    public void close() {
        flusher.shutdown();
        flush();
    }
}
