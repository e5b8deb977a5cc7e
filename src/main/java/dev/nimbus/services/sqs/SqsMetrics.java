package dev.nimbus.services.sqs;

import dev.nimbus.services.cloudwatch.Metrics;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * AWS/SQS metrics under {QueueName}: NumberOfMessagesSent, NumberOfMessagesReceived,
 * NumberOfEmptyReceives, NumberOfMessagesDeleted and SentMessageSize, tallied in memory and
 * written every few seconds (a store write per message would halve throughput); and once a
 * minute, for every queue, ApproximateNumberOfMessagesVisible / NotVisible / Delayed.
 */
final class SqsMetrics implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SqsMetrics.class.getName());
    private static final String NAMESPACE = "AWS/SQS";

    private static final class Tally {
        final LongAdder sent = new LongAdder(), sentBytes = new LongAdder(), received = new LongAdder(), empty = new LongAdder(), deleted = new LongAdder();
    }

    private final Metrics metrics;
    private final Queues queues;
    private final Map<Queue, Tally> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sqs-metrics").factory());
    private long lastGauges;

    SqsMetrics(Metrics metrics, Queues queues) {
        this.metrics = metrics;
        this.queues = queues;
        flusher.scheduleWithFixedDelay(this::flush, 5, 5, TimeUnit.SECONDS);
    }

    private Tally tally(Queue q) {
        return pending.computeIfAbsent(q, k -> new Tally());
    }

    void sent(Queue q, int messages, long bytes) {
        Tally t = tally(q);
        t.sent.add(messages);
        t.sentBytes.add(bytes);
    }

    void received(Queue q, int messages) {
        Tally t = tally(q);
        if (messages == 0) t.empty.increment();
        else t.received.add(messages);
    }

    void deleted(Queue q, int messages) {
        tally(q).deleted.add(messages);
    }

    /** Writes the tallies since the last flush, and the queues' sizes once a minute, in one store transaction. */
    synchronized void flush() {
        try {
            Instant now = Instant.now();
            boolean gauges = now.toEpochMilli() - lastGauges >= 60_000;
            if (pending.isEmpty() && !gauges) return;
            // Counted before the store transaction: a queue's lock is never taken inside one (receives take the lock, then write).
            Map<Queue, long[]> sizes = new java.util.HashMap<>();
            if (gauges) for (Queues.Entry e : queues.all()) sizes.put(e.queue(), e.queue().counts());
            metrics.batch(() -> {
                for (Queue q : List.copyOf(pending.keySet())) {
                    Tally t = pending.remove(q);
                    if (t == null) continue;
                    long sent = t.sent.sum();
                    put(q, "NumberOfMessagesSent", sent, "Count", now);
                    if (sent > 0) put(q, "SentMessageSize", (double) t.sentBytes.sum() / sent, "Bytes", now);
                    put(q, "NumberOfMessagesReceived", t.received.sum(), "Count", now);
                    put(q, "NumberOfEmptyReceives", t.empty.sum(), "Count", now);
                    put(q, "NumberOfMessagesDeleted", t.deleted.sum(), "Count", now);
                }
                sizes.forEach((q, c) -> {
                    put(q, "ApproximateNumberOfMessagesVisible", c[0], "Count", now);
                    put(q, "ApproximateNumberOfMessagesNotVisible", c[1], "Count", now);
                    put(q, "ApproximateNumberOfMessagesDelayed", c[2], "Count", now);
                });
            });
            if (gauges) lastGauges = now.toEpochMilli();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not publish AWS/SQS metrics", e);
        }
    }

    private void put(Queue q, String name, double value, String unit, Instant at) {
        metrics.put(q.account, q.region, NAMESPACE, name, Map.of("QueueName", q.name), value, unit, at);
    }

    @Override
    public void close() {
        flusher.shutdown();
        flush();
    }
}
