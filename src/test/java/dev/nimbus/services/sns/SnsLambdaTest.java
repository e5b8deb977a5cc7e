package dev.nimbus.services.sns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.logs.LogsApi;
import dev.nimbus.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.SqsClient;

/** SNS and Lambda both ways: topics invoke functions with the SNS event; Lambda destinations publish to topics. AWS/SNS metrics. */
class SnsLambdaTest {
    static final String ROLE = "arn:aws:iam::000000000000:role/lambda-role";
    static TestServer nimbus;
    static SnsClient sns;
    static LambdaClient lambda;
    static LogsApi logs;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        sns = nimbus.client(SnsClient.builder());
        lambda = nimbus.client(LambdaClient.builder());
        logs = new LogsApi(nimbus.endpoint());
    }

    @AfterAll
    static void stop() {
        sns.close();
        lambda.close();
        nimbus.close();
    }

    static String function(String name, String code) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            z.putNextEntry(new ZipEntry("app.py"));
            z.write(code.getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return lambda.createFunction(b -> b.functionName(name).role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .code(c -> c.zipFile(SdkBytes.fromByteArray(bytes.toByteArray())))).functionArn();
    }

    /** The first line of the function's log group that starts with the prefix, without it (bounded wait). */
    static String logLine(String function, String prefix) throws InterruptedException {
        String group = "/aws/lambda/" + function;
        List<String> found = new ArrayList<>();
        for (int attempt = 0; attempt < 1200; attempt++) {
            if (attempt > 0) Thread.sleep(50);
            found.clear();
            if (logs.ok("DescribeLogGroups", LogsApi.in("logGroupNamePrefix", group)).path("logGroups").isEmpty()) continue;
            for (JsonNode e : logs.ok("FilterLogEvents", LogsApi.in("logGroupName", group)).path("events")) found.add(e.path("message").asText());
            for (String l : found) if (l.startsWith(prefix)) return l.substring(prefix.length());
        }
        throw new AssertionError("no " + prefix + " in " + group + ": " + found);
    }

    @Test
    void topicsInvokeFunctionsWithTheSnsEvent() throws Exception {
        String fn = function("reader", "import json\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n");
        String topic = sns.createTopic(b -> b.name("to-lambda")).topicArn();
        String sub = sns.subscribe(b -> b.topicArn(topic).protocol("lambda").endpoint(fn)).subscriptionArn();
        String id = sns.publish(b -> b.topicArn(topic).message("hi function").subject("Hello")
                .messageAttributes(Map.of("kind", MessageAttributeValue.builder().dataType("String").stringValue("greeting").build()))).messageId();

        JsonNode event = Values.JSON.readTree(logLine("reader", "EVENT "));
        JsonNode r = event.get("Records").get(0);
        assertEquals("aws:sns", r.get("EventSource").asText());
        assertEquals("1.0", r.get("EventVersion").asText());
        assertEquals(sub, r.get("EventSubscriptionArn").asText());
        JsonNode s = r.get("Sns");
        List<String> fields = new ArrayList<>();
        s.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertUrl",
                "UnsubscribeUrl", "MessageAttributes"), fields);
        assertEquals("Notification", s.get("Type").asText());
        assertEquals(id, s.get("MessageId").asText());
        assertEquals(topic, s.get("TopicArn").asText());
        assertEquals("Hello", s.get("Subject").asText());
        assertEquals("hi function", s.get("Message").asText());
        assertEquals("{\"Type\":\"String\",\"Value\":\"greeting\"}", s.get("MessageAttributes").get("kind").toString());
        assertTrue(s.get("UnsubscribeUrl").asText().endsWith("SubscriptionArn=" + sub));
    }

    @Test
    void lambdaFailuresPublishToATopic() throws Exception {
        String reader = function("failure-reader", "import json\ndef handler(event, context):\n    print('FAILURE ' + event['Records'][0]['Sns']['Message'])\n");
        String topic = sns.createTopic(b -> b.name("failures")).topicArn();
        sns.subscribe(b -> b.topicArn(topic).protocol("lambda").endpoint(reader));
        function("breaks", "def handler(event, context):\n    raise Exception('no')\n");
        lambda.putFunctionEventInvokeConfig(b -> b.functionName("breaks").maximumRetryAttempts(0)
                .destinationConfig(d -> d.onFailure(f -> f.destination(topic))));
        lambda.invoke(b -> b.functionName("breaks").invocationType(InvocationType.EVENT).payload(SdkBytes.fromUtf8String("{\"marker\":\"m-1\"}")));

        JsonNode record = Values.JSON.readTree(logLine("failure-reader", "FAILURE "));
        assertEquals("RetriesExhausted", record.path("requestContext").path("condition").asText());
        assertEquals("m-1", record.path("requestPayload").path("marker").asText());
    }

    @Test
    void publishesAndDeliveriesAreCloudWatchMetrics() throws Exception {
        String topic = sns.createTopic(b -> b.name("measured")).topicArn();
        sns.subscribe(b -> b.topicArn(topic).protocol("sms").endpoint("+15555550100"));
        sns.subscribe(b -> b.topicArn(topic).protocol("lambda").endpoint("arn:aws:lambda:us-east-1:000000000000:function:absent"));
        // SQS subscriptions are delivered to within the publish (one that exists, one that does not): counted too.
        try (SqsClient sqs = nimbus.client(SqsClient.builder())) {
            sqs.createQueue(b -> b.queueName("measured"));
        }
        sns.subscribe(b -> b.topicArn(topic).protocol("sqs").endpoint("arn:aws:sqs:us-east-1:000000000000:measured"));
        sns.subscribe(b -> b.topicArn(topic).protocol("sqs").endpoint("arn:aws:sqs:us-east-1:000000000000:absent"));
        for (int i = 0; i < 3; i++) sns.publish(b -> b.topicArn(topic).message("count me"));
        try (CloudWatchClient cw = nimbus.client(CloudWatchClient.builder())) {
            for (String[] expected : List.of(new String[] {"NumberOfMessagesPublished", "3"}, new String[] {"NumberOfNotificationsDelivered", "6"},
                    new String[] {"NumberOfNotificationsFailed", "6"})) {
                double sum = -1;
                for (int attempt = 0; attempt < 400 && sum != Double.parseDouble(expected[1]); attempt++) {
                    if (attempt > 0) Thread.sleep(50);
                    sum = cw.getMetricStatistics(b -> b.namespace("AWS/SNS").metricName(expected[0]).dimensions(d -> d.name("TopicName").value("measured"))
                            .startTime(Instant.now().minusSeconds(600)).endTime(Instant.now().plusSeconds(60)).period(60).statistics(Statistic.SUM))
                            .datapoints().stream().mapToDouble(d -> d.sum()).sum();
                }
                assertEquals(Double.parseDouble(expected[1]), sum, expected[0]);
            }
        }
    }
}
