package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.compute.Invocation;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import dev.nimbus.store.Table;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Create/Get/Update/Delete/ListEventSourceMappings, and a poller per enabled mapping: it gathers
 * a batch (BatchSize records, or what arrived within MaximumBatchingWindowInSeconds), drops the
 * records FilterCriteria rejects, and invokes the function's $LATEST with {"Records": [...]},
 * up to ScalingConfig.MaximumConcurrency batches at once (one at a time for a source that keeps
 * order: streams). Records of a successful batch are settled; on a function error all of them (or,
 * with ReportBatchItemFailures, those the function names) are left to the source's retry policy.
 * Mappings live in table {@code lambda.esm}, key account/region/UUID, and their pollers start
 * again with the server.
 */
final class EventSourceMappings implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventSourceMappings.class.getName());
    static final String TABLE = "lambda.esm";
    /** Pollers Lambda starts for a queue without MaximumConcurrency. */
    private static final int DEFAULT_CONCURRENCY = 5;
    /** A batch stops growing before the invocation payload limit. */
    private static final int MAX_BATCH_BYTES = 6 * 1024 * 1024 - 64 * 1024;

    private final LambdaService lambda;
    private final Map<String, EventSource> sources = new ConcurrentHashMap<>();
    private final Map<String, Thread> pollers = new ConcurrentHashMap<>();
    private volatile boolean started;
    private volatile boolean closed;

    EventSourceMappings(LambdaService lambda) {
        this.lambda = lambda;
    }

    /** Looked up when used: this is built while LambdaService's own fields (its store) are being set. */
    private Table mappings() {
        return lambda.store().table(TABLE);
    }

    /** Adds the reader of a service's ARNs ("sqs"). */
    void source(String service, EventSource source) {
        sources.put(service, source);
    }

    void register(Operations ops) {
        ops.add("CreateEventSourceMapping", this::create)
                .add("GetEventSourceMapping", (ctx, in) -> get(ctx, Values.text(in, "UUID")))
                .add("UpdateEventSourceMapping", this::update)
                .add("DeleteEventSourceMapping", this::delete)
                .add("ListEventSourceMappings", this::list);
    }

    /** Starts the pollers of the stored enabled mappings (once the server listens: functions call back into it). */
    synchronized void start() {
        started = true;
        for (Table.Entry e : mappings().scan("", null, Integer.MAX_VALUE)) {
            if (e.json().path("State").asText().equals("Enabled")) startPoller(e.key());
        }
    }

    private EventSource sourceOf(String arn) {
        String[] p = arn.split(":");
        EventSource s = p.length > 2 ? sources.get(p[2]) : null;
        if (s == null) throw new AwsException("InvalidParameterValueException", "Nimbus does not read events from " + (p.length > 2 ? p[2] : arn) + " yet", 400);
        return s;
    }

    private static AwsException notFound() {
        return new AwsException("ResourceNotFoundException", "The resource you requested does not exist.", 404);
    }

    private JsonNode create(RequestContext ctx, ObjectNode in) {
        String sourceArn = Values.text(in, "EventSourceArn");
        EventSource source = sourceOf(sourceArn);
        LambdaService.Ref ref = LambdaService.ref(ctx, Values.text(in, "FunctionName"));
        if (ref.qualifier() != null && !ref.qualifier().equals(LambdaService.LATEST)) {
            throw new AwsException("NotImplemented", "Nimbus does not implement event source mappings to a published version or alias yet", 501, false);
        }
        ObjectNode function = lambda.load(ctx, new LambdaService.Ref(ref.name(), null));
        String uuid = UUID.randomUUID().toString();
        ObjectNode m = Values.object().put("UUID", uuid);
        m.setAll(source.defaults());
        m.put("EventSourceArn", sourceArn)
                .put("FunctionArn", function.get("Configuration").get("FunctionArn").asText());
        apply(in, m);
        m.put("State", in.path("Enabled").asBoolean(true) ? "Enabled" : "Disabled").put("StateTransitionReason", "USER_INITIATED")
                .put("EventSourceMappingArn", ctx.arn("lambda", "event-source-mapping:" + uuid));
        source.check(sourceArn, m, function.get("Configuration").path("Timeout").asInt(3));
        String key = LambdaService.key(ctx, uuid);
        lambda.store().transaction(() -> {
            for (Table.Entry e : mappings().scan(ctx.accountId() + "/" + ctx.region() + "/", null, Integer.MAX_VALUE)) {
                JsonNode other = e.json();
                if (other.get("EventSourceArn").asText().equals(sourceArn) && other.get("FunctionArn").asText().equals(m.get("FunctionArn").asText())) {
                    // Lambda words it one way for queues, another for streams.
                    String named = sourceArn.split(":")[2].equals("sqs") ? "An event source mapping with SQS arn (\" " + sourceArn + " \") and function (\" "
                            + ref.name() + " \") already exists." : "The event source arn (\" " + sourceArn + " \") and function (\" " + ref.name()
                            + " \") provided mapping already exists.";
                    throw new AwsException("ResourceConflictException", named + " Please update or delete the existing mapping with UUID " + other.get("UUID").asText(), 409);
                }
            }
            mappings().putJson(key, m);
        });
        if (m.get("State").asText().equals("Enabled")) startPoller(key);
        return shown(m, m.get("State").asText().equals("Enabled") ? "Creating" : "Disabled");
    }

    /** The settings Create and Update share. */
    private static void apply(ObjectNode in, ObjectNode m) {
        for (String field : List.of("BatchSize", "MaximumBatchingWindowInSeconds", "StartingPosition", "StartingPositionTimestamp", "BisectBatchOnFunctionError",
                "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "DestinationConfig")) {
            if (in.hasNonNull(field)) m.set(field, in.get(field));
        }
        if (in.has("FilterCriteria")) {
            EventFilter.of(in.get("FilterCriteria"));
            if (in.get("FilterCriteria").path("Filters").isEmpty()) m.remove("FilterCriteria");
            else m.set("FilterCriteria", in.get("FilterCriteria"));
        }
        if (in.has("FunctionResponseTypes")) m.set("FunctionResponseTypes", in.get("FunctionResponseTypes"));
        else if (!m.has("FunctionResponseTypes")) m.putArray("FunctionResponseTypes");
        if (in.has("ScalingConfig")) {
            if (in.get("ScalingConfig").has("MaximumConcurrency")) m.set("ScalingConfig", in.get("ScalingConfig"));
            else m.remove("ScalingConfig");
        }
        m.set("LastModified", Values.epochSeconds(Instant.now()));
    }

    private static ObjectNode shown(JsonNode m, String state) {
        ObjectNode out = ((ObjectNode) m.deepCopy()).put("State", state);
        out.put("LastProcessingResult", "No records processed");
        return out;
    }

    private JsonNode get(RequestContext ctx, String uuid) {
        JsonNode m = mappings().getJson(LambdaService.key(ctx, uuid));
        if (m == null) throw notFound();
        return shown(m, m.get("State").asText());
    }

    private JsonNode update(RequestContext ctx, ObjectNode in) {
        String key = LambdaService.key(ctx, Values.text(in, "UUID"));
        ObjectNode m = lambda.store().transaction(() -> {
            JsonNode stored = mappings().getJson(key);
            if (stored == null) throw notFound();
            ObjectNode updated = (ObjectNode) stored;
            if (in.hasNonNull("FunctionName")) {
                LambdaService.Ref ref = LambdaService.ref(ctx, in.get("FunctionName").asText());
                updated.put("FunctionArn", lambda.load(ctx, new LambdaService.Ref(ref.name(), null)).get("Configuration").get("FunctionArn").asText());
            }
            apply(in, updated);
            if (in.hasNonNull("Enabled")) updated.put("State", in.get("Enabled").asBoolean() ? "Enabled" : "Disabled");
            String function = updated.get("FunctionArn").asText();
            JsonNode config = lambda.functions().getJson(ctx.accountId() + "/" + ctx.region() + "/" + function.substring(function.lastIndexOf(':') + 1));
            sourceOf(updated.get("EventSourceArn").asText()).check(updated.get("EventSourceArn").asText(), updated,
                    config == null ? 3 : config.path("Configuration").path("Timeout").asInt(3));
            mappings().putJson(key, updated);
            return updated;
        });
        stopPoller(key);
        if (m.get("State").asText().equals("Enabled")) startPoller(key);
        return shown(m, m.get("State").asText().equals("Enabled") ? "Updating" : "Disabled");
    }

    private JsonNode delete(RequestContext ctx, ObjectNode in) {
        String key = LambdaService.key(ctx, Values.text(in, "UUID"));
        JsonNode m = mappings().getJson(key);
        if (m == null || !mappings().delete(key)) throw notFound();
        stopPoller(key);
        sourceOf(m.get("EventSourceArn").asText()).forget(m);
        return shown(m, "Deleting");
    }

    private JsonNode list(RequestContext ctx, ObjectNode in) {
        String sourceArn = Values.text(in, "EventSourceArn", null);
        String function = Values.text(in, "FunctionName", null);
        String functionName = function == null ? null : LambdaService.ref(ctx, function).name();
        int max = Values.integer(in, "MaxItems", 100);
        String marker = Values.text(in, "Marker", null);
        String prefix = ctx.accountId() + "/" + ctx.region() + "/";
        ArrayNode out = Values.array();
        String last = null;
        boolean more = false;
        for (Table.Entry e : mappings().scan(prefix, marker == null ? null : prefix + marker, Integer.MAX_VALUE)) {
            JsonNode m = e.json();
            if (sourceArn != null && !m.get("EventSourceArn").asText().equals(sourceArn)) continue;
            String fn = m.get("FunctionArn").asText();
            if (functionName != null && !fn.substring(fn.lastIndexOf(':') + 1).equals(functionName)) continue;
            if (out.size() == max) {
                more = true;
                break;
            }
            out.add(shown(m, m.get("State").asText()));
            last = m.get("UUID").asText();
        }
        ObjectNode res = Values.object();
        res.set("EventSourceMappings", out);
        if (more) res.put("NextMarker", last);
        return res;
    }

    // ---- polling

    private synchronized void startPoller(String key) {
        if (!started || closed || pollers.containsKey(key)) return;
        Thread t = Thread.ofVirtual().name("lambda-esm-" + key).unstarted(() -> poll(key));
        pollers.put(key, t); // before it runs: the poller runs while it is the one registered
        t.start();
    }

    private void stopPoller(String key) {
        Thread t = pollers.remove(key);
        if (t != null) t.interrupt();
    }

    private boolean running(String key) {
        return !closed && pollers.containsKey(key) && pollers.get(key) == Thread.currentThread();
    }

    private void poll(String key) {
        JsonNode m = mappings().getJson(key);
        if (m == null) return;
        String arn = m.get("EventSourceArn").asText();
        EventSource source = sourceOf(arn);
        int concurrency = source.ordered() ? 1 : m.path("ScalingConfig").path("MaximumConcurrency").asInt(DEFAULT_CONCURRENCY);
        Semaphore invocations = new Semaphore(concurrency);
        long backoff = 0;
        while (running(key)) {
            try {
                if (backoff > 0) Thread.sleep(backoff);
                invocations.acquire();
            } catch (InterruptedException e) {
                return;
            }
            List<EventSource.Item> batch;
            try {
                batch = gather(key, m, source);
                backoff = 0;
            } catch (RuntimeException e) {
                // The queue was deleted, or another failure to read: try again later, as Lambda's pollers do.
                invocations.release();
                LOG.log(Level.FINE, "event source mapping " + m.get("UUID").asText() + " cannot read " + arn, e);
                backoff = Math.min(30_000, Math.max(1000, backoff * 2));
                continue;
            }
            if (batch.isEmpty()) {
                invocations.release();
                continue;
            }
            Thread.ofVirtual().name("lambda-esm-batch").start(() -> {
                try {
                    deliver(m, source, batch);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "event source mapping " + m.get("UUID").asText() + " failed in Nimbus; the batch is retried by its source", e);
                } finally {
                    invocations.release();
                }
            });
        }
    }

    /** One batch: up to BatchSize records, waiting for more up to the batching window once the first arrived. */
    private List<EventSource.Item> gather(String key, JsonNode m, EventSource source) {
        int batchSize = m.path("BatchSize").asInt(10);
        long window = m.path("MaximumBatchingWindowInSeconds").asInt(0) * 1000L;
        EventFilter filter = EventFilter.of(m.get("FilterCriteria"));
        List<EventSource.Item> items = new ArrayList<>();
        long deadline = 0;
        long bytes = 0;
        while (items.size() < batchSize && running(key)) {
            long now = System.currentTimeMillis();
            if (!items.isEmpty() && now >= deadline) break;
            int wait = items.isEmpty() ? 20 : (int) Math.max(1, (deadline - now + 999) / 1000);
            List<EventSource.Item> got = source.poll(m, batchSize - items.size(), wait);
            List<EventSource.Item> rejected = new ArrayList<>();
            for (EventSource.Item i : got) {
                if (!filter.matches(i.filterView())) rejected.add(i);
                else {
                    items.add(i);
                    bytes += i.record().toString().length();
                }
            }
            if (!rejected.isEmpty()) source.done(m, rejected); // Lambda deletes the messages its filters reject
            if (!items.isEmpty() && deadline == 0) deadline = System.currentTimeMillis() + window;
            if (bytes > MAX_BATCH_BYTES || (window == 0 && !items.isEmpty())) break;
        }
        return items;
    }

    private void deliver(JsonNode m, EventSource source, List<EventSource.Item> batch) {
        String fn = m.get("FunctionArn").asText();
        String[] p = fn.split(":");
        ObjectNode event = Values.object();
        ArrayNode records = event.putArray("Records");
        batch.forEach(i -> records.add(i.record()));
        Invocation.Result r;
        try {
            LambdaService.Executed executed = lambda.invokeAsync(p[4], p[3], p[6], p.length > 7 ? p[7] : null, UUID.randomUUID().toString(),
                    event.toString().getBytes(StandardCharsets.UTF_8));
            r = executed == null ? null : executed.result();
        } catch (AwsException e) {
            source.failed(m, batch, null); // throttled: the source retries the records
            return;
        }
        if (r == null || r.functionError() != null) {
            source.failed(m, batch, r);
            return;
        }
        boolean partial = false;
        for (JsonNode t : m.path("FunctionResponseTypes")) partial |= t.asText().equals("ReportBatchItemFailures");
        Set<String> failedIds = partial ? failedItems(r.payload(), batch) : Set.of();
        if (failedIds == null) {
            source.failed(m, batch, r);
            return;
        }
        List<EventSource.Item> ok = new ArrayList<>(), failed = new ArrayList<>();
        for (EventSource.Item i : batch) (failedIds.contains(i.id()) ? failed : ok).add(i);
        source.done(m, ok);
        if (!failed.isEmpty()) source.failed(m, failed, r);
    }

    /**
     * The ids a ReportBatchItemFailures response names ({"batchItemFailures": [{"itemIdentifier": id}]});
     * an empty or absent list means all succeeded; null (the whole batch failed) when an entry is
     * malformed or names no record of the batch, as Lambda treats it.
     */
    private static Set<String> failedItems(byte[] payload, List<EventSource.Item> batch) {
        JsonNode response;
        try {
            response = payload == null || payload.length == 0 ? null : Values.JSON.readTree(payload);
        } catch (IOException e) {
            return Set.of();
        }
        if (response == null || !response.isObject() || !response.has("batchItemFailures") || response.get("batchItemFailures").isNull()) return Set.of();
        Set<String> ids = new HashSet<>();
        batch.forEach(i -> ids.add(i.id()));
        Set<String> failed = new HashSet<>();
        for (JsonNode f : response.get("batchItemFailures")) {
            String id = f.path("itemIdentifier").asText("");
            if (id.isEmpty() || !ids.contains(id)) return null;
            failed.add(id);
        }
        return failed;
    }

    @Override
    public void close() {
        closed = true;
        for (String key : List.copyOf(pollers.keySet())) stopPoller(key);
    }
}
