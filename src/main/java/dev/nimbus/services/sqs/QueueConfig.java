package dev.nimbus.services.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A queue's settable attributes: those given (as the strings SQS takes) over AWS's defaults,
 * checked against AWS's ranges. Immutable; SetQueueAttributes makes a new one.
 */
record QueueConfig(ObjectNode given) {
    private static final Map<String, String> STANDARD_DEFAULTS = new LinkedHashMap<>();
    private static final Map<String, String> FIFO_DEFAULTS = new LinkedHashMap<>();

    static {
        STANDARD_DEFAULTS.put("VisibilityTimeout", "30");
        STANDARD_DEFAULTS.put("MaximumMessageSize", "262144");
        STANDARD_DEFAULTS.put("MessageRetentionPeriod", "345600");
        STANDARD_DEFAULTS.put("DelaySeconds", "0");
        STANDARD_DEFAULTS.put("ReceiveMessageWaitTimeSeconds", "0");
        STANDARD_DEFAULTS.put("SqsManagedSseEnabled", "true");
        FIFO_DEFAULTS.putAll(STANDARD_DEFAULTS);
        FIFO_DEFAULTS.put("FifoQueue", "true");
        FIFO_DEFAULTS.put("ContentBasedDeduplication", "false");
        FIFO_DEFAULTS.put("DeduplicationScope", "queue");
        FIFO_DEFAULTS.put("FifoThroughputLimit", "perQueue");
    }

    /** Attributes only FIFO queues have: a standard queue does not know them. */
    private static final Set<String> FIFO_ONLY = Set.of("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit");
    private static final Set<String> OTHERS = Set.of("Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds");

    /** Checks every attribute given for a queue (of this kind) and returns them over {@code base}; nothing is applied when one is bad. */
    static QueueConfig of(QueueConfig base, JsonNode attributes, boolean fifo, boolean creating) {
        ObjectNode merged = base == null ? Values.object() : base.given.deepCopy();
        if (attributes == null) return new QueueConfig(merged);
        for (Iterator<Map.Entry<String, JsonNode>> it = attributes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey(), value = e.getValue().asText();
            boolean known = STANDARD_DEFAULTS.containsKey(name) || OTHERS.contains(name) || (FIFO_ONLY.contains(name) && (fifo || name.equals("FifoQueue")));
            if (!known) throw new AwsException("InvalidAttributeName", "Unknown Attribute " + name + ".", 400);
            check(name, value, fifo, creating);
            if (name.equals("FifoQueue") && !fifo) continue; // FifoQueue=false on a standard queue: the default
            if (value.isEmpty() && (OTHERS.contains(name))) merged.remove(name); // an empty policy removes it
            else merged.put(name, value);
        }
        return new QueueConfig(merged);
    }

    private static void check(String name, String value, boolean fifo, boolean creating) {
        boolean ok = switch (name) {
            case "VisibilityTimeout" -> range(value, 0, 43200);
            case "MaximumMessageSize" -> range(value, 1024, 1048576);
            case "MessageRetentionPeriod" -> range(value, 60, 1209600);
            case "DelaySeconds" -> range(value, 0, 900);
            case "ReceiveMessageWaitTimeSeconds" -> range(value, 0, 20);
            case "KmsDataKeyReusePeriodSeconds" -> range(value, 60, 86400);
            case "SqsManagedSseEnabled", "ContentBasedDeduplication" -> value.equals("true") || value.equals("false");
            case "FifoQueue" -> creating && value.equals(String.valueOf(fifo));
            case "DeduplicationScope" -> value.equals("messageGroup") || value.equals("queue");
            case "FifoThroughputLimit" -> value.equals("perQueue") || value.equals("perMessageGroupId");
            case "Policy" -> value.isEmpty() || json(value) != null;
            case "RedrivePolicy" -> value.isEmpty() || redrivePolicy(value);
            case "RedriveAllowPolicy" -> value.isEmpty() || redriveAllowPolicy(value);
            default -> true;
        };
        if (!ok) {
            if (name.equals("FifoQueue") && !creating) throw new AwsException("InvalidAttributeName", "Unknown Attribute FifoQueue.", 400);
            throw new AwsException("InvalidAttributeValue", "Invalid value for the parameter " + name + ".", 400);
        }
    }

    private static boolean range(String value, long min, long max) {
        try {
            long v = Long.parseLong(value);
            return v >= min && v <= max;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static JsonNode json(String value) {
        try {
            JsonNode n = Values.JSON.readTree(value);
            return n != null && n.isObject() ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean redrivePolicy(String value) {
        JsonNode n = json(value);
        if (n == null || !n.path("deadLetterTargetArn").isTextual()) return false;
        String arn = n.get("deadLetterTargetArn").asText();
        int count = n.path("maxReceiveCount").isNumber() ? n.get("maxReceiveCount").asInt() : n.path("maxReceiveCount").asText().matches("\\d{1,4}")
                ? Integer.parseInt(n.get("maxReceiveCount").asText()) : -1;
        return arn.startsWith("arn:aws:sqs:") && count >= 1 && count <= 1000;
    }

    private static boolean redriveAllowPolicy(String value) {
        JsonNode n = json(value);
        if (n == null) return false;
        String permission = n.path("redrivePermission").asText("");
        JsonNode sources = n.get("sourceQueueArns");
        return switch (permission) {
            case "allowAll", "denyAll" -> sources == null;
            case "byQueue" -> sources != null && sources.isArray() && !sources.isEmpty() && sources.size() <= 10;
            default -> false;
        };
    }

    /** Every attribute with its value, defaults included, in AWS's order. */
    Map<String, String> all(boolean fifo) {
        Map<String, String> out = new LinkedHashMap<>(fifo ? FIFO_DEFAULTS : STANDARD_DEFAULTS);
        given.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    String get(String name) {
        JsonNode v = given.get(name);
        return v != null ? v.asText() : FIFO_DEFAULTS.get(name);
    }

    int integer(String name) {
        return Integer.parseInt(get(name));
    }

    int retentionSeconds() {
        return integer("MessageRetentionPeriod");
    }

    String deduplicationScope() {
        return get("DeduplicationScope");
    }

    /** The dead-letter queue's ARN and maxReceiveCount, or null without a redrive policy. */
    JsonNode redrivePolicy() {
        String p = get("RedrivePolicy");
        return p == null ? null : json(p);
    }

    /** maxReceiveCount, written as a number or a string. */
    static int maxReceiveCount(JsonNode policy) {
        JsonNode n = policy.get("maxReceiveCount");
        return n.isNumber() ? n.asInt() : Integer.parseInt(n.asText());
    }
}
