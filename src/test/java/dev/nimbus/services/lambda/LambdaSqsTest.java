package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.EventSourceMappingConfiguration;
import software.amazon.awssdk.services.lambda.model.FunctionResponseType;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** Lambda with SQS: dead-letter queues and failure destinations of asynchronous invocations, and event source mappings from queues. */
class LambdaSqsTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static SqsClient sqs;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        sqs = nimbus.client(SqsClient.builder());
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    static String queue(String name, Map<QueueAttributeName, String> attributes) {
        return sqs.createQueue(b -> b.queueName(name).attributes(attributes)).queueUrl();
    }

    static String arn(String url) {
        return sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
    }

    /** Long-polls until {@code n} messages came (bounded), deleting them. */
    static List<Message> take(String url, int n) {
        List<Message> got = new ArrayList<>();
        for (int attempt = 0; attempt < 30 && got.size() < n; attempt++) {
            for (Message m : sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(20).maxNumberOfMessages(10)
                    .messageAttributeNames("All").messageSystemAttributeNamesWithStrings("All")).messages()) {
                got.add(m);
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
        }
        assertEquals(n, got.size(), () -> "messages in " + url + ": " + got);
        return got;
    }

    @Test
    void failedAsyncEventsReachTheDeadLetterQueueAndTheFailureDestination() throws Exception {
        String dlq = queue("fn-dead-letters", Map.of());
        String failures = queue("fn-failures", Map.of());
        lambda.createFunction(b -> b.functionName("fails").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .deadLetterConfig(d -> d.targetArn(arn(dlq)))
                .code(c -> c.zipFile(Zips.sdk("app.py", "def handler(event, context):\n    raise Exception('boom')\n"))));
        lambda.putFunctionEventInvokeConfig(b -> b.functionName("fails").maximumRetryAttempts(0)
                .destinationConfig(d -> d.onFailure(f -> f.destination(arn(failures)))));
        String requestId = lambda.invoke(b -> b.functionName("fails").invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{\"n\": 1}"))).responseMetadata().requestId();

        Message dead = take(dlq, 1).get(0);
        assertEquals(1, Values.JSON.readTree(dead.body()).path("n").asInt());
        Map<String, MessageAttributeValue> a = dead.messageAttributes();
        assertEquals(requestId, a.get("RequestID").stringValue());
        assertEquals("String", a.get("RequestID").dataType());
        assertFalse(a.get("ErrorCode").stringValue().isEmpty());
        assertTrue(a.get("ErrorMessage").stringValue().contains("boom"), a.toString());

        JsonNode record = Values.JSON.readTree(take(failures, 1).get(0).body());
        assertEquals("RetriesExhausted", record.path("requestContext").path("condition").asText());
        assertEquals(requestId, record.path("requestContext").path("requestId").asText());
        assertEquals(1, record.path("requestPayload").path("n").asInt());
    }

    @Test
    void aQueueTriggersAFunctionWithFiltersAndPartialBatchFailures() throws Exception {
        String out = queue("esm-out", Map.of());
        String dlq = queue("esm-dlq", Map.of());
        String in = queue("esm-in", Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "3",
                QueueAttributeName.REDRIVE_POLICY, "{\"deadLetterTargetArn\":\"" + arn(dlq) + "\",\"maxReceiveCount\":1}"));
        // The function forwards every record it gets to esm-out and reports the ones whose body is "fail" as failed.
        lambda.createFunction(b -> b.functionName("consumer").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").timeout(3)
                .code(c -> c.zipFile(Zips.sdk("app.py", """
                        import json, boto3
                        sqs = boto3.client('sqs')
                        def handler(event, context):
                            failures = []
                            for r in event['Records']:
                                sqs.send_message(QueueUrl='%s', MessageBody=json.dumps(r))
                                if r['body'] == 'fail':
                                    failures.append({'itemIdentifier': r['messageId']})
                            return {'batchItemFailures': failures}
                        """.formatted(out)))));

        // The queue's visibility timeout must cover the function's timeout.
        lambda.updateFunctionConfiguration(b -> b.functionName("consumer").timeout(5));
        assertThrows(InvalidParameterValueException.class, () -> lambda.createEventSourceMapping(b -> b.functionName("consumer").eventSourceArn(arn(in))));
        lambda.updateFunctionConfiguration(b -> b.functionName("consumer").timeout(3));

        var created = lambda.createEventSourceMapping(b -> b.functionName("consumer").eventSourceArn(arn(in))
                .batchSize(10).functionResponseTypes(FunctionResponseType.REPORT_BATCH_ITEM_FAILURES)
                .filterCriteria(f -> f.filters(x -> x.pattern("{\"body\": {\"kind\": [\"keep\"]}}"), x -> x.pattern("{\"body\": [\"fail\"]}"))));
        assertEquals("Creating", created.state());
        assertEquals(arn(in), created.eventSourceArn());
        assertThrows(ResourceConflictException.class, () -> lambda.createEventSourceMapping(b -> b.functionName("consumer").eventSourceArn(arn(in))));
        assertEquals("Enabled", lambda.getEventSourceMapping(b -> b.uuid(created.uuid())).state());
        assertEquals(List.of(created.uuid()), lambda.listEventSourceMappings(b -> b.functionName("consumer")).eventSourceMappings().stream()
                .map(EventSourceMappingConfiguration::uuid).toList());

        String kept = sqs.sendMessage(b -> b.queueUrl(in).messageBody("{\"kind\": \"keep\", \"n\": 1}").messageAttributes(Map.of(
                "color", MessageAttributeValue.builder().dataType("String").stringValue("red").build()))).messageId();
        sqs.sendMessage(b -> b.queueUrl(in).messageBody("{\"kind\": \"drop\"}"));
        sqs.sendMessage(b -> b.queueUrl(in).messageBody("fail"));

        // "keep" once; "fail" once (then redriven, maxReceiveCount 1); "drop" never.
        List<JsonNode> records = new ArrayList<>();
        for (Message m : take(out, 2)) records.add(Values.JSON.readTree(m.body()));
        JsonNode r = records.stream().filter(x -> x.path("messageId").asText().equals(kept)).findFirst().orElseThrow();
        assertEquals("{\"kind\": \"keep\", \"n\": 1}", r.path("body").asText());
        assertEquals("aws:sqs", r.path("eventSource").asText());
        assertEquals(arn(in), r.path("eventSourceARN").asText());
        assertEquals("us-east-1", r.path("awsRegion").asText());
        assertEquals("1", r.path("attributes").path("ApproximateReceiveCount").asText());
        assertFalse(r.path("attributes").path("SentTimestamp").asText().isEmpty());
        assertFalse(r.path("receiptHandle").asText().isEmpty());
        assertEquals(32, r.path("md5OfBody").asText().length());
        assertEquals("red", r.path("messageAttributes").path("color").path("stringValue").asText());
        assertEquals("String", r.path("messageAttributes").path("color").path("dataType").asText());
        assertTrue(r.path("messageAttributes").path("color").path("stringListValues").isArray());

        assertEquals("fail", take(dlq, 1).get(0).body());
        for (int attempt = 0; attempt < 200; attempt++) {
            var a = sqs.getQueueAttributes(b -> b.queueUrl(in).attributeNames(QueueAttributeName.ALL)).attributes();
            if (a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES).equals("0") && a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE).equals("0")) break;
            Thread.sleep(50);
        }
        var a = sqs.getQueueAttributes(b -> b.queueUrl(in).attributeNames(QueueAttributeName.ALL)).attributes();
        assertEquals("0", a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES), "handled and filtered messages are deleted");
        assertEquals("0", a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));

        assertEquals("Disabled", lambda.updateEventSourceMapping(b -> b.uuid(created.uuid()).enabled(false)).state());
        assertEquals("Deleting", lambda.deleteEventSourceMapping(b -> b.uuid(created.uuid())).state());
        assertThrows(ResourceNotFoundException.class, () -> lambda.getEventSourceMapping(b -> b.uuid(created.uuid())));
    }
}
