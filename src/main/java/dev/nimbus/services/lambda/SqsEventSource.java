package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.compute.Invocation;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.QueueMessages;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** SQS queues as an event source, read through {@link QueueMessages}; records in the SQS event format Lambda sends. */
final class SqsEventSource implements EventSource {
    private final QueueMessages queues;

    SqsEventSource(QueueMessages queues) {
        this.queues = queues;
    }

    @Override
    public void check(String arn, JsonNode mapping, int functionTimeout) {
        int visibility = queues.visibilityTimeout(arn);
        if (visibility < 0) {
            throw new AwsException("InvalidParameterValueException",
                    "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.", 400);
        }
        if (visibility < functionTimeout) {
            throw new AwsException("InvalidParameterValueException",
                    "Queue visibility timeout: " + visibility + " seconds is less than Function timeout: " + functionTimeout + " seconds", 400);
        }
        int batch = mapping.path("BatchSize").asInt(10);
        if (arn.endsWith(".fifo") && batch > 10) {
            throw new AwsException("InvalidParameterValueException", "Batch size must be between 1 and 10 for FIFO queues.", 400);
        }
        if (batch > 10 && mapping.path("MaximumBatchingWindowInSeconds").asInt(0) < 1) {
            throw new AwsException("InvalidParameterValueException",
                    "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10", 400);
        }
    }

    @Override
    public List<Item> poll(JsonNode mapping, int max, int waitSeconds) {
        String arn = mapping.get("EventSourceArn").asText();
        String region = arn.split(":")[3];
        List<Item> out = new ArrayList<>();
        for (QueueMessages.Received m : queues.receive(arn, Math.min(max, 10), waitSeconds)) {
            ObjectNode r = Values.object().put("messageId", m.messageId()).put("receiptHandle", m.receiptHandle()).put("body", m.body());
            ObjectNode attributes = r.putObject("attributes");
            m.attributes().forEach(attributes::put);
            ObjectNode messageAttributes = r.putObject("messageAttributes");
            m.messageAttributes().forEach((name, a) -> {
                ObjectNode v = messageAttributes.putObject(name);
                if (a.stringValue() != null) v.put("stringValue", a.stringValue());
                if (a.binaryValue() != null) v.put("binaryValue", Base64.getEncoder().encodeToString(a.binaryValue()));
                v.putArray("stringListValues");
                v.putArray("binaryListValues");
                v.put("dataType", a.dataType());
            });
            r.put("md5OfBody", m.md5OfBody());
            if (m.md5OfMessageAttributes() != null) r.put("md5OfMessageAttributes", m.md5OfMessageAttributes());
            r.put("eventSource", "aws:sqs").put("eventSourceARN", arn).put("awsRegion", region);
            // Filters see the body as JSON when it is JSON, else as the plain string.
            ObjectNode view = r.deepCopy();
            JsonNode body = json(m.body());
            if (body != null) view.set("body", body);
            out.add(new Item(m.messageId(), r, view, m.receiptHandle()));
        }
        return out;
    }

    private static JsonNode json(String body) {
        try {
            JsonNode n = Values.JSON.readTree(body);
            return n != null && n.isObject() ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void done(JsonNode mapping, List<Item> items) {
        for (Item i : items) queues.delete(mapping.get("EventSourceArn").asText(), i.handle());
    }

    @Override
    public void failed(JsonNode mapping, List<Item> items, Invocation.Result result) {
        // Nothing to do: they become visible again when their visibility timeout ends, and the queue's redrive policy counts the receive.
    }
}
