package dev.nimbus.services.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.SqliteStore;
import dev.nimbus.store.Table;
import dev.nimbus.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeValue;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Across a restart: sent messages are all there, deleted ones stay deleted, one in flight stays in
 * flight with its receipt handle; FIFO deduplication ids and message move tasks are remembered.
 */
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

    /**
     * Messages are stored in a compact binary form; a data dir of an older Nimbus holds JSON rows.
     * Both load, every field intact (body, digests, attributes, trace header, sender, sent time).
     */
    @Test
    void messagesOfBothStoredFormsLoadWithEveryField() throws Exception {
        String url, arn;
        Map<String, MessageAttributeValue> attributes = Map.of("kind", MessageAttributeValue.builder().dataType("String").stringValue("order").build(),
                "blob", MessageAttributeValue.builder().dataType("Binary").binaryValue(SdkBytes.fromUtf8String("\u00e9\u0000")).build());
        String body = "{\"quoted\":\"\u00e9t\u00e9 \u2603 \ud83d\ude00\"}";
        try (TestServer nimbus = TestServer.startDurable(dir); SqsClient sqs = nimbus.client(SqsClient.builder())) {
            url = sqs.createQueue(b -> b.queueName("forms")).queueUrl();
            arn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
            sqs.sendMessage(b -> b.queueUrl(url).messageBody(body).messageAttributes(attributes)
                    .messageSystemAttributesWithStrings(Map.of("AWSTraceHeader", MessageSystemAttributeValue.builder().dataType("String").stringValue("Root=1-5").build())));
        }
        String[] a = arn.split(":");
        long sent = System.currentTimeMillis() - 1_000; // within the retention period
        String key = a[4] + "/" + a[3] + "/" + a[5] + "/" + "00000000000000ff"; // before every message sent now: received first
        ObjectNode stored = Values.object().put("id", "old-id").put("body", body).put("md5", Md5.of(body)).put("sent", sent)
                .put("visibleAt", sent).put("sender", "AIDAOLD");
        stored.putObject("attributes").putObject("kind").put("DataType", "String").put("StringValue", "old");
        stored.put("md5Attributes", Md5.ofAttributes(stored.get("attributes")));
        try (SqliteStore store = SqliteStore.open(dir)) {
            store.table(Queue.MESSAGES).put(key, Table.toBytes(stored));
        }
        try (TestServer nimbus = TestServer.startDurable(dir); SqsClient sqs = nimbus.client(SqsClient.builder())) {
            List<Message> got = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).messageAttributeNames("All")
                    .messageSystemAttributeNamesWithStrings("All")).messages();
            assertEquals(2, got.size());
            Message old = got.get(0), now = got.get(1);
            assertEquals("old-id", old.messageId());
            assertEquals(body, old.body());
            assertEquals(Md5.of(body), old.md5OfBody());
            assertEquals("old", old.messageAttributes().get("kind").stringValue());
            assertEquals(stored.get("md5Attributes").asText(), old.md5OfMessageAttributes());
            assertEquals("AIDAOLD", old.attributesAsStrings().get("SenderId"));
            assertEquals(Long.toString(sent), old.attributesAsStrings().get("SentTimestamp"));
            assertEquals(body, now.body());
            assertEquals(Md5.of(body), now.md5OfBody());
            assertEquals(attributes, now.messageAttributes());
            assertEquals(Md5.ofAttributes(Values.JSON.valueToTree(Map.of("kind", Map.of("DataType", "String", "StringValue", "order"),
                    "blob", Map.of("DataType", "Binary", "BinaryValue", java.util.Base64.getEncoder().encodeToString("\u00e9\u0000".getBytes(StandardCharsets.UTF_8)))))),
                    now.md5OfMessageAttributes());
            assertEquals("Root=1-5", now.attributesAsStrings().get("AWSTraceHeader"));
            sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(old.receiptHandle()));
        }
        // The row stored under the key's old form (queue first) was rewritten with the sequence number first, and its delete holds.
        try (SqliteStore store = SqliteStore.open(dir)) {
            Table messages = store.table(Queue.MESSAGES);
            assertNull(messages.get(key));
            List<String> keys = messages.scan("", null, 10).stream().map(Table.Entry::key).toList();
            assertEquals(1, keys.size());
            assertTrue(keys.get(0).matches("[0-9a-f]{16}/" + a[4] + "/" + a[3] + "/" + a[5]), keys.get(0));
        }
        try (TestServer nimbus = TestServer.startDurable(dir); SqsClient sqs = nimbus.client(SqsClient.builder())) {
            Map<QueueAttributeName, String> counts = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.ALL)).attributes();
            assertEquals("0", counts.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
            assertEquals("1", counts.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
        }
    }

    @Test
    void fifoDeduplicationIdsLastTheirFiveMinutesAcrossARestart() {
        String url;
        String firstId;
        try (TestServer nimbus = TestServer.startDurable(dir); SqsClient sqs = nimbus.client(SqsClient.builder())) {
            url = sqs.createQueue(b -> b.queueName("dedup.fifo").attributes(Map.of(QueueAttributeName.FIFO_QUEUE, "true"))).queueUrl();
            firstId = sqs.sendMessage(b -> b.queueUrl(url).messageBody("once").messageGroupId("g").messageDeduplicationId("d1")).messageId();
            // Received and deleted: only the deduplication id remembers it.
            Message m = sqs.receiveMessage(b -> b.queueUrl(url)).messages().get(0);
            sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
        }
        try (TestServer nimbus = TestServer.startDurable(dir); SqsClient sqs = nimbus.client(SqsClient.builder())) {
            var again = sqs.sendMessage(b -> b.queueUrl(url).messageBody("once").messageGroupId("g").messageDeduplicationId("d1"));
            assertEquals(firstId, again.messageId());
            assertTrue(sqs.receiveMessage(b -> b.queueUrl(url)).messages().isEmpty());
            long now = System.currentTimeMillis();
            SqsService.clock = () -> now + Queue.FIVE_MINUTES + 1_000;
            try {
                var later = sqs.sendMessage(b -> b.queueUrl(url).messageBody("once").messageGroupId("g").messageDeduplicationId("d1"));
                assertNotEquals(firstId, later.messageId());
                assertEquals(List.of("once"), sqs.receiveMessage(b -> b.queueUrl(url)).messages().stream().map(Message::body).toList());
            } finally {
                SqsService.clock = System::currentTimeMillis;
            }
        }
    }

    @Test
    void aMoveTaskIsListedAfterARestartAndFinishesItsWork() {
        String src, dlq, dlqArn;
        try (TestServer nimbus = TestServer.startDurable(dir); SqsClient sqs = nimbus.client(SqsClient.builder())) {
            dlq = sqs.createQueue(b -> b.queueName("moves-dlq")).queueUrl();
            dlqArn = sqs.getQueueAttributes(b -> b.queueUrl(dlq).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
            src = sqs.createQueue(b -> b.queueName("moves").attributes(Map.of(QueueAttributeName.REDRIVE_POLICY,
                    "{\"deadLetterTargetArn\":\"" + dlqArn + "\",\"maxReceiveCount\":1}"))).queueUrl();
            for (int i = 0; i < 3; i++) {
                int n = i;
                sqs.sendMessage(b -> b.queueUrl(src).messageBody("m" + n));
            }
            // Received once each with no visibility timeout; the next receive finds them received enough and moves them.
            for (int i = 0; i < 3; i++) sqs.receiveMessage(b -> b.queueUrl(src).maxNumberOfMessages(10).visibilityTimeout(0));
            assertEquals("3", sqs.getQueueAttributes(b -> b.queueUrl(dlq).attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                    .attributes().get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
            // One message a second: the restart comes while the task runs (or, on a slow machine, after it ended; both are listed).
            sqs.startMessageMoveTask(b -> b.sourceArn(dlqArn).maxNumberOfMessagesPerSecond(1));
        }
        try (TestServer nimbus = TestServer.startDurable(dir); SqsClient sqs = nimbus.client(SqsClient.builder())) {
            var tasks = sqs.listMessageMoveTasks(b -> b.sourceArn(dlqArn)).results();
            assertEquals(1, tasks.size());
            assertEquals(3, tasks.get(0).approximateNumberOfMessagesToMove());
            assertEquals(1, tasks.get(0).maxNumberOfMessagesPerSecond());
            for (int i = 0; i < 600 && !tasks.get(0).status().equals("COMPLETED"); i++) {
                sleep();
                tasks = sqs.listMessageMoveTasks(b -> b.sourceArn(dlqArn)).results();
            }
            assertEquals("COMPLETED", tasks.get(0).status());
            assertEquals(3, tasks.get(0).approximateNumberOfMessagesMoved());
            Set<String> bodies = new java.util.HashSet<>();
            for (int i = 0; i < 3 && bodies.size() < 3; i++) {
                sqs.receiveMessage(b -> b.queueUrl(src).maxNumberOfMessages(10)).messages().forEach(m -> bodies.add(m.body()));
            }
            assertEquals(Set.of("m0", "m1", "m2"), bodies);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
