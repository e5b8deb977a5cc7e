package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.compute.Invocation;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Targets;
import dev.nimbus.services.Workers;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Asynchronous invocation (InvocationType Event), as Lambda runs it: each event is written to the
 * store's table {@code lambda.events} before Invoke answers 202 (a restart loses none), and a
 * worker runs it when due, through the same path as a synchronous Invoke. Function errors are
 * retried up to MaximumRetryAttempts times, one then two minutes apart; throttles (429) and system
 * errors do not use up attempts and back off from 1 s, doubling up to 5 minutes; an event older
 * than MaximumEventAgeInSeconds is dropped. The outcome goes to the configured destination with
 * Lambda's invocation record. An event is deleted from the store only once it is finished, so an
 * event running when the server stops runs again after the restart (Lambda too delivers an
 * event at least once).
 */
final class AsyncInvoker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AsyncInvoker.class.getName());
    static final String TABLE = "lambda.events";
    /** AWS's limit on an asynchronous invocation's payload (it was 256 KB until 2025). */
    static final int MAX_PAYLOAD = 1024 * 1024;
    /** Events that run at once; the others wait in the queue (the function's own concurrency limits apply besides). */
    private static final int WORKERS = 64;
    /** Lambda waits one minute before the first retry of a function error, two before the second; tests shorten it. */
    static volatile Duration retryDelay = Duration.ofMinutes(1);
    /** The first back-off after a throttle; it doubles per throttle up to 300 times this (5 minutes, as in AWS). */
    static volatile Duration throttleDelay = Duration.ofSeconds(1);
    /** The clock events' ages are measured by; tests move it forward instead of waiting out MaximumEventAgeInSeconds. */
    static volatile Clock clock = Clock.systemUTC();

    private final Store store;
    private final Table events;
    private final EventInvokeConfigs configs;
    private final LambdaService lambda;
    /** Ids of stored events by the time they are due: the worker blocks on it, no polling. */
    private final DelayQueue<Due> queue = new DelayQueue<>();
    /** Ids in the queue: an event stored just before start() is both queued by Invoke and found by start's scan, and must run once. */
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final Semaphore running = new Semaphore(WORKERS);
    private final Targets targets;
    private Thread worker;
    private volatile boolean closed;

    private record Due(String id, long at) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(at - System.currentTimeMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(at, ((Due) o).at);
        }
    }

    AsyncInvoker(Store store, EventInvokeConfigs configs, LambdaService lambda, Targets targets) {
        this.targets = targets;
        this.store = store;
        this.events = store.table(TABLE);
        this.configs = configs;
        this.lambda = lambda;
    }

    /** Queues what the store holds from before a restart and starts the worker (once the server listens: functions call back into it). */
    synchronized void start() {
        if (worker != null || closed) return;
        for (Table.Entry e : events.scan("", null, Integer.MAX_VALUE)) schedule(e.key(), e.json().path("due").asLong());
        worker = Thread.ofVirtual().name("lambda-async").start(this::work);
    }

    /**
     * Stores an event for a function invoked with {@code qualifier} (a version, an alias, $LATEST,
     * or null: unqualified); it is queued once the surrounding transaction, if any, has committed
     * (callers outside a transaction get that at once). An alias picks its version when the event runs.
     */
    Runnable enqueue(String account, String region, String function, String qualifier, String requestId, byte[] payload) {
        long now = System.currentTimeMillis();
        ObjectNode event = Values.object()
                .put("account", account).put("region", region).put("function", function).put("requestId", requestId);
        if (qualifier != null) event.put("qualifier", qualifier);
        event
                .put("payload", Base64.getEncoder().encodeToString(payload))
                .put("enqueued", clock.millis()).put("due", now).put("errors", 0).put("throttles", 0).put("invokes", 0);
        String id = UUID.randomUUID().toString();
        events.putJson(id, event);
        return () -> {
            schedule(id, now);
            var metrics = lambda.metrics();
            if (metrics != null) metrics.asyncReceived(account, region, function, qualifier);
        };
    }

    private void schedule(String id, long at) {
        if (!closed && queued.add(id)) queue.add(new Due(id, at));
    }

    private void work() {
        try {
            while (!closed) {
                Due due = queue.take();
                queued.remove(due.id());
                running.acquire();
                Thread.ofVirtual().name("lambda-async-event").start(() -> {
                    try {
                        process(due.id());
                    } catch (RuntimeException e) {
                        // The event stays stored and runs again after a restart; a bug here must not stop the worker.
                        LOG.log(Level.WARNING, "asynchronous event " + due.id() + " failed in Nimbus", e);
                    } finally {
                        running.release();
                    }
                });
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    private void process(String id) {
        JsonNode stored = events.getJson(id);
        if (stored == null || closed) return;
        ObjectNode event = (ObjectNode) stored;
        String account = event.get("account").asText(), region = event.get("region").asText(), function = event.get("function").asText();
        String qualifier = event.path("qualifier").asText(null);
        JsonNode config = configs.find(account, region, function, qualifier);
        int maxRetries = config == null ? EventInvokeConfigs.DEFAULT_RETRIES : config.path("MaximumRetryAttempts").asInt(EventInvokeConfigs.DEFAULT_RETRIES);
        int maxAge = config == null ? EventInvokeConfigs.DEFAULT_MAX_AGE : config.path("MaximumEventAgeInSeconds").asInt(EventInvokeConfigs.DEFAULT_MAX_AGE);
        if (clock.millis() - event.get("enqueued").asLong() > maxAge * 1000L) {
            finish(id, event, config, "EventAgeExceeded", null);
            return;
        }
        byte[] payload = Base64.getDecoder().decode(event.get("payload").asText());
        long age = clock.millis() - event.get("enqueued").asLong();
        LambdaService.Executed executed;
        try {
            executed = lambda.invokeAsync(account, region, function, qualifier, event.get("requestId").asText(), payload);
        } catch (RuntimeException e) {
            // Throttles and system errors are retried until the event is too old, without using up attempts.
            if (!(e instanceof AwsException a && a.status() == 429)) {
                LOG.log(Level.WARNING, "asynchronous event " + event.get("requestId").asText() + " of " + function + " could not run; it is retried", e);
            }
            int throttles = event.get("throttles").asInt() + 1;
            retry(id, event.put("throttles", throttles), throttleBackoff(throttles));
            return;
        }
        if (executed == null) { // the function (or its version or alias) was deleted meanwhile: nothing to run, nowhere to report
            events.delete(id);
            LOG.info("asynchronous event " + event.get("requestId").asText() + " dropped: function " + function
                    + (qualifier == null ? "" : ":" + qualifier) + " no longer exists");
            return;
        }
        var metrics = lambda.metrics();
        if (metrics != null) metrics.asyncInvoked(account, region, function, qualifier, age);
        Invocation.Result result = executed.result();
        event.put("invokes", event.get("invokes").asInt() + 1).put("executedVersion", executed.version());
        if (result.functionError() == null) {
            finish(id, event, config, "Success", result);
            return;
        }
        int errors = event.get("errors").asInt() + 1;
        event.put("errors", errors);
        if (errors > maxRetries) {
            finish(id, event, config, "RetriesExhausted", result);
        } else {
            retry(id, event, retryDelay.multipliedBy(errors).toMillis());
        }
    }

    private static long throttleBackoff(int throttles) {
        long base = throttleDelay.toMillis();
        return Math.min(base * 300, base << Math.min(throttles - 1, 20));
    }

    private void retry(String id, ObjectNode event, long delayMillis) {
        long due = System.currentTimeMillis() + delayMillis;
        events.putJson(id, event.put("due", due));
        schedule(id, due);
    }

    /** Sends the outcome to its destination and the failed event to the dead-letter target (if any), and removes the event, together. */
    private void finish(String id, ObjectNode event, JsonNode config, String condition, Invocation.Result result) {
        String side = condition.equals("Success") ? "OnSuccess" : "OnFailure";
        String destination = config == null ? "" : config.path("DestinationConfig").path(side).path("Destination").asText("");
        String deadLetter = null;
        if (!condition.equals("Success")) {
            LOG.info("asynchronous event " + event.get("requestId").asText() + " of " + event.get("function").asText() + " failed: " + condition);
            deadLetter = lambda.deadLetterTarget(event.get("account").asText(), event.get("region").asText(), event.get("function").asText(),
                    event.path("qualifier").asText(null));
        }
        String dlq = deadLetter;
        String account = event.get("account").asText(), region = event.get("region").asText(), function = event.get("function").asText();
        String qualifier = event.path("qualifier").asText(null);
        var metrics = lambda.metrics();
        if (metrics != null && !condition.equals("Success")) metrics.asyncDropped(account, region, function, qualifier);
        List<Runnable> afterCommit = new ArrayList<>();
        store.transaction(() -> {
            events.delete(id);
            if (dlq != null) {
                afterCommit.add(Destinations.deadLetter(targets, dlq, event, condition, result, () -> {
                    if (metrics != null) metrics.deadLetterError(account, region, function, qualifier);
                }));
            }
            if (!destination.isEmpty()) {
                afterCommit.add(Destinations.send(targets, destination, record(event, condition, result), () -> {
                    if (metrics != null) metrics.destinationDeliveryFailure(account, region, function, qualifier);
                }));
            }
        });
        afterCommit.stream().filter(r -> r != null).forEach(Runnable::run);
    }

    /** Lambda's invocation record for destinations. */
    private static ObjectNode record(JsonNode event, String condition, Invocation.Result result) {
        String account = event.get("account").asText(), region = event.get("region").asText();
        ObjectNode record = Values.object().put("version", "1.0").put("timestamp", Values.isoMillis(Instant.now()));
        record.putObject("requestContext")
                .put("requestId", event.get("requestId").asText())
                .put("functionArn", "arn:aws:lambda:" + region + ":" + account + ":function:" + event.get("function").asText() + ":"
                        + event.path("qualifier").asText(LambdaService.LATEST))
                .put("condition", condition)
                .put("approximateInvokeCount", event.get("invokes").asInt());
        record.set("requestPayload", json(Base64.getDecoder().decode(event.get("payload").asText())));
        if (result != null) {
            ObjectNode response = record.putObject("responseContext").put("statusCode", 200)
                    .put("executedVersion", event.path("executedVersion").asText(LambdaService.LATEST));
            if (result.functionError() != null) response.put("functionError", result.functionError());
            record.set("responsePayload", json(result.payload()));
        }
        return record;
    }

    /** A payload as JSON when it is JSON (functions' results are), else as a string; empty is null. */
    private static JsonNode json(byte[] payload) {
        if (payload == null || payload.length == 0) return Values.NODES.nullNode();
        try {
            return Values.JSON.readTree(payload);
        } catch (IOException e) {
            return Values.NODES.textNode(new String(payload, StandardCharsets.UTF_8));
        }
    }

    /** Stops taking events and waits briefly for those running; unfinished ones stay stored for the next start. */
    @Override
    public void close() {
        Thread w;
        synchronized (this) {
            closed = true;
            w = worker;
        }
        Workers.stop(w, running, WORKERS);
    }
}
