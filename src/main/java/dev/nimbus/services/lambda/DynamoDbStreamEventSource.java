package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.compute.Invocation;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.StreamRecords;
import dev.nimbus.services.Targets;
import dev.nimbus.store.Store;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * DynamoDB streams as an event source, read through {@link StreamRecords}: records reach the
 * function in stream order (one shard, so in order per partition key), one batch at a time.
 * Each mapping's position (the next record it hands out) is kept in table
 * {@code lambda.esm.position} under the mapping's UUID and written when a batch settles, so a
 * restart resumes after the last successful batch. A failed batch is retried from its first
 * failed record, halved first with BisectBatchOnFunctionError, until MaximumRetryAttempts or
 * MaximumRecordAgeInSeconds gives up on it (-1: until the record leaves the stream); the
 * mapping then sends the batch's description to DestinationConfig.OnFailure and moves past it.
 */
final class DynamoDbStreamEventSource implements EventSource {
    static final String TABLE = "lambda.esm.position";
    /** How often an idle mapping looks for new records. */
    private static final long IDLE_MILLIS = 100;

    private final StreamRecords streams;
    private final Store store;
    private final Targets targets;
    private final Map<String, Position> positions = new ConcurrentHashMap<>();

    /** A mapping's reading state, guarded by itself. */
    private static final class Position {
        /** The mapping's LastModified it was read for: an updated (or re-enabled) mapping starts again from its stored position. */
        final String version;
        long next;
        /** Records handed out and not settled yet. */
        final TreeSet<Long> inFlight = new TreeSet<>();
        /** The records of the batch being gathered or invoked. */
        final List<Item> batch = new ArrayList<>();
        /** The most records the next batch may hold (a retried batch keeps its size; a bisected one halves). */
        int cap = Integer.MAX_VALUE;
        /** The first record of the batch being retried, and how often it was invoked. */
        long retrying = -1;
        int attempts;
        /** Retries back off: nothing is handed out before this time. */
        long notBefore;

        Position(String version) {
            this.version = version;
        }
    }

    DynamoDbStreamEventSource(StreamRecords streams, Store store, Targets targets) {
        this.streams = streams;
        this.store = store;
        this.targets = targets;
    }

    @Override
    public ObjectNode defaults() {
        ObjectNode d = Values.object().put("BatchSize", 100).put("MaximumBatchingWindowInSeconds", 0).put("ParallelizationFactor", 1);
        d.putObject("DestinationConfig").putObject("OnFailure");
        return d.put("MaximumRecordAgeInSeconds", -1).put("BisectBatchOnFunctionError", false).put("MaximumRetryAttempts", -1)
                .put("TumblingWindowInSeconds", 0);
    }

    @Override
    public boolean ordered() {
        return true;
    }

    @Override
    public void check(String arn, JsonNode mapping, int functionTimeout) {
        String position = mapping.path("StartingPosition").asText(null);
        if (position == null) {
            throw new AwsException("InvalidParameterValueException",
                    "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.", 400);
        }
        if (!position.equals("TRIM_HORIZON") && !position.equals("LATEST")) {
            throw new AwsException("InvalidParameterValueException", "Unsupported starting position for arn type: " + arn, 400);
        }
        if (streams.shardId(arn) == null) {
            throw new AwsException("InvalidParameterValueException", "Stream not found: " + arn, 400);
        }
    }

    private static long sequence(Item i) {
        return Long.parseLong(i.id());
    }

    private static long created(Item i) {
        return i.record().get("dynamodb").get("ApproximateCreationDateTime").asLong();
    }

    /**
     * The poller's state of the mapping as it reads it now. A poller stopped by an update may have
     * left records handed out and never settled: the next one starts from the stored position.
     */
    private Position position(JsonNode m, String arn) {
        String version = m.path("LastModified").asText();
        return positions.compute(m.get("UUID").asText(), (uuid, known) -> {
            if (known != null && known.version.equals(version)) return known;
            Position p = new Position(version);
            JsonNode saved = store.table(TABLE).getJson(uuid);
            if (saved != null) p.next = saved.get("Next").asLong();
            else {
                p.next = m.path("StartingPosition").asText().equals("LATEST") ? streams.end(arn) : 0;
                save(uuid, p.next);
            }
            return p;
        });
    }

    /** The state a batch of the mapping was read with, or null when the mapping changed since (its new poller reads the batch again). */
    private Position current(JsonNode m) {
        Position p = positions.get(m.get("UUID").asText());
        return p != null && p.version.equals(m.path("LastModified").asText()) ? p : null;
    }

    private void save(String uuid, long next) {
        store.table(TABLE).putJson(uuid, Values.object().put("Next", next));
    }

    @Override
    public List<Item> poll(JsonNode m, int max, int waitSeconds) {
        String arn = m.get("EventSourceArn").asText();
        Position p = position(m, arn);
        long deadline = System.currentTimeMillis() + waitSeconds * 1000L;
        while (true) {
            List<Item> got = take(p, arn, max);
            if (!got.isEmpty() || System.currentTimeMillis() >= deadline) return got;
            try {
                Thread.sleep(IDLE_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the mapping stops: its poller sees the flag
                return List.of();
            }
        }
    }

    private List<Item> take(Position p, String arn, int max) {
        synchronized (p) {
            int n = Math.min(max, p.cap - p.batch.size());
            if (n <= 0 || System.currentTimeMillis() < p.notBefore) return List.of();
            List<Item> out = new ArrayList<>();
            for (StreamRecords.Entry e : streams.read(arn, p.next, n)) {
                ObjectNode r = e.record().put("eventSourceARN", arn);
                Item i = new Item(r.get("dynamodb").get("SequenceNumber").asText(), r, r, null);
                p.inFlight.add(e.sequence());
                p.batch.add(i);
                p.next = e.sequence() + 1;
                out.add(i);
            }
            return out;
        }
    }

    @Override
    public void done(JsonNode m, List<Item> items) {
        Position p = current(m);
        if (p == null) return;
        synchronized (p) {
            items.forEach(i -> p.inFlight.remove(sequence(i)));
            if (!p.inFlight.isEmpty()) return; // settled with the rest of its batch
            p.batch.clear();
            p.cap = Integer.MAX_VALUE;
            p.retrying = -1;
            p.attempts = 0;
            save(m.get("UUID").asText(), p.next);
        }
    }

    @Override
    public void failed(JsonNode m, List<Item> items, Invocation.Result result) {
        Position p = current(m);
        if (p == null) return;
        Runnable after;
        synchronized (p) {
            long first = Long.MAX_VALUE;
            for (Item i : items) {
                first = Math.min(first, sequence(i));
                p.inFlight.remove(sequence(i));
            }
            long from = first;
            // What is retried: the batch from its first failed record on (records after it that succeeded run again, as in Lambda).
            List<Item> retried = p.batch.stream().filter(i -> sequence(i) >= from).toList();
            if (p.retrying != first) {
                p.retrying = first;
                p.attempts = 0;
            }
            p.attempts++;
            // Bisection and the retry quota are about function errors; a batch that could not be invoked (throttled) waits for its records' age limit.
            boolean invoked = result != null;
            boolean bisect = invoked && m.path("BisectBatchOnFunctionError").asBoolean(false) && retried.size() > 1;
            int maxRetries = m.path("MaximumRetryAttempts").asInt(-1);
            int maxAge = m.path("MaximumRecordAgeInSeconds").asInt(-1);
            String condition = maxAge >= 0 && Instant.now().getEpochSecond() - created(retried.get(0)) > maxAge ? "RecordAgeExceeded"
                    : invoked && !bisect && maxRetries >= 0 && p.attempts > maxRetries ? "RetryAttemptsExhausted" : null;
            ObjectNode record = condition == null ? null : failureRecord(m, retried, condition, p.attempts, result);
            int invocations = p.attempts;
            p.batch.clear();
            if (condition != null) {
                // Given up: the position stays after the batch.
                p.cap = Integer.MAX_VALUE;
                p.retrying = -1;
                p.attempts = 0;
            } else {
                p.next = first;
                // Bisection does not count as a retry: the half starts its own count.
                p.cap = bisect ? (retried.size() + 1) / 2 : retried.size();
                if (bisect) p.attempts = 0;
                p.notBefore = System.currentTimeMillis() + Math.min(30_000, 100L << Math.min(invocations, 8));
            }
            long next = p.next;
            String destination = m.path("DestinationConfig").path("OnFailure").path("Destination").asText(null);
            after = store.transaction(() -> {
                save(m.get("UUID").asText(), next);
                return record != null && destination != null ? Destinations.send(targets, destination, record, () -> {}) : null; // a refusal is logged there
            });
        }
        if (after != null) after.run();
    }

    @Override
    public void forget(JsonNode m) {
        positions.remove(m.get("UUID").asText());
        store.table(TABLE).delete(m.get("UUID").asText());
    }

    /** What Lambda sends to a stream mapping's on-failure destination about a batch it gave up on. */
    private ObjectNode failureRecord(JsonNode m, List<Item> batch, String condition, int invocations, Invocation.Result result) {
        ObjectNode r = Values.object();
        r.putObject("requestContext").put("requestId", UUID.randomUUID().toString()).put("functionArn", m.get("FunctionArn").asText())
                .put("condition", condition).put("approximateInvokeCount", invocations);
        ObjectNode response = r.putObject("responseContext").put("statusCode", result == null ? 429 : 200).put("executedVersion", "$LATEST");
        if (result != null && result.functionError() != null) response.put("functionError", result.functionError());
        r.put("version", "1.0").put("timestamp", Values.iso8601(Instant.now()));
        String arn = m.get("EventSourceArn").asText();
        Item first = batch.get(0), last = batch.get(batch.size() - 1);
        r.putObject("DDBStreamBatchInfo").put("shardId", streams.shardId(arn)).put("startSequenceNumber", first.id()).put("endSequenceNumber", last.id())
                .put("approximateArrivalOfFirstRecord", Instant.ofEpochSecond(created(first)).toString())
                .put("approximateArrivalOfLastRecord", Instant.ofEpochSecond(created(last)).toString())
                .put("batchSize", batch.size()).put("streamArn", arn);
        return r;
    }
}
