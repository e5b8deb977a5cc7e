package dev.nimbus.services.sns;

import static dev.nimbus.services.sns.SnsErrors.invalid;
import static dev.nimbus.services.sns.SnsErrors.invalidValue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Targets;
import dev.nimbus.store.GroupCommit;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Publish and PublishBatch: validation with AWS's messages, FIFO deduplication (five minutes),
 * filter policies, and the durable hand-over to {@link Deliveries}: the message is stored, with the
 * subscriptions it is for, in the transaction that answers the publish.
 */
final class Publisher {
    private static final Logger LOG = Logger.getLogger(Publisher.class.getName());
    static final int MAX_MESSAGE = 262_144;
    private static final int MAX_ATTRIBUTES = 10;
    private static final int MAX_BATCH = 10;
    private static final long DEDUP_MILLIS = 5 * 60_000;
    private static final Pattern ATTRIBUTE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,256}");
    private static final Pattern BATCH_ID = Pattern.compile("[A-Za-z0-9_-]{1,80}");

    private final Store store;
    private final SnsService sns;
    private final Deliveries deliveries;
    private final Table dedup;
    private final GroupCommit commits;
    /** Compiled filter policies by text: subscriptions share few policies and compiling per message would dominate. */
    private final Map<String, FilterPolicy> filters = new ConcurrentHashMap<>();
    private volatile SnsMetrics metrics;
    /** Held by FIFO topics' publishes from their transaction to their deliveries' follow-ups; see {@link #inOrder}. */
    private final ReentrantLock fifoOrder = new ReentrantLock();

    Publisher(Store store, SnsService sns, Deliveries deliveries) {
        this.store = store;
        this.sns = sns;
        this.deliveries = deliveries;
        this.dedup = store.table("sns.dedup");
        this.commits = new GroupCommit(store);
    }

    void metrics(SnsMetrics m) {
        this.metrics = m;
    }

    JsonNode publish(RequestContext ctx, ObjectNode in) {
        String target = Values.text(in, "TopicArn", Values.text(in, "TargetArn", null));
        String phone = Values.text(in, "PhoneNumber", null);
        if (target == null && phone == null) throw invalid("TopicArn or TargetArn Reason: no value for required parameter");
        if (target == null) {
            ObjectNode msg = message(in, null);
            if (!phone.matches("\\+?[0-9]{5,15}")) throw invalid("PhoneNumber Reason: " + phone + " is not valid to publish to");
            // Nimbus sends no SMS: the message is recorded in the server log.
            LOG.info("SMS to " + phone + " recorded, not sent (Nimbus sends no SMS): message " + msg.get("MessageId").asText());
            return Values.object().put("MessageId", msg.get("MessageId").asText());
        }
        SnsService.TopicRef ref = SnsService.topicRef(target, in.has("TopicArn") ? "TopicArn" : "TargetArn");
        Deliveries.Notification n = signedAhead(ref, message(in, ref));
        return inOrder(ref, after -> store(ref, sns.publishing(ref), n, after));
    }

    JsonNode publishBatch(RequestContext ctx, ObjectNode in) {
        SnsService.TopicRef ref = SnsService.topicRef(Values.text(in, "TopicArn"), "TopicArn");
        JsonNode entries = in.path("PublishBatchRequestEntries");
        if (entries.isEmpty()) throw new AwsException("EmptyBatchRequest", "The batch request doesn't contain any entries.", 400);
        if (entries.size() > MAX_BATCH) throw new AwsException("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.", 400);
        Set<String> ids = new HashSet<>();
        long total = 0;
        for (JsonNode e : entries) {
            String id = e.path("Id").asText();
            if (!BATCH_ID.matcher(id).matches()) {
                throw new AwsException("InvalidBatchEntryId",
                        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.", 400);
            }
            if (!ids.add(id)) throw new AwsException("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.", 400);
            total += size(e);
        }
        if (total > MAX_MESSAGE) throw new AwsException("BatchRequestTooLong", "The length of all the messages put together is more than the limit.", 400);
        // Each entry is validated and signed before the transaction; what fails fails alone.
        List<Object> prepared = new ArrayList<>();
        for (JsonNode e : entries) {
            try {
                prepared.add(signedAhead(ref, message((ObjectNode) e, ref)));
            } catch (AwsException x) {
                prepared.add(x);
            }
        }
        return inOrder(ref, after -> {
            SnsService.Publishing topic = sns.publishing(ref);
            ObjectNode result = Values.object();
            ArrayNode ok = result.putArray("Successful");
            ArrayNode failed = result.putArray("Failed");
            for (int i = 0; i < entries.size(); i++) {
                String id = entries.get(i).get("Id").asText();
                try {
                    if (prepared.get(i) instanceof AwsException x) throw x;
                    ObjectNode published = store(ref, topic, (Deliveries.Notification) prepared.get(i), after);
                    ObjectNode entry = ok.addObject().put("Id", id).put("MessageId", published.get("MessageId").asText());
                    if (published.has("SequenceNumber")) entry.put("SequenceNumber", published.get("SequenceNumber").asText());
                } catch (AwsException x) {
                    failed.addObject().put("Id", id).put("Code", x.code()).put("Message", x.getMessage()).put("SenderFault", x.senderFault());
                }
            }
            return result;
        });
    }

    /**
     * Runs a publish's transaction, then what its deliveries run once it commits (SQS making the
     * messages receivable). A standard topic's publishes that arrive together commit together
     * ({@link GroupCommit}): a commit cost a publish to ten queues as much as its ten inserts, and
     * publishes wait for the store's single writer anyway. FIFO topics' publishes go through both
     * steps one at a time instead, so a later message never becomes receivable in a queue before an
     * earlier one; FIFO topics' names, and only theirs, end in ".fifo".
     */
    private ObjectNode inOrder(SnsService.TopicRef ref, Function<List<Runnable>, ObjectNode> work) {
        // A group commit may run the work twice: each run starts with an empty list of follow-ups.
        Supplier<Committed> run = () -> {
            List<Runnable> after = new ArrayList<>();
            return new Committed(work.apply(after), after);
        };
        if (!ref.name().endsWith(".fifo")) return commits.run(run).followUp();
        fifoOrder.lock();
        try {
            return store.transaction(run).followUp();
        } finally {
            fifoOrder.unlock();
        }
    }

    /** A committed publish's answer and what runs once it is committed. */
    private record Committed(ObjectNode out, List<Runnable> after) {
        ObjectNode followUp() {
            after.forEach(Runnable::run);
            return out;
        }
    }

    /** The {@link Targets} entrance: another service publishes to a topic inside its own transaction. */
    Runnable publishFromService(Targets.Arn arn, Targets.Message m) {
        SnsService.TopicRef ref = SnsService.topicRef(arn.toString(), "TopicArn");
        ObjectNode in = Values.object().put("Message", m.body());
        if (m.subject() != null) in.put("Subject", m.subject());
        if (!m.attributes().isEmpty()) {
            ObjectNode attrs = in.putObject("MessageAttributes");
            m.attributes().forEach((k, v) -> attrs.putObject(k).put("DataType", "String").put("StringValue", v));
        }
        if (m.groupId() != null) in.put("MessageGroupId", m.groupId());
        if (m.deduplicationId() != null) in.put("MessageDeduplicationId", m.deduplicationId());
        Deliveries.Notification n = deliveries.notification(message(in, ref));
        List<Runnable> after = new ArrayList<>();
        store.transaction(() -> store(ref, sns.publishing(ref), n, after));
        return () -> after.forEach(Runnable::run);
    }

    /**
     * The message as a notification, signed for its SQS subscribers already when the topic is known
     * to have some: an RSA signature is the costliest step of a publish, and made here it runs in
     * parallel with other publishes instead of inside the store's single writer. (A topic not yet
     * known, or whose SignatureVersion changes meanwhile, is signed in the transaction; other
     * protocols' notifications are signed by the asynchronous delivery.)
     */
    private Deliveries.Notification signedAhead(SnsService.TopicRef ref, ObjectNode msg) {
        Deliveries.Notification n = deliveries.notification(msg);
        SnsService.Publishing known = sns.publishingIfKnown(ref);
        if (known != null && known.subscriptions().stream().anyMatch(sub -> sub.get("Protocol").asText().equals("sqs"))) {
            msg.put("SignatureVersion", signatureVersion(known));
            n.signature(Deliveries.text(msg, "sqs"));
        }
        return n;
    }

    private static String signatureVersion(SnsService.Publishing topic) {
        return topic.topic().path("attributes").path("SignatureVersion").asText("1");
    }

    /** Forgets deduplication ids older than five minutes; run periodically so FIFO topics' ids do not pile up. */
    void pruneDedup() {
        long cutoff = System.currentTimeMillis() - DEDUP_MILLIS;
        List<String> old = new ArrayList<>();
        for (Iterator<Table.Entry> it = dedup.iterate("", null, 1000); it.hasNext(); ) {
            Table.Entry e = it.next();
            if (e.json().path("at").asLong() < cutoff) old.add(e.key());
        }
        for (int i = 0; i < old.size(); i += 1000) {
            List<String> chunk = old.subList(i, Math.min(old.size(), i + 1000));
            store.transaction(() -> chunk.forEach(dedup::delete));
        }
    }

    /**
     * Publishes a validated message inside the caller's transaction: FIFO rules and deduplication,
     * then each matching subscription: SQS ones get it now (in this transaction), the others
     * through the durable asynchronous path.
     */
    private ObjectNode store(SnsService.TopicRef ref, SnsService.Publishing topic, Deliveries.Notification n, List<Runnable> after) {
        ObjectNode msg = n.msg();
        boolean fifo = topic.topic().path("fifo").asBoolean();
        String group = msg.path("MessageGroupId").asText(null);
        if (fifo && group == null) throw invalid("The MessageGroupId parameter is required for FIFO topics");
        if (!fifo && msg.has("MessageDeduplicationId")) {
            throw invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type");
        }
        ObjectNode out = Values.object();
        if (fifo) {
            String dedupId = msg.path("MessageDeduplicationId").asText(null);
            if (dedupId == null) {
                if (!topic.topic().path("attributes").path("ContentBasedDeduplication").asText().equals("true")) {
                    throw invalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
                }
                dedupId = sha256(msg.get("Message").asText());
                msg.put("MessageDeduplicationId", dedupId); // what SQS FIFO queues subscribed get, as from AWS
            }
            String key = ref.key() + "/" + dedupId;
            JsonNode seen = dedup.getJson(key);
            long now = System.currentTimeMillis();
            if (seen != null && now - seen.get("at").asLong() < DEDUP_MILLIS) {
                // A duplicate within five minutes is accepted and answered as the first, not delivered again.
                return out.put("MessageId", seen.get("MessageId").asText()).put("SequenceNumber", seen.get("SequenceNumber").asText());
            }
            String sequence = deliveries.nextSequence();
            msg.put("SequenceNumber", sequence);
            dedup.putJson(key, Values.object().put("MessageId", msg.get("MessageId").asText()).put("SequenceNumber", sequence).put("at", now));
            out.put("SequenceNumber", sequence);
        }
        out.put("MessageId", msg.get("MessageId").asText());
        msg.put("SignatureVersion", signatureVersion(topic));
        Filterable filterable = new Filterable(msg);
        List<String> later = new ArrayList<>();
        int delivered = 0;
        for (ObjectNode sub : topic.subscriptions()) {
            if (!matches(sub.path("attributes"), filterable)) continue;
            if (!sub.get("Protocol").asText().equals("sqs")) later.add(sub.get("SubscriptionArn").asText());
            else if (deliveries.deliverNow(n, sub, after)) delivered++;
        }
        SnsMetrics m = metrics;
        if (m != null) {
            // counted once committed: a group commit may run this twice
            int count = delivered;
            after.add(() -> {
                m.published(ref.arn());
                if (count > 0) m.delivered(ref.arn(), count); // tallied once per publish, not per delivery
            });
        }
        if (!later.isEmpty()) after.add(deliveries.enqueue(msg, later));
        return out;
    }

    /** A message as filter policies see it: its attributes as a document and its parsed body, each made on first use. */
    private static final class Filterable {
        private final ObjectNode msg;
        private JsonNode attributes;
        private JsonNode body;
        private boolean bodyParsed;

        Filterable(ObjectNode msg) {
            this.msg = msg;
        }

        JsonNode attributes() {
            if (attributes == null) {
                Map<String, JsonNode> fields = new LinkedHashMap<>();
                msg.path("MessageAttributes").fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue()));
                attributes = FilterPolicy.attributesDocument(fields);
            }
            return attributes;
        }

        /** The body as a JSON object, or null when it is not one (such a body matches no body policy). */
        JsonNode body() {
            if (!bodyParsed) {
                bodyParsed = true;
                try {
                    JsonNode parsed = Values.JSON.readTree(msg.get("Message").asText());
                    body = parsed != null && parsed.isObject() ? parsed : null;
                } catch (java.io.IOException e) {
                    body = null;
                }
            }
            return body;
        }
    }

    private boolean matches(JsonNode attrs, Filterable msg) {
        String policy = attrs.path("FilterPolicy").asText("");
        if (policy.isEmpty()) return true;
        boolean body = "MessageBody".equals(attrs.path("FilterPolicyScope").asText());
        if (filters.size() > 10_000) filters.clear();
        FilterPolicy filter = filters.computeIfAbsent(attrs.path("FilterPolicyScope").asText() + "\u0000" + policy, k -> FilterPolicy.parse(policy, body));
        if (!body) return filter.matches(msg.attributes());
        JsonNode parsed = msg.body();
        return parsed != null && filter.matches(parsed);
    }

    /**
     * A publish's (or batch entry's) message, validated and stamped: {MessageId, Message,
     * perProtocol, Subject, MessageAttributes, group and dedup ids, TopicArn, Timestamp}; the rules
     * that depend on the topic being FIFO are {@link #store}'s. {@code ref} is null for SMS.
     */
    private static ObjectNode message(ObjectNode in, SnsService.TopicRef ref) {
        String message = Values.text(in, "Message", "");
        if (message.isEmpty()) throw invalid("Empty message");
        ObjectNode msg = Values.object().put("MessageId", UUID.randomUUID().toString()).put("Message", message);
        String structure = Values.text(in, "MessageStructure", null);
        if (structure != null) {
            if (!structure.equals("json")) throw invalid("MessageStructure");
            JsonNode parsed;
            try {
                parsed = Values.JSON.readTree(message);
            } catch (java.io.IOException e) {
                throw invalid("Message Structure - JSON message body failed to parse");
            }
            if (parsed == null || !parsed.isObject()) throw invalid("Message Structure - JSON message body failed to parse");
            if (!parsed.has("default")) throw invalid("Message Structure - No default entry in JSON message body");
            ObjectNode perProtocol = msg.putObject("perProtocol");
            parsed.fields().forEachRemaining(e -> perProtocol.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        }
        String subject = Values.text(in, "Subject", null);
        if (subject != null) {
            if (subject.isEmpty() || subject.length() > 100 || !subject.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) throw invalid("Subject");
            msg.put("Subject", subject);
        }
        msg.set("MessageAttributes", attributes(in.path("MessageAttributes")));
        if (size(in) > MAX_MESSAGE) throw invalid("Message too long");
        String group = Values.text(in, "MessageGroupId", null);
        String dedupId = Values.text(in, "MessageDeduplicationId", null);
        if (group != null) {
            if (group.length() > 128) throw invalid("MessageGroupId Reason: MessageGroupId can be at most 128 characters");
            msg.put("MessageGroupId", group);
        }
        if (dedupId != null) {
            if (dedupId.length() > 128) throw invalid("MessageDeduplicationId Reason: MessageDeduplicationId can be at most 128 characters");
            msg.put("MessageDeduplicationId", dedupId);
        }
        if (ref != null) msg.put("TopicArn", ref.arn());
        msg.put("Timestamp", Deliveries.timestamp(System.currentTimeMillis()));
        return msg;
    }

    /** Message attributes validated as AWS does, stored as {DataType, StringValue | BinaryValue (base64)}. */
    private static ObjectNode attributes(JsonNode in) {
        ObjectNode out = Values.object();
        if (in.size() > MAX_ATTRIBUTES) {
            throw invalidValue("Number of message attributes [" + in.size() + "] exceeds the allowed maximum [" + MAX_ATTRIBUTES + "].");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode a = e.getValue();
            if (!ATTRIBUTE_NAME.matcher(name).matches() || name.startsWith(".") || name.endsWith(".") || name.contains("..")
                    || name.toLowerCase().startsWith("aws.") || name.toLowerCase().startsWith("amazon.")) {
                throw invalidValue("Invalid attribute name: " + name);
            }
            String type = a.path("DataType").asText("");
            if (type.isEmpty()) throw invalidValue("The message attribute '" + name + "' must contain non-empty message attribute type.");
            String base = type.contains(".") ? type.substring(0, type.indexOf('.')) : type;
            if (!base.equals("String") && !base.equals("Number") && !base.equals("Binary")) {
                throw invalidValue("The message attribute '" + name + "' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.");
            }
            ObjectNode stored = out.putObject(name).put("DataType", type);
            if (base.equals("Binary")) {
                JsonNode b = a.get("BinaryValue");
                byte[] bytes = b == null || b.isNull() ? new byte[0] : b.isBinary() ? binary(b) : Base64.getDecoder().decode(b.asText());
                if (bytes.length == 0) throw invalidValue("The message attribute '" + name + "' must contain non-empty message attribute value for message attribute type '" + type + "'.");
                stored.put("BinaryValue", Base64.getEncoder().encodeToString(bytes));
                continue;
            }
            String value = a.path("StringValue").asText("");
            if (value.isEmpty()) {
                throw invalidValue("The message attribute '" + name + "' must contain non-empty message attribute value for message attribute type '" + type + "'.");
            }
            if (base.equals("Number")) {
                try {
                    BigDecimal n = new BigDecimal(value.trim());
                    if (n.abs().compareTo(new BigDecimal("1e9")) >= 0 || n.scale() > 5) throw new NumberFormatException();
                } catch (NumberFormatException x) {
                    throw invalidValue("Could not cast message attribute '" + name + "' value to number.");
                }
            } else if (type.equals("String.Array")) {
                JsonNode array;
                try {
                    array = Values.JSON.readTree(value);
                } catch (java.io.IOException x) {
                    array = null;
                }
                if (array == null || !array.isArray() || java.util.stream.StreamSupport.stream(array.spliterator(), false).anyMatch(v -> v.isContainerNode())) {
                    throw invalidValue("The message attribute '" + name + "' with type 'String.Array' must be an array of strings, numbers, true, false or null.");
                }
            }
            stored.put("StringValue", value);
        }
        return out;
    }

    private static byte[] binary(JsonNode b) {
        try {
            return b.binaryValue();
        } catch (java.io.IOException e) {
            return new byte[0];
        }
    }

    /** The size AWS counts against 256 KB: the message plus every attribute's name, type and value. */
    private static long size(JsonNode in) {
        long n = in.path("Message").asText("").getBytes(StandardCharsets.UTF_8).length;
        for (Iterator<Map.Entry<String, JsonNode>> it = in.path("MessageAttributes").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            n += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().path("DataType").asText("").length();
            JsonNode b = e.getValue().get("BinaryValue");
            n += b != null && b.isBinary() ? binary(b).length : e.getValue().path("StringValue").asText("").getBytes(StandardCharsets.UTF_8).length;
        }
        return n;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
