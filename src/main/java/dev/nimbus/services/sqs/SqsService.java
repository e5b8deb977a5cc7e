package dev.nimbus.services.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import dev.nimbus.services.QueueMessages;
import dev.nimbus.services.Targets;
import dev.nimbus.services.cloudwatch.Metrics;
import dev.nimbus.store.Store;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Amazon SQS over both of its protocols (json 1.0 for current SDKs, query for the CLI 2.9 and
 * older SDKs; the codecs make them the same calls): queues, messages, dead-letter queues, FIFO,
 * message move tasks. The domain is in {@link Queues} and {@link Queue}; this class reads the
 * operations' inputs, checks them as SQS does and shapes the outputs.
 */
public final class SqsService implements AwsService, AutoCloseable {
    /** SQS's limit on a whole batch, whatever the queue's MaximumMessageSize. */
    private static final int MAX_BATCH_BYTES = 1048576;
    private static final Set<String> QUEUE_ATTRIBUTES = Set.of("All", "Policy", "VisibilityTimeout", "MaximumMessageSize",
            "MessageRetentionPeriod", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp",
            "LastModifiedTimestamp", "QueueArn", "ApproximateNumberOfMessagesDelayed", "DelaySeconds", "ReceiveMessageWaitTimeSeconds",
            "RedrivePolicy", "FifoQueue", "ContentBasedDeduplication", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
            "DeduplicationScope", "FifoThroughputLimit", "RedriveAllowPolicy", "SqsManagedSseEnabled");

    /** Milliseconds now, for retention, delays and visibility; tests move it forward instead of waiting out a retention period. */
    static volatile java.util.function.LongSupplier clock = System::currentTimeMillis;

    private final Queues queues;
    private final MoveTasks moveTasks;

    public SqsService(Store store, Supplier<String> endpoint) {
        this.queues = new Queues(store, endpoint, () -> clock.getAsLong());
        this.moveTasks = new MoveTasks(store, queues);
    }

    /** Publishes AWS/SQS metrics to CloudWatch. */
    public void publishMetricsTo(Metrics metrics) {
        queues.metrics(new SqsMetrics(metrics, queues));
    }

    /** The receiver of "sqs" ARNs for {@link Targets}. */
    public Runnable accept(Targets.Arn arn, Targets.Message message) {
        return queues.accept(arn, message);
    }

    /** Queue messages for Lambda's event source mappings. */
    public QueueMessages messages() {
        return queues;
    }

    @Override
    public void close() {
        moveTasks.close();
        queues.close();
        SqsMetrics m = queues.metrics();
        if (m != null) m.close();
    }

    @Override
    public String modelName() {
        return "sqs";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateQueue", this::createQueue)
                .add("GetQueueUrl", this::getQueueUrl)
                .add("ListQueues", this::listQueues)
                .add("DeleteQueue", (ctx, in) -> {
                    queues.delete(queue(ctx, in));
                    return null;
                })
                .add("PurgeQueue", (ctx, in) -> {
                    queue(ctx, in).queue().purge();
                    return null;
                })
                .add("GetQueueAttributes", this::getQueueAttributes)
                .add("SetQueueAttributes", (ctx, in) -> {
                    queues.setAttributes(queue(ctx, in), in.get("Attributes"));
                    return null;
                })
                .add("TagQueue", (ctx, in) -> {
                    queues.tags(queue(ctx, in), in.get("Tags"), null);
                    return null;
                })
                .add("UntagQueue", (ctx, in) -> {
                    queues.tags(queue(ctx, in), null, in.get("TagKeys"));
                    return null;
                })
                .add("ListQueueTags", (ctx, in) -> {
                    JsonNode tags = queue(ctx, in).record().get("tags");
                    return tags.isEmpty() ? Values.object() : Values.object().set("Tags", tags);
                })
                .add("ListDeadLetterSourceQueues", this::listDeadLetterSourceQueues)
                .add("AddPermission", (ctx, in) -> {
                    queues.addPermission(queue(ctx, in), Values.text(in, "Label"), in.path("AWSAccountIds"), in.path("Actions"));
                    return null;
                })
                .add("RemovePermission", (ctx, in) -> {
                    queues.removePermission(queue(ctx, in), Values.text(in, "Label"));
                    return null;
                })
                .add("SendMessage", this::sendMessage)
                .add("SendMessageBatch", this::sendMessageBatch)
                .add("ReceiveMessage", this::receiveMessage)
                .add("DeleteMessage", (ctx, in) -> {
                    Queues.Entry e = queue(ctx, in);
                    if (e.queue().delete(Values.text(in, "ReceiptHandle")) && queues.metrics() != null) queues.metrics().deleted(e.queue(), 1);
                    return null;
                })
                .add("DeleteMessageBatch", this::deleteMessageBatch)
                .add("ChangeMessageVisibility", (ctx, in) -> {
                    queue(ctx, in).queue().changeVisibility(Values.text(in, "ReceiptHandle"), visibility(in.get("VisibilityTimeout")));
                    return null;
                })
                .add("ChangeMessageVisibilityBatch", this::changeMessageVisibilityBatch)
                .add("StartMessageMoveTask", moveTasks::start)
                .add("ListMessageMoveTasks", moveTasks::list)
                .add("CancelMessageMoveTask", moveTasks::cancel);
    }

    private Queues.Entry queue(RequestContext ctx, JsonNode in) {
        return queues.byUrl(ctx, Values.text(in, "QueueUrl"));
    }

    private JsonNode createQueue(RequestContext ctx, ObjectNode in) {
        Queues.Entry e = queues.create(ctx.accountId(), ctx.region(), Values.text(in, "QueueName"), in.get("Attributes"), in.get("tags"));
        return Values.object().put("QueueUrl", queues.url(e.queue()));
    }

    private JsonNode getQueueUrl(RequestContext ctx, ObjectNode in) {
        String owner = Values.text(in, "QueueOwnerAWSAccountId", ctx.accountId());
        return Values.object().put("QueueUrl", queues.url(queues.entry(owner, ctx.region(), Values.text(in, "QueueName")).queue()));
    }

    private JsonNode listQueues(RequestContext ctx, ObjectNode in) {
        String prefix = Values.text(in, "QueueNamePrefix", "");
        JsonNode maxNode = in.get("MaxResults");
        int max = maxNode == null ? 1000 : maxNode.asInt();
        if (max < 1 || max > 1000) throw invalid("Value " + max + " for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.");
        String token = Values.text(in, "NextToken", null);
        String after = null;
        if (token != null) {
            try {
                after = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException bad) {
                throw invalid("Invalid NextToken value.");
            }
        }
        List<Queues.Entry> page = queues.list(ctx.accountId(), ctx.region(), prefix, after, max + 1);
        ObjectNode out = Values.object();
        ArrayNode urls = out.putArray("QueueUrls");
        for (int i = 0; i < Math.min(max, page.size()); i++) urls.add(queues.url(page.get(i).queue()));
        if (urls.isEmpty()) out.remove("QueueUrls");
        if (maxNode != null && page.size() > max) {
            out.put("NextToken", Base64.getUrlEncoder().encodeToString(page.get(max - 1).queue().name.getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private JsonNode listDeadLetterSourceQueues(RequestContext ctx, ObjectNode in) {
        Queues.Entry dlq = queue(ctx, in);
        ArrayNode urls = Values.array();
        for (Queues.Entry e : queues.all()) {
            JsonNode p = e.queue().config().redrivePolicy();
            if (p != null && p.path("deadLetterTargetArn").asText().equals(dlq.queue().arn)) urls.add(queues.url(e.queue()));
        }
        return Values.object().set("queueUrls", urls);
    }

    private JsonNode getQueueAttributes(RequestContext ctx, ObjectNode in) {
        Queues.Entry e = queue(ctx, in);
        Set<String> names = new HashSet<>();
        for (JsonNode n : in.path("AttributeNames")) {
            if (!QUEUE_ATTRIBUTES.contains(n.asText())) throw new AwsException("InvalidAttributeName", "Unknown Attribute " + n.asText() + ".", 400);
            names.add(n.asText());
        }
        Queue q = e.queue();
        boolean all = names.contains("All");
        ObjectNode attributes = Values.object();
        if (all || names.contains("QueueArn")) attributes.put("QueueArn", q.arn);
        if (all || names.stream().anyMatch(n -> n.startsWith("ApproximateNumberOfMessages"))) {
            long[] counts = q.counts();
            if (all || names.contains("ApproximateNumberOfMessages")) attributes.put("ApproximateNumberOfMessages", Long.toString(counts[0]));
            if (all || names.contains("ApproximateNumberOfMessagesNotVisible")) attributes.put("ApproximateNumberOfMessagesNotVisible", Long.toString(counts[1]));
            if (all || names.contains("ApproximateNumberOfMessagesDelayed")) attributes.put("ApproximateNumberOfMessagesDelayed", Long.toString(counts[2]));
        }
        if (all || names.contains("CreatedTimestamp")) attributes.put("CreatedTimestamp", e.record().get("created").asText());
        if (all || names.contains("LastModifiedTimestamp")) attributes.put("LastModifiedTimestamp", e.record().get("modified").asText());
        q.config().all(q.fifo).forEach((name, value) -> {
            if (all || names.contains(name)) attributes.put(name, value);
        });
        return attributes.isEmpty() ? Values.object() : Values.object().set("Attributes", attributes);
    }

    // Messages

    /** One message to send, checked; what SendMessage and each batch entry have in common. */
    private Message draft(RequestContext ctx, Queue q, JsonNode in) {
        JsonNode bodyNode = in.get("MessageBody");
        String body = bodyNode == null || bodyNode.isNull() ? "" : bodyNode.asText();
        if (body.isEmpty()) throw new AwsException("MissingParameter", "The request must contain the parameter MessageBody.", 400);
        checkCharacters(body);
        ObjectNode attributes = messageAttributes(in.get("MessageAttributes"));
        String trace = null;
        JsonNode system = in.get("MessageSystemAttributes");
        if (system != null && !system.isEmpty()) {
            for (Iterator<String> it = system.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!name.equals("AWSTraceHeader")) throw invalid("Message system attribute name '" + name + "' is invalid.");
            }
            trace = system.get("AWSTraceHeader").path("StringValue").asText();
        }
        long size = body.getBytes(StandardCharsets.UTF_8).length + attributeBytes(attributes);
        int limit = q.config().integer("MaximumMessageSize");
        if (size > limit) throw invalid("One or more parameters are invalid. Reason: Message must be shorter than " + limit + " bytes.");
        JsonNode delayNode = in.get("DelaySeconds");
        int delay = q.config().integer("DelaySeconds");
        if (delayNode != null && !delayNode.isNull()) {
            delay = delayNode.asInt();
            if (q.fifo) throw invalid("Value " + delay + " for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.");
            if (delay < 0 || delay > 900) throw invalid("Value " + delay + " for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.");
        }
        String group = Values.text(in, "MessageGroupId", null);
        String dedup = Values.text(in, "MessageDeduplicationId", null);
        if (q.fifo) {
            if (group == null) throw new AwsException("MissingParameter", "The request must contain the parameter MessageGroupId.", 400);
            if (dedup == null) {
                if (!"true".equals(q.config().get("ContentBasedDeduplication"))) {
                    throw invalid("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
                }
                dedup = sha256(body);
            }
        } else if (dedup != null) {
            throw invalid("Value " + dedup + " for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.");
        }
        if (group != null && !group.matches("[\\p{Alnum}\\p{Punct}]{1,128}")) throw invalid("Value " + group + " for parameter MessageGroupId is invalid. Reason: Invalid characters or length.");
        if (dedup != null && !dedup.matches("[\\p{Alnum}\\p{Punct}]{1,128}")) throw invalid("Value " + dedup + " for parameter MessageDeduplicationId is invalid. Reason: Invalid characters or length.");
        return q.draft(body, attributes, trace, ctx.identity().userId(), delay, group, dedup);
    }

    private static String sha256(String body) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SQS's allowed characters: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF. */
    private static void checkCharacters(String s) {
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            boolean ok = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
            if (!ok) {
                throw new AwsException("InvalidMessageContents", "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", 400);
            }
            i += Character.charCount(c);
        }
    }

    /** Message attributes checked and kept as the json model spells them (binary as base64); null when none. */
    private static ObjectNode messageAttributes(JsonNode in) {
        if (in == null || in.isNull() || in.isEmpty()) return null;
        if (in.size() > 10) throw invalid("Number of message attributes [" + in.size() + "] exceeds the allowed maximum [10].");
        ObjectNode out = Values.object();
        for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.isEmpty() || name.length() > 256 || !name.matches("[A-Za-z0-9_.-]+") || name.startsWith(".") || name.endsWith(".")
                    || name.contains("..") || name.toLowerCase().startsWith("aws.") || name.toLowerCase().startsWith("amazon.")) {
                throw invalid("Message (user) attribute name '" + name + "' is invalid.");
            }
            String type = v.path("DataType").asText("");
            if (type.isEmpty()) throw invalid("The message attribute '" + name + "' must contain non-empty message attribute type.");
            String base = type.contains(".") ? type.substring(0, type.indexOf('.')) : type;
            ObjectNode a = out.putObject(name).put("DataType", type);
            switch (base) {
                case "String", "Number" -> {
                    String s = v.path("StringValue").isMissingNode() || v.get("StringValue").isNull() ? "" : v.get("StringValue").asText();
                    if (s.isEmpty()) throw invalid("The message attribute '" + name + "' must contain non-empty message attribute value for message attribute type '" + base + "'.");
                    checkCharacters(s);
                    if (base.equals("Number") && !s.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
                        throw invalid("Can't cast the value of message (user) attribute '" + name + "' to a number.");
                    }
                    a.put("StringValue", s);
                }
                case "Binary" -> {
                    JsonNode b = v.get("BinaryValue");
                    byte[] bytes = b == null || b.isNull() ? new byte[0] : b.isBinary() ? binary(b) : Base64.getDecoder().decode(b.asText());
                    if (bytes.length == 0) throw invalid("The message attribute '" + name + "' must contain non-empty message attribute value for message attribute type 'Binary'.");
                    a.put("BinaryValue", Base64.getEncoder().encodeToString(bytes));
                }
                default -> throw invalid("The type of message (user) attribute '" + name + "' is invalid. You must use only the following supported type prefixes: Binary, Number, String.");
            }
        }
        return out;
    }

    private static byte[] binary(JsonNode b) {
        try {
            return b.binaryValue();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long attributeBytes(ObjectNode attributes) {
        if (attributes == null) return 0;
        long n = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = attributes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            n += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().get("DataType").asText().length();
            JsonNode s = e.getValue().get("StringValue");
            n += s != null ? s.asText().getBytes(StandardCharsets.UTF_8).length : Base64.getDecoder().decode(e.getValue().get("BinaryValue").asText()).length;
        }
        return n;
    }

    private JsonNode sendMessage(RequestContext ctx, ObjectNode in) {
        Queue q = queue(ctx, in).queue();
        Message draft = draft(ctx, q, in);
        Message m = q.send(draft);
        if (m == draft && queues.metrics() != null) queues.metrics().sent(q, 1, draft.bodyLength);
        return sent(Values.object(), q, m);
    }

    private static ObjectNode sent(ObjectNode out, Queue q, Message m) {
        out.put("MD5OfMessageBody", m.md5OfBody);
        if (m.md5OfAttributes != null) out.put("MD5OfMessageAttributes", m.md5OfAttributes);
        if (m.traceHeader != null) out.put("MD5OfMessageSystemAttributes", Md5.ofTraceHeader(m.traceHeader));
        out.put("MessageId", m.id);
        if (q.fifo) out.put("SequenceNumber", String.format("%020d", m.seq));
        return out;
    }

    /** Checks a batch as a whole (ids, count); entries then succeed or fail one by one. */
    private static JsonNode entries(ObjectNode in, String entryShape) {
        JsonNode entries = in.path("Entries");
        if (entries.isEmpty()) throw new AwsException("EmptyBatchRequest", "There should be at least one " + entryShape + " in the request.", 400);
        if (entries.size() > 10) {
            throw new AwsException("TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent " + entries.size() + ".", 400);
        }
        Set<String> ids = new HashSet<>();
        for (JsonNode e : entries) {
            String id = e.path("Id").asText("");
            if (!id.matches("[A-Za-z0-9_-]{1,80}")) {
                throw new AwsException("InvalidBatchEntryId",
                        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.", 400);
            }
            if (!ids.add(id)) throw new AwsException("BatchEntryIdsNotDistinct", "Id " + id + " repeated.", 400);
        }
        return entries;
    }

    private static ObjectNode failed(ArrayNode failed, String id, AwsException e) {
        return failed.addObject().put("Id", id).put("SenderFault", e.senderFault()).put("Code", e.code()).put("Message", e.getMessage());
    }

    private JsonNode sendMessageBatch(RequestContext ctx, ObjectNode in) {
        Queue q = queue(ctx, in).queue();
        JsonNode entries = entries(in, "SendMessageBatchRequestEntry");
        long total = 0;
        for (JsonNode e : entries) total += e.path("MessageBody").asText("").getBytes(StandardCharsets.UTF_8).length + attributeBytes(messageAttributesOrNull(e));
        if (total > MAX_BATCH_BYTES) {
            throw new AwsException("BatchRequestTooLong", "Batch requests cannot be longer than " + MAX_BATCH_BYTES + " bytes. You have sent " + total + " bytes.", 400);
        }
        ObjectNode out = Values.object();
        ArrayNode ok = out.putArray("Successful");
        ArrayNode failed = out.putArray("Failed");
        int sent = 0;
        long bytes = 0;
        for (JsonNode e : entries) {
            String id = e.get("Id").asText();
            try {
                Message draft = draft(ctx, q, e);
                Message m = q.send(draft);
                if (m == draft) {
                    sent++;
                    bytes += draft.bodyLength;
                }
                sent(ok.addObject().put("Id", id), q, m);
            } catch (AwsException x) {
                if (x.code().equals("QueueDoesNotExist")) throw x;
                failed(failed, id, x);
            }
        }
        if (sent > 0 && queues.metrics() != null) queues.metrics().sent(q, sent, bytes);
        return out;
    }

    /** Attributes for the batch size check: an entry whose attributes are bad fails on its own later. */
    private static ObjectNode messageAttributesOrNull(JsonNode entry) {
        try {
            return messageAttributes(entry.get("MessageAttributes"));
        } catch (AwsException e) {
            return null;
        }
    }

    private JsonNode receiveMessage(RequestContext ctx, ObjectNode in) {
        Queues.Entry e = queue(ctx, in);
        Queue q = e.queue();
        int max = Values.integer(in, "MaxNumberOfMessages", 1);
        if (max < 1 || max > 10) throw invalid("Value " + max + " for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.");
        int wait = in.has("WaitTimeSeconds") ? in.get("WaitTimeSeconds").asInt() : q.config().integer("ReceiveMessageWaitTimeSeconds");
        if (wait < 0 || wait > 20) throw invalid("Value " + wait + " for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.");
        int visibility = in.has("VisibilityTimeout") ? visibility(in.get("VisibilityTimeout")) : q.config().integer("VisibilityTimeout");
        String attemptId = Values.text(in, "ReceiveRequestAttemptId", null);
        if (attemptId != null && !q.fifo) {
            throw invalid("Value " + attemptId + " for parameter ReceiveRequestAttemptId is invalid. Reason: The request include parameter that is not valid for this queue type.");
        }
        List<String> systemNames = new ArrayList<>();
        in.path("AttributeNames").forEach(n -> systemNames.add(n.asText()));
        in.path("MessageSystemAttributeNames").forEach(n -> systemNames.add(n.asText()));
        List<String> attributeNames = new ArrayList<>();
        in.path("MessageAttributeNames").forEach(n -> attributeNames.add(n.asText()));

        List<Queue.Delivery> got = q.receive(max, visibility, wait * 1000L, attemptId, queues::redrive);
        if (queues.metrics() != null) queues.metrics().received(q, got.size());
        ObjectNode out = Values.object();
        if (got.isEmpty()) return out;
        ArrayNode messages = out.putArray("Messages");
        for (Queue.Delivery d : got) {
            Message m = d.message();
            ObjectNode o = messages.addObject().put("MessageId", m.id).put("ReceiptHandle", d.receiptHandle()).put("MD5OfBody", m.md5OfBody).put("Body", d.content().body());
            Map<String, String> system = Queues.systemAttributes(q, d, systemNames);
            if (!system.isEmpty()) {
                ObjectNode a = o.putObject("Attributes");
                system.forEach(a::put);
            }
            ObjectNode selected = selectAttributes(d.content().attributes(), attributeNames);
            if (selected != null) {
                o.put("MD5OfMessageAttributes", Md5.ofAttributes(selected));
                ObjectNode a = o.putObject("MessageAttributes");
                selected.fields().forEachRemaining(x -> {
                    ObjectNode v = a.putObject(x.getKey()).put("DataType", x.getValue().get("DataType").asText());
                    if (x.getValue().has("StringValue")) v.put("StringValue", x.getValue().get("StringValue").asText());
                    else v.set("BinaryValue", Values.NODES.binaryNode(Base64.getDecoder().decode(x.getValue().get("BinaryValue").asText())));
                });
            }
        }
        return out;
    }

    /** The message attributes asked for: "All", ".*", names, or prefixes ("color.*"); null when none. */
    private static ObjectNode selectAttributes(ObjectNode attributes, List<String> names) {
        if (attributes == null || names.isEmpty()) return null;
        ObjectNode out = Values.object();
        attributes.fields().forEachRemaining(a -> {
            for (String n : names) {
                boolean match = n.equals("All") || n.equals(".*") || n.equals(a.getKey()) || (n.endsWith(".*") && a.getKey().startsWith(n.substring(0, n.length() - 1)));
                if (match) {
                    out.set(a.getKey(), a.getValue());
                    break;
                }
            }
        });
        return out.isEmpty() ? null : out;
    }

    private static int visibility(JsonNode node) {
        if (node == null || node.isNull()) throw new AwsException("MissingParameter", "The request must contain the parameter VisibilityTimeout.", 400);
        int v = node.asInt();
        if (v < 0 || v > 43200) throw invalid("Value " + v + " for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.");
        return v;
    }

    private JsonNode deleteMessageBatch(RequestContext ctx, ObjectNode in) {
        Queue q = queue(ctx, in).queue();
        JsonNode entries = entries(in, "DeleteMessageBatchRequestEntry");
        ObjectNode out = Values.object();
        ArrayNode ok = out.putArray("Successful");
        ArrayNode failed = out.putArray("Failed");
        int deleted = 0;
        for (JsonNode e : entries) {
            String id = e.get("Id").asText();
            try {
                if (q.delete(e.path("ReceiptHandle").asText())) deleted++;
                ok.addObject().put("Id", id);
            } catch (AwsException x) {
                if (x.code().equals("QueueDoesNotExist")) throw x;
                failed(failed, id, x);
            }
        }
        if (deleted > 0 && queues.metrics() != null) queues.metrics().deleted(q, deleted);
        return out;
    }

    private JsonNode changeMessageVisibilityBatch(RequestContext ctx, ObjectNode in) {
        Queue q = queue(ctx, in).queue();
        JsonNode entries = entries(in, "ChangeMessageVisibilityBatchRequestEntry");
        ObjectNode out = Values.object();
        ArrayNode ok = out.putArray("Successful");
        ArrayNode failed = out.putArray("Failed");
        for (JsonNode e : entries) {
            String id = e.get("Id").asText();
            try {
                q.changeVisibility(e.path("ReceiptHandle").asText(), visibility(e.get("VisibilityTimeout")));
                ok.addObject().put("Id", id);
            } catch (AwsException x) {
                if (x.code().equals("QueueDoesNotExist")) throw x;
                failed(failed, id, x);
            }
        }
        return out;
    }

    static AwsException invalid(String message) {
        return new AwsException("InvalidParameterValue", message, 400);
    }
}
