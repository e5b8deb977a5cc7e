package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.dynamodb.TableDef.Index;
import dev.nimbus.services.dynamodb.TableDef.Key;
import dev.nimbus.services.dynamodb.expr.Ast;
import dev.nimbus.services.dynamodb.expr.Ast.Condition;
import dev.nimbus.services.dynamodb.expr.Ast.Path;
import dev.nimbus.services.dynamodb.expr.Evaluator;
import dev.nimbus.services.dynamodb.expr.Expressions;
import dev.nimbus.store.Table;
import java.util.ArrayList;
import java.util.List;

/**
 * Query and Scan. A Query is one range read of the store: the key condition becomes bounds on the
 * encoded keys under the partition's prefix, so its cost follows the items it returns. Pages stop
 * at Limit items read or 1 MB, as in DynamoDB, and end with LastEvaluatedKey.
 */
final class Queries {
    private static final long PAGE_BYTES = 1024 * 1024;
    private static final int BATCH = 256;

    private final Items items;
    private final Tables tables;

    Queries(Items items, Tables tables) {
        this.items = items;
        this.tables = tables;
    }

    /** The range of store keys a read covers, and its direction. */
    private record Range(String low, boolean lowInclusive, String high, boolean highInclusive, boolean descending) {}

    JsonNode query(RequestContext ctx, ObjectNode in) {
        TableDef t = tables.get(ctx, Values.text(in, "TableName"));
        Index index = index(t, in);
        Key hash = index == null ? t.hash : index.hash();
        Key range = index == null ? t.range : index.range();
        Expressions x = new Expressions(in.get("ExpressionAttributeNames"), in.get("ExpressionAttributeValues"));
        if (!in.has("KeyConditionExpression") && !in.has("KeyConditions")) {
            throw AwsException.validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
        }
        Condition keyCondition = Legacy.condition(x, in, "KeyConditionExpression");
        Condition filter = Legacy.condition(x, in, "FilterExpression");
        List<Path> projection = Legacy.projection(x, in);
        x.checkUnused();
        checkFilter(filter, hash, range);
        String prefix = index == null ? t.prefix() : t.prefix(index);
        List<Condition> parts = new ArrayList<>();
        flattenAnd(keyCondition, parts);
        JsonNode hashValue = null;
        Condition rangeCondition = null;
        for (Condition c : parts) {
            String attr = keyAttribute(c);
            if (attr == null) throw AwsException.validation("Invalid KeyConditionExpression: Query key condition not supported");
            if (attr.equals(hash.name()) && c instanceof Ast.Compare cmp && cmp.op().equals("=") && hashValue == null) {
                hashValue = valueOf(cmp.right());
            } else if (range != null && attr.equals(range.name()) && rangeCondition == null) {
                rangeCondition = c;
            } else if (!attr.equals(hash.name()) && (range == null || !attr.equals(range.name()))) {
                throw AwsException.validation("Query condition missed key schema element: " + hash.name());
            } else {
                throw AwsException.validation("Invalid KeyConditionExpression: Query key condition not supported");
            }
        }
        if (hashValue == null) throw AwsException.validation("Query condition missed key schema element: " + hash.name());
        checkKeyType(hashValue, hash);
        String partition = prefix + KeyEncoding.encode(hashValue);
        boolean forward = in.path("ScanIndexForward").asBoolean(true);
        Range r = rangeOf(partition, rangeCondition, range, !forward);
        return page(ctx, in, t, index, r, filter, projection, null);
    }

    JsonNode scan(RequestContext ctx, ObjectNode in) {
        TableDef t = tables.get(ctx, Values.text(in, "TableName"));
        Index index = index(t, in);
        Expressions x = new Expressions(in.get("ExpressionAttributeNames"), in.get("ExpressionAttributeValues"));
        Condition filter = Legacy.condition(x, in, "FilterExpression");
        List<Path> projection = Legacy.projection(x, in);
        x.checkUnused();
        Integer segment = in.has("Segment") ? in.get("Segment").asInt() : null;
        Integer total = in.has("TotalSegments") ? in.get("TotalSegments").asInt() : null;
        if ((segment == null) != (total == null)) {
            throw AwsException.validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present");
        }
        if (segment != null && segment >= total) {
            throw AwsException.validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: " + segment + " is not less than TotalSegments: " + total);
        }
        String prefix = index == null ? t.prefix() : t.prefix(index);
        Range r = new Range(prefix, true, successor(prefix), false, false);
        int[] seg = segment == null ? null : new int[] {segment, total};
        return page(ctx, in, t, index, r, filter, projection, seg);
    }

    private static Index index(TableDef t, JsonNode in) {
        String name = Values.text(in, "IndexName", null);
        if (name == null) return null;
        Index i = t.index(name);
        if (i == null) throw AwsException.validation("The table does not have the specified index: " + name);
        return i;
    }

    /** A Query's filter may not test the key attributes it queries by (a Scan's may). */
    private static void checkFilter(Condition filter, Key hash, Key range) {
        if (filter == null) return;
        List<String> attrs = new ArrayList<>();
        attributes(filter, attrs);
        for (String attr : attrs) {
            if (attr.equals(hash.name()) || (range != null && attr.equals(range.name()))) {
                throw AwsException.validation("Filter Expression can only contain non-primary key attributes: Primary key attribute: " + attr);
            }
        }
    }

    /** The top-level attributes a condition reads. */
    private static void attributes(Object node, List<String> out) {
        switch (node) {
            case Ast.And a -> {
                attributes(a.left(), out);
                attributes(a.right(), out);
            }
            case Ast.Or o -> {
                attributes(o.left(), out);
                attributes(o.right(), out);
            }
            case Ast.Not n -> attributes(n.condition(), out);
            case Ast.Compare c -> {
                attributes(c.left(), out);
                attributes(c.right(), out);
            }
            case Ast.Between b -> {
                attributes(b.value(), out);
                attributes(b.low(), out);
                attributes(b.high(), out);
            }
            case Ast.In i -> {
                attributes(i.value(), out);
                i.candidates().forEach(c -> attributes(c, out));
            }
            case Ast.Function f -> f.args().forEach(a -> attributes(a, out));
            case Ast.Call c -> c.args().forEach(a -> attributes(a, out));
            case Ast.PathOperand p -> out.add(p.path().first());
            default -> {}
        }
    }

    private static void flattenAnd(Condition c, List<Condition> out) {
        if (c instanceof Ast.And a) {
            flattenAnd(a.left(), out);
            flattenAnd(a.right(), out);
        } else {
            out.add(c);
        }
    }

    /** The key attribute a key condition part constrains, or null when the part is not of a supported form. */
    private static String keyAttribute(Condition c) {
        Ast.Operand subject = switch (c) {
            case Ast.Compare cmp when !cmp.op().equals("<>") -> cmp.right() instanceof Ast.ValueOperand ? cmp.left() : null;
            case Ast.Between b -> b.low() instanceof Ast.ValueOperand && b.high() instanceof Ast.ValueOperand ? b.value() : null;
            case Ast.Function f when f.name().equals("begins_with") -> f.args().get(1) instanceof Ast.ValueOperand ? f.args().get(0) : null;
            default -> null;
        };
        if (!(subject instanceof Ast.PathOperand p) || p.path().elements().size() != 1) return null;
        return p.path().first();
    }

    private static JsonNode valueOf(Ast.Operand o) {
        return ((Ast.ValueOperand) o).value();
    }

    private static void checkKeyType(JsonNode v, Key k) {
        if (!AttributeValues.type(v).equals(k.type())) {
            throw AwsException.validation("One or more parameter values were invalid: Condition parameter type does not match schema type");
        }
    }

    private static Range rangeOf(String partition, Condition c, Key range, boolean descending) {
        String end = successor(partition);
        if (c == null) return new Range(partition, true, end, false, descending);
        switch (c) {
            case Ast.Compare cmp -> {
                JsonNode v = valueOf(cmp.right());
                checkKeyType(v, range);
                String at = partition + KeyEncoding.encode(v);
                return switch (cmp.op()) {
                    case "=" -> new Range(at, true, successor(at), false, descending);
                    case "<" -> new Range(partition, true, at, false, descending);
                    case "<=" -> new Range(partition, true, successor(at), false, descending);
                    case ">" -> new Range(successor(at), true, end, false, descending);
                    default -> new Range(at, true, end, false, descending);
                };
            }
            case Ast.Between b -> {
                JsonNode lo = valueOf(b.low()), hi = valueOf(b.high());
                checkKeyType(lo, range);
                checkKeyType(hi, range);
                Integer order = AttributeValues.compare(lo, hi);
                if (order != null && order > 0) {
                    throw AwsException.validation("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower operand: AttributeValue: {"
                            + range.type() + ":" + AttributeValues.value(lo).asText() + "}, upper operand: AttributeValue: {" + range.type() + ":" + AttributeValues.value(hi).asText() + "}");
                }
                return new Range(partition + KeyEncoding.encode(lo), true, successor(partition + KeyEncoding.encode(hi)), false, descending);
            }
            case Ast.Function f -> {
                JsonNode v = valueOf(f.args().get(1));
                if (range.type().equals("N") || !AttributeValues.type(v).equals(range.type())) {
                    throw AwsException.validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: "
                            + (AttributeValues.type(v).equals("N") ? "N" : range.type()));
                }
                String start = partition + KeyEncoding.prefix(v);
                return new Range(start, true, successor(start), false, descending);
            }
            default -> throw AwsException.validation("Invalid KeyConditionExpression: Query key condition not supported");
        }
    }

    /** The least string above every string that starts with s (its last character grown by one; key text never ends in U+10FFFF). */
    static String successor(String s) {
        int cp = s.codePointBefore(s.length());
        return s.substring(0, s.length() - Character.charCount(cp)) + Character.toString(cp + 1 == Character.MIN_SURROGATE ? Character.MAX_SURROGATE + 1 : cp + 1);
    }

    private JsonNode page(RequestContext ctx, JsonNode in, TableDef t, Index index, Range r, Condition filter, List<Path> projection, int[] segment) {
        String select = Values.text(in, "Select", projection != null ? "SPECIFIC_ATTRIBUTES" : index != null ? "ALL_PROJECTED_ATTRIBUTES" : "ALL_ATTRIBUTES");
        if (select.equals("SPECIFIC_ATTRIBUTES") && projection == null) {
            throw AwsException.validation("1 validation error detected: Value null at 'projectionExpression' failed to satisfy constraint: SPECIFIC_ATTRIBUTES requires ProjectionExpression or AttributesToGet");
        }
        if (!select.equals("SPECIFIC_ATTRIBUTES") && projection != null && in.has("Select")) {
            throw AwsException.validation("One or more parameter values were invalid: Select type " + select + " cannot be used with a ProjectionExpression");
        }
        if (select.equals("ALL_PROJECTED_ATTRIBUTES") && index == null) {
            throw AwsException.validation("One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is not supported for a table");
        }
        boolean fetchBase = false;
        if (index != null && select.equals("ALL_ATTRIBUTES") && !index.projection().equals("ALL")) {
            if (index.global()) {
                throw AwsException.validation("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index "
                        + index.name() + " because its projection type is not ALL");
            }
            fetchBase = true;
        }
        int limit = Values.integer(in, "Limit", Integer.MAX_VALUE);
        items.capacity.consume(t, 0.5, false);
        String low = r.low(), high = r.high();
        boolean lowIn = r.lowInclusive(), highIn = r.highInclusive();
        JsonNode start = in.get("ExclusiveStartKey");
        if (start != null && !start.isNull()) {
            String k = startKey(t, index, start);
            if (r.descending()) {
                high = k;
                highIn = false;
            } else {
                low = k;
                lowIn = false;
            }
        }
        ArrayNode out = Values.array();
        int scanned = 0, count = 0;
        long bytes = 0;
        ObjectNode last = null;
        boolean more = true;
        Table store = items.table();
        loop:
        while (true) {
            List<Table.Entry> batch = store.range(low, lowIn, high, highIn, r.descending(), BATCH);
            for (Table.Entry e : batch) {
                ObjectNode item = Items.decode(e.value());
                if (segment != null && Math.floorMod(KeyEncoding.encode(item.get(t.hash.name())).hashCode(), segment[1]) != segment[0]) continue;
                scanned++;
                last = item;
                bytes += AttributeValues.itemSize(item);
                if (Evaluator.test(filter, item, "FilterExpression")) {
                    count++;
                    if (!select.equals("COUNT")) {
                        ObjectNode full = fetchBase ? items.read(t.itemKey(item)) : item;
                        if (full != null) out.add(projection == null ? full : Evaluator.project(full, projection));
                    }
                }
                if (scanned >= limit || bytes >= PAGE_BYTES) {
                    more = true;
                    break loop;
                }
            }
            if (batch.size() < BATCH) {
                more = false;
                break;
            }
            String k = batch.get(batch.size() - 1).key();
            if (r.descending()) {
                high = k;
                highIn = false;
            } else {
                low = k;
                lowIn = false;
            }
        }
        // charged after the read, by what it read (the half unit let in before included)
        items.capacity.charge(t, Items.units(bytes, false, in.path("ConsistentRead").asBoolean(false)) - 0.5, false);
        ObjectNode res = Values.object();
        if (!select.equals("COUNT")) res.set("Items", out);
        res.put("Count", count).put("ScannedCount", scanned);
        if (more && last != null) res.set("LastEvaluatedKey", t.keyOf(last, index));
        String mode = Values.text(in, "ReturnConsumedCapacity", "NONE");
        if (!mode.equals("NONE")) res.set("ConsumedCapacity", Items.consumed(t.name, Items.units(bytes, false, in.path("ConsistentRead").asBoolean(false)), false, mode));
        return res;
    }

    private static String startKey(TableDef t, Index index, JsonNode start) {
        try {
            for (Key k : keysOf(t, index)) {
                JsonNode v = start.get(k.name());
                if (v == null || !v.has(k.type())) throw new IllegalArgumentException();
            }
            return index == null ? t.itemKey(start) : t.indexKey(index, start);
        } catch (RuntimeException e) {
            throw AwsException.validation("The provided starting key is invalid: The provided key element does not match the schema");
        }
    }

    private static List<Key> keysOf(TableDef t, Index index) {
        List<Key> keys = new ArrayList<>();
        keys.add(t.hash);
        if (t.range != null) keys.add(t.range);
        if (index != null) {
            keys.add(index.hash());
            if (index.range() != null) keys.add(index.range());
        }
        return keys;
    }
}
