package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.dynamodb.expr.Ast.Action;
import dev.nimbus.services.dynamodb.expr.Ast.Condition;
import dev.nimbus.services.dynamodb.expr.Ast.Path;
import dev.nimbus.services.dynamodb.expr.Evaluator;
import dev.nimbus.services.dynamodb.expr.Expressions;
import dev.nimbus.services.dynamodb.expr.Updates;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Items: single-item reads and writes with conditions, update expressions and return values, and
 * the one place items are written ({@link #write}), which keeps every index's entries in the same
 * store transaction as the item.
 */
final class Items {
    private static final CBORMapper CBOR = new CBORMapper();
    static final String CONDITION_FAILED = "The conditional request failed";

    private final Store store;
    private final Table items;
    private final Tables tables;

    private final Streams streams;
    final Capacity capacity = new Capacity();

    Items(Store store, Tables tables, Streams streams) {
        this.store = store;
        this.items = store.table("dynamodb.items");
        this.tables = tables;
        this.streams = streams;
    }

    Store store() {
        return store;
    }

    Table table() {
        return items;
    }

    // ---- storage

    static ObjectNode decode(byte[] b) {
        try {
            return (ObjectNode) CBOR.readTree(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] encode(JsonNode item) {
        try {
            return CBOR.writeValueAsBytes(item);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ObjectNode read(String key) {
        byte[] b = items.get(key);
        return b == null ? null : decode(b);
    }

    /**
     * Replaces (or, item null, deletes) an item, its index entries and its stream record; the
     * caller holds a store transaction. byTtl: a deletion by the TTL sweep (its stream record names the service).
     */
    void write(TableDef t, String key, ObjectNode old, ObjectNode item, boolean byTtl) {
        if (item == null) items.delete(key);
        else items.put(key, encode(item));
        for (TableDef.Index i : t.indexes) {
            String before = old == null ? null : t.indexKey(i, old);
            String after = item == null ? null : t.indexKey(i, item);
            if (before != null && !before.equals(after)) items.delete(before);
            if (after != null) items.put(after, encode(t.project(i, item)));
        }
        streams.record(t, old, item, byTtl);
    }

    void dropIndex(TableDef t, TableDef.Index i) {
        while (true) {
            List<Table.Entry> batch = items.scan(t.prefix(i), null, 1000);
            if (batch.isEmpty()) return;
            for (Table.Entry e : batch) items.delete(e.key());
        }
    }

    void backfill(TableDef t, TableDef.Index i) {
        Iterator<Table.Entry> it = items.iterate(t.prefix(), null, 1000);
        while (it.hasNext()) {
            ObjectNode item = decode(it.next().value());
            String k = t.indexKey(i, item);
            if (k != null && typesMatch(i, item)) items.put(k, encode(t.project(i, item)));
        }
    }

    private static boolean typesMatch(TableDef.Index i, JsonNode item) {
        if (!item.get(i.hash().name()).has(i.hash().type())) return false;
        return i.range() == null || item.get(i.range().name()).has(i.range().type());
    }

    // ---- one write, prepared: what a single operation and a transaction's part have in common

    /**
     * A write to one item: its condition, and the change (old item, null when absent, to the new
     * one, null to delete it); change null for a ConditionCheck.
     */
    record Write(TableDef table, String key, ObjectNode keyAttributes, Condition condition, UnaryOperator<ObjectNode> change, String returnOnFailure,
            List<Path> updated) {}

    record Outcome(ObjectNode old, ObjectNode item) {}

    static AwsException conditionFailed(ObjectNode old, String returnOnFailure) {
        AwsException e = new AwsException("ConditionalCheckFailedException", CONDITION_FAILED, 400);
        if ("ALL_OLD".equals(returnOnFailure) && old != null) e.with("Item", old);
        return e;
    }

    /** Runs inside a store transaction: reads, checks the condition, writes. */
    Outcome apply(Write w) {
        ObjectNode old = read(w.key());
        if (!Evaluator.test(w.condition(), old, "ConditionExpression")) throw conditionFailed(old, w.returnOnFailure());
        if (w.change() == null) return new Outcome(old, old);
        ObjectNode item = w.change().apply(old);
        if (item != null || old != null) write(w.table(), w.key(), old, item, false);
        return new Outcome(old, item);
    }

    Write preparePut(RequestContext ctx, JsonNode in) {
        TableDef t = tables.get(ctx, Values.text(in, "TableName"));
        ObjectNode item = t.checkItem(in.get("Item"), true);
        Expressions x = new Expressions(in.get("ExpressionAttributeNames"), in.get("ExpressionAttributeValues"));
        Condition c = Legacy.condition(x, in, "ConditionExpression");
        x.checkUnused();
        return new Write(t, t.itemKey(item), t.keyOf(item, null), c, old -> item, Values.text(in, "ReturnValuesOnConditionCheckFailure", null), null);
    }

    Write prepareDelete(RequestContext ctx, JsonNode in) {
        TableDef t = tables.get(ctx, Values.text(in, "TableName"));
        ObjectNode key = t.checkKey(in.get("Key"));
        Expressions x = new Expressions(in.get("ExpressionAttributeNames"), in.get("ExpressionAttributeValues"));
        Condition c = Legacy.condition(x, in, "ConditionExpression");
        x.checkUnused();
        return new Write(t, t.itemKey(key), key, c, old -> null, Values.text(in, "ReturnValuesOnConditionCheckFailure", null), null);
    }

    Write prepareConditionCheck(RequestContext ctx, JsonNode in) {
        TableDef t = tables.get(ctx, Values.text(in, "TableName"));
        ObjectNode key = t.checkKey(in.get("Key"));
        Expressions x = new Expressions(in.get("ExpressionAttributeNames"), in.get("ExpressionAttributeValues"));
        Condition c = x.condition("ConditionExpression", Values.text(in, "ConditionExpression"));
        x.checkUnused();
        return new Write(t, t.itemKey(key), key, c, null, Values.text(in, "ReturnValuesOnConditionCheckFailure", null), null);
    }

    Write prepareUpdate(RequestContext ctx, JsonNode in) {
        TableDef t = tables.get(ctx, Values.text(in, "TableName"));
        ObjectNode key = t.checkKey(in.get("Key"));
        Expressions x = new Expressions(in.get("ExpressionAttributeNames"), in.get("ExpressionAttributeValues"));
        List<Action> actions = Legacy.updates(x, in);
        Condition c = Legacy.condition(x, in, "ConditionExpression");
        x.checkUnused();
        if (actions != null) Updates.check(actions, t.keyNames);
        List<Path> updated = new ArrayList<>();
        if (actions != null) for (Action a : actions) updated.add(a.path());
        UnaryOperator<ObjectNode> change = old -> {
            ObjectNode base = old != null ? old : key.deepCopy();
            ObjectNode item = actions == null ? base.deepCopy() : Updates.apply(base, actions);
            return t.checkItem(item, false);
        };
        return new Write(t, t.itemKey(key), key, c, change, Values.text(in, "ReturnValuesOnConditionCheckFailure", null), updated);
    }

    // ---- single-item operations

    JsonNode putItem(RequestContext ctx, ObjectNode in) {
        String rv = returnValues(in, "NONE", "ALL_OLD");
        Write w = preparePut(ctx, in);
        capacity.consume(w.table(), units(AttributeValues.itemSize(w.change().apply(null)), true, false), true);
        Outcome o;
        if (rv.equals("NONE") && w.condition() == null && w.table().indexes.isEmpty() && !streams.enabled(w.table())) {
            // Nothing needs the item it replaces: one atomic put, no read, no explicit transaction.
            ObjectNode item = w.change().apply(null);
            items.put(w.key(), encode(item));
            o = new Outcome(null, item);
        } else {
            o = store.transaction(() -> apply(w));
        }
        ObjectNode out = Values.object();
        if (rv.equals("ALL_OLD") && o.old() != null) out.set("Attributes", o.old());
        capacity(out, in, w.table(), o.item(), true);
        return out;
    }

    JsonNode deleteItem(RequestContext ctx, ObjectNode in) {
        String rv = returnValues(in, "NONE", "ALL_OLD");
        Write w = prepareDelete(ctx, in);
        capacity.consume(w.table(), 1, true);
        Outcome o = store.transaction(() -> apply(w));
        ObjectNode out = Values.object();
        if (rv.equals("ALL_OLD") && o.old() != null) out.set("Attributes", o.old());
        capacity(out, in, w.table(), o.old(), true);
        return out;
    }

    JsonNode updateItem(RequestContext ctx, ObjectNode in) {
        String rv = returnValues(in, "NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW");
        Write w = prepareUpdate(ctx, in);
        capacity.consume(w.table(), 1, true);
        Outcome o = store.transaction(() -> apply(w));
        ObjectNode out = Values.object();
        ObjectNode attrs = switch (rv) {
            case "ALL_OLD" -> o.old();
            case "ALL_NEW" -> o.item();
            case "UPDATED_OLD" -> o.old() == null ? null : Evaluator.project(o.old(), w.updated());
            case "UPDATED_NEW" -> Evaluator.project(o.item(), w.updated());
            default -> null;
        };
        if (attrs != null && !attrs.isEmpty()) out.set("Attributes", attrs);
        capacity(out, in, w.table(), o.item(), true);
        return out;
    }

    JsonNode getItem(RequestContext ctx, ObjectNode in) {
        TableDef t = tables.get(ctx, Values.text(in, "TableName"));
        ObjectNode key = t.checkKey(in.get("Key"));
        Expressions x = new Expressions(in.get("ExpressionAttributeNames"), null);
        List<Path> projection = Legacy.projection(x, in);
        x.checkUnused();
        capacity.consume(t, units(0, false, in.path("ConsistentRead").asBoolean(false)), false);
        ObjectNode item = read(t.itemKey(key));
        ObjectNode out = Values.object();
        if (item != null) out.set("Item", projection == null ? item : Evaluator.project(item, projection));
        capacity(out, in, t, item, false);
        return out;
    }

    private static String returnValues(JsonNode in, String... allowed) {
        String rv = Values.text(in, "ReturnValues", "NONE");
        for (String a : allowed) if (a.equals(rv)) return rv;
        throw AwsException.validation("Return values set to invalid value");
    }

    /** ConsumedCapacity when the request asked (TOTAL or INDEXES): units as DynamoDB counts them for the item's size. */
    static void capacity(ObjectNode out, JsonNode in, TableDef t, JsonNode item, boolean write) {
        String mode = Values.text(in, "ReturnConsumedCapacity", "NONE");
        if (mode.equals("NONE")) return;
        double units = units(item == null ? 0 : AttributeValues.itemSize(item), write, in.path("ConsistentRead").asBoolean(false));
        out.set("ConsumedCapacity", consumed(t.name, units, write, mode));
    }

    static double units(long bytes, boolean write, boolean consistent) {
        if (write) return Math.max(1, Math.ceil(bytes / 1024.0));
        double reads = Math.max(1, Math.ceil(bytes / 4096.0));
        return consistent ? reads : reads / 2;
    }

    static ObjectNode consumed(String table, double units, boolean write, String mode) {
        ObjectNode c = Values.object().put("TableName", table).put("CapacityUnits", units).put(write ? "WriteCapacityUnits" : "ReadCapacityUnits", units);
        if (mode.equals("INDEXES")) c.set("Table", Values.object().put("CapacityUnits", units).put(write ? "WriteCapacityUnits" : "ReadCapacityUnits", units));
        return c;
    }

    static ArrayNode list(List<? extends JsonNode> nodes) {
        ArrayNode a = Values.array();
        nodes.forEach(a::add);
        return a;
    }
}
