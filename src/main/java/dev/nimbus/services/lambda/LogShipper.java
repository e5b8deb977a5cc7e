package dev.nimbus.services.lambda;

import dev.nimbus.services.logs.Logs;
import dev.nimbus.services.logs.LogsService;
import dev.nimbus.store.Store;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Ships invocation logs to CloudWatch Logs off the invoke path, in order, by one writer (the store
 * has one writer anyway).
 *
 * Whatever piled up while the writer was busy goes in one store transaction, and the invocations
 * of one environment (one stream) in as few PutLogEvents-sized appends as fit: a transaction per invocation (group and
 * stream checks, the events, the stream's and group's counters) cost more server CPU than the
 * rest of a warm invoke. Each append is a savepoint of its own, so a failing one loses only its events.
 */
final class LogShipper implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LogShipper.class.getName());
    /** Below CloudWatch Logs' 1 MB and 10,000 events a PutLogEvents, which the appends must respect. */
    private static final int MAX_BYTES = 512 * 1024;
    private static final int MAX_EVENTS = 5_000;
    /**
     * How long a drain waits for more to join it: under load, the invocations of that time share a
     * transaction and each environment's their stream's append. Lambda's own logs take seconds to show.
     */
    private static final long GATHER_MILLIS = 20;

    /** {@code bytes}: an upper bound of the events' size as CloudWatch Logs counts it (UTF-8 at most 3 bytes a char, plus 26 an event). */
    private record Shipment(String account, String region, String group, String stream, List<Logs.InputEvent> events, long bytes) {
        String key() {
            return account + "/" + region + "/" + group + "/" + stream;
        }

        Shipment join(Shipment later) {
            List<Logs.InputEvent> all = new ArrayList<>(events);
            all.addAll(later.events);
            return new Shipment(account, region, group, stream, all, bytes + later.bytes);
        }
    }

    private final Store store;
    private final LogsService logs;
    private final ConcurrentLinkedQueue<Shipment> queue = new ConcurrentLinkedQueue<>();
    /** Whether a drain is scheduled that has not started taking from the queue yet. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("lambda-logs").factory());

    LogShipper(Store store, LogsService logs) {
        this.store = store;
        this.logs = logs;
    }

    /** Queues the events for /aws/lambda/FUNCTION (or the function's log group), stream {@code stream}. */
    void ship(String account, String region, String group, String stream, List<Logs.InputEvent> events) {
        long bytes = 0;
        for (Logs.InputEvent e : events) bytes += e.message().length() * 3L + 26;
        queue.add(new Shipment(account, region, group, stream, events, bytes));
        if (scheduled.compareAndSet(false, true)) writer.schedule(this::drain, GATHER_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void drain() {
        scheduled.set(false); // what is queued from here on is taken by this drain or by the one it schedules
        List<Shipment> batch = new ArrayList<>();
        Map<String, Integer> open = new HashMap<>(); // stream -> the index of its shipment that later ones join while they fit
        for (Shipment s; (s = queue.poll()) != null; ) {
            Integer i = open.get(s.key());
            if (i != null && batch.get(i).events().size() + s.events().size() <= MAX_EVENTS && batch.get(i).bytes() + s.bytes() <= MAX_BYTES) {
                batch.set(i, batch.get(i).join(s));
            } else {
                open.put(s.key(), batch.size());
                batch.add(s);
            }
        }
        if (batch.isEmpty()) return;
        try {
            store.transaction(() -> {
                for (Shipment s : batch) {
                    try {
                        logs.append(s.account(), s.region(), s.group(), s.stream(), s.events());
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "could not write logs to " + s.group() + " in CloudWatch Logs", e);
                    }
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not write Lambda logs to CloudWatch Logs", e);
        }
    }

    /** Writes what is queued (the store closes after this): a drain scheduled before the shutdown still runs. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
