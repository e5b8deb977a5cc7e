package dev.nimbus.services.cloudwatch;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The AWS/Lambda metrics Lambda publishes, as AWS does: Invocations, Errors, Duration and Throttles
 * under {FunctionName}, {FunctionName, Resource} (Resource: the name, or name:qualifier when the
 * caller named a version or alias), {FunctionName, ExecutedVersion} (invocations of a version or
 * alias) and no dimension (all functions); ConcurrentExecutions (the most running at once in the
 * minute: view it with Maximum) under {FunctionName} and no dimension, UnreservedConcurrentExecutions
 * (the same for the functions without reserved concurrency) under no dimension; the asynchronous-invocation
 * metrics AsyncEventsReceived, AsyncEventAge (milliseconds from queueing to each invoke),
 * AsyncEventsDropped, DeadLetterErrors and DestinationDeliveryFailures under {FunctionName} and
 * {FunctionName, Resource}.
 *
 * Everything is tallied in memory per function, qualifier and minute and written once a second: a
 * store write per invocation (nine metric buckets, each rewritten whole) capped warm invokes at a
 * few hundred a second, while AWS itself shows these metrics about a minute late.
 */
public final class LambdaMetrics implements AutoCloseable {
    private static final String NAMESPACE = "AWS/Lambda";

    /** qualifier: what the caller named (null: unqualified); version: the version that ran, kept only for a qualified call. */
    private record Key(String account, String region, String function, String qualifier, String version, long minute) {}

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
        /**
         * The most invocations running at once seen at an invocation's start: of the function, of the
         * account in the region, and of the account's functions without reserved concurrency.
         */
        int concurrent, accountConcurrent, unreservedConcurrent;
        double asyncReceived, asyncDropped, deadLetterErrors, destinationFailures;
        double ageCount, ageSum, ageMin = Double.POSITIVE_INFINITY, ageMax = Double.NEGATIVE_INFINITY;

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

    /**
     * A finished invocation (errors included): Invocations, Errors, Duration, ConcurrentExecutions and
     * UnreservedConcurrentExecutions. {@code concurrent}, {@code accountConcurrent} and
     * {@code unreservedConcurrent} are the invocations of the function, of the account, and of the
     * account's functions without reserved concurrency, running once this one was admitted: the peak is always at some start.
     */
    public void invoked(String account, String region, String function, String qualifier, String version, long nanos, boolean error,
                        int concurrent, int accountConcurrent, int unreservedConcurrent) {
        pending.compute(key(account, region, function, qualifier, version), (k, t) -> {
            if (t == null) t = new Tally();
            t.invocations++;
            if (error) t.errors++;
            t.duration(nanos / 1e6);
            t.concurrent = Math.max(t.concurrent, concurrent);
            t.accountConcurrent = Math.max(t.accountConcurrent, accountConcurrent);
            t.unreservedConcurrent = Math.max(t.unreservedConcurrent, unreservedConcurrent);
            return t;
        });
    }

    /** An invocation refused for concurrency. */
    public void throttled(String account, String region, String function, String qualifier, String version) {
        tally(account, region, function, qualifier, version, t -> t.throttles++);
    }

    /** An asynchronous event queued (Invoke answered 202, or another service's delivery committed). */
    public void asyncReceived(String account, String region, String function, String qualifier) {
        tally(account, region, function, qualifier, null, t -> t.asyncReceived++);
    }

    /** An asynchronous event run, {@code ageMillis} after it was queued (retries run older). */
    public void asyncInvoked(String account, String region, String function, String qualifier, long ageMillis) {
        tally(account, region, function, qualifier, null, t -> {
            t.ageCount++;
            t.ageSum += ageMillis;
            t.ageMin = Math.min(t.ageMin, ageMillis);
            t.ageMax = Math.max(t.ageMax, ageMillis);
        });
    }

    /** An asynchronous event given up on (retries exhausted or too old), whether or not it then went to a DLQ or destination. */
    public void asyncDropped(String account, String region, String function, String qualifier) {
        tally(account, region, function, qualifier, null, t -> t.asyncDropped++);
    }

    /** A failed event that could not be sent to the function's dead-letter queue or topic. */
    public void deadLetterError(String account, String region, String function, String qualifier) {
        tally(account, region, function, qualifier, null, t -> t.deadLetterErrors++);
    }

    /** An invocation record that could not be delivered to its destination. */
    public void destinationDeliveryFailure(String account, String region, String function, String qualifier) {
        tally(account, region, function, qualifier, null, t -> t.destinationFailures++);
    }

    private void tally(String account, String region, String function, String qualifier, String version, java.util.function.Consumer<Tally> change) {
        pending.compute(key(account, region, function, qualifier, version), (k, t) -> {
            if (t == null) t = new Tally();
            change.accept(t);
            return t;
        });
    }

    private Key key(String account, String region, String function, String qualifier, String version) {
        return new Key(account, region, function, qualifier, qualifier == null ? null : version,
                Math.floorDiv(metrics.clock().instant().getEpochSecond(), 60));
    }

    /** Writes what was tallied since the last flush, one store transaction. */
    synchronized void flush() {
        metrics.publish(pending, this::write, NAMESPACE);
    }

    private void write(Key k, Tally t) {
        Instant at = Instant.ofEpochSecond(k.minute() * 60);
        Map<String, String> byName = Map.of("FunctionName", k.function());
        Map<String, String> byResource = Map.of("FunctionName", k.function(), "Resource",
                k.qualifier() == null ? k.function() : k.function() + ":" + k.qualifier());
        List<Map<String, String>> dimensionSets = k.version() == null ? List.of(byName, byResource, Map.of())
                : List.of(byName, byResource, Map.of(), Map.of("FunctionName", k.function(), "ExecutedVersion", k.version()));
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
        if (t.concurrent > 0) {
            record(k, "ConcurrentExecutions", byName, Metrics.Stats.of(t.concurrent, 1), "Count", at);
            record(k, "ConcurrentExecutions", Map.of(), Metrics.Stats.of(t.accountConcurrent, 1), "Count", at);
            record(k, "UnreservedConcurrentExecutions", Map.of(), Metrics.Stats.of(t.unreservedConcurrent, 1), "Count", at);
        }
        for (Map<String, String> dims : List.of(byName, byResource)) {
            if (t.asyncReceived > 0) record(k, "AsyncEventsReceived", dims, Metrics.Stats.of(1, t.asyncReceived), "Count", at);
            if (t.ageCount > 0) {
                record(k, "AsyncEventAge", dims, new Metrics.Stats(t.ageCount, t.ageSum, t.ageMin, t.ageMax, null), "Milliseconds", at);
            }
            if (t.asyncDropped > 0) record(k, "AsyncEventsDropped", dims, Metrics.Stats.of(1, t.asyncDropped), "Count", at);
            if (t.deadLetterErrors > 0) record(k, "DeadLetterErrors", dims, Metrics.Stats.of(1, t.deadLetterErrors), "Count", at);
            if (t.destinationFailures > 0) {
                record(k, "DestinationDeliveryFailures", dims, Metrics.Stats.of(1, t.destinationFailures), "Count", at);
            }
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
