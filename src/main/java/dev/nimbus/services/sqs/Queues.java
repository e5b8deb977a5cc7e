package dev.nimbus.services.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.QueueMessages;
import dev.nimbus.services.Targets;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every queue, by account/region/name: created, found (by name, URL or ARN), deleted. Queue
 * records live in table {@code sqs.queues} ({attributes given, tags, created, modified}); their
 * messages in {@link Queue}. Also the receiving end of {@link Targets} for "sqs" ARNs and the
 * {@link QueueMessages} Lambda's pollers read through.
 */
final class Queues implements QueueMessages, AutoCloseable {
    static final String TABLE = "sqs.queues";
    private static final Logger LOG = Logger.getLogger(Queues.class.getName());

    /** A queue with its record. */
    record Entry(Queue queue, ObjectNode record) {}

    private final Store store;
    private final Table table;
    private final Supplier<String> endpoint;
    final LongSupplier clock;
    private final ConcurrentSkipListMap<String, Entry> byKey = new ConcurrentSkipListMap<>();
    private final Map<String, Entry> byArn = new ConcurrentHashMap<>();
    /** The same by parsed ARN, for {@link Targets} deliveries: looked up without putting the ARN's text together again per message. */
    private final Map<Targets.Arn, Entry> byTargetArn = new ConcurrentHashMap<>();
    private volatile SqsMetrics metrics;
    private final BodyBudget bodies;
    /** Writes the queues' delivery states behind receives ({@link Queue#saveStates}). */
    private final ScheduledExecutorService stateWriter =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sqs-states").factory());

    Queues(Store store, Supplier<String> endpoint, LongSupplier clock) {
        this(store, endpoint, clock, new BodyBudget(BodyBudget.DEFAULT_BYTES));
    }

    Queues(Store store, Supplier<String> endpoint, LongSupplier clock, BodyBudget bodies) {
        this.store = store;
        this.bodies = bodies;
        this.table = store.table(TABLE);
        this.endpoint = endpoint;
        this.clock = clock;
        Map<String, Queue> loading = new HashMap<>();
        for (java.util.Iterator<Table.Entry> it = table.iterate("", null, 500); it.hasNext(); ) {
            Table.Entry e = it.next();
            String[] k = e.key().split("/", 3);
            ObjectNode record = (ObjectNode) e.json();
            Queue q = new Queue(k[0], k[1], k[2], new QueueConfig((ObjectNode) record.get("attributes")), store, clock, bodies);
            loading.put(q.key, q);
            index(new Entry(q, record));
        }
        Queue.loadAll(store, loading);
        stateWriter.scheduleWithFixedDelay(this::saveStates, 1, 1, TimeUnit.SECONDS);
    }

    /** Every queue's delivery states changed since the last save. */
    private void saveStates() {
        for (Entry e : byKey.values()) {
            try {
                e.queue.saveStates();
            } catch (RuntimeException x) {
                LOG.log(Level.WARNING, "could not store the delivery states of queue " + e.queue.arn, x);
            }
        }
    }

    /** Stops the state writer after a last save (the store closes after the services). */
    @Override
    public void close() {
        stateWriter.shutdown();
        try {
            stateWriter.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        saveStates();
    }

    void metrics(SqsMetrics m) {
        metrics = m;
    }

    SqsMetrics metrics() {
        return metrics;
    }

    private void index(Entry e) {
        byKey.put(e.queue.key, e);
        byArn.put(e.queue.arn, e);
        byTargetArn.put(targetArn(e.queue), e);
    }

    static AwsException nonExistent() {
        return new AwsException("QueueDoesNotExist", "The specified queue does not exist.", 400);
    }

    /** http://sqs.REGION.localhost:PORT/ACCOUNT/NAME: what clients keep and send back; the host resolves to this machine. */
    String url(Queue q) {
        URI base = URI.create(endpoint.get());
        int port = base.getPort() < 0 ? 80 : base.getPort();
        return base.getScheme() + "://sqs." + q.region + ".localhost:" + port + "/" + q.account + "/" + q.name;
    }

    Entry entry(String account, String region, String name) {
        Entry e = byKey.get(account + "/" + region + "/" + name);
        if (e == null) throw nonExistent();
        return e;
    }

    /** The queue a QueueUrl names: its path is /ACCOUNT/NAME; the region is the host's (sqs.REGION.) or the request's. */
    Entry byUrl(RequestContext ctx, String url) {
        String path = url;
        String region = ctx.region();
        int scheme = url.indexOf("://");
        if (scheme >= 0) {
            int slash = url.indexOf('/', scheme + 3);
            String host = slash < 0 ? url.substring(scheme + 3) : url.substring(scheme + 3, slash);
            String[] labels = host.split("\\.");
            if (labels.length > 2 && labels[0].equals("sqs")) region = labels[1];
            path = slash < 0 ? "" : url.substring(slash);
        }
        // /ACCOUNT/NAME, slashes around it ignored; parsed by hand as this runs on every message operation
        int start = 0, end = path.length();
        while (start < end && path.charAt(start) == '/') start++;
        while (end > start && path.charAt(end - 1) == '/') end--;
        int cut = path.indexOf('/', start);
        if (cut < 0 || cut >= end || path.lastIndexOf('/', end - 1) != cut) throw nonExistent();
        return entry(path.substring(start, cut), region, path.substring(cut + 1, end));
    }

    private static Targets.Arn targetArn(Queue q) {
        return new Targets.Arn("sqs", q.region, q.account, q.name);
    }

    Entry byArn(String arn) {
        return arn == null ? null : byArn.get(arn);
    }

    /** CreateQueue: a new queue, or the existing one when every attribute given matches it. */
    synchronized Entry create(String account, String region, String name, JsonNode attributes, JsonNode tags) {
        boolean fifo = attributes != null && "true".equals(attributes.path("FifoQueue").asText());
        boolean validName = name.matches(fifo ? "[A-Za-z0-9_-]{1,75}\\.fifo" : "[A-Za-z0-9_-]{1,80}");
        if (!validName) {
            throw new AwsException("InvalidParameterValue", fifo
                    ? "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
                    : "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length", 400);
        }
        QueueConfig config = QueueConfig.of(null, attributes, fifo, true);
        checkRedrive(account, region, config, name);
        Entry existing = byKey.get(account + "/" + region + "/" + name);
        if (existing != null) {
            Map<String, String> have = existing.queue.config().all(fifo);
            if (attributes != null) {
                attributes.fields().forEachRemaining(a -> {
                    if (!a.getValue().asText().equals(have.getOrDefault(a.getKey(), ""))) {
                        throw new AwsException("QueueNameExists", "A queue already exists with the same name and a different value for attribute " + a.getKey(), 400);
                    }
                });
            }
            return existing;
        }
        long now = clock.getAsLong() / 1000;
        ObjectNode record = Values.object().put("created", now).put("modified", now);
        record.set("attributes", config.given());
        record.set("tags", tags == null ? Values.object() : tags.deepCopy());
        Queue q = new Queue(account, region, name, config, store, clock, bodies);
        table.putJson(q.key, record);
        Entry e = new Entry(q, record);
        index(e);
        return e;
    }

    /** A redrive policy's dead-letter queue must exist, be of the same kind and allow this source. */
    private void checkRedrive(String account, String region, QueueConfig config, String name) {
        JsonNode policy = config.redrivePolicy();
        if (policy == null) return;
        Entry dlq = byArn(policy.get("deadLetterTargetArn").asText());
        String sourceArn = "arn:aws:sqs:" + region + ":" + account + ":" + name;
        if (dlq == null || dlq.queue.fifo != name.endsWith(".fifo")) {
            throw new AwsException("InvalidParameterValue", "Value " + config.get("RedrivePolicy")
                    + " for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.", 400);
        }
        JsonNode allow = QueueConfig.json(dlq.queue.config().get("RedriveAllowPolicy") == null ? "{}" : dlq.queue.config().get("RedriveAllowPolicy"));
        String permission = allow.path("redrivePermission").asText("allowAll");
        boolean allowed = permission.equals("allowAll")
                || (permission.equals("byQueue") && allow.path("sourceQueueArns").toString().contains("\"" + sourceArn + "\""));
        if (!allowed) {
            throw new AwsException("InvalidParameterValue", "Value " + config.get("RedrivePolicy")
                    + " for parameter RedrivePolicy is invalid. Reason: Queue " + dlq.queue.arn + " does not allow this queue as a source queue.", 400);
        }
    }

    synchronized void setAttributes(Entry e, JsonNode attributes) {
        QueueConfig config = QueueConfig.of(e.queue.config(), attributes, e.queue.fifo, false);
        checkRedrive(e.queue.account, e.queue.region, config, e.queue.name);
        Entry current = byKey.get(e.queue.key);
        if (current == null || current.queue != e.queue) throw nonExistent();
        ObjectNode record = current.record.deepCopy();
        record.set("attributes", config.given());
        record.put("modified", clock.getAsLong() / 1000);
        table.putJson(e.queue.key, record);
        e.queue.config(config);
        index(new Entry(e.queue, record));
    }

    /** AddPermission: a statement labelled {@code label} added to the queue's Policy attribute, as SQS writes it. */
    synchronized void addPermission(Entry e, String label, JsonNode accounts, JsonNode actions) {
        JsonNode existing = QueueConfig.json(e.queue.config().get("Policy") == null ? "{}" : e.queue.config().get("Policy"));
        ObjectNode policy = existing != null && existing.has("Statement") ? (ObjectNode) existing
                : Values.object().put("Version", "2012-10-17").put("Id", e.queue.arn + "/SQSDefaultPolicy");
        com.fasterxml.jackson.databind.node.ArrayNode statements = policy.withArray("Statement");
        for (JsonNode st : statements) {
            if (label.equals(st.path("Sid").asText())) throw SqsService.invalid("Value " + label + " for parameter Label is invalid. Reason: Already exists.");
        }
        ObjectNode st = statements.addObject().put("Sid", label).put("Effect", "Allow");
        com.fasterxml.jackson.databind.node.ArrayNode principals = st.putObject("Principal").putArray("AWS");
        accounts.forEach(a -> principals.add("arn:aws:iam::" + a.asText() + ":root"));
        com.fasterxml.jackson.databind.node.ArrayNode list = st.putArray("Action");
        actions.forEach(a -> list.add("SQS:" + a.asText()));
        st.put("Resource", e.queue.arn);
        setAttributes(e, Values.object().put("Policy", policy.toString()));
    }

    /** RemovePermission: the statement labelled {@code label} removed from the Policy attribute. */
    synchronized void removePermission(Entry e, String label) {
        String text = e.queue.config().get("Policy");
        JsonNode policy = text == null ? null : QueueConfig.json(text);
        com.fasterxml.jackson.databind.node.ArrayNode statements = policy == null ? null : (com.fasterxml.jackson.databind.node.ArrayNode) policy.get("Statement");
        int index = -1;
        for (int i = 0; statements != null && i < statements.size(); i++) if (label.equals(statements.get(i).path("Sid").asText())) index = i;
        if (index < 0) throw SqsService.invalid("Value " + label + " for parameter Label is invalid. Reason: can't find label on existing policy.");
        statements.remove(index);
        setAttributes(e, Values.object().put("Policy", statements.isEmpty() ? "" : policy.toString()));
    }

    synchronized void tags(Entry e, JsonNode add, JsonNode remove) {
        Entry current = byKey.get(e.queue.key);
        if (current == null || current.queue != e.queue) throw nonExistent();
        ObjectNode record = current.record.deepCopy();
        ObjectNode tags = (ObjectNode) record.get("tags");
        if (add != null) add.fields().forEachRemaining(t -> tags.put(t.getKey(), t.getValue().asText()));
        if (remove != null) remove.forEach(k -> tags.remove(k.asText()));
        table.putJson(e.queue.key, record);
        index(new Entry(e.queue, record));
    }

    synchronized void delete(Entry e) {
        byKey.remove(e.queue.key);
        byArn.remove(e.queue.arn);
        byTargetArn.remove(targetArn(e.queue));
        table.delete(e.queue.key);
        e.queue.destroy();
    }

    /** Queues of an account and region whose names start with the prefix, after {@code after} (a name), in name order. */
    List<Entry> list(String account, String region, String prefix, String after, int limit) {
        String base = account + "/" + region + "/";
        List<Entry> out = new ArrayList<>();
        for (Entry e : byKey.tailMap(base + (after == null ? prefix : after), after == null).values()) {
            if (!e.queue.key.startsWith(base + prefix) || out.size() >= limit) break;
            out.add(e);
        }
        return out;
    }

    List<Entry> all() {
        return List.copyOf(byKey.values());
    }

    /** Moves a message received maxReceiveCount times to the queue's dead-letter queue (see {@link Queue.Redrive}). */
    Runnable redrive(Queue from, Message m) {
        JsonNode policy = from.config().redrivePolicy();
        if (policy == null || m.receiveCount < QueueConfig.maxReceiveCount(policy)) return null;
        Entry dlq = byArn(policy.get("deadLetterTargetArn").asText());
        if (dlq == null || dlq.queue == from) return null;
        Message copy = m.movedTo(dlq.queue.nextSeq(), from.arn, clock.getAsLong(), from.content(m));
        Runnable adopt = store.transaction(() -> {
            from.forget(m);
            return dlq.queue.stage(copy);
        });
        return adopt;
    }

    /** Targets: a message for arn:aws:sqs:REGION:ACCOUNT:NAME, stored in the caller's transaction; its attributes become String message attributes. */
    Runnable accept(Targets.Arn arn, Targets.Message message) {
        Entry e = byTargetArn.get(arn);
        if (e == null) throw nonExistent();
        ObjectNode attributes = null;
        if (!message.attributes().isEmpty()) {
            attributes = Values.object();
            for (Map.Entry<String, String> a : message.attributes().entrySet()) {
                attributes.putObject(a.getKey()).put("DataType", "String").put("StringValue", a.getValue());
            }
        }
        String group = null, dedup = null;
        if (e.queue.fifo) { // senders to FIFO queues (SNS FIFO topics) name the group and dedup id; else one group, dedup by content
            group = message.groupId() != null ? message.groupId() : "default";
            dedup = message.deduplicationId() != null ? message.deduplicationId() : Md5.of(message.body());
        }
        Message m = e.queue.draft(message.body(), attributes, null, arn.account(), 0, group, dedup);
        // A deduplication id the sender named deduplicates here too, as in AWS (an SNS FIFO topic's: two topics may send one id).
        Runnable adopt = e.queue.fifo && message.deduplicationId() != null ? e.queue.stageDeduplicated(m) : e.queue.stage(m);
        SqsMetrics mx = metrics;
        return () -> {
            adopt.run();
            if (mx != null) mx.sent(e.queue, 1, m.bodyLength);
        };
    }

    // QueueMessages: for Lambda's pollers

    @Override
    public int visibilityTimeout(String queueArn) {
        Entry e = byArn(queueArn);
        return e == null ? -1 : e.queue.config().integer("VisibilityTimeout");
    }

    @Override
    public List<Received> receive(String queueArn, int max, int waitSeconds) {
        Entry e = byArn(queueArn);
        if (e == null) throw nonExistent();
        List<Queue.Delivery> got = e.queue.receive(Math.min(max, 10), e.queue.config().integer("VisibilityTimeout"), waitSeconds * 1000L, null, this::redrive);
        SqsMetrics mx = metrics;
        if (mx != null) mx.received(e.queue, got.size());
        List<Received> out = new ArrayList<>(got.size());
        for (Queue.Delivery d : got) {
            Map<String, Attribute> attributes = new LinkedHashMap<>();
            if (d.content().attributes() != null) {
                d.content().attributes().fields().forEachRemaining(a -> {
                    JsonNode v = a.getValue();
                    attributes.put(a.getKey(), new Attribute(v.path("DataType").asText(), v.has("StringValue") ? v.get("StringValue").asText() : null,
                            v.has("BinaryValue") ? Base64.getDecoder().decode(v.get("BinaryValue").asText()) : null));
                });
            }
            out.add(new Received(d.message().id, d.receiptHandle(), d.content().body(), systemAttributes(e.queue, d, List.of("All")), attributes,
                    d.message().md5OfBody, d.message().md5OfAttributes));
        }
        return out;
    }

    @Override
    public void delete(String queueArn, String receiptHandle) {
        Entry e = byArn(queueArn);
        if (e == null) throw nonExistent();
        if (e.queue.delete(receiptHandle) && metrics != null) metrics.deleted(e.queue, 1);
    }

    @Override
    public void changeVisibility(String queueArn, String receiptHandle, int seconds) {
        Entry e = byArn(queueArn);
        if (e == null) throw nonExistent();
        e.queue.changeVisibility(receiptHandle, seconds);
    }

    /** A received message's system attributes that were asked for ("All" or names), as ReceiveMessage returns them. */
    static Map<String, String> systemAttributes(Queue q, Queue.Delivery d, List<String> names) {
        boolean all = names.contains("All");
        Map<String, String> out = new LinkedHashMap<>();
        Message m = d.message();
        put(out, all, names, "SenderId", m.senderId);
        put(out, all, names, "SentTimestamp", Long.toString(m.sent));
        put(out, all, names, "ApproximateReceiveCount", Integer.toString(d.receiveCount()));
        put(out, all, names, "ApproximateFirstReceiveTimestamp", Long.toString(d.firstReceive()));
        if (q.fifo) {
            put(out, all, names, "SequenceNumber", String.format("%020d", m.seq));
            put(out, all, names, "MessageDeduplicationId", m.dedupId);
            put(out, all, names, "MessageGroupId", m.groupId);
        } else if (m.groupId != null) {
            put(out, all, names, "MessageGroupId", m.groupId);
        }
        if (m.traceHeader != null) put(out, all, names, "AWSTraceHeader", m.traceHeader);
        if (m.deadLetterSource != null) put(out, all, names, "DeadLetterQueueSourceArn", m.deadLetterSource);
        return out;
    }

    private static void put(Map<String, String> out, boolean all, List<String> names, String name, String value) {
        if (value != null && (all || names.contains(name))) out.put(name, value);
    }

    static Instant now(LongSupplier clock) {
        return Instant.ofEpochMilli(clock.getAsLong());
    }
}
