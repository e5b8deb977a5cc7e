package dev.nimbus.services.sns;

import dev.nimbus.services.Targets;
import dev.nimbus.services.cloudwatch.Metrics;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * AWS/SNS metrics under the TopicName dimension: NumberOfMessagesPublished,
 * NumberOfNotificationsDelivered and NumberOfNotificationsFailed. Tallied in memory per topic and
 * minute and written once a second, as Lambda's are: a store write per publish would cost more
 * than the publish.
 */
final class SnsMetrics implements AutoCloseable {
    private static final String NAMESPACE = "AWS/SNS";

    private record Key(String account, String region, String topic, String metric, long minute) {}

    private final Metrics metrics;
    private final Map<Key, Long> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sns-metrics").factory());

    SnsMetrics(Metrics metrics) {
        this.metrics = metrics;
        flusher.scheduleWithFixedDelay(this::flush, 1, 1, TimeUnit.SECONDS);
    }

    void published(String topicArn) {
        add(topicArn, "NumberOfMessagesPublished");
    }

    void delivered(String topicArn) {
        delivered(topicArn, 1);
    }

    void delivered(String topicArn, long n) {
        add(topicArn, "NumberOfNotificationsDelivered", n);
    }

    void failed(String topicArn) {
        add(topicArn, "NumberOfNotificationsFailed");
    }

    private void add(String topicArn, String metric) {
        add(topicArn, metric, 1);
    }

    private void add(String topicArn, String metric, long n) {
        Targets.Arn a = Targets.Arn.parse(topicArn);
        long minute = Math.floorDiv(System.currentTimeMillis(), 60_000);
        pending.merge(new Key(a.account(), a.region(), a.resource(), metric, minute), n, Long::sum);
    }

    synchronized void flush() {
        metrics.publish(pending, (k, n) -> metrics.put(k.account(), k.region(), NAMESPACE, k.metric(), Map.of("TopicName", k.topic()), n, "Count",
                Instant.ofEpochSecond(k.minute() * 60)), NAMESPACE);
    }

    @Override
    public void close() {
        flusher.shutdown();
        flush();
    }
}
