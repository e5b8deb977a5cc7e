package dev.nimbus.services.sns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.InvalidParameterException;
import software.amazon.awssdk.services.sns.model.ListTopicsResponse;
import software.amazon.awssdk.services.sns.model.NotFoundException;
import software.amazon.awssdk.services.sns.model.ResourceNotFoundException;
import software.amazon.awssdk.services.sns.model.SnsException;
import software.amazon.awssdk.services.sns.model.Subscription;
import software.amazon.awssdk.services.sns.model.Tag;
import software.amazon.awssdk.services.sns.model.Topic;

/** Topics and subscriptions through the SDK: create, attributes, tags, pages, AWS's errors. */
class SnsTopicsTest {
    static TestServer nimbus;
    static SnsClient sns;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        sns = nimbus.client(SnsClient.builder());
    }

    @AfterAll
    static void stop() {
        sns.close();
        nimbus.close();
    }

    @Test
    void topicsAreCreatedIdempotentlyListedInPagesAndDeleted() {
        String arn = sns.createTopic(b -> b.name("orders").attributes(Map.of("DisplayName", "Orders"))).topicArn();
        assertEquals("arn:aws:sns:us-east-1:000000000000:orders", arn);
        assertEquals(arn, sns.createTopic(b -> b.name("orders").attributes(Map.of("DisplayName", "Orders"))).topicArn());
        InvalidParameterException e = assertThrows(InvalidParameterException.class,
                () -> sns.createTopic(b -> b.name("orders").attributes(Map.of("DisplayName", "Other"))));
        assertEquals("Invalid parameter: Attributes Reason: Topic already exists with different attributes", e.awsErrorDetails().errorMessage());

        for (int i = 0; i < 120; i++) {
            int n = i;
            sns.createTopic(b -> b.name(String.format("page-%03d", n)));
        }
        List<String> all = new ArrayList<>();
        ListTopicsResponse page = sns.listTopics(b -> {});
        assertEquals(100, page.topics().size());
        while (true) {
            page.topics().stream().map(Topic::topicArn).forEach(all::add);
            if (page.nextToken() == null) break;
            String token = page.nextToken();
            page = sns.listTopics(b -> b.nextToken(token));
        }
        assertEquals(all.size(), all.stream().distinct().count());
        assertTrue(all.contains(arn));
        assertEquals(120, all.stream().filter(a -> a.contains(":page-")).count());

        sns.deleteTopic(b -> b.topicArn(arn));
        sns.deleteTopic(b -> b.topicArn(arn)); // deleting again succeeds, as in AWS
        NotFoundException nf = assertThrows(NotFoundException.class, () -> sns.getTopicAttributes(b -> b.topicArn(arn)));
        assertEquals("Topic does not exist", nf.awsErrorDetails().errorMessage());
        assertEquals(404, nf.statusCode());
    }

    @Test
    void badNamesAndAttributesAreRefusedWithAwsMessages() {
        InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> sns.createTopic(b -> b.name("bad name")));
        assertEquals("InvalidParameter", e.awsErrorDetails().errorCode());
        assertEquals("Invalid parameter: Topic Name", e.awsErrorDetails().errorMessage());
        e = assertThrows(InvalidParameterException.class, () -> sns.createTopic(b -> b.name("plain.fifo")));
        assertEquals("Invalid parameter: Topic Name", e.awsErrorDetails().errorMessage());
        e = assertThrows(InvalidParameterException.class, () -> sns.createTopic(b -> b.name("nofifo").attributes(Map.of("FifoTopic", "true"))));
        assertTrue(e.awsErrorDetails().errorMessage().startsWith("Invalid parameter: Fifo Topic names must end with .fifo"));
        e = assertThrows(InvalidParameterException.class, () -> sns.getTopicAttributes(b -> b.topicArn("not-an-arn")));
        assertEquals("Invalid parameter: TopicArn", e.awsErrorDetails().errorMessage());
        String arn = sns.createTopic(b -> b.name("attrs")).topicArn();
        e = assertThrows(InvalidParameterException.class, () -> sns.setTopicAttributes(b -> b.topicArn(arn).attributeName("Nope").attributeValue("x")));
        assertEquals("Invalid parameter: AttributeName", e.awsErrorDetails().errorMessage());
    }

    @Test
    void topicAttributesDefaultsAndChanges() {
        String arn = sns.createTopic(b -> b.name("events.fifo").attributes(Map.of("FifoTopic", "true", "ContentBasedDeduplication", "true"))).topicArn();
        Map<String, String> a = sns.getTopicAttributes(b -> b.topicArn(arn)).attributes();
        assertEquals("true", a.get("FifoTopic"));
        assertEquals("true", a.get("ContentBasedDeduplication"));
        assertEquals(arn, a.get("TopicArn"));
        assertEquals("000000000000", a.get("Owner"));
        assertEquals("0", a.get("SubscriptionsConfirmed"));
        assertTrue(a.get("Policy").contains("\"Resource\":\"" + arn + "\""), a.get("Policy"));
        assertTrue(a.get("EffectiveDeliveryPolicy").contains("defaultHealthyRetryPolicy"));

        sns.setTopicAttributes(b -> b.topicArn(arn).attributeName("DisplayName").attributeValue("Events"));
        sns.setTopicAttributes(b -> b.topicArn(arn).attributeName("ContentBasedDeduplication").attributeValue("false"));
        a = sns.getTopicAttributes(b -> b.topicArn(arn)).attributes();
        assertEquals("Events", a.get("DisplayName"));
        assertEquals("false", a.get("ContentBasedDeduplication"));

        String standard = sns.createTopic(b -> b.name("standard")).topicArn();
        assertNull(sns.getTopicAttributes(b -> b.topicArn(standard)).attributes().get("FifoTopic"));
        assertThrows(InvalidParameterException.class,
                () -> sns.setTopicAttributes(b -> b.topicArn(standard).attributeName("ContentBasedDeduplication").attributeValue("true")));
    }

    @Test
    void tags() {
        String arn = sns.createTopic(b -> b.name("tagged").tags(Tag.builder().key("team").value("core").build())).topicArn();
        sns.tagResource(b -> b.resourceArn(arn).tags(Tag.builder().key("env").value("dev").build()));
        assertEquals(Map.of("team", "core", "env", "dev"), tags(arn));
        sns.untagResource(b -> b.resourceArn(arn).tagKeys("team"));
        assertEquals(Map.of("env", "dev"), tags(arn));
        ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class, () -> sns.listTagsForResource(b -> b.resourceArn(arn + "-nope")));
        assertEquals("Resource does not exist", e.awsErrorDetails().errorMessage());
        InvalidParameterException differ = assertThrows(InvalidParameterException.class,
                () -> sns.createTopic(b -> b.name("tagged").tags(Tag.builder().key("env").value("prod").build())));
        assertEquals("Invalid parameter: Tags Reason: Topic already exists with different tags", differ.awsErrorDetails().errorMessage());
    }

    private static Map<String, String> tags(String arn) {
        Map<String, String> m = new java.util.HashMap<>();
        sns.listTagsForResource(b -> b.resourceArn(arn)).tags().forEach(t -> m.put(t.key(), t.value()));
        return m;
    }

    @Test
    void subscriptionsListedAttributesChangedAndRemoved() {
        String arn = sns.createTopic(b -> b.name("subs")).topicArn();
        String queue = "arn:aws:sqs:us-east-1:000000000000:q1";
        String sub = sns.subscribe(b -> b.topicArn(arn).protocol("sqs").endpoint(queue)).subscriptionArn();
        assertTrue(sub.startsWith(arn + ":"), sub);
        assertEquals(sub, sns.subscribe(b -> b.topicArn(arn).protocol("sqs").endpoint(queue)).subscriptionArn(), "subscribing twice is one subscription");
        String email = sns.subscribe(b -> b.topicArn(arn).protocol("email").endpoint("someone@example.com")).subscriptionArn();
        assertEquals("pending confirmation", email);

        List<Subscription> byTopic = sns.listSubscriptionsByTopic(b -> b.topicArn(arn)).subscriptions();
        assertEquals(2, byTopic.size());
        assertTrue(byTopic.stream().anyMatch(s -> s.subscriptionArn().equals("PendingConfirmation") && s.protocol().equals("email")));
        assertTrue(sns.listSubscriptions(b -> {}).subscriptions().stream().anyMatch(s -> s.subscriptionArn().equals(sub)));
        Map<String, String> ta = sns.getTopicAttributes(b -> b.topicArn(arn)).attributes();
        assertEquals("1", ta.get("SubscriptionsConfirmed"));
        assertEquals("1", ta.get("SubscriptionsPending"));

        Map<String, String> a = sns.getSubscriptionAttributes(b -> b.subscriptionArn(sub)).attributes();
        assertEquals("sqs", a.get("Protocol"));
        assertEquals(queue, a.get("Endpoint"));
        assertEquals("false", a.get("PendingConfirmation"));
        assertEquals("false", a.get("RawMessageDelivery"));
        assertFalse(a.containsKey("FilterPolicy"));

        sns.setSubscriptionAttributes(b -> b.subscriptionArn(sub).attributeName("RawMessageDelivery").attributeValue("true"));
        sns.setSubscriptionAttributes(b -> b.subscriptionArn(sub).attributeName("FilterPolicy").attributeValue("{\"color\":[\"red\"]}"));
        a = sns.getSubscriptionAttributes(b -> b.subscriptionArn(sub)).attributes();
        assertEquals("true", a.get("RawMessageDelivery"));
        assertEquals("{\"color\":[\"red\"]}", a.get("FilterPolicy"));
        assertEquals("MessageAttributes", a.get("FilterPolicyScope"));

        InvalidParameterException e = assertThrows(InvalidParameterException.class,
                () -> sns.setSubscriptionAttributes(b -> b.subscriptionArn(sub).attributeName("FilterPolicyScope").attributeValue("RandomValue")));
        assertEquals("Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes",
                e.awsErrorDetails().errorMessage());
        e = assertThrows(InvalidParameterException.class,
                () -> sns.setSubscriptionAttributes(b -> b.subscriptionArn(sub).attributeName("FilterPolicy").attributeValue("{\"key_a\":\"value_one\"}")));
        assertEquals("Invalid parameter: FilterPolicy: \"key_a\" must be an object or an array", e.awsErrorDetails().errorMessage());
        e = assertThrows(InvalidParameterException.class, () -> sns.subscribe(b -> b.topicArn(arn).protocol("sqs").endpoint("arn:aws:sqs:us-east-1:000000000000:q2")
                .attributes(Map.of("FilterPolicy", "{\"key\":[{\"wrong-operator\":true}]}"))));
        assertEquals("Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type wrong-operator", e.awsErrorDetails().errorMessage());
        e = assertThrows(InvalidParameterException.class, () -> sns.subscribe(b -> b.topicArn(arn).protocol("carrier-pigeon").endpoint("x")));
        assertEquals("Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon", e.awsErrorDetails().errorMessage());

        sns.unsubscribe(b -> b.subscriptionArn(sub));
        NotFoundException nf = assertThrows(NotFoundException.class, () -> sns.getSubscriptionAttributes(b -> b.subscriptionArn(sub)));
        assertEquals("Subscription does not exist", nf.awsErrorDetails().errorMessage());
        assertEquals(1, sns.listSubscriptionsByTopic(b -> b.topicArn(arn)).subscriptions().size());
        SnsException missing = assertThrows(NotFoundException.class, () -> sns.subscribe(b -> b.topicArn(arn + "-gone").protocol("sqs").endpoint(queue)));
        assertEquals("Topic does not exist", missing.awsErrorDetails().errorMessage());
    }
}
