package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.EventSourcePosition;
import software.amazon.awssdk.services.lambda.model.FunctionResponseType;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** Event source mappings from DynamoDB streams: a real Python function forwards every record it gets to a FIFO queue, in the order it got them. */
class LambdaDynamoDbStreamTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static SqsClient sqs;
    static DynamoDbClient ddb;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        connect();
    }

    static void connect() {
        lambda = nimbus.client(LambdaClient.builder());
        sqs = nimbus.client(SqsClient.builder());
        ddb = nimbus.client(DynamoDbClient.builder());
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    /** A table keyed by string k with a NEW_AND_OLD_IMAGES stream; returns the stream ARN. */
    static String table(String name) {
        return ddb.createTable(b -> b.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(a -> a.attributeName("k").attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName("k").keyType(KeyType.HASH))
                .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_AND_OLD_IMAGES)))
                .tableDescription().latestStreamArn();
    }

    static String fifo(String name) {
        return sqs.createQueue(b -> b.queueName(name + ".fifo").attributes(Map.of(QueueAttributeName.FIFO_QUEUE, "true"))).queueUrl();
    }

    static String queue(String name) {
        return sqs.createQueue(b -> b.queueName(name)).queueUrl();
    }

    static String arn(String url) {
        return sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
    }

    static void put(String table, String k, String v) {
        ddb.putItem(b -> b.tableName(table).item(Map.of("k", AttributeValue.fromS(k), "v", AttributeValue.fromS(v))));
    }

    /**
     * A function that forwards each record to {@code out} (in order), and fails: never when
     * {@code mode} is "ok", always when "raise", and for records whose new image has v = "bad"
     * when "report" (as batch item failures), for a batch holding such a record when "bisect".
     */
    static void function(String name, String out, String mode) {
        lambda.createFunction(b -> b.functionName(name).role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").timeout(10)
                .code(c -> c.zipFile(Zips.sdk("app.py", """
                        import json, boto3
                        sqs = boto3.client('sqs')
                        def handler(event, context):
                            failures = []
                            for i, r in enumerate(event['Records']):
                                sqs.send_message(QueueUrl='%s', MessageBody=json.dumps(r), MessageGroupId='g',
                                                 MessageDeduplicationId=context.aws_request_id + str(i))
                                if r['dynamodb'].get('NewImage', {}).get('v', {}).get('S') == 'bad':
                                    failures.append({'itemIdentifier': r['dynamodb']['SequenceNumber']})
                            if '%s' == 'raise' or (failures and '%s' == 'bisect'):
                                raise Exception('boom')
                            return {'batchItemFailures': failures}
                        """.formatted(out, mode, mode)))));
    }

    /** Long-polls until {@code n} messages came (bounded), deleting them; their bodies in arrival order. */
    static List<JsonNode> take(String url, int n) throws Exception {
        List<JsonNode> got = new ArrayList<>();
        for (int attempt = 0; attempt < 30 && got.size() < n; attempt++) {
            for (Message m : sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(20).maxNumberOfMessages(10)).messages()) {
                got.add(Values.JSON.readTree(m.body()));
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
        }
        assertEquals(n, got.size(), () -> "messages in " + url + ": " + got);
        return got;
    }

    static String key(JsonNode record) {
        return record.path("dynamodb").path("Keys").path("k").path("S").asText();
    }

    @Test
    void changesArriveInOrderWithTheirImagesAndFiltersApply() throws Exception {
        String stream = table("esm-orders");
        String out = fifo("ddb-seen");
        function("ddb-consumer", out, "ok");

        InvalidParameterValueException e = assertThrows(InvalidParameterValueException.class,
                () -> lambda.createEventSourceMapping(b -> b.functionName("ddb-consumer").eventSourceArn(stream)));
        assertEquals("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.",
                e.awsErrorDetails().errorMessage());

        put("esm-orders", "a", "1"); // before the mapping: TRIM_HORIZON still reads it
        var m = lambda.createEventSourceMapping(b -> b.functionName("ddb-consumer").eventSourceArn(stream)
                .startingPosition(EventSourcePosition.TRIM_HORIZON).batchSize(2)
                .filterCriteria(f -> f.filters(x -> x.pattern("{\"dynamodb\": {\"Keys\": {\"k\": {\"S\": [{\"anything-but\": \"skip\"}]}}}}"))));
        assertEquals(2, m.batchSize());
        assertEquals(-1, m.maximumRetryAttempts());
        assertEquals(-1, m.maximumRecordAgeInSeconds());
        assertEquals(EventSourcePosition.TRIM_HORIZON, m.startingPosition());
        ResourceConflictException twice = assertThrows(ResourceConflictException.class, () -> lambda.createEventSourceMapping(b -> b.functionName("ddb-consumer")
                .eventSourceArn(stream).startingPosition(EventSourcePosition.LATEST)));
        assertEquals("The event source arn (\" " + stream + " \") and function (\" ddb-consumer \") provided mapping already exists. Please update or delete the existing mapping with UUID "
                + m.uuid(), twice.awsErrorDetails().errorMessage());

        put("esm-orders", "skip", "x");
        ddb.updateItem(b -> b.tableName("esm-orders").key(Map.of("k", AttributeValue.fromS("a")))
                .updateExpression("SET v = :v").expressionAttributeValues(Map.of(":v", AttributeValue.fromS("2"))));
        put("esm-orders", "b", "3");
        ddb.deleteItem(b -> b.tableName("esm-orders").key(Map.of("k", AttributeValue.fromS("a"))));

        List<JsonNode> seen = take(out, 4);
        assertEquals(List.of("INSERT a", "MODIFY a", "INSERT b", "REMOVE a"),
                seen.stream().map(r -> r.path("eventName").asText() + " " + r.path("dynamodb").path("Keys").path("k").path("S").asText()).toList());
        JsonNode modify = seen.get(1);
        assertEquals("1.1", modify.path("eventVersion").asText());
        assertEquals("aws:dynamodb", modify.path("eventSource").asText());
        assertEquals("us-east-1", modify.path("awsRegion").asText());
        assertEquals(stream, modify.path("eventSourceARN").asText());
        assertFalse(modify.path("eventID").asText().isEmpty());
        JsonNode d = modify.path("dynamodb");
        assertEquals("1", d.path("OldImage").path("v").path("S").asText());
        assertEquals("2", d.path("NewImage").path("v").path("S").asText());
        assertEquals("NEW_AND_OLD_IMAGES", d.path("StreamViewType").asText());
        assertTrue(d.path("ApproximateCreationDateTime").isNumber());
        assertTrue(d.path("SizeBytes").asInt() > 0);
        assertFalse(seen.get(3).path("dynamodb").has("NewImage"));
        assertEquals("2", seen.get(3).path("dynamodb").path("OldImage").path("v").path("S").asText());
        long previous = 0;
        for (JsonNode r : seen) {
            long seq = Long.parseLong(r.path("dynamodb").path("SequenceNumber").asText());
            assertTrue(seq > previous, "sequence numbers increase: " + seen);
            previous = seq;
        }

        // Disabled, the mapping reads nothing; enabled again, it goes on after what it delivered.
        lambda.updateEventSourceMapping(b -> b.uuid(m.uuid()).enabled(false));
        put("esm-orders", "c", "4");
        lambda.updateEventSourceMapping(b -> b.uuid(m.uuid()).enabled(true));
        assertEquals("c", key(take(out, 1).get(0)));
    }

    @Test
    void aBatchTheFunctionKeepsFailingGoesToTheFailureDestination() throws Exception {
        String stream = table("esm-failing");
        String seen = fifo("ddb-failing-seen");
        String failures = queue("ddb-failures");
        function("ddb-fails", seen, "raise");
        put("esm-failing", "x", "1");
        var m = lambda.createEventSourceMapping(b -> b.functionName("ddb-fails").eventSourceArn(stream).startingPosition(EventSourcePosition.TRIM_HORIZON)
                .maximumRetryAttempts(1).destinationConfig(c -> c.onFailure(f -> f.destination(arn(failures)))));
        assertEquals(100, m.batchSize());
        assertEquals(arn(failures), m.destinationConfig().onFailure().destination());

        JsonNode record = take(failures, 1).get(0);
        assertEquals(2, take(seen, 2).size()); // the first attempt and one retry
        assertEquals("RetryAttemptsExhausted", record.path("requestContext").path("condition").asText());
        assertEquals(2, record.path("requestContext").path("approximateInvokeCount").asInt());
        assertTrue(record.path("requestContext").path("functionArn").asText().endsWith(":function:ddb-fails"));
        assertEquals("Unhandled", record.path("responseContext").path("functionError").asText());
        assertEquals("1.0", record.path("version").asText());
        JsonNode info = record.path("DDBStreamBatchInfo");
        assertEquals(stream, info.path("streamArn").asText());
        assertEquals(1, info.path("batchSize").asInt());
        assertEquals(info.path("startSequenceNumber").asText(), info.path("endSequenceNumber").asText());
        assertTrue(info.path("shardId").asText().startsWith("shardId-"));
        assertFalse(info.path("approximateArrivalOfFirstRecord").asText().isEmpty());
    }

    @Test
    void reportedItemFailuresAreRetriedFromTheFirstFailedRecord() throws Exception {
        String stream = table("esm-partial");
        String seen = fifo("ddb-partial-seen");
        String failures = queue("ddb-partial-failures");
        function("ddb-partial", seen, "report");
        put("esm-partial", "p1", "ok");
        put("esm-partial", "p2", "bad");
        put("esm-partial", "p3", "ok");
        lambda.createEventSourceMapping(b -> b.functionName("ddb-partial").eventSourceArn(stream).startingPosition(EventSourcePosition.TRIM_HORIZON)
                .functionResponseTypes(FunctionResponseType.REPORT_BATCH_ITEM_FAILURES).maximumRetryAttempts(1)
                .destinationConfig(c -> c.onFailure(f -> f.destination(arn(failures)))));

        JsonNode info = take(failures, 1).get(0).path("DDBStreamBatchInfo");
        put("esm-partial", "p4", "ok"); // after giving up, the mapping goes on
        List<JsonNode> got = take(seen, 6);
        assertEquals(List.of("p1", "p2", "p3", "p2", "p3", "p4"),
                got.stream().map(r -> r.path("dynamodb").path("Keys").path("k").path("S").asText()).toList());
        assertEquals(2, info.path("batchSize").asInt());
        assertEquals(got.get(1).path("dynamodb").path("SequenceNumber").asText(), info.path("startSequenceNumber").asText());
        assertEquals(got.get(2).path("dynamodb").path("SequenceNumber").asText(), info.path("endSequenceNumber").asText());
    }

    @Test
    void bisectionIsolatesTheBadRecord() throws Exception {
        String stream = table("esm-bisect");
        String seen = fifo("ddb-bisect-seen");
        String failures = queue("ddb-bisect-failures");
        function("ddb-bisect", seen, "bisect");
        for (String[] kv : new String[][] {{"b1", "ok"}, {"b2", "ok"}, {"b3", "bad"}, {"b4", "ok"}}) put("esm-bisect", kv[0], kv[1]);
        lambda.createEventSourceMapping(b -> b.functionName("ddb-bisect").eventSourceArn(stream).startingPosition(EventSourcePosition.TRIM_HORIZON)
                .bisectBatchOnFunctionError(true).maximumRetryAttempts(0).destinationConfig(c -> c.onFailure(f -> f.destination(arn(failures)))));

        JsonNode info = take(failures, 1).get(0).path("DDBStreamBatchInfo");
        // All four fail; the first half passes; the second half fails and is split; b3 alone fails (no retries left) and is given up; b4 passes.
        List<String> got = take(seen, 10).stream().map(LambdaDynamoDbStreamTest::key).toList();
        assertEquals(List.of("b1", "b2", "b3", "b4", "b1", "b2", "b3", "b4", "b3", "b4"), got);
        assertEquals(1, info.path("batchSize").asInt());
    }

    @Test
    void aRestartResumesAfterTheLastSuccessfulBatch() throws Exception {
        Path data = Files.createTempDirectory("nimbus-ddb-esm-");
        TestServer shared = nimbus;
        try {
            nimbus = TestServer.startDurable(data);
            connect();
            String stream = table("esm-durable");
            String seen = fifo("ddb-durable-seen");
            function("ddb-durable", seen, "ok");
            lambda.createEventSourceMapping(b -> b.functionName("ddb-durable").eventSourceArn(stream).startingPosition(EventSourcePosition.TRIM_HORIZON));
            put("esm-durable", "before", "1");
            assertEquals("before", key(take(seen, 1).get(0)));
            // Batches go one at a time: once "middle" arrived, the batch of "before" is settled (the one of "middle" may not be).
            put("esm-durable", "middle", "2");
            assertEquals("middle", key(take(seen, 1).get(0)));
            nimbus.close();

            nimbus = TestServer.startDurable(data);
            connect();
            put("esm-durable", "after", "3");
            List<String> got = new ArrayList<>();
            while (!got.contains("after")) got.add(key(take(seen, 1).get(0)));
            assertFalse(got.contains("before"), got.toString());
            assertTrue(got.equals(List.of("after")) || got.equals(List.of("middle", "after")), got.toString());
        } finally {
            nimbus.close();
            nimbus = shared;
            connect();
        }
    }
}
