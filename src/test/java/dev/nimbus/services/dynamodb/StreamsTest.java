package dev.nimbus.services.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.OperationType;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/** DynamoDB Streams read with the SDK's streams client; time to live deleting items (and saying so in the stream). */
class StreamsTest {
    static TestServer nimbus;
    static DynamoDbClient ddb;
    static DynamoDbStreamsClient streams;

    @BeforeAll
    static void start() {
        System.setProperty("nimbus.dynamodb.ttlSweepSeconds", "1");
        try {
            nimbus = TestServer.start();
        } finally {
            System.clearProperty("nimbus.dynamodb.ttlSweepSeconds");
        }
        ddb = nimbus.client(DynamoDbClient.builder());
        streams = nimbus.client(DynamoDbStreamsClient.builder());
    }

    @AfterAll
    static void stop() {
        streams.close();
        ddb.close();
        nimbus.close();
    }

    static String table(String name, StreamViewType view) {
        return ddb.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH))
                .streamSpecification(s -> s.streamEnabled(true).streamViewType(view))).tableDescription().latestStreamArn();
    }

    static List<Record> all(String arn, ShardIteratorType type, String sequence) {
        String shard = streams.describeStream(r -> r.streamArn(arn)).streamDescription().shards().get(0).shardId();
        String it = streams.getShardIterator(r -> r.streamArn(arn).shardId(shard).shardIteratorType(type).sequenceNumber(sequence)).shardIterator();
        List<Record> out = new ArrayList<>();
        while (it != null) {
            String from = it;
            GetRecordsResponse page = streams.getRecords(r -> r.shardIterator(from).limit(2));
            out.addAll(page.records());
            if (page.records().isEmpty()) break;
            it = page.nextShardIterator();
        }
        return out;
    }

    @Test
    void changesInOrderWithImages() {
        String arn = table("streamed", StreamViewType.NEW_AND_OLD_IMAGES);
        assertTrue(arn.startsWith("arn:aws:dynamodb:us-east-1:000000000000:table/streamed/stream/"), arn);
        ddb.putItem(r -> r.tableName("streamed").item(Map.of("id", AttributeValue.fromS("a"), "v", AttributeValue.fromN("1"))));
        ddb.putItem(r -> r.tableName("streamed").item(Map.of("id", AttributeValue.fromS("a"), "v", AttributeValue.fromN("1"))));
        ddb.updateItem(r -> r.tableName("streamed").key(Map.of("id", AttributeValue.fromS("a"))).updateExpression("SET v = :two")
                .expressionAttributeValues(Map.of(":two", AttributeValue.fromN("2"))));
        ddb.deleteItem(r -> r.tableName("streamed").key(Map.of("id", AttributeValue.fromS("a"))));
        List<Record> records = all(arn, ShardIteratorType.TRIM_HORIZON, null);
        assertEquals(List.of(OperationType.INSERT, OperationType.MODIFY, OperationType.REMOVE), records.stream().map(Record::eventName).toList(),
                "an unchanged item writes no record");
        Record modify = records.get(1);
        assertEquals("aws:dynamodb", modify.eventSource());
        assertEquals("us-east-1", modify.awsRegion());
        assertEquals("1", modify.dynamodb().oldImage().get("v").n());
        assertEquals("2", modify.dynamodb().newImage().get("v").n());
        assertEquals(Map.of("id", AttributeValue.fromS("a")), modify.dynamodb().keys());
        assertTrue(records.get(0).dynamodb().sequenceNumber().compareTo(modify.dynamodb().sequenceNumber()) < 0);
        assertEquals(List.of(OperationType.REMOVE), all(arn, ShardIteratorType.AFTER_SEQUENCE_NUMBER, modify.dynamodb().sequenceNumber())
                .stream().map(Record::eventName).toList());
        assertTrue(all(arn, ShardIteratorType.LATEST, null).isEmpty());
        assertEquals(List.of("streamed"), streams.listStreams(r -> r.tableName("streamed")).streams().stream().map(s -> s.tableName()).toList());
        assertEquals("ENABLED", streams.describeStream(r -> r.streamArn(arn)).streamDescription().streamStatusAsString());
        ddb.updateTable(r -> r.tableName("streamed").streamSpecification(s -> s.streamEnabled(false)));
        assertEquals("DISABLED", streams.describeStream(r -> r.streamArn(arn)).streamDescription().streamStatusAsString());
    }

    @Test
    void keysOnlyStreams() {
        String arn = table("keysonly", StreamViewType.KEYS_ONLY);
        ddb.putItem(r -> r.tableName("keysonly").item(Map.of("id", AttributeValue.fromS("k"), "big", AttributeValue.fromS("x"))));
        Record r = all(arn, ShardIteratorType.TRIM_HORIZON, null).get(0);
        assertEquals(Map.of("id", AttributeValue.fromS("k")), r.dynamodb().keys());
        assertFalse(r.dynamodb().hasNewImage());
    }

    @Test
    void timeToLiveDeletesExpiredItems() throws InterruptedException {
        String arn = table("expiring", StreamViewType.OLD_IMAGE);
        ddb.updateTimeToLive(r -> r.tableName("expiring").timeToLiveSpecification(s -> s.enabled(true).attributeName("expires")));
        assertEquals(TimeToLiveStatus.ENABLED, ddb.describeTimeToLive(r -> r.tableName("expiring")).timeToLiveDescription().timeToLiveStatus());
        long past = Instant.now().getEpochSecond() - 60, future = Instant.now().getEpochSecond() + 3600;
        ddb.putItem(r -> r.tableName("expiring").item(Map.of("id", AttributeValue.fromS("old"), "expires", AttributeValue.fromN(String.valueOf(past)))));
        ddb.putItem(r -> r.tableName("expiring").item(Map.of("id", AttributeValue.fromS("new"), "expires", AttributeValue.fromN(String.valueOf(future)))));
        ddb.putItem(r -> r.tableName("expiring").item(Map.of("id", AttributeValue.fromS("decade"), "expires", AttributeValue.fromN(String.valueOf(past - 10L * 365 * 86400)))));
        for (int i = 0; i < 600 && ddb.getItem(r -> r.tableName("expiring").key(Map.of("id", AttributeValue.fromS("old")))).hasItem(); i++) Thread.sleep(100);
        assertFalse(ddb.getItem(r -> r.tableName("expiring").key(Map.of("id", AttributeValue.fromS("old")))).hasItem());
        assertTrue(ddb.getItem(r -> r.tableName("expiring").key(Map.of("id", AttributeValue.fromS("new")))).hasItem());
        assertTrue(ddb.getItem(r -> r.tableName("expiring").key(Map.of("id", AttributeValue.fromS("decade")))).hasItem(), "more than five years past: left alone");
        Record removed = all(arn, ShardIteratorType.TRIM_HORIZON, null).stream().filter(r -> r.eventName() == OperationType.REMOVE).findFirst().orElseThrow();
        assertEquals("dynamodb.amazonaws.com", removed.userIdentity().principalId());
        assertEquals("Service", removed.userIdentity().type());
        assertFalse(removed.dynamodb().hasNewImage());
    }
}
