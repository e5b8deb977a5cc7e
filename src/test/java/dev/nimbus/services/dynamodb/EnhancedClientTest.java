package dev.nimbus.services.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nimbus.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Expression;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.TableSchema;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbBean;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbPartitionKey;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbSecondaryPartitionKey;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbSortKey;
import software.amazon.awssdk.enhanced.dynamodb.extensions.annotations.DynamoDbVersionAttribute;
import software.amazon.awssdk.enhanced.dynamodb.model.QueryConditional;
import software.amazon.awssdk.enhanced.dynamodb.model.QueryEnhancedRequest;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/** The Enhanced Client of the SDK v2: bean mapping, optimistic locking, queries, its own table creation. */
class EnhancedClientTest {
    static TestServer nimbus;
    static DynamoDbClient ddb;
    static DynamoDbTable<Note> notes;

    @DynamoDbBean
    public static class Note {
        private String owner;
        private String id;
        private String topic;
        private String text;
        private Long version;
        private List<String> tags;

        @DynamoDbPartitionKey
        public String getOwner() {
            return owner;
        }

        public void setOwner(String owner) {
            this.owner = owner;
        }

        @DynamoDbSortKey
        public String getId() {
            return id;
        }

        public void setId(String id) {
            this.id = id;
        }

        @DynamoDbSecondaryPartitionKey(indexNames = "byTopic")
        public String getTopic() {
            return topic;
        }

        public void setTopic(String topic) {
            this.topic = topic;
        }

        public String getText() {
            return text;
        }

        public void setText(String text) {
            this.text = text;
        }

        @DynamoDbVersionAttribute
        public Long getVersion() {
            return version;
        }

        public void setVersion(Long version) {
            this.version = version;
        }

        public List<String> getTags() {
            return tags;
        }

        public void setTags(List<String> tags) {
            this.tags = tags;
        }
    }

    static Note note(String owner, String id, String topic, String text) {
        Note n = new Note();
        n.setOwner(owner);
        n.setId(id);
        n.setTopic(topic);
        n.setText(text);
        n.setTags(List.of("a", "b"));
        return n;
    }

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        ddb = nimbus.client(DynamoDbClient.builder());
        DynamoDbEnhancedClient enhanced = DynamoDbEnhancedClient.builder().dynamoDbClient(ddb).build();
        notes = enhanced.table("notes", TableSchema.fromBean(Note.class));
        notes.createTable(r -> r.provisionedThroughput(p -> p.readCapacityUnits(5L).writeCapacityUnits(5L))
                .globalSecondaryIndices(g -> g.indexName("byTopic").projection(p -> p.projectionType("ALL")).provisionedThroughput(p -> p.readCapacityUnits(5L).writeCapacityUnits(5L))));
        ddb.waiter().waitUntilTableExists(r -> r.tableName("notes"));
    }

    @AfterAll
    static void stop() {
        ddb.close();
        nimbus.close();
    }

    @Test
    void beansRoundTripWithOptimisticLocking() {
        notes.putItem(note("ada", "n1", "math", "engines"));
        Note got = notes.getItem(Key.builder().partitionValue("ada").sortValue("n1").build());
        assertEquals("engines", got.getText());
        assertEquals(List.of("a", "b"), got.getTags());
        assertEquals(1L, got.getVersion());
        got.setText("analytical engines");
        Note updated = notes.updateItem(got);
        assertEquals(2L, updated.getVersion());
        Note stale = note("ada", "n1", "math", "stale");
        stale.setVersion(1L);
        assertThrows(ConditionalCheckFailedException.class, () -> notes.putItem(stale));
        notes.deleteItem(Key.builder().partitionValue("ada").sortValue("n1").build());
        assertNull(notes.getItem(Key.builder().partitionValue("ada").sortValue("n1").build()));
    }

    @Test
    void queriesPagesAndIndexes() {
        for (int i = 0; i < 12; i++) notes.putItem(note("grace", String.format("g%02d", i), i % 2 == 0 ? "cobol" : "navy", "t" + i));
        List<String> ids = new ArrayList<>();
        notes.query(QueryEnhancedRequest.builder().queryConditional(QueryConditional.sortBeginsWith(Key.builder().partitionValue("grace").sortValue("g0").build()))
                .limit(4).build()).items().forEach(n -> ids.add(n.getId()));
        assertEquals(List.of("g00", "g01", "g02", "g03", "g04", "g05", "g06", "g07", "g08", "g09"), ids);
        List<String> filtered = new ArrayList<>();
        notes.query(QueryEnhancedRequest.builder().queryConditional(QueryConditional.keyEqualTo(Key.builder().partitionValue("grace").build()))
                .filterExpression(Expression.builder().expression("#t = :t").putExpressionName("#t", "text").putExpressionValue(":t", AttributeValue.fromS("t11")).build())
                .build()).items().forEach(n -> filtered.add(n.getId()));
        assertEquals(List.of("g11"), filtered);
        List<String> cobol = new ArrayList<>();
        notes.index("byTopic").query(QueryConditional.keyEqualTo(Key.builder().partitionValue("cobol").build()))
                .forEach(page -> page.items().forEach(n -> cobol.add(n.getId())));
        assertEquals(6, cobol.size());
        assertEquals(12, notes.scan().items().stream().filter(n -> n.getOwner().equals("grace")).count());
    }
}
