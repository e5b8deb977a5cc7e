package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.CreateTableResponse;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

/** awsJson 1.0 end to end: the DynamoDB client of the SDK against Nimbus's DynamoDB. */
class JsonDynamoDbTest {
    static TestServer nimbus;
    static DynamoDbClient ddb;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        ddb = nimbus.client(DynamoDbClient.builder());
    }

    @AfterAll
    static void stop() {
        ddb.close();
        nimbus.close();
    }

    static TableDescription create(String name) {
        CreateTableResponse res = ddb.createTable(r -> r.tableName(name)
                .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH))
                .attributeDefinitions(a -> a.attributeName("pk").attributeType(ScalarAttributeType.S))
                .provisionedThroughput(p -> p.readCapacityUnits(5L).writeCapacityUnits(5L)));
        return res.tableDescription();
    }

    static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    @Test
    void createAndDescribeTable() {
        Instant before = Instant.now().minusSeconds(1);
        TableDescription created = create("json-describe");
        assertEquals("json-describe", created.tableName());
        assertEquals("arn:aws:dynamodb:us-east-1:000000000000:table/json-describe", created.tableArn());
        assertEquals("pk", created.keySchema().get(0).attributeName());
        assertEquals(KeyType.HASH, created.keySchema().get(0).keyType());
        TableDescription described = ddb.describeTable(r -> r.tableName("json-describe")).table();
        // Epoch seconds with milliseconds, the same instant both times.
        assertEquals(created.creationDateTime(), described.creationDateTime());
        assertFalse(described.creationDateTime().isBefore(before), described.creationDateTime()::toString);
        assertEquals(0L, described.itemCount());
    }

    @Test
    void itemsRoundTripEveryAttributeType() {
        create("json-items");
        byte[] bytes = {0, 1, (byte) 0xfe, (byte) 0xff, '\n'};
        Map<String, AttributeValue> item = Map.of(
                "pk", s("user#1"),
                "n", AttributeValue.fromN("-12.500"),
                "big", AttributeValue.fromN("12345678901234567890123456789"),
                "b", AttributeValue.fromB(SdkBytes.fromByteArray(bytes)),
                "bool", AttributeValue.fromBool(false),
                "nil", AttributeValue.fromNul(true),
                "ss", AttributeValue.fromSs(List.of("a", "b")),
                "ns", AttributeValue.fromNs(List.of("1", "2.5")),
                "bs", AttributeValue.fromBs(List.of(SdkBytes.fromByteArray(bytes), SdkBytes.fromUtf8String("x"))),
                "m", AttributeValue.fromM(Map.of("l", AttributeValue.fromL(List.of(s("x"), AttributeValue.fromN("1"),
                        AttributeValue.fromM(Map.of("deep", AttributeValue.fromB(SdkBytes.fromUtf8String("é")))))))));
        ddb.putItem(r -> r.tableName("json-items").item(item));
        Map<String, AttributeValue> got = ddb.getItem(r -> r.tableName("json-items").key(Map.of("pk", s("user#1")))).item();
        Map<String, AttributeValue> expected = new java.util.HashMap<>(item);
        expected.put("n", AttributeValue.fromN("-12.5"));
        assertEquals(expected, got);
        // Numbers travel as strings, as exact decimals: no float rounding; DynamoDB drops trailing zeros.
        assertEquals("-12.5", got.get("n").n());
        assertEquals("12345678901234567890123456789", got.get("big").n());
    }

    @Test
    void missingTableIsResourceNotFoundException() {
        ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class, () -> ddb.describeTable(r -> r.tableName("json-none")));
        assertEquals(400, e.statusCode());
        assertEquals("ResourceNotFoundException", e.awsErrorDetails().errorCode());
        assertEquals("Requested resource not found: Table: json-none not found", e.awsErrorDetails().errorMessage());
    }

    @Test
    void failedConditionIsConditionalCheckFailedException() {
        create("json-cond");
        ddb.putItem(r -> r.tableName("json-cond").item(Map.of("pk", s("k"))).conditionExpression("attribute_not_exists(pk)"));
        ConditionalCheckFailedException e = assertThrows(ConditionalCheckFailedException.class,
                () -> ddb.putItem(r -> r.tableName("json-cond").item(Map.of("pk", s("k"))).conditionExpression("attribute_not_exists(pk)")));
        assertEquals("The conditional request failed", e.awsErrorDetails().errorMessage());
    }

    @Test
    void validationErrorsAreValidationExceptions() {
        DynamoDbException e = assertThrows(DynamoDbException.class, () -> create("a"));
        assertEquals("ValidationException", e.awsErrorDetails().errorCode());
        assertEquals(400, e.statusCode());
        assertEquals("1 validation error detected: Value 'a' at 'tableName' failed to satisfy constraint: "
                + "Member must have length greater than or equal to 3", e.awsErrorDetails().errorMessage());

        // Found by the model's constraints, before the service sees the request.
        e = assertThrows(DynamoDbException.class, () -> ddb.createTable(r -> r.tableName("json-invalid")
                .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH))
                .attributeDefinitions(a -> a.attributeName("pk").attributeType(ScalarAttributeType.S))
                .provisionedThroughput(p -> p.readCapacityUnits(0L).writeCapacityUnits(0L))));
        assertEquals("ValidationException", e.awsErrorDetails().errorCode());
        assertEquals("2 validation errors detected: "
                + "Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1; "
                + "Value '0' at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1",
                e.awsErrorDetails().errorMessage());
    }

    static HttpResponse<byte[]> raw(String target, String body) {
        return Raw.post(nimbus.endpoint(), "/", body.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/x-amz-json-1.0",
                "X-Amz-Target", target, "Authorization", Raw.auth("dynamodb"));
    }

    static JsonNode json(HttpResponse<byte[]> res) throws IOException {
        assertEquals("application/x-amz-json-1.0", res.headers().firstValue("Content-Type").orElse(null));
        return Values.JSON.readTree(res.body());
    }

    @Test
    void malformedJsonIsSerializationException() throws IOException {
        for (String body : List.of("{\"TableName\": ", "{\"TableName\": \"x\"}}garbage", "[1,2]", "\"just a string\"", "{\"TableName\": 12}",
                "{\"TableName\": \"x\", \"Key\": {\"pk\": {\"B\": \"not base64!\"}}}",
                "{\"TableName\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}")) {
            HttpResponse<byte[]> res = raw("DynamoDB_20120810.GetItem", body);
            assertEquals(400, res.statusCode(), () -> body.substring(0, Math.min(body.length(), 80)));
            assertEquals("SerializationException", json(res).path("__type").asText());
            assertFalse(json(res).path("message").asText().isEmpty());
        }
    }

    @Test
    void unknownTargetIsUnknownOperationException() throws IOException {
        HttpResponse<byte[]> res = raw("DynamoDB_20120810.NoSuchThing", "{}");
        assertEquals(400, res.statusCode());
        assertEquals("UnknownOperationException", json(res).path("__type").asText());
    }
}
