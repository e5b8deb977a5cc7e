package dev.nimbus.services.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DuplicateItemException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ParameterizedStatement;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/** PartiQL: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction through the SDK. */
class PartiQLTest {
    static TestServer nimbus;
    static DynamoDbClient ddb;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        ddb = nimbus.client(DynamoDbClient.builder());
        ddb.createTable(r -> r.tableName("music").billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(a -> a.attributeName("artist").attributeType(ScalarAttributeType.S), a -> a.attributeName("song").attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName("artist").keyType(KeyType.HASH), k -> k.attributeName("song").keyType(KeyType.RANGE)));
    }

    @AfterAll
    static void stop() {
        ddb.close();
        nimbus.close();
    }

    static List<Map<String, AttributeValue>> run(String statement, AttributeValue... parameters) {
        return ddb.executeStatement(r -> r.statement(statement).parameters(parameters.length == 0 ? null : List.of(parameters))).items();
    }

    @Test
    void insertSelectUpdateDelete() {
        run("INSERT INTO music VALUE {'artist': ?, 'song': 'Blue', 'year': 1971, 'tags': <<'folk', 'pop'>>, 'meta': {'label': 'Reprise', 'tracks': [1, 2]}}",
                AttributeValue.fromS("Joni"));
        run("INSERT INTO \"music\" VALUE {'artist': 'Joni', 'song': 'River', 'year': 1971}");
        assertThrows(DuplicateItemException.class, () -> run("INSERT INTO music VALUE {'artist': 'Joni', 'song': 'River'}"));
        List<Map<String, AttributeValue>> songs = run("SELECT song, meta.label FROM music WHERE artist = ? AND year >= 1970", AttributeValue.fromS("Joni"));
        assertEquals(2, songs.size());
        assertEquals("Reprise", songs.get(0).get("meta").m().get("label").s());
        run("UPDATE music SET year = year + 1 SET plays = 10 REMOVE tags WHERE artist = 'Joni' AND song = 'Blue'");
        Map<String, AttributeValue> blue = run("SELECT * FROM music WHERE artist = 'Joni' AND song = 'Blue'").get(0);
        assertEquals("1972", blue.get("year").n());
        assertEquals("10", blue.get("plays").n());
        assertTrue(!blue.containsKey("tags"));
        assertThrows(ConditionalCheckFailedException.class, () -> run("UPDATE music SET plays = 1 WHERE artist = 'Joni' AND song = 'Nope'"));
        assertEquals("Where clause does not contain a mandatory equality on all key attributes",
                assertThrows(DynamoDbException.class, () -> run("DELETE FROM music WHERE artist = 'Joni'")).awsErrorDetails().errorMessage());
        assertThrows(ConditionalCheckFailedException.class, () -> run("DELETE FROM music WHERE artist = 'Joni' AND song = 'River' AND year = 2000"));
        run("DELETE FROM music WHERE artist = 'Joni' AND song = 'River'");
        assertEquals(1, run("SELECT * FROM music WHERE artist = 'Joni'").size());
        assertEquals(1, run("SELECT * FROM music WHERE plays IS NOT MISSING AND begins_with(song, 'Bl')").size());
    }

    @Test
    void batchAndTransaction() {
        var responses = ddb.batchExecuteStatement(r -> r.statements(
                s -> s.statement("INSERT INTO music VALUE {'artist': 'Nina', 'song': 'Sinnerman'}"),
                s -> s.statement("INSERT INTO music VALUE {'artist': 'Nina', 'song': 'Sinnerman'}"))).responses();
        assertEquals(null, responses.get(0).error());
        assertEquals("DuplicateItem", responses.get(1).error().codeAsString());
        TransactionCanceledException e = assertThrows(TransactionCanceledException.class, () -> ddb.executeTransaction(r -> r.transactStatements(
                ParameterizedStatement.builder().statement("INSERT INTO music VALUE {'artist': 'Nina', 'song': 'Feeling Good'}").build(),
                ParameterizedStatement.builder().statement("UPDATE music SET plays = 1 WHERE artist = 'Nina' AND song = 'Missing'").build())));
        assertEquals("ConditionalCheckFailed", e.cancellationReasons().get(1).code());
        assertEquals(0, run("SELECT * FROM music WHERE artist = 'Nina' AND song = 'Feeling Good'").size(), "nothing written");
        var read = ddb.executeTransaction(r -> r.transactStatements(
                ParameterizedStatement.builder().statement("SELECT * FROM music WHERE artist = 'Nina' AND song = 'Sinnerman'").build())).responses();
        assertEquals("Sinnerman", read.get(0).item().get("song").s());
    }
}
