package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.dynamodb.expr.Ast.Path;
import dev.nimbus.services.dynamodb.expr.Evaluator;
import dev.nimbus.services.dynamodb.expr.Expressions;
import dev.nimbus.store.Table;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * BatchGetItem, BatchWriteItem, TransactGetItems and TransactWriteItems. A transaction is one store
 * transaction: every condition is checked first, and only when all hold is anything written.
 */
final class Batches {
    private static final int MAX_BATCH_GET = 100;
    private static final int MAX_BATCH_WRITE = 25;
    private static final int MAX_TRANSACT = 100;
    /** BatchGetItem answers at most 16 MB; the rest goes back as UnprocessedKeys. */
    private static final long MAX_BATCH_GET_BYTES = 16L * 1024 * 1024;
    /** ClientRequestToken is honoured for ten minutes, as in DynamoDB. */
    private static final long TOKEN_SECONDS = 600;

    private final Items items;
    private final Tables tables;
    private final Table tokens;

    Batches(Items items, Tables tables) {
        this.items = items;
        this.tables = tables;
        this.tokens = items.store().table("dynamodb.tokens");
    }

    JsonNode batchGet(RequestContext ctx, ObjectNode in) {
        JsonNode request = in.get("RequestItems");
        int total = 0;
        for (JsonNode r : request) total += r.path("Keys").size();
        if (total > MAX_BATCH_GET) throw AwsException.validation("Too many items requested for the BatchGetItem call");
        ObjectNode responses = Values.object();
        ObjectNode unprocessed = Values.object();
        long bytes = 0;
        ArrayNode capacity = Values.array();
        Iterator<Map.Entry<String, JsonNode>> it = request.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            TableDef t = tables.get(ctx, e.getKey());
            JsonNode spec = e.getValue();
            Expressions x = new Expressions(spec.get("ExpressionAttributeNames"), null);
            List<Path> projection = Legacy.projection(x, spec);
            x.checkUnused();
            Set<String> seen = new HashSet<>();
            List<String> keys = new ArrayList<>();
            for (JsonNode k : spec.path("Keys")) {
                String key = t.itemKey(t.checkKey(k));
                if (!seen.add(key)) throw AwsException.validation("Provided list of item keys contains duplicates");
                keys.add(key);
            }
            ArrayNode found = Values.array();
            ArrayNode left = Values.array();
            double units = 0;
            for (int i = 0; i < keys.size(); i++) {
                if (bytes >= MAX_BATCH_GET_BYTES) {
                    left.add(spec.get("Keys").get(i));
                    continue;
                }
                ObjectNode item = items.read(keys.get(i));
                if (item == null) continue;
                long size = AttributeValues.itemSize(item);
                bytes += size;
                units += Items.units(size, false, spec.path("ConsistentRead").asBoolean(false));
                found.add(projection == null ? item : Evaluator.project(item, projection));
            }
            responses.set(t.name, found);
            if (!left.isEmpty()) {
                ObjectNode rest = spec.deepCopy();
                rest.set("Keys", left);
                unprocessed.set(e.getKey(), rest);
            }
            String mode = Values.text(in, "ReturnConsumedCapacity", "NONE");
            if (!mode.equals("NONE")) capacity.add(Items.consumed(t.name, units, false, mode));
        }
        ObjectNode out = Values.object();
        out.set("Responses", responses);
        out.set("UnprocessedKeys", unprocessed);
        if (!capacity.isEmpty()) out.set("ConsumedCapacity", capacity);
        return out;
    }

    JsonNode batchWrite(RequestContext ctx, ObjectNode in) {
        JsonNode request = in.get("RequestItems");
        int total = 0;
        for (JsonNode r : request) total += r.size();
        if (total > MAX_BATCH_WRITE) throw AwsException.validation("Too many items requested for the BatchWriteItem call");
        List<Items.Write> writes = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Iterator<Map.Entry<String, JsonNode>> it = request.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            for (JsonNode r : e.getValue()) {
                ObjectNode op = Values.object().put("TableName", e.getKey());
                Items.Write w;
                if (r.has("PutRequest") && r.has("DeleteRequest")) {
                    throw AwsException.validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
                } else if (r.has("PutRequest")) {
                    op.set("Item", r.get("PutRequest").get("Item"));
                    w = items.preparePut(ctx, op);
                } else if (r.has("DeleteRequest")) {
                    op.set("Key", r.get("DeleteRequest").get("Key"));
                    w = items.prepareDelete(ctx, op);
                } else {
                    throw AwsException.validation("1 validation error detected: Value null at 'requestItems." + e.getKey() + ".member.putRequest' failed to satisfy constraint: Member must not be null");
                }
                if (!seen.add(w.key())) throw AwsException.validation("Provided list of item keys contains duplicates");
                writes.add(w);
            }
        }
        for (Items.Write w : writes) items.capacity.consume(w.table(), 1, true);
        items.store().transaction(() -> writes.forEach(w -> items.apply(w)));
        ObjectNode out = Values.object();
        out.set("UnprocessedItems", Values.object());
        String mode = Values.text(in, "ReturnConsumedCapacity", "NONE");
        if (!mode.equals("NONE")) {
            ArrayNode capacity = Values.array();
            Map<String, Double> perTable = new java.util.LinkedHashMap<>();
            for (Items.Write w : writes) perTable.merge(w.table().name, 1.0, Double::sum);
            perTable.forEach((name, units) -> capacity.add(Items.consumed(name, units, true, mode)));
            out.set("ConsumedCapacity", capacity);
        }
        return out;
    }

    JsonNode transactGet(RequestContext ctx, ObjectNode in) {
        JsonNode list = in.get("TransactItems");
        if (list.size() > MAX_TRANSACT) throw AwsException.validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100");
        List<TableDef> defs = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        List<List<Path>> projections = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode t : list) {
            JsonNode get = t.get("Get");
            TableDef def = tables.get(ctx, Values.text(get, "TableName"));
            String key = def.itemKey(def.checkKey(get.get("Key")));
            if (!seen.add(key)) throw AwsException.validation("Transaction request cannot include multiple operations on one item");
            Expressions x = new Expressions(get.get("ExpressionAttributeNames"), null);
            projections.add(x.projection(Values.text(get, "ProjectionExpression", null)));
            x.checkUnused();
            defs.add(def);
            keys.add(key);
        }
        // Read inside a store transaction: one consistent snapshot of every item.
        List<ObjectNode> found = items.store().transaction(() -> {
            List<ObjectNode> r = new ArrayList<>();
            for (String k : keys) r.add(items.read(k));
            return r;
        });
        ArrayNode responses = Values.array();
        for (int i = 0; i < found.size(); i++) {
            ObjectNode item = found.get(i);
            ObjectNode r = Values.object();
            if (item != null) r.set("Item", projections.get(i) == null ? item : Evaluator.project(item, projections.get(i)));
            responses.add(r);
        }
        return Values.object().set("Responses", responses);
    }

    JsonNode transactWrite(RequestContext ctx, ObjectNode in) {
        JsonNode list = in.get("TransactItems");
        if (list.size() > MAX_TRANSACT) throw AwsException.validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100");
        List<Items.Write> writes = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode t : list) {
            Items.Write w;
            if (t.has("Put")) w = items.preparePut(ctx, t.get("Put"));
            else if (t.has("Delete")) w = items.prepareDelete(ctx, t.get("Delete"));
            else if (t.has("Update")) w = items.prepareUpdate(ctx, t.get("Update"));
            else if (t.has("ConditionCheck")) w = items.prepareConditionCheck(ctx, t.get("ConditionCheck"));
            else throw AwsException.validation("TransactItems can only contain one of Check, Put, Update or Delete");
            if (!seen.add(w.key())) throw AwsException.validation("Transaction request cannot include multiple operations on one item");
            writes.add(w);
        }
        transact(ctx, writes, Values.text(in, "ClientRequestToken", null), list);
        return Values.object();
    }

    /**
     * Writes all or nothing: every condition is checked first; any failing cancels the whole with
     * TransactionCanceledException and a reason per write. A ClientRequestToken seen in the last ten
     * minutes with the same request makes this a no-op (with another request, an error).
     */
    void transact(RequestContext ctx, List<Items.Write> writes, String token, JsonNode request) {
        String tokenKey = token == null ? null : ctx.accountId() + "/" + ctx.region() + "/" + token;
        String fingerprint = fingerprint(request);
        items.store().transaction(() -> {
            if (tokenKey != null) {
                JsonNode seenBefore = tokens.getJson(tokenKey);
                if (seenBefore != null && seenBefore.get("at").asLong() > Instant.now().getEpochSecond() - TOKEN_SECONDS) {
                    if (!seenBefore.get("request").asText().equals(fingerprint)) {
                        throw new AwsException("IdempotentParameterMismatchException",
                                "The request uses the same client token as a previous, but non-identical request.", 400);
                    }
                    return;
                }
            }
            ArrayNode reasons = Values.array();
            boolean failed = false;
            List<ObjectNode> olds = new ArrayList<>();
            for (Items.Write w : writes) {
                ObjectNode old = items.read(w.key());
                olds.add(old);
                if (Evaluator.test(w.condition(), old, "ConditionExpression")) {
                    reasons.add(Values.object().put("Code", "None"));
                } else {
                    failed = true;
                    ObjectNode r = Values.object().put("Code", "ConditionalCheckFailed").put("Message", Items.CONDITION_FAILED);
                    if ("ALL_OLD".equals(w.returnOnFailure()) && old != null) r.set("Item", old);
                    reasons.add(r);
                }
            }
            if (failed) {
                List<String> codes = new ArrayList<>();
                for (JsonNode r : reasons) codes.add(r.get("Code").asText());
                throw new AwsException("TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons " + codes, 400)
                        .with("CancellationReasons", reasons);
            }
            for (Items.Write w : writes) items.apply(w);
            if (tokenKey != null) tokens.putJson(tokenKey, Values.object().put("at", Instant.now().getEpochSecond()).put("request", fingerprint));
        });
    }

    private static String fingerprint(JsonNode request) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Values.JSON.writeValueAsBytes(request));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
