package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A test-only DynamoDB: tables and items in memory, items kept exactly as the codec parsed them,
 * so GetItem shows what a round trip of AttributeValue maps (numbers as strings, binary, nested
 * maps and lists, sets) does. Any ConditionExpression is read as attribute_not_exists(key).
 */
final class DynamoDbTestService implements AwsService {
    private record Table(ObjectNode description, Map<String, ObjectNode> items) {}

    private final Map<String, Table> tables = new HashMap<>();

    @Override
    public String modelName() {
        return "dynamodb";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateTable", this::createTable)
                .add("DescribeTable", (ctx, in) -> Values.object().set("Table", table(in).description.deepCopy()))
                .add("PutItem", (ctx, in) -> putItem(in))
                .add("GetItem", (ctx, in) -> getItem(in));
    }

    private synchronized JsonNode createTable(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "TableName");
        // DynamoDB checks names itself: the model's member is a TableArn (min 1) so that ARNs pass.
        if (name.length() < 3) {
            throw AwsException.validation("1 validation error detected: Value '" + name
                    + "' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3");
        }
        if (tables.containsKey(name)) throw new AwsException("ResourceInUseException", "Table already exists: " + name, 400);
        ObjectNode d = Values.object().put("TableName", name).put("TableStatus", "ACTIVE")
                .put("TableArn", ctx.arn("dynamodb", "table/" + name)).put("ItemCount", 0).put("TableSizeBytes", 0);
        d.set("KeySchema", in.get("KeySchema"));
        d.set("AttributeDefinitions", in.get("AttributeDefinitions"));
        d.set("CreationDateTime", Values.timestamp(Instant.now()));
        tables.put(name, new Table(d, new HashMap<>()));
        return Values.object().set("TableDescription", d.deepCopy());
    }

    private synchronized Table table(JsonNode in) {
        String name = Values.text(in, "TableName");
        Table t = tables.get(name);
        if (t == null) throw new AwsException("ResourceNotFoundException", "Requested resource not found: Table: " + name + " not found", 400);
        return t;
    }

    private static String key(Table t, JsonNode item) {
        StringBuilder k = new StringBuilder();
        for (JsonNode part : t.description.get("KeySchema")) k.append(item.get(part.get("AttributeName").asText())).append('\n');
        return k.toString();
    }

    private synchronized JsonNode putItem(ObjectNode in) {
        Table t = table(in);
        ObjectNode item = (ObjectNode) in.get("Item");
        String key = key(t, item);
        if (in.has("ConditionExpression") && t.items.containsKey(key)) {
            throw new AwsException("ConditionalCheckFailedException", "The conditional request failed", 400);
        }
        t.items.put(key, item);
        return Values.object();
    }

    private synchronized JsonNode getItem(ObjectNode in) {
        Table t = table(in);
        ObjectNode item = t.items.get(key(t, in.get("Key")));
        return item == null ? Values.object() : Values.object().set("Item", item.deepCopy());
    }
}
