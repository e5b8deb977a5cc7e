package dev.nimbus.services.cloudwatch;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The AWS/Lambda metrics Lambda publishes per invocation: Invocations, Errors, Duration and
 * Throttles, each under {FunctionName}, {FunctionName, Resource} and no dimension (all functions),
 * as AWS does. Written off the invoke path, in order.
 */
public final class LambdaMetrics {
    private static final Logger LOG = Logger.getLogger(LambdaMetrics.class.getName());
    private static final String NAMESPACE = "AWS/Lambda";

    private final Metrics metrics;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("lambda-metrics").factory());

    public LambdaMetrics(Metrics metrics) {
        this.metrics = metrics;
    }

    /** A finished invocation (errors included): Invocations, Errors and Duration. */
    public void invoked(String account, String region, String function, long nanos, boolean error) {
        Instant now = metrics.clock().instant();
        publish(account, region, function, now, Map.of("Invocations", 1.0, "Errors", error ? 1.0 : 0.0), nanos / 1e6);
    }

    /** An invocation refused for concurrency. */
    public void throttled(String account, String region, String function) {
        publish(account, region, function, metrics.clock().instant(), Map.of("Throttles", 1.0), null);
    }

    private void publish(String account, String region, String function, Instant at, Map<String, Double> counts, Double millis) {
        List<Map<String, String>> dimensionSets = List.of(Map.of("FunctionName", function), Map.of("FunctionName", function, "Resource", function), Map.of());
        writer.execute(() -> {
            try {
                metrics.batch(() -> {
                    for (Map<String, String> dims : dimensionSets) {
                        counts.forEach((name, v) -> metrics.put(account, region, NAMESPACE, name, dims, v, "Count", at));
                        if (millis != null) metrics.put(account, region, NAMESPACE, "Duration", dims, millis, "Milliseconds", at);
                    }
                });
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "could not publish the AWS/Lambda metrics of " + function, e);
            }
        });
    }
}
