package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-only SQS: queues with their attributes and tags, messages kept in order and handed out
 * once. Just enough to see the query protocol's flattened maps and lists, and SQS's legacy error
 * codes, on a service whose current model is json.
 */
final class SqsTestService implements AwsService {
    private record Queue(String url, ObjectNode attributes, List<ObjectNode> messages) {}

    private final Map<String, Queue> queues = new LinkedHashMap<>();
    private int nextMessage;

    @Override
    public String modelName() {
        return "sqs";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateQueue", this::createQueue)
                .add("GetQueueUrl", (ctx, in) -> Values.object().put("QueueUrl", queue(Values.text(in, "QueueName")).url))
                .add("GetQueueAttributes", (ctx, in) -> attributes(in))
                .add("ListQueues", (ctx, in) -> listQueues(in))
                .add("SendMessage", (ctx, in) -> sendMessage(in))
                .add("ReceiveMessage", (ctx, in) -> receiveMessage(in));
    }

    private synchronized JsonNode createQueue(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "QueueName");
        String url = "https://sqs." + ctx.region() + ".amazonaws.com/" + ctx.accountId() + "/" + name;
        ObjectNode attributes = in.has("Attributes") ? (ObjectNode) in.get("Attributes") : Values.object();
        if (in.has("tags")) attributes.put("Tags", in.get("tags").toString()); // visible through GetQueueAttributes here
        queues.putIfAbsent(name, new Queue(url, attributes, new ArrayList<>()));
        return Values.object().put("QueueUrl", url);
    }

    private synchronized Queue queue(String name) {
        Queue q = queues.get(name);
        if (q == null) throw new AwsException("QueueDoesNotExist", "The specified queue does not exist.", 400);
        return q;
    }

    private Queue byUrl(JsonNode in) {
        String url = Values.text(in, "QueueUrl");
        return queue(url.substring(url.lastIndexOf('/') + 1));
    }

    private synchronized JsonNode attributes(ObjectNode in) {
        Queue q = byUrl(in);
        List<String> names = new ArrayList<>();
        in.path("AttributeNames").forEach(n -> names.add(n.asText()));
        ObjectNode out = Values.object();
        q.attributes.fields().forEachRemaining(e -> {
            if (names.contains("All") || names.contains(e.getKey())) out.set(e.getKey(), e.getValue());
        });
        return Values.object().set("Attributes", out);
    }

    private synchronized JsonNode listQueues(ObjectNode in) {
        String prefix = Values.text(in, "QueueNamePrefix", "");
        ArrayNode urls = Values.array();
        queues.forEach((name, q) -> {
            if (name.startsWith(prefix)) urls.add(q.url);
        });
        return Values.object().set("QueueUrls", urls);
    }

    private synchronized JsonNode sendMessage(ObjectNode in) {
        Queue q = byUrl(in);
        String id = "00000000-0000-0000-0000-" + String.format("%012d", ++nextMessage);
        ObjectNode m = Values.object().put("MessageId", id).put("ReceiptHandle", "rh-" + id).put("Body", Values.text(in, "MessageBody"));
        if (in.has("MessageAttributes")) m.set("MessageAttributes", in.get("MessageAttributes"));
        q.messages.add(m);
        return Values.object().put("MessageId", id);
    }

    private synchronized JsonNode receiveMessage(ObjectNode in) {
        Queue q = byUrl(in);
        ArrayNode out = Values.array();
        int max = Values.integer(in, "MaxNumberOfMessages", 1);
        while (!q.messages.isEmpty() && out.size() < max) out.add(q.messages.remove(0));
        return Values.object().set("Messages", out);
    }
}
