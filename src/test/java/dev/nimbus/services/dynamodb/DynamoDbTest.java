package dev.nimbus.services.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.Select;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/** DynamoDB through the SDK v2 low-level client, as applications use it. */
class DynamoDbTest {
    static TestServer nimbus;
    static DynamoDbClient ddb;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        ddb = nimbus.client(DynamoDbClient.builder());
        // orders: pk (S) + sk (S); GSI by status+total (N); LSI by pk+created (N)
        ddb.createTable(r -> r.tableName("orders").billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(a -> a.attributeName("pk").attributeType(ScalarAttributeType.S), a -> a.attributeName("sk").attributeType(ScalarAttributeType.S),
                        a -> a.attributeName("st").attributeType(ScalarAttributeType.S), a -> a.attributeName("amount").attributeType(ScalarAttributeType.N),
                        a -> a.attributeName("created").attributeType(ScalarAttributeType.N))
                .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH), k -> k.attributeName("sk").keyType(KeyType.RANGE))
                .globalSecondaryIndexes(g -> g.indexName("byStatus").keySchema(k -> k.attributeName("st").keyType(KeyType.HASH), k -> k.attributeName("amount").keyType(KeyType.RANGE))
                        .projection(p -> p.projectionType(ProjectionType.KEYS_ONLY)))
                .localSecondaryIndexes(l -> l.indexName("byCreated").keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH), k -> k.attributeName("created").keyType(KeyType.RANGE))
                        .projection(p -> p.projectionType(ProjectionType.INCLUDE).nonKeyAttributes("note"))));
        ddb.waiter().waitUntilTableExists(r -> r.tableName("orders"));
        for (int i = 0; i < 30; i++) {
            int n = i;
            ddb.putItem(r -> r.tableName("orders").item(Map.of("pk", s("cust#1"), "sk", s(String.format("order#%03d", n)), "st", s(n % 3 == 0 ? "OPEN" : "DONE"),
                    "amount", num(String.valueOf(n * 10 - 100)), "created", num(String.valueOf(1000 - n)), "note", s("n" + n), "big", s("x".repeat(100)))));
        }
        ddb.putItem(r -> r.tableName("orders").item(Map.of("pk", s("cust#2"), "sk", s("order#001"), "st", s("OPEN"), "amount", num("5"))));
    }

    @AfterAll
    static void stop() {
        ddb.close();
        nimbus.close();
    }

    static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    static AttributeValue num(String v) {
        return AttributeValue.fromN(v);
    }

    static String error(Runnable r) {
        return assertThrows(DynamoDbException.class, r::run).awsErrorDetails().errorMessage();
    }

    static void simpleTable(String name) {
        ddb.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH)));
    }

    @Test
    void describeListAndDeleteTables() {
        TableDescription d = ddb.describeTable(r -> r.tableName("orders")).table();
        assertEquals(TableStatus.ACTIVE, d.tableStatus());
        assertEquals(31L, d.itemCount());
        assertTrue(d.tableSizeBytes() > 3000);
        assertEquals(30L, d.localSecondaryIndexes().get(0).itemCount());
        assertEquals(31L, d.globalSecondaryIndexes().get(0).itemCount());
        assertEquals(BillingMode.PAY_PER_REQUEST, d.billingModeSummary().billingMode());
        assertEquals("Table already exists: orders", assertThrows(ResourceInUseException.class, () -> ddb.createTable(r -> r.tableName("orders")
                .billingMode(BillingMode.PAY_PER_REQUEST).attributeDefinitions(a -> a.attributeName("pk").attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH)))).awsErrorDetails().errorMessage());
        for (String n : List.of("list-a", "list-b", "list-c")) simpleTable(n);
        List<String> names = new ArrayList<>();
        String start = null;
        do {
            String from = start;
            var page = ddb.listTables(r -> r.limit(2).exclusiveStartTableName(from));
            assertTrue(page.tableNames().size() <= 2);
            names.addAll(page.tableNames());
            start = page.lastEvaluatedTableName();
        } while (start != null);
        assertTrue(names.containsAll(List.of("list-a", "list-b", "list-c", "orders")), names::toString);
        ddb.deleteTable(r -> r.tableName("list-b"));
        assertEquals("Requested resource not found: Table: list-b not found", error(() -> ddb.describeTable(r -> r.tableName("list-b"))));
        assertEquals("Requested resource not found", error(() -> ddb.getItem(r -> r.tableName("list-b").key(Map.of("id", s("x"))))));
    }

    @Test
    void keyValidation() {
        simpleTable("keys");
        assertEquals("One or more parameter values were invalid: Missing the key id in the item", error(() -> ddb.putItem(r -> r.tableName("keys").item(Map.of("x", s("1"))))));
        assertEquals("One or more parameter values were invalid: Type mismatch for key id expected: S actual: N",
                error(() -> ddb.putItem(r -> r.tableName("keys").item(Map.of("id", num("1"))))));
        assertEquals("The provided key element does not match the schema", error(() -> ddb.getItem(r -> r.tableName("keys").key(Map.of("id", s("1"), "x", s("2"))))));
        assertEquals("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id",
                error(() -> ddb.putItem(r -> r.tableName("keys").item(Map.of("id", s(""))))));
        assertEquals("One or more parameter values were invalid: An string set  may not be empty",
                error(() -> ddb.putItem(r -> r.tableName("keys").item(Map.of("id", s("1"), "ss", AttributeValue.fromSs(List.of()))))));
        assertEquals("Item size has exceeded the maximum allowed size", error(() -> ddb.putItem(r -> r.tableName("keys").item(Map.of("id", s("1"), "b", s("x".repeat(410_000)))))));
        assertEquals("One or more parameter values were invalid: Type mismatch for Index Key amount Expected: N Actual: S IndexName: byStatus",
                error(() -> ddb.putItem(r -> r.tableName("orders").item(Map.of("pk", s("p"), "sk", s("s"), "st", s("x"), "amount", s("nan"))))));
        assertEquals("Attempting to store more than 38 significant digits in a Number",
                error(() -> ddb.putItem(r -> r.tableName("keys").item(Map.of("id", s("1"), "n", num("1234567890123456789012345678901234567890"))))));
    }

    @Test
    void conditionsAndReturnValues() {
        simpleTable("cond");
        ddb.putItem(r -> r.tableName("cond").item(Map.of("id", s("a"), "v", num("1"))));
        var old = ddb.putItem(r -> r.tableName("cond").item(Map.of("id", s("a"), "v", num("2"))).returnValues(ReturnValue.ALL_OLD)).attributes();
        assertEquals("1", old.get("v").n());
        ConditionalCheckFailedException e = assertThrows(ConditionalCheckFailedException.class, () -> ddb.putItem(r -> r.tableName("cond")
                .item(Map.of("id", s("a"))).conditionExpression("attribute_not_exists(id)")
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)));
        assertEquals("The conditional request failed", e.awsErrorDetails().errorMessage());
        assertEquals("2", e.item().get("v").n());
        var updated = ddb.updateItem(r -> r.tableName("cond").key(Map.of("id", s("a"))).updateExpression("SET v = v + :inc, #s = :s ADD hits :inc")
                .conditionExpression("v = :two").expressionAttributeNames(Map.of("#s", "status"))
                .expressionAttributeValues(Map.of(":inc", num("1"), ":two", num("2"), ":s", s("ok"))).returnValues(ReturnValue.UPDATED_NEW)).attributes();
        assertEquals(Map.of("v", num("3"), "status", s("ok"), "hits", num("1")), updated);
        var updatedOld = ddb.updateItem(r -> r.tableName("cond").key(Map.of("id", s("a"))).updateExpression("REMOVE hits").returnValues(ReturnValue.UPDATED_OLD)).attributes();
        assertEquals(Map.of("hits", num("1")), updatedOld);
        var allNew = ddb.updateItem(r -> r.tableName("cond").key(Map.of("id", s("new"))).updateExpression("SET v = :v")
                .expressionAttributeValues(Map.of(":v", num("7"))).returnValues(ReturnValue.ALL_NEW)).attributes();
        assertEquals(Map.of("id", s("new"), "v", num("7")), allNew, "UpdateItem creates a missing item");
        assertEquals("Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status",
                error(() -> ddb.updateItem(r -> r.tableName("cond").key(Map.of("id", s("a"))).updateExpression("SET status = :s").expressionAttributeValues(Map.of(":s", s("x"))))));
        assertEquals("Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
                error(() -> ddb.updateItem(r -> r.tableName("cond").key(Map.of("id", s("a"))).updateExpression("SET v = :v")
                        .expressionAttributeValues(Map.of(":v", num("1"), ":unused", num("2"))))));
        var deleted = ddb.deleteItem(r -> r.tableName("cond").key(Map.of("id", s("a"))).conditionExpression("v = :v")
                .expressionAttributeValues(Map.of(":v", num("3"))).returnValues(ReturnValue.ALL_OLD)).attributes();
        assertEquals("ok", deleted.get("status").s());
        assertFalse(ddb.getItem(r -> r.tableName("cond").key(Map.of("id", s("a")))).hasItem());
        var projected = ddb.getItem(r -> r.tableName("cond").key(Map.of("id", s("new"))).projectionExpression("v")).item();
        assertEquals(Map.of("v", num("7")), projected);
    }

    static List<String> sks(QueryResponse r) {
        List<String> out = new ArrayList<>();
        r.items().forEach(i -> out.add(i.get("sk").s()));
        return out;
    }

    @Test
    void queryKeyConditionsOrderAndPages() {
        Map<String, AttributeValue> cust1 = Map.of(":p", s("cust#1"));
        QueryResponse all = ddb.query(r -> r.tableName("orders").keyConditionExpression("pk = :p").expressionAttributeValues(cust1));
        assertEquals(30, all.count());
        assertEquals("order#000", all.items().get(0).get("sk").s());
        QueryResponse desc = ddb.query(r -> r.tableName("orders").keyConditionExpression("pk = :p AND sk BETWEEN :a AND :b").scanIndexForward(false)
                .expressionAttributeValues(Map.of(":p", s("cust#1"), ":a", s("order#010"), ":b", s("order#012"))));
        assertEquals(List.of("order#012", "order#011", "order#010"), sks(desc));
        QueryResponse begins = ddb.query(r -> r.tableName("orders").keyConditionExpression("pk = :p AND begins_with(sk, :b)")
                .expressionAttributeValues(Map.of(":p", s("cust#1"), ":b", s("order#02"))));
        assertEquals(10, begins.count());
        assertEquals(List.of("order#028", "order#029"), sks(ddb.query(r -> r.tableName("orders").keyConditionExpression("pk = :p AND sk > :b")
                .expressionAttributeValues(Map.of(":p", s("cust#1"), ":b", s("order#027"))))));
        assertEquals(List.of("order#000", "order#001"), sks(ddb.query(r -> r.tableName("orders").keyConditionExpression("pk = :p AND sk <= :b")
                .expressionAttributeValues(Map.of(":p", s("cust#1"), ":b", s("order#001"))))));
        // pages of 7 items, both directions
        for (boolean forward : List.of(true, false)) {
            List<String> seen = new ArrayList<>();
            Map<String, AttributeValue> start = null;
            int pages = 0;
            do {
                Map<String, AttributeValue> from = start;
                QueryResponse page = ddb.query(r -> r.tableName("orders").keyConditionExpression("pk = :p").expressionAttributeValues(cust1)
                        .limit(7).scanIndexForward(forward).exclusiveStartKey(from));
                seen.addAll(sks(page));
                start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
                pages++;
            } while (start != null);
            assertEquals(30, seen.size());
            assertEquals(30, new HashSet<>(seen).size());
            assertEquals(forward ? "order#000" : "order#029", seen.get(0));
            assertEquals(5, pages);
        }
        QueryResponse filtered = ddb.query(r -> r.tableName("orders").keyConditionExpression("pk = :p").filterExpression("st = :open")
                .expressionAttributeValues(Map.of(":p", s("cust#1"), ":open", s("OPEN"))).select(Select.COUNT));
        assertEquals(10, filtered.count());
        assertEquals(30, filtered.scannedCount());
        assertEquals("Query condition missed key schema element: pk",
                error(() -> ddb.query(r -> r.tableName("orders").keyConditionExpression("sk = :s").expressionAttributeValues(Map.of(":s", s("x"))))));
        assertEquals("Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
                error(() -> ddb.query(r -> r.tableName("orders").keyConditionExpression("pk = :p").filterExpression("sk = :p").expressionAttributeValues(cust1))));
    }

    @Test
    void queryIndexes() {
        // GSI: numbers sort numerically, negatives first
        QueryResponse open = ddb.query(r -> r.tableName("orders").indexName("byStatus").keyConditionExpression("st = :o AND amount < :z")
                .expressionAttributeValues(Map.of(":o", s("OPEN"), ":z", num("0"))));
        List<String> totals = new ArrayList<>();
        open.items().forEach(i -> totals.add(i.get("amount").n()));
        assertEquals(List.of("-100", "-70", "-40", "-10"), totals);
        assertEquals(Set.of("pk", "sk", "st", "amount"), open.items().get(0).keySet(), "KEYS_ONLY projection");
        // paging a GSI: LastEvaluatedKey carries the index and table keys
        QueryResponse first = ddb.query(r -> r.tableName("orders").indexName("byStatus").keyConditionExpression("st = :o")
                .expressionAttributeValues(Map.of(":o", s("OPEN"))).limit(3));
        assertEquals(Set.of("pk", "sk", "st", "amount"), first.lastEvaluatedKey().keySet());
        QueryResponse rest = ddb.query(r -> r.tableName("orders").indexName("byStatus").keyConditionExpression("st = :o")
                .expressionAttributeValues(Map.of(":o", s("OPEN"))).exclusiveStartKey(first.lastEvaluatedKey()));
        assertEquals(11, first.count() + rest.count());
        // LSI: INCLUDE projection; ALL_ATTRIBUTES reads the table's item
        QueryResponse recent = ddb.query(r -> r.tableName("orders").indexName("byCreated").keyConditionExpression("pk = :p AND created >= :c")
                .expressionAttributeValues(Map.of(":p", s("cust#1"), ":c", num("998"))));
        assertEquals(List.of("order#002", "order#001", "order#000"), sks(recent));
        assertTrue(recent.items().get(0).containsKey("note"));
        assertFalse(recent.items().get(0).containsKey("big"));
        QueryResponse full = ddb.query(r -> r.tableName("orders").indexName("byCreated").keyConditionExpression("pk = :p AND created >= :c")
                .expressionAttributeValues(Map.of(":p", s("cust#1"), ":c", num("998"))).select(Select.ALL_ATTRIBUTES));
        assertTrue(full.items().get(0).containsKey("big"));
        assertEquals("The table does not have the specified index: nope",
                error(() -> ddb.query(r -> r.tableName("orders").indexName("nope").keyConditionExpression("pk = :p").expressionAttributeValues(cust1()))));
        // an update moves the item within the GSI in the same write
        ddb.updateItem(r -> r.tableName("orders").key(Map.of("pk", s("cust#2"), "sk", s("order#001"))).updateExpression("SET st = :d")
                .expressionAttributeValues(Map.of(":d", s("GONE"))));
        assertEquals(1, ddb.query(r -> r.tableName("orders").indexName("byStatus").keyConditionExpression("st = :g")
                .expressionAttributeValues(Map.of(":g", s("GONE")))).count());
    }

    static Map<String, AttributeValue> cust1() {
        return Map.of(":p", s("cust#1"));
    }

    @Test
    void scanSegmentsCoverTheTableOnce() {
        simpleTable("scan");
        List<Map<String, AttributeValue>> batch = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Map<String, AttributeValue> item = Map.of("id", s("item" + i), "n", num(String.valueOf(i)));
            batch.add(item);
            if (batch.size() == 25) {
                List<Map<String, AttributeValue>> items = List.copyOf(batch);
                ddb.batchWriteItem(r -> r.requestItems(Map.of("scan", items.stream().map(it -> software.amazon.awssdk.services.dynamodb.model.WriteRequest.builder()
                        .putRequest(p -> p.item(it)).build()).toList())));
                batch.clear();
            }
        }
        Set<String> seen = new HashSet<>();
        for (int seg = 0; seg < 4; seg++) {
            int segment = seg;
            Map<String, AttributeValue> start = null;
            do {
                Map<String, AttributeValue> from = start;
                ScanResponse page = ddb.scan(r -> r.tableName("scan").segment(segment).totalSegments(4).limit(10).exclusiveStartKey(from));
                page.items().forEach(i -> assertTrue(seen.add(i.get("id").s()), "seen twice"));
                start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
            } while (start != null);
        }
        assertEquals(100, seen.size());
        ScanResponse filtered = ddb.scan(r -> r.tableName("scan").filterExpression("n >= :x").expressionAttributeValues(Map.of(":x", num("90")))
                .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL));
        assertEquals(10, filtered.count());
        assertEquals(100, filtered.scannedCount());
        assertEquals("scan", filtered.consumedCapacity().tableName());
    }

    @Test
    void batchGetAndWrite() {
        simpleTable("batch");
        var put = software.amazon.awssdk.services.dynamodb.model.WriteRequest.builder().putRequest(p -> p.item(Map.of("id", s("1")))).build();
        assertEquals("Provided list of item keys contains duplicates", error(() -> ddb.batchWriteItem(r -> r.requestItems(Map.of("batch", List.of(put, put))))));
        var res = ddb.batchWriteItem(r -> r.requestItems(Map.of("batch", List.of(put,
                software.amazon.awssdk.services.dynamodb.model.WriteRequest.builder().putRequest(p -> p.item(Map.of("id", s("2"), "x", s("y")))).build()))));
        assertTrue(res.unprocessedItems().isEmpty());
        var got = ddb.batchGetItem(r -> r.requestItems(Map.of("batch", software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes.builder()
                .keys(Map.of("id", s("1")), Map.of("id", s("2")), Map.of("id", s("3"))).projectionExpression("id").build())));
        assertEquals(2, got.responses().get("batch").size());
        assertTrue(got.unprocessedKeys().isEmpty());
        List<software.amazon.awssdk.services.dynamodb.model.WriteRequest> many = new ArrayList<>();
        for (int i = 0; i < 26; i++) {
            int n = i;
            many.add(software.amazon.awssdk.services.dynamodb.model.WriteRequest.builder().deleteRequest(d -> d.key(Map.of("id", s("k" + n)))).build());
        }
        assertTrue(error(() -> ddb.batchWriteItem(r -> r.requestItems(Map.of("batch", many)))).contains("validation error"));
    }

    @Test
    void transactionsAreAllOrNothing() {
        simpleTable("txn");
        ddb.putItem(r -> r.tableName("txn").item(Map.of("id", s("acct1"), "balance", num("100"))));
        ddb.putItem(r -> r.tableName("txn").item(Map.of("id", s("acct2"), "balance", num("0"))));
        TransactWriteItem debit = TransactWriteItem.builder().update(u -> u.tableName("txn").key(Map.of("id", s("acct1"))).updateExpression("SET balance = balance - :a")
                .conditionExpression("balance >= :a").expressionAttributeValues(Map.of(":a", num("150")))
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)).build();
        TransactWriteItem credit = TransactWriteItem.builder().update(u -> u.tableName("txn").key(Map.of("id", s("acct2"))).updateExpression("SET balance = balance + :a")
                .expressionAttributeValues(Map.of(":a", num("150")))).build();
        TransactionCanceledException e = assertThrows(TransactionCanceledException.class, () -> ddb.transactWriteItems(r -> r.transactItems(debit, credit)));
        assertEquals("Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]", e.awsErrorDetails().errorMessage());
        assertEquals("ConditionalCheckFailed", e.cancellationReasons().get(0).code());
        assertEquals("100", e.cancellationReasons().get(0).item().get("balance").n());
        assertEquals("None", e.cancellationReasons().get(1).code());
        assertEquals("0", ddb.getItem(r -> r.tableName("txn").key(Map.of("id", s("acct2")))).item().get("balance").n(), "nothing written");
        TransactWriteItem debit50 = TransactWriteItem.builder().update(u -> u.tableName("txn").key(Map.of("id", s("acct1"))).updateExpression("SET balance = balance - :a")
                .conditionExpression("balance >= :a").expressionAttributeValues(Map.of(":a", num("50")))).build();
        TransactWriteItem credit50 = TransactWriteItem.builder().update(u -> u.tableName("txn").key(Map.of("id", s("acct2"))).updateExpression("SET balance = balance + :a")
                .expressionAttributeValues(Map.of(":a", num("50")))).build();
        ddb.transactWriteItems(r -> r.transactItems(debit50, credit50).clientRequestToken("token-1"));
        ddb.transactWriteItems(r -> r.transactItems(debit50, credit50).clientRequestToken("token-1"));
        var balances = ddb.transactGetItems(r -> r.transactItems(t -> t.get(g -> g.tableName("txn").key(Map.of("id", s("acct1")))),
                t -> t.get(g -> g.tableName("txn").key(Map.of("id", s("acct2")))))).responses();
        assertEquals("50", balances.get(0).item().get("balance").n(), "the retried token applied once");
        assertEquals("50", balances.get(1).item().get("balance").n());
        assertEquals("Transaction request cannot include multiple operations on one item",
                error(() -> ddb.transactWriteItems(r -> r.transactItems(debit50, debit50))));
        assertEquals(400, assertThrows(DynamoDbException.class, () -> ddb.transactWriteItems(r -> r.transactItems(credit50).clientRequestToken("token-1"))).statusCode());
    }

    @Test
    void binaryKeysSortBytewise() {
        ddb.createTable(r -> r.tableName("bin").billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(a -> a.attributeName("h").attributeType(ScalarAttributeType.B), a -> a.attributeName("r").attributeType(ScalarAttributeType.B))
                .keySchema(k -> k.attributeName("h").keyType(KeyType.HASH), k -> k.attributeName("r").keyType(KeyType.RANGE)));
        AttributeValue h = AttributeValue.fromB(SdkBytes.fromByteArray(new byte[] {0, 1}));
        for (byte b : new byte[] {(byte) 0xff, 0, 0x7f, (byte) 0x80}) {
            ddb.putItem(r -> r.tableName("bin").item(Map.of("h", h, "r", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[] {b})))));
        }
        List<Integer> order = new ArrayList<>();
        ddb.query(r -> r.tableName("bin").keyConditionExpression("h = :h").expressionAttributeValues(Map.of(":h", h)))
                .items().forEach(i -> order.add(i.get("r").b().asByteArray()[0] & 0xff));
        assertEquals(List.of(0, 0x7f, 0x80, 0xff), order);
    }

    @Test
    void itemsSurviveARestart() throws Exception {
        Path dir = Files.createTempDirectory("nimbus-ddb-");
        try (TestServer durable = TestServer.startDurable(dir); DynamoDbClient c = durable.client(DynamoDbClient.builder())) {
            c.createTable(r -> r.tableName("durable").billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
                    .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH)));
            c.putItem(r -> r.tableName("durable").item(Map.of("id", s("kept"), "n", num("1.5"))));
        }
        try (TestServer durable = TestServer.startDurable(dir); DynamoDbClient c = durable.client(DynamoDbClient.builder())) {
            assertEquals("1.5", c.getItem(r -> r.tableName("durable").key(Map.of("id", s("kept")))).item().get("n").n());
        }
    }

    @Test
    void updateTableAddsAGlobalIndexWithBackfillAndDropsIt() {
        simpleTable("growing");
        for (String c : List.of("red", "red", "blue")) {
            ddb.putItem(r -> r.tableName("growing").item(Map.of("id", s(c + System.nanoTime()), "color", s(c))));
        }
        ddb.putItem(r -> r.tableName("growing").item(Map.of("id", s("colorless"))));
        TableDescription d = ddb.updateTable(r -> r.tableName("growing").attributeDefinitions(a -> a.attributeName("color").attributeType(ScalarAttributeType.S))
                .globalSecondaryIndexUpdates(u -> u.create(c -> c.indexName("byColor").keySchema(k -> k.attributeName("color").keyType(KeyType.HASH))
                        .projection(p -> p.projectionType(ProjectionType.ALL))))).tableDescription();
        assertEquals("byColor", d.globalSecondaryIndexes().get(0).indexName());
        assertEquals(2, ddb.query(r -> r.tableName("growing").indexName("byColor").keyConditionExpression("color = :c")
                .expressionAttributeValues(Map.of(":c", s("red")))).count(), "items written before the index are in it");
        assertEquals(3L, ddb.describeTable(r -> r.tableName("growing")).table().globalSecondaryIndexes().get(0).itemCount(), "sparse: no color, no entry");
        ddb.updateTable(r -> r.tableName("growing").globalSecondaryIndexUpdates(u -> u.delete(x -> x.indexName("byColor"))));
        assertEquals("The table does not have the specified index: byColor", error(() -> ddb.query(r -> r.tableName("growing").indexName("byColor")
                .keyConditionExpression("color = :c").expressionAttributeValues(Map.of(":c", s("red"))))));
    }

    @Test
    void provisionedTablesAreThrottledOverTheirCapacity() {
        ddb.createTable(r -> r.tableName("small").provisionedThroughput(p -> p.readCapacityUnits(1L).writeCapacityUnits(1L))
                .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH)));
        try (DynamoDbClient once = DynamoDbClient.builder().endpointOverride(nimbus.endpoint()).region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("test", "secret")))
                .overrideConfiguration(c -> c.retryStrategy(software.amazon.awssdk.core.retry.RetryMode.STANDARD).retryStrategy(b -> b.maxAttempts(1))).build()) {
            // 1 WCU holds 300 units of burst: the writes after those are refused
            DynamoDbException e = null;
            for (int i = 0; i < 2000 && e == null; i++) {
                int n = i;
                try {
                    once.putItem(r -> r.tableName("small").item(Map.of("id", s("i" + n))));
                } catch (DynamoDbException thrown) {
                    e = thrown;
                }
            }
            assertTrue(e instanceof software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException, String.valueOf(e));
            assertEquals("The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
                    e.awsErrorDetails().errorMessage());
        }
    }

    @Test
    void legacyParameters() {
        simpleTable("legacy");
        ddb.putItem(r -> r.tableName("legacy").item(Map.of("id", s("a"), "v", num("1"))));
        Map<String, software.amazon.awssdk.services.dynamodb.model.ExpectedAttributeValue> expected = new HashMap<>();
        expected.put("v", software.amazon.awssdk.services.dynamodb.model.ExpectedAttributeValue.builder().value(num("2")).build());
        assertThrows(ConditionalCheckFailedException.class, () -> ddb.putItem(r -> r.tableName("legacy").item(Map.of("id", s("a"))).expected(expected)));
        ddb.updateItem(r -> r.tableName("legacy").key(Map.of("id", s("a"))).attributeUpdates(Map.of("v",
                software.amazon.awssdk.services.dynamodb.model.AttributeValueUpdate.builder().action("ADD").value(num("4")).build())));
        var item = ddb.getItem(r -> r.tableName("legacy").key(Map.of("id", s("a"))).attributesToGet("v")).item();
        assertEquals(Map.of("v", num("5")), item);
        assertNull(ddb.getItem(r -> r.tableName("legacy").key(Map.of("id", s("zz")))).item().get("v"));
    }
}
