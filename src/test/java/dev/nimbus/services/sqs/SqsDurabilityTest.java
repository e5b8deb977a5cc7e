package dev.nimbus.services.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** Across a restart: sent messages are all there, deleted ones stay deleted, one in flight stays in flight with its receipt handle. */
class SqsDurabilityTest {
    @TempDir
    Path dir;

    @Test
    void messagesSurviveARestartAndDeletesStayDone() {
        String url;
        Message inFlight;
        try (TestServer nimbus = TestServer.startDurable(dir); SqsClient sqs = nimbus.client(SqsClient.builder())) {
            url = sqs.createQueue(b -> b.queueName("durable").attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "600"))).queueUrl();
            for (int i = 0; i < 5; i++) {
                int n = i;
                sqs.sendMessage(b -> b.queueUrl(url).messageBody("m" + n));
            }
            List<Message> got = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(2)).messages();
            assertEquals(2, got.size());
            sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(got.get(0).receiptHandle()));
            inFlight = got.get(1);
        }
        try (TestServer nimbus = TestServer.startDurable(dir); SqsClient sqs = nimbus.client(SqsClient.builder())) {
            // The URL of the first run (its port is gone) still names the queue.
            var attrs = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.ALL)).attributes();
            assertEquals("3", attrs.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
            assertEquals("1", attrs.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
            assertEquals("600", attrs.get(QueueAttributeName.VISIBILITY_TIMEOUT));
            Set<String> bodies = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10)).messages().stream()
                    .map(Message::body).collect(Collectors.toSet());
            assertEquals(3, bodies.size());
            assertTrue(!bodies.contains(inFlight.body()));
            sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(inFlight.receiptHandle()));
            attrs = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.ALL)).attributes();
            assertEquals("3", attrs.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
        }
    }
}
