package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A table as stored: its description (what DescribeTable shows, less the live counts), its store
 * id, and the key schemas of the table and its indexes read from it. Immutable: a change to the
 * table makes a new one.
 *
 * Store layout (store table "dynamodb.items"): the table's items under {@code id + "/"}, an index's
 * entries under {@code id + "." + indexName + "/"}; after the prefix come the encoded key values
 * ({@link KeyEncoding}): hash, range, and for index entries then the table's hash and range.
 */
public final class TableDef {
    public record Key(String name, String type) {}

    /** A secondary index; range may be null. projection: ALL, KEYS_ONLY or INCLUDE (nonKey). */
    public record Index(String name, boolean global, Key hash, Key range, String projection, List<String> nonKey) {}

    public final String id;
    public final String name;
    public final ObjectNode record;
    public final ObjectNode description;
    public final Key hash;
    public final Key range;
    public final List<Index> indexes;
    public final Set<String> keyNames;

    /** record = {"id", "description", "tags", "ttl"} as stored. */
    public TableDef(ObjectNode record) {
        this.record = record;
        this.id = record.get("id").asText();
        this.description = (ObjectNode) record.get("description");
        this.name = description.get("TableName").asText();
        Map<String, String> types = new java.util.HashMap<>();
        for (JsonNode a : description.path("AttributeDefinitions")) types.put(a.get("AttributeName").asText(), a.get("AttributeType").asText());
        Key[] k = keys(description.get("KeySchema"), types);
        this.hash = k[0];
        this.range = k[1];
        List<Index> list = new ArrayList<>();
        for (String kind : List.of("GlobalSecondaryIndexes", "LocalSecondaryIndexes")) {
            for (JsonNode i : description.path(kind)) {
                Key[] ik = keys(i.get("KeySchema"), types);
                JsonNode p = i.path("Projection");
                List<String> nonKey = new ArrayList<>();
                for (JsonNode n : p.path("NonKeyAttributes")) nonKey.add(n.asText());
                list.add(new Index(i.get("IndexName").asText(), kind.startsWith("Global"), ik[0], ik[1], p.path("ProjectionType").asText("ALL"), nonKey));
            }
        }
        this.indexes = List.copyOf(list);
        Set<String> names = new HashSet<>();
        names.add(hash.name);
        if (range != null) names.add(range.name);
        this.keyNames = Set.copyOf(names);
    }

    static Key[] keys(JsonNode schema, Map<String, String> types) {
        Key[] out = new Key[2];
        for (JsonNode k : schema) {
            String n = k.get("AttributeName").asText();
            out[k.get("KeyType").asText().equals("HASH") ? 0 : 1] = new Key(n, types.get(n));
        }
        return out;
    }

    public String arn() {
        return description.get("TableArn").asText();
    }

    public Index index(String indexName) {
        for (Index i : indexes) if (i.name.equals(indexName)) return i;
        return null;
    }

    String prefix() {
        return id + "/";
    }

    String prefix(Index i) {
        return id + "." + i.name + "/";
    }

    /** The store key of an item (which has its key attributes). */
    String itemKey(JsonNode item) {
        StringBuilder b = new StringBuilder(prefix());
        KeyEncoding.append(b, item.get(hash.name));
        if (range != null) KeyEncoding.append(b, item.get(range.name));
        return b.toString();
    }

    /** The store key of an item's entry in an index, or null when the item lacks the index's keys (sparse index). */
    String indexKey(Index i, JsonNode item) {
        JsonNode h = item.get(i.hash.name);
        JsonNode r = i.range == null ? null : item.get(i.range.name);
        if (h == null || (i.range != null && r == null)) return null;
        StringBuilder b = new StringBuilder(prefix(i));
        KeyEncoding.append(b, h);
        if (r != null) KeyEncoding.append(b, r);
        KeyEncoding.append(b, item.get(hash.name));
        if (range != null) KeyEncoding.append(b, item.get(range.name));
        return b.toString();
    }

    /** What an index entry holds: the item cut down to the index's projection. */
    ObjectNode project(Index i, JsonNode item) {
        if (i.projection.equals("ALL")) return (ObjectNode) item;
        Set<String> keep = new LinkedHashSet<>(keyNames);
        keep.add(i.hash.name);
        if (i.range != null) keep.add(i.range.name);
        if (i.projection.equals("INCLUDE")) keep.addAll(i.nonKey);
        ObjectNode out = Values.object();
        for (String n : keep) if (item.has(n)) out.set(n, item.get(n));
        return out;
    }

    /** The key attributes of an item: the table's, plus the index's when reading an index. */
    ObjectNode keyOf(JsonNode item, Index i) {
        ObjectNode out = Values.object();
        out.set(hash.name, item.get(hash.name));
        if (range != null) out.set(range.name, item.get(range.name));
        if (i != null) {
            out.set(i.hash.name, item.get(i.hash.name));
            if (i.range != null) out.set(i.range.name, item.get(i.range.name));
        }
        return out;
    }

    /**
     * A Key parameter (GetItem, DeleteItem, UpdateItem, ExclusiveStartKey of the table): exactly
     * the key attributes with their types, else DynamoDB's one message.
     */
    ObjectNode checkKey(JsonNode key) {
        if (key == null || !key.isObject()) throw AwsException.validation("The provided key element does not match the schema");
        int expected = range == null ? 1 : 2;
        if (key.size() != expected || !matches(key.get(hash.name), hash) || (range != null && !matches(key.get(range.name), range))) {
            throw AwsException.validation("The provided key element does not match the schema");
        }
        ObjectNode k = (ObjectNode) key;
        k.fields().forEachRemaining(e -> e.setValue(AttributeValues.validate(e.getValue())));
        checkNotEmpty(k, hash);
        if (range != null) checkNotEmpty(k, range);
        return k;
    }

    private static boolean matches(JsonNode av, Key k) {
        return av != null && av.isObject() && av.size() == 1 && av.has(k.type);
    }

    private static void checkNotEmpty(JsonNode item, Key k) {
        JsonNode v = item.get(k.name);
        if (k.type.equals("S") && v.get("S").asText().isEmpty()) {
            throw AwsException.validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: " + k.name);
        }
        if (k.type.equals("B") && AttributeValues.bytes(v.get("B")).length == 0) {
            throw AwsException.validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: " + k.name);
        }
    }

    /** A whole item about to be written: key attributes present and typed, index keys typed, size within 400 KB. */
    ObjectNode checkItem(JsonNode item, boolean validateValues) {
        if (item == null || !item.isObject()) throw AwsException.validation("One or more parameter values were invalid: Missing the key " + hash.name + " in the item");
        ObjectNode o = (ObjectNode) item;
        if (validateValues) o.fields().forEachRemaining(e -> e.setValue(AttributeValues.validate(e.getValue())));
        for (Key k : range == null ? List.of(hash) : List.of(hash, range)) {
            JsonNode v = o.get(k.name);
            if (v == null) throw AwsException.validation("One or more parameter values were invalid: Missing the key " + k.name + " in the item");
            String actual = AttributeValues.type(v);
            if (!actual.equals(k.type)) {
                throw AwsException.validation("One or more parameter values were invalid: Type mismatch for key " + k.name + " expected: " + k.type + " actual: " + actual);
            }
            checkNotEmpty(o, k);
        }
        for (Index i : indexes) {
            for (Key k : i.range == null ? List.of(i.hash) : List.of(i.hash, i.range)) {
                JsonNode v = o.get(k.name);
                if (v == null || keyNames.contains(k.name)) continue;
                String actual = AttributeValues.type(v);
                if (!actual.equals(k.type)) {
                    throw AwsException.validation("One or more parameter values were invalid: Type mismatch for Index Key " + k.name + " Expected: " + k.type
                            + " Actual: " + actual + " IndexName: " + i.name);
                }
                if ((k.type.equals("S") && v.get("S").asText().isEmpty()) || (k.type.equals("B") && AttributeValues.bytes(v.get("B")).length == 0)) {
                    throw AwsException.validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. "
                            + "The AttributeValue for a key attribute cannot contain an empty " + (k.type.equals("S") ? "string" : "binary") + " value. IndexName: "
                            + i.name + ", IndexKey: " + k.name);
                }
            }
        }
        if (AttributeValues.itemSize(o) > AttributeValues.MAX_ITEM_BYTES) throw AwsException.validation("Item size has exceeded the maximum allowed size");
        return o;
    }
}
