package dev.nimbus.services.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.QueueNameExistsException;
import software.amazon.awssdk.services.sqs.model.ReceiptHandleIsInvalidException;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageResponse;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.SqsException;

/** SQS through the SDK v2 client (json 1.0), which checks every MD5 it is given. */
class SqsTest {
    static TestServer nimbus;
    static SqsClient sqs;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        sqs = nimbus.client(SqsClient.builder());
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    static String queue(String name, Map<QueueAttributeName, String> attributes) {
        return sqs.createQueue(b -> b.queueName(name).attributes(attributes)).queueUrl();
    }

    static List<Message> receive(String url, int max) {
        return sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(max).waitTimeSeconds(0)
                .messageSystemAttributeNamesWithStrings("All").messageAttributeNames("All")).messages();
    }

    @Test
    void createIsIdempotentForTheSameAttributesOnly() {
        String url = queue("idem", Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "40"));
        assertEquals("http://sqs.us-east-1.localhost:" + nimbus.port() + "/000000000000/idem", url);
        assertEquals(url, queue("idem", Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "40")));
        assertEquals(url, queue("idem", Map.of()));
        assertThrows(QueueNameExistsException.class, () -> queue("idem", Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "41")));
        assertEquals(url, sqs.getQueueUrl(b -> b.queueName("idem")).queueUrl());
        // The plain localhost form names the same queue.
        String plain = "http://localhost:" + nimbus.port() + "/000000000000/idem";
        assertEquals("40", sqs.getQueueAttributes(b -> b.queueUrl(plain).attributeNames(QueueAttributeName.VISIBILITY_TIMEOUT))
                .attributes().get(QueueAttributeName.VISIBILITY_TIMEOUT));
    }

    @Test
    void badNamesAndAttributesAreRefused() {
        SqsException e = assertThrows(SqsException.class, () -> queue("bad name", Map.of()));
        assertEquals("InvalidParameterValue", e.awsErrorDetails().errorCode());
        e = assertThrows(SqsException.class, () -> queue("nofifo", Map.of(QueueAttributeName.FIFO_QUEUE, "true")));
        assertEquals("InvalidParameterValue", e.awsErrorDetails().errorCode());
        e = assertThrows(SqsException.class, () -> queue("badvis", Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "50000")));
        assertEquals("InvalidAttributeValue", e.awsErrorDetails().errorCode());
        assertThrows(QueueDoesNotExistException.class, () -> sqs.getQueueUrl(b -> b.queueName("missing")));
    }

    @Test
    void listQueuesByPrefixWithPages() {
        for (String n : List.of("page-a", "page-b", "page-c")) queue(n, Map.of());
        var first = sqs.listQueues(b -> b.queueNamePrefix("page-").maxResults(2));
        assertEquals(2, first.queueUrls().size());
        assertTrue(first.queueUrls().get(0).endsWith("/page-a"));
        var second = sqs.listQueues(b -> b.queueNamePrefix("page-").maxResults(2).nextToken(first.nextToken()));
        assertEquals(1, second.queueUrls().size());
        assertTrue(second.queueUrls().get(0).endsWith("/page-c"));
        assertNull(second.nextToken());
    }

    @Test
    void sendReceiveDeleteWithAttributesAndCounts() {
        String url = queue("basic", Map.of());
        var sent = sqs.sendMessage(b -> b.queueUrl(url).messageBody("héllo").messageAttributes(Map.of(
                "color", MessageAttributeValue.builder().dataType("String").stringValue("red").build(),
                "n", MessageAttributeValue.builder().dataType("Number.int").stringValue("42").build(),
                "raw", MessageAttributeValue.builder().dataType("Binary").binaryValue(SdkBytes.fromByteArray(new byte[] {0, 1, -2})).build())));
        // The SDK checks MD5OfMessageBody and MD5OfMessageAttributes against its own digests on send and receive.
        assertEquals(Md5.of("héllo"), sent.md5OfMessageBody());
        var attrs = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.ALL)).attributes();
        assertEquals("1", attrs.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));

        List<Message> got = receive(url, 10);
        assertEquals(1, got.size());
        Message m = got.get(0);
        assertEquals(sent.messageId(), m.messageId());
        assertEquals("héllo", m.body());
        assertEquals("red", m.messageAttributes().get("color").stringValue());
        assertEquals("42", m.messageAttributes().get("n").stringValue());
        assertEquals(3, m.messageAttributes().get("raw").binaryValue().asByteArray().length);
        assertEquals("1", m.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT));
        assertEquals(sent.md5OfMessageAttributes(), m.md5OfMessageAttributes());
        attrs = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.ALL)).attributes();
        assertEquals("0", attrs.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
        assertEquals("1", attrs.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
        assertTrue(receive(url, 10).isEmpty(), "in flight");

        sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
        attrs = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.ALL)).attributes();
        assertEquals("0", attrs.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
        // Deleting again with the same handle succeeds, as in AWS.
        sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
        assertThrows(ReceiptHandleIsInvalidException.class, () -> sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle("forged")));
    }

    @Test
    void aStaleReceiptHandleDeletesNothing() {
        String url = queue("stale", Map.of());
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("x"));
        Message first = receive(url, 1).get(0);
        sqs.changeMessageVisibility(b -> b.queueUrl(url).receiptHandle(first.receiptHandle()).visibilityTimeout(0));
        Message second = receive(url, 1).get(0);
        assertNotEquals(first.receiptHandle(), second.receiptHandle());
        assertEquals("2", second.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT));
        sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(first.receiptHandle()));
        assertEquals("1", sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                .attributes().get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
        SqsException e = assertThrows(SqsException.class,
                () -> sqs.changeMessageVisibility(b -> b.queueUrl(url).receiptHandle(first.receiptHandle()).visibilityTimeout(5)));
        assertEquals("InvalidParameterValue", e.awsErrorDetails().errorCode());
        sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(second.receiptHandle()));
    }

    @Test
    void badMessagesAreRefusedWholeAndBatchesEntryByEntry() {
        String url = queue("bad-messages", Map.of());
        SqsException e = assertThrows(SqsException.class, () -> sqs.sendMessage(b -> b.queueUrl(url).messageBody("a\u0001b")));
        assertEquals("InvalidMessageContents", e.awsErrorDetails().errorCode());
        e = assertThrows(SqsException.class, () -> sqs.sendMessage(b -> b.queueUrl(url).messageBody("x".repeat(262145))));
        assertEquals("InvalidParameterValue", e.awsErrorDetails().errorCode());
        assertTrue(e.getMessage().contains("Message must be shorter than 262144 bytes"));

        SendMessageBatchResponse r = sqs.sendMessageBatch(b -> b.queueUrl(url).entries(
                x -> x.id("ok").messageBody("fine"), x -> x.id("bad").messageBody("no\u0000pe")));
        assertEquals(List.of("ok"), r.successful().stream().map(s -> s.id()).toList());
        BatchResultErrorEntry failed = r.failed().get(0);
        assertEquals("bad", failed.id());
        assertEquals("InvalidMessageContents", failed.code());
        assertTrue(failed.senderFault());
        e = assertThrows(SqsException.class, () -> sqs.sendMessageBatch(b -> b.queueUrl(url).entries(
                x -> x.id("same").messageBody("1"), x -> x.id("same").messageBody("2"))));
        assertEquals("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", e.awsErrorDetails().errorCode());
        assertEquals(1, receive(url, 10).size(), "only the good entry was sent");
    }

    @Test
    void aLongPollWakesWhenAMessageIsSent() {
        String url = queue("long-poll", Map.of());
        CompletableFuture<ReceiveMessageResponse> poll = CompletableFuture.supplyAsync(
                () -> sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(20)));
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("wake"));
        assertEquals("wake", poll.join().messages().get(0).body());
    }

    @Test
    void delayedMessagesAreCountedAndThenDelivered() {
        String url = queue("delayed", Map.of());
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("later").delaySeconds(1));
        assertEquals("1", sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED))
                .attributes().get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED));
        assertEquals("later", sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(20)).messages().get(0).body());
    }

    @Test
    void messagesReceivedTooOftenGoToTheDeadLetterQueue() {
        String dlq = queue("dlq", Map.of());
        String dlqArn = sqs.getQueueAttributes(b -> b.queueUrl(dlq).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
        String src = queue("with-dlq", Map.of(QueueAttributeName.REDRIVE_POLICY, "{\"deadLetterTargetArn\":\"" + dlqArn + "\",\"maxReceiveCount\":2}"));
        String id = sqs.sendMessage(b -> b.queueUrl(src).messageBody("poison")).messageId();
        for (int i = 0; i < 2; i++) {
            Message m = receive(src, 1).get(0);
            sqs.changeMessageVisibility(b -> b.queueUrl(src).receiptHandle(m.receiptHandle()).visibilityTimeout(0));
        }
        assertTrue(receive(src, 1).isEmpty());
        Message dead = receive(dlq, 1).get(0);
        assertEquals(id, dead.messageId());
        assertEquals("poison", dead.body());
        assertEquals(List.of(src), sqs.listDeadLetterSourceQueues(b -> b.queueUrl(dlq)).queueUrls());

        // And back with a move task, to the queue it came from.
        sqs.changeMessageVisibility(b -> b.queueUrl(dlq).receiptHandle(dead.receiptHandle()).visibilityTimeout(0));
        String task = sqs.startMessageMoveTask(b -> b.sourceArn(dlqArn)).taskHandle();
        assertFalse(task.isEmpty());
        List<Message> back = new ArrayList<>();
        for (int i = 0; i < 200 && back.isEmpty(); i++) back.addAll(sqs.receiveMessage(b -> b.queueUrl(src).waitTimeSeconds(1)).messages());
        assertEquals(id, back.get(0).messageId());
        var tasks = sqs.listMessageMoveTasks(b -> b.sourceArn(dlqArn)).results();
        assertEquals(1, tasks.size());
    }

    @Test
    void fifoKeepsGroupsInOrderOneInFlightAndDeduplicates() {
        String url = queue("orders.fifo", Map.of(QueueAttributeName.FIFO_QUEUE, "true", QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "true"));
        SqsException e = assertThrows(SqsException.class, () -> sqs.sendMessage(b -> b.queueUrl(url).messageBody("no group")));
        assertEquals("MissingParameter", e.awsErrorDetails().errorCode());
        var a1 = sqs.sendMessage(b -> b.queueUrl(url).messageBody("a1").messageGroupId("a"));
        var dup = sqs.sendMessage(b -> b.queueUrl(url).messageBody("a1").messageGroupId("a"));
        assertEquals(a1.messageId(), dup.messageId());
        assertEquals(a1.sequenceNumber(), dup.sequenceNumber());
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("a2").messageGroupId("a"));
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("b1").messageGroupId("b"));

        Message first = receive(url, 1).get(0);
        assertEquals("a1", first.body());
        // Group a has a message in flight: only b's is available.
        List<Message> next = receive(url, 10);
        assertEquals(List.of("b1"), next.stream().map(Message::body).toList());
        sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(first.receiptHandle()));
        assertEquals(List.of("a2"), receive(url, 10).stream().map(Message::body).toList());

        // A retried receive with the same attempt id gets the same messages back.
        String url2 = queue("retry.fifo", Map.of(QueueAttributeName.FIFO_QUEUE, "true"));
        sqs.sendMessage(b -> b.queueUrl(url2).messageBody("r").messageGroupId("g").messageDeduplicationId("d1"));
        var r1 = sqs.receiveMessage(b -> b.queueUrl(url2).receiveRequestAttemptId("attempt-1")).messages();
        var r2 = sqs.receiveMessage(b -> b.queueUrl(url2).receiveRequestAttemptId("attempt-1")).messages();
        assertEquals(r1.get(0).receiptHandle(), r2.get(0).receiptHandle());
    }

    @Test
    void purgeAndDeleteQueue() {
        String url = queue("purged", Map.of());
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("x"));
        sqs.purgeQueue(b -> b.queueUrl(url));
        assertTrue(receive(url, 10).isEmpty());
        SqsException e = assertThrows(SqsException.class, () -> sqs.purgeQueue(b -> b.queueUrl(url)));
        assertEquals("AWS.SimpleQueueService.PurgeQueueInProgress", e.awsErrorDetails().errorCode());
        sqs.deleteQueue(b -> b.queueUrl(url));
        assertThrows(QueueDoesNotExistException.class, () -> sqs.sendMessage(b -> b.queueUrl(url).messageBody("x")));
    }

    @Test
    void permissionsAreStatementsOfThePolicy() throws Exception {
        String url = queue("shared", Map.of());
        sqs.addPermission(b -> b.queueUrl(url).label("send").awsAccountIds("111122223333").actions("SendMessage"));
        var policy = dev.nimbus.protocol.Values.JSON.readTree(sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.POLICY))
                .attributes().get(QueueAttributeName.POLICY));
        assertEquals("send", policy.path("Statement").path(0).path("Sid").asText());
        assertEquals("SQS:SendMessage", policy.path("Statement").path(0).path("Action").path(0).asText());
        SqsException e = assertThrows(SqsException.class, () -> sqs.addPermission(b -> b.queueUrl(url).label("send").awsAccountIds("1").actions("SendMessage")));
        assertEquals("InvalidParameterValue", e.awsErrorDetails().errorCode());
        sqs.removePermission(b -> b.queueUrl(url).label("send"));
        assertNull(sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.POLICY)).attributes().get(QueueAttributeName.POLICY));
    }

    @Test
    void messagesOlderThanTheRetentionPeriodAreDropped() {
        String url = queue("short-lived", Map.of(QueueAttributeName.MESSAGE_RETENTION_PERIOD, "60"));
        sqs.sendMessage(b -> b.queueUrl(url).messageBody("old"));
        long now = System.currentTimeMillis();
        SqsService.clock = () -> now + 61_000;
        try {
            sqs.sendMessage(b -> b.queueUrl(url).messageBody("new"));
            assertEquals(List.of("new"), receive(url, 10).stream().map(Message::body).toList());
            assertEquals("0", sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                    .attributes().get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
        } finally {
            SqsService.clock = System::currentTimeMillis;
        }
    }

    @Test
    void tags() {
        String url = sqs.createQueue(b -> b.queueName("tagged").tags(Map.of("a", "1"))).queueUrl();
        sqs.tagQueue(b -> b.queueUrl(url).tags(Map.of("b", "2")));
        sqs.untagQueue(b -> b.queueUrl(url).tagKeys("a"));
        assertEquals(Map.of("b", "2"), sqs.listQueueTags(b -> b.queueUrl(url)).tags());
    }
}
