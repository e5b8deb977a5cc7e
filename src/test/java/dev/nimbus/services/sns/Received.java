package dev.nimbus.services.sns;

import static org.junit.jupiter.api.Assertions.fail;

import dev.nimbus.services.Targets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * What SNS delivered to real SQS queues, read back with the SQS client: each queue's messages as
 * {@link Targets.Message}s (body, string message attributes), in the order received.
 */
final class Received {
    private final SqsClient sqs;
    private final Map<String, List<Targets.Message>> got = new ConcurrentHashMap<>();

    Received(SqsClient sqs) {
        this.sqs = sqs;
    }

    /** Creates the queue named by the ARN's last part (FIFO when it ends in .fifo). */
    void create(String arn) {
        String name = name(arn);
        sqs.createQueue(b -> b.queueName(name).attributes(name.endsWith(".fifo")
                ? Map.of(QueueAttributeName.FIFO_QUEUE, "true", QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "true") : Map.of()));
    }

    void delete(String arn) {
        sqs.deleteQueue(b -> b.queueUrl(sqs.getQueueUrl(q -> q.queueName(name(arn))).queueUrl()));
    }

    /** What has been read from the queue so far. */
    List<Targets.Message> got(String arn) {
        return got.getOrDefault(arn, List.of());
    }

    /** Waits (bounded) until the queue has had at least n messages, and returns them. */
    List<Targets.Message> await(String arn, int n) {
        return await(arn, n, m -> true);
    }

    List<Targets.Message> await(String arn, int n, Predicate<Targets.Message> which) {
        for (int i = 0; i < 60; i++) {
            drain(arn, 1);
            List<Targets.Message> matching = got.getOrDefault(arn, List.of()).stream().filter(which).toList();
            if (matching.size() >= n) return matching;
        }
        fail(arn + " got " + got.getOrDefault(arn, List.of()).size() + " messages, expected " + n);
        return List.of();
    }

    private void drain(String arn, int waitSeconds) {
        String url = sqs.getQueueUrl(b -> b.queueName(name(arn))).queueUrl();
        List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(waitSeconds)
                .messageAttributeNames("All")).messages();
        List<Targets.Message> list = got.computeIfAbsent(arn, k -> new ArrayList<>());
        for (Message m : messages) {
            Map<String, String> attributes = new HashMap<>();
            m.messageAttributes().forEach((k, v) -> attributes.put(k, v.stringValue()));
            list.add(new Targets.Message(m.body(), null, attributes));
            sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
        }
    }

    private static String name(String arn) {
        return arn.substring(arn.lastIndexOf(':') + 1);
    }
}
