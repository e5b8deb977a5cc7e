package dev.nimbus.services.sns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Targets;
import dev.nimbus.testing.TestServer;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.ComparisonOperator;
import software.amazon.awssdk.services.cloudwatch.model.StateValue;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sns.model.BatchEntryIdsNotDistinctException;
import software.amazon.awssdk.services.sns.model.InvalidParameterException;
import software.amazon.awssdk.services.sns.model.InvalidParameterValueException;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;
import software.amazon.awssdk.services.sns.model.NotFoundException;
import software.amazon.awssdk.services.sns.model.PublishBatchRequestEntry;
import software.amazon.awssdk.services.sns.model.PublishBatchResponse;
import software.amazon.awssdk.services.sns.model.PublishResponse;
import software.amazon.awssdk.services.sns.model.TooManyEntriesInBatchRequestException;

/** Publish and PublishBatch through the SDK, delivered to real SQS queues: envelopes, raw delivery, filters, FIFO, dead letters. */
class SnsPublishTest {
    static final String Q = "arn:aws:sqs:us-east-1:000000000000:";
    static TestServer nimbus;
    static SnsClient sns;
    static SqsClient sqs;
    static Received received;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        sns = nimbus.client(SnsClient.builder());
        sqs = nimbus.client(SqsClient.builder());
        received = new Received(sqs);
    }

    @AfterAll
    static void stop() {
        sns.close();
        sqs.close();
        nimbus.close();
    }

    static String topic(String name) {
        return sns.createTopic(b -> b.name(name)).topicArn();
    }

    static String subscribe(String topic, String queue, Map<String, String> attributes) {
        received.create(Q + queue);
        return sns.subscribe(b -> b.topicArn(topic).protocol("sqs").endpoint(Q + queue).attributes(attributes)).subscriptionArn();
    }

    static MessageAttributeValue string(String v) {
        return MessageAttributeValue.builder().dataType("String").stringValue(v).build();
    }

    static MessageAttributeValue number(String v) {
        return MessageAttributeValue.builder().dataType("Number").stringValue(v).build();
    }

    @Test
    void queuesGetTheSnsEnvelope() throws Exception {
        String topic = topic("envelope");
        String sub = subscribe(topic, "env", Map.of());
        PublishResponse r = sns.publish(b -> b.topicArn(topic).message("hello").subject("Greeting")
                .messageAttributes(Map.of("color", string("red"), "size", number("42"),
                        "raw", MessageAttributeValue.builder().dataType("Binary").binaryValue(SdkBytes.fromByteArray(new byte[] {1, 2})).build())));
        Targets.Message m = received.await(Q + "env", 1).get(0);
        JsonNode e = Values.JSON.readTree(m.body());
        assertEquals(List.of("Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL",
                "UnsubscribeURL", "MessageAttributes"), iterate(e));
        assertEquals("Notification", e.get("Type").asText());
        assertEquals(r.messageId(), e.get("MessageId").asText());
        assertEquals(topic, e.get("TopicArn").asText());
        assertEquals("Greeting", e.get("Subject").asText());
        assertEquals("hello", e.get("Message").asText());
        assertTrue(e.get("Timestamp").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), e.get("Timestamp").asText());
        assertEquals("1", e.get("SignatureVersion").asText());
        assertEquals(nimbus.endpoint() + "/?Action=Unsubscribe&SubscriptionArn=" + sub, e.get("UnsubscribeURL").asText());
        assertEquals("{\"Type\":\"String\",\"Value\":\"red\"}", e.get("MessageAttributes").get("color").toString());
        assertEquals("{\"Type\":\"Number\",\"Value\":\"42\"}", e.get("MessageAttributes").get("size").toString());
        assertEquals("{\"Type\":\"Binary\",\"Value\":\"AQI=\"}", e.get("MessageAttributes").get("raw").toString());

        // Signed as AWS signs every notification: verifiable with the key of the certificate at SigningCertURL.
        assertEquals(nimbus.endpoint() + "/_nimbus/sns/SimpleNotificationService.pem", e.get("SigningCertURL").asText());
        PublicKey key = SnsHttpTest.publicKey(e.get("SigningCertURL").asText());
        String canonical = "Message\nhello\nMessageId\n" + r.messageId() + "\nSubject\nGreeting\nTimestamp\n" + e.get("Timestamp").asText()
                + "\nTopicArn\n" + topic + "\nType\nNotification\n";
        assertTrue(SnsHttpTest.verify(key, canonical, e.get("Signature").asText()));
        assertFalse(SnsHttpTest.verify(key, canonical.replace("hello", "hellO"), e.get("Signature").asText()));

        // SignatureVersion 2: SHA256withRSA, from the next publish on.
        sns.setTopicAttributes(b -> b.topicArn(topic).attributeName("SignatureVersion").attributeValue("2"));
        String id = sns.publish(b -> b.topicArn(topic).message("v2")).messageId();
        JsonNode v2 = Values.JSON.readTree(received.await(Q + "env", 2).get(1).body());
        assertEquals("2", v2.get("SignatureVersion").asText());
        assertTrue(SnsHttpTest.verify(key, "Message\nv2\nMessageId\n" + id + "\nTimestamp\n" + v2.get("Timestamp").asText() + "\nTopicArn\n" + topic
                + "\nType\nNotification\n", v2.get("Signature").asText(), "SHA256withRSA"));
    }

    @Test
    void fifoTopicToFifoQueueKeepsEachGroupsOrderWithItsIds() throws Exception {
        String topic = sns.createTopic(b -> b.name("groups.fifo").attributes(Map.of("FifoTopic", "true"))).topicArn();
        // A FIFO queue without content-based deduplication: SNS passes each message's group and deduplication ids on.
        String url = sqs.createQueue(b -> b.queueName("groups.fifo").attributes(Map.of(QueueAttributeName.FIFO_QUEUE, "true"))).queueUrl();
        sns.subscribe(b -> b.topicArn(topic).protocol("sqs").endpoint(Q + "groups.fifo"));
        for (int i = 0; i < 6; i++) {
            int n = i;
            String group = i % 2 == 0 ? "even" : "odd";
            sns.publish(b -> b.topicArn(topic).message(group + n).messageGroupId(group).messageDeduplicationId("dedup-" + n));
        }
        Map<String, List<String>> byGroup = new java.util.HashMap<>();
        for (int round = 0; round < 30 && byGroup.values().stream().mapToInt(List::size).sum() < 6; round++) {
            for (software.amazon.awssdk.services.sqs.model.Message m : sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)
                    .messageSystemAttributeNamesWithStrings("MessageGroupId", "MessageDeduplicationId")).messages()) {
                String message = Values.JSON.readTree(m.body()).get("Message").asText();
                String group = m.attributesAsStrings().get("MessageGroupId");
                assertEquals(message.startsWith("even") ? "even" : "odd", group);
                assertEquals("dedup-" + message.replaceAll("\\D", ""), m.attributesAsStrings().get("MessageDeduplicationId"));
                byGroup.computeIfAbsent(group, k -> new java.util.ArrayList<>()).add(message);
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
        }
        assertEquals(Map.of("even", List.of("even0", "even2", "even4"), "odd", List.of("odd1", "odd3", "odd5")), byGroup);
    }

    @Test
    void fifoQueuesDeduplicateTheIdsTopicsPassOn() {
        // Each FIFO topic deduplicates its own publishes; a FIFO queue subscribed to two deduplicates across them, as in AWS.
        String first = sns.createTopic(b -> b.name("first.fifo").attributes(Map.of("FifoTopic", "true"))).topicArn();
        String second = sns.createTopic(b -> b.name("second.fifo").attributes(Map.of("FifoTopic", "true"))).topicArn();
        String url = sqs.createQueue(b -> b.queueName("both.fifo").attributes(Map.of(QueueAttributeName.FIFO_QUEUE, "true"))).queueUrl();
        for (String topic : List.of(first, second)) {
            sns.subscribe(b -> b.topicArn(topic).protocol("sqs").endpoint(Q + "both.fifo").attributes(Map.of("RawMessageDelivery", "true")));
        }
        sns.publish(b -> b.topicArn(first).message("from first").messageGroupId("g1").messageDeduplicationId("same"));
        sns.publish(b -> b.topicArn(second).message("from second").messageGroupId("g2").messageDeduplicationId("same"));
        sns.publish(b -> b.topicArn(second).message("another").messageGroupId("g3").messageDeduplicationId("other"));
        // Deliveries to queues are done when a publish returns: once "another" is received, a duplicate would have been too.
        List<String> got = new java.util.ArrayList<>();
        for (int round = 0; round < 30 && !got.contains("another"); round++) {
            sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages().forEach(m -> got.add(m.body()));
        }
        got.sort(null);
        assertEquals(List.of("another", "from first"), got);
    }

    private static List<String> iterate(JsonNode o) {
        List<String> names = new java.util.ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void rawDeliveryMessageStructureAndSubjectlessEnvelope() throws Exception {
        String topic = topic("raw");
        subscribe(topic, "raw", Map.of("RawMessageDelivery", "true"));
        subscribe(topic, "wrapped", Map.of());
        sns.publish(b -> b.topicArn(topic).messageStructure("json").message("{\"default\":\"for all\",\"sqs\":\"for queues\"}")
                .messageAttributes(Map.of("k", string("v"))));
        Targets.Message raw = received.await(Q + "raw", 1).get(0);
        assertEquals("for queues", raw.body());
        assertEquals(Map.of("k", "v"), raw.attributes());
        JsonNode wrapped = Values.JSON.readTree(received.await(Q + "wrapped", 1).get(0).body());
        assertEquals("for queues", wrapped.get("Message").asText());
        assertFalse(wrapped.has("Subject"), "no Subject field when none was published");

        InvalidParameterException e = assertThrows(InvalidParameterException.class,
                () -> sns.publish(b -> b.topicArn(topic).messageStructure("json").message("{\"sqs\":\"x\"}")));
        assertEquals("Invalid parameter: Message Structure - No default entry in JSON message body", e.awsErrorDetails().errorMessage());
        e = assertThrows(InvalidParameterException.class, () -> sns.publish(b -> b.topicArn(topic).messageStructure("json").message("not json")));
        assertEquals("Invalid parameter: Message Structure - JSON message body failed to parse", e.awsErrorDetails().errorMessage());
    }

    @Test
    void filterPoliciesOnAttributesAndBody() throws Exception {
        String topic = topic("filtered");
        subscribe(topic, "red", Map.of("FilterPolicy", "{\"color\":[\"red\"],\"size\":[{\"numeric\":[\">\",10]}]}"));
        subscribe(topic, "auto", Map.of("FilterPolicy", "{\"customer\":{\"name\":[{\"prefix\":\"auto-\"}]}}", "FilterPolicyScope", "MessageBody"));
        sns.publish(b -> b.topicArn(topic).message("{\"customer\":{\"name\":\"manual-1\"}}").messageAttributes(Map.of("color", string("blue"), "size", number("20"))));
        sns.publish(b -> b.topicArn(topic).message("small").messageAttributes(Map.of("color", string("red"), "size", number("5"))));
        sns.publish(b -> b.topicArn(topic).message("{\"customer\":{\"name\":\"auto-2\"}}").messageAttributes(Map.of("color", string("red"), "size", number("11"))));
        List<Targets.Message> red = received.await(Q + "red", 1);
        List<Targets.Message> auto = received.await(Q + "auto", 1);
        assertEquals(1, red.size());
        assertEquals(1, auto.size());
        assertEquals("{\"customer\":{\"name\":\"auto-2\"}}", Values.JSON.readTree(red.get(0).body()).get("Message").asText());
        assertEquals("{\"customer\":{\"name\":\"auto-2\"}}", Values.JSON.readTree(auto.get(0).body()).get("Message").asText());
    }

    @Test
    void fifoTopicsDeduplicateForFiveMinutesAndKeepOrder() throws Exception {
        String topic = sns.createTopic(b -> b.name("orders.fifo").attributes(Map.of("FifoTopic", "true"))).topicArn();
        subscribe(topic, "orders.fifo", Map.of());
        PublishResponse first = sns.publish(b -> b.topicArn(topic).message("one").messageGroupId("g").messageDeduplicationId("d1"));
        PublishResponse again = sns.publish(b -> b.topicArn(topic).message("one").messageGroupId("g").messageDeduplicationId("d1"));
        assertEquals(first.messageId(), again.messageId());
        assertEquals(first.sequenceNumber(), again.sequenceNumber());
        assertEquals(20, first.sequenceNumber().length());
        for (int i = 2; i <= 20; i++) {
            int n = i;
            sns.publish(b -> b.topicArn(topic).message("m" + n).messageGroupId("g").messageDeduplicationId("d" + n));
        }
        List<Targets.Message> got = received.await(Q + "orders.fifo", 20);
        assertEquals(20, got.size(), "the duplicate is not delivered");
        for (int i = 2; i <= 20; i++) assertEquals("m" + i, Values.JSON.readTree(got.get(i - 1).body()).get("Message").asText());
        assertNotNull(Values.JSON.readTree(got.get(0).body()).get("SequenceNumber"));

        InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> sns.publish(b -> b.topicArn(topic).message("x")));
        assertEquals("Invalid parameter: The MessageGroupId parameter is required for FIFO topics", e.awsErrorDetails().errorMessage());
        e = assertThrows(InvalidParameterException.class, () -> sns.publish(b -> b.topicArn(topic).message("x").messageGroupId("g")));
        assertEquals("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                e.awsErrorDetails().errorMessage());
        sns.setTopicAttributes(b -> b.topicArn(topic).attributeName("ContentBasedDeduplication").attributeValue("true"));
        String a = sns.publish(b -> b.topicArn(topic).message("same body").messageGroupId("g")).messageId();
        assertEquals(a, sns.publish(b -> b.topicArn(topic).message("same body").messageGroupId("other")).messageId(), "content-based: the body's hash");
    }

    @Test
    void invalidPublishesAreRefusedWithAwsMessages() {
        String topic = topic("strict");
        InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> sns.publish(b -> b.topicArn(topic).message("")));
        assertEquals("Invalid parameter: Empty message", e.awsErrorDetails().errorMessage());
        e = assertThrows(InvalidParameterException.class, () -> sns.publish(b -> b.topicArn(topic).message("x".repeat(262_145))));
        assertEquals("Invalid parameter: Message too long", e.awsErrorDetails().errorMessage());
        e = assertThrows(InvalidParameterException.class, () -> sns.publish(b -> b.topicArn(topic).message("x").subject("x".repeat(101))));
        assertEquals("Invalid parameter: Subject", e.awsErrorDetails().errorMessage());
        e = assertThrows(InvalidParameterException.class, () -> sns.publish(b -> b.topicArn(topic).message("x").messageDeduplicationId("d")));
        assertEquals("Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
                e.awsErrorDetails().errorMessage());
        InvalidParameterValueException v = assertThrows(InvalidParameterValueException.class, () -> sns.publish(b -> b.topicArn(topic).message("x")
                .messageAttributes(Map.of("a", MessageAttributeValue.builder().dataType("Text").stringValue("v").build()))));
        assertEquals("ParameterValueInvalid", v.awsErrorDetails().errorCode());
        assertEquals("The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
                v.awsErrorDetails().errorMessage());
        v = assertThrows(InvalidParameterValueException.class, () -> sns.publish(b -> b.topicArn(topic).message("x").messageAttributes(Map.of("n", number("ten")))));
        assertEquals("Could not cast message attribute 'n' value to number.", v.awsErrorDetails().errorMessage());
        v = assertThrows(InvalidParameterValueException.class, () -> sns.publish(b -> b.topicArn(topic).message("x").messageAttributes(Map.of("s", string("")))));
        assertEquals("The message attribute 's' must contain non-empty message attribute value for message attribute type 'String'.", v.awsErrorDetails().errorMessage());
        NotFoundException nf = assertThrows(NotFoundException.class, () -> sns.publish(b -> b.topicArn(topic + "-gone").message("x")));
        assertEquals("Topic does not exist", nf.awsErrorDetails().errorMessage());
    }

    /**
     * Publishes that arrive together commit together, and one refused among them makes the others
     * run again one by one: each accepted message reaches each queue exactly once all the same.
     */
    @Test
    void concurrentPublishesAreEachDeliveredOnce() throws Exception {
        String topic = topic("together");
        subscribe(topic, "together-a", Map.of());
        subscribe(topic, "together-b", Map.of());
        int threads = 8, each = 20;
        java.util.Set<String> accepted = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> publishers = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            publishers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < each; i++) {
                    String body = "m-" + thread + "-" + i;
                    if (i % 4 == 3) { // refused inside the commit: a standard topic takes no deduplication id
                        assertThrows(InvalidParameterException.class, () -> sns.publish(b -> b.topicArn(topic).message(body).messageDeduplicationId("d")));
                        refused.incrementAndGet();
                    } else {
                        sns.publish(b -> b.topicArn(topic).message(body));
                        accepted.add(body);
                    }
                }
            }));
        }
        for (Thread t : publishers) t.join();
        assertEquals(threads * each / 4, refused.get());
        for (String q : List.of("together-a", "together-b")) {
            List<String> bodies = new java.util.ArrayList<>();
            for (Targets.Message m : received.await(Q + q, accepted.size())) bodies.add(Values.JSON.readTree(m.body()).get("Message").asText());
            assertEquals(accepted, new java.util.HashSet<>(bodies), q);
            assertEquals(accepted.size(), bodies.size(), q + " got a message twice");
            String url = sqs.getQueueUrl(b -> b.queueName(q)).queueUrl();
            assertEquals(0, sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(1)).messages().size(), q + " got more");
        }
    }

    @Test
    void publishBatchAnswersPerEntry() throws Exception {
        String topic = topic("batch");
        subscribe(topic, "batch", Map.of());
        PublishBatchResponse r = sns.publishBatch(b -> b.topicArn(topic).publishBatchRequestEntries(
                PublishBatchRequestEntry.builder().id("a").message("first").build(),
                PublishBatchRequestEntry.builder().id("b").message("").build(),
                PublishBatchRequestEntry.builder().id("c").message("third").build()));
        assertEquals(List.of("a", "c"), r.successful().stream().map(s -> s.id()).toList());
        assertEquals(1, r.failed().size());
        assertEquals("b", r.failed().get(0).id());
        assertEquals("InvalidParameter", r.failed().get(0).code());
        assertEquals("Invalid parameter: Empty message", r.failed().get(0).message());
        assertTrue(r.failed().get(0).senderFault());
        List<Targets.Message> got = received.await(Q + "batch", 2);
        assertEquals(List.of("first", "third"), got.stream().map(m -> {
            try {
                return Values.JSON.readTree(m.body()).get("Message").asText();
            } catch (Exception x) {
                throw new AssertionError(x);
            }
        }).toList());

        assertThrows(BatchEntryIdsNotDistinctException.class, () -> sns.publishBatch(b -> b.topicArn(topic).publishBatchRequestEntries(
                PublishBatchRequestEntry.builder().id("a").message("1").build(), PublishBatchRequestEntry.builder().id("a").message("2").build())));
        PublishBatchRequestEntry[] eleven = new PublishBatchRequestEntry[11];
        for (int i = 0; i < 11; i++) eleven[i] = PublishBatchRequestEntry.builder().id("e" + i).message("m").build();
        TooManyEntriesInBatchRequestException tooMany = assertThrows(TooManyEntriesInBatchRequestException.class,
                () -> sns.publishBatch(b -> b.topicArn(topic).publishBatchRequestEntries(eleven)));
        assertEquals("The batch request contains more entries than permissible.", tooMany.awsErrorDetails().errorMessage());
    }

    @Test
    void undeliverableMessagesGoToTheSubscriptionsDeadLetterQueue() throws Exception {
        String topic = topic("redrive");
        received.create(Q + "dlq");
        subscribe(topic, "deleted", Map.of("RedrivePolicy", "{\"deadLetterTargetArn\":\"" + Q + "dlq\"}"));
        received.delete(Q + "deleted");
        subscribe(topic, "alive", Map.of()); // the refused delivery undoes nothing of the others
        String id = sns.publish(b -> b.topicArn(topic).message("lost?").messageAttributes(Map.of("k", string("v")))).messageId();
        assertEquals(id, Values.JSON.readTree(received.await(Q + "alive", 1).get(0).body()).get("MessageId").asText());
        Targets.Message dead = received.await(Q + "dlq", 1).get(0);
        JsonNode e = Values.JSON.readTree(dead.body());
        assertEquals(id, e.get("MessageId").asText());
        assertEquals("lost?", e.get("Message").asText());
        assertEquals(Map.of("k", "v"), dead.attributes());
        assertTrue(received.got(Q + "deleted").isEmpty());
    }

    @Test
    void alarmActionsPublishTheAlarmNotification() throws Exception {
        String topic = topic("alarms");
        subscribe(topic, "alarms", Map.of());
        try (CloudWatchClient cw = nimbus.client(CloudWatchClient.builder())) {
            cw.putMetricAlarm(b -> b.alarmName("high-errors").namespace("App").metricName("Errors").statistic(Statistic.SUM).period(60)
                    .evaluationPeriods(1).threshold(5.0).comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
                    .dimensions(d -> d.name("Service").value("api")).alarmActions(topic));
            cw.setAlarmState(b -> b.alarmName("high-errors").stateValue(StateValue.ALARM).stateReason("testing"));
        }
        JsonNode e = Values.JSON.readTree(received.await(Q + "alarms", 1).get(0).body());
        assertEquals("ALARM: \"high-errors\" in US East (N. Virginia)", e.get("Subject").asText());
        JsonNode m = Values.JSON.readTree(e.get("Message").asText());
        assertEquals("high-errors", m.get("AlarmName").asText());
        assertEquals("ALARM", m.get("NewStateValue").asText());
        assertEquals("INSUFFICIENT_DATA", m.get("OldStateValue").asText());
        assertEquals("testing", m.get("NewStateReason").asText());
        assertEquals("US East (N. Virginia)", m.get("Region").asText());
        assertEquals("Errors", m.get("Trigger").get("MetricName").asText());
        assertEquals("SUM", m.get("Trigger").get("Statistic").asText());
        assertEquals("GreaterThanThreshold", m.get("Trigger").get("ComparisonOperator").asText());
        assertEquals(5.0, m.get("Trigger").get("Threshold").asDouble());
        assertEquals("[{\"value\":\"api\",\"name\":\"Service\"}]", m.get("Trigger").get("Dimensions").toString());
    }
}
