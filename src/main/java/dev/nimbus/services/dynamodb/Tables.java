package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * DynamoDB tables: create, describe, update (billing, streams, GSIs with backfill), delete, list,
 * tags and time to live. Table records live in store table "dynamodb.tables" under
 * account/region/name; parsed definitions are cached, as every item operation needs one.
 */
final class Tables {
    private static final Logger LOG = Logger.getLogger(Tables.class.getName());
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]+");

    private final Store store;
    private final Table records;
    private final Table items;
    private final Map<String, TableDef> cache = new ConcurrentHashMap<>();
    private final Streams streams;

    Tables(Store store, Streams streams) {
        this.store = store;
        this.streams = streams;
        this.records = store.table("dynamodb.tables");
        this.items = store.table("dynamodb.items");
    }

    private static String recordKey(RequestContext ctx, String name) {
        return ctx.accountId() + "/" + ctx.region() + "/" + name;
    }

    /** TableName members accept a name or an ARN. */
    static String nameOf(String nameOrArn) {
        int slash = nameOrArn.startsWith("arn:") ? nameOrArn.indexOf(":table/") : -1;
        if (slash < 0) return nameOrArn;
        String rest = nameOrArn.substring(slash + ":table/".length());
        int next = rest.indexOf('/');
        return next < 0 ? rest : rest.substring(0, next);
    }

    /** The table, or ResourceNotFoundException with the message item operations give. */
    TableDef get(RequestContext ctx, String nameOrArn) {
        TableDef t = find(ctx, nameOf(nameOrArn));
        if (t == null) throw new AwsException("ResourceNotFoundException", "Requested resource not found", 400);
        return t;
    }

    TableDef find(RequestContext ctx, String name) {
        String key = recordKey(ctx, name);
        TableDef t = cache.get(key);
        if (t != null) return t;
        JsonNode rec = records.getJson(key);
        if (rec == null) return null;
        t = new TableDef((ObjectNode) rec);
        cache.put(key, t);
        return t;
    }

    private void save(RequestContext ctx, ObjectNode record) {
        String key = recordKey(ctx, record.get("description").get("TableName").asText());
        records.putJson(key, record);
        cache.put(key, new TableDef(record));
    }

    // ---- CreateTable

    JsonNode create(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "TableName");
        checkName(name, "tableName");
        JsonNode defs = in.get("AttributeDefinitions");
        JsonNode schema = in.get("KeySchema");
        if (schema == null || schema.isEmpty()) throw AwsException.validation("1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null");
        Map<String, String> types = new LinkedHashMap<>();
        for (JsonNode a : defs == null ? Values.array() : defs) types.put(a.get("AttributeName").asText(), a.get("AttributeType").asText());
        Set<String> used = new LinkedHashSet<>();
        checkSchema(schema, types, used, null);
        String billing = in.path("BillingMode").asText("PROVISIONED");
        checkThroughput(billing, in.get("ProvisionedThroughput"));
        Instant now = Instant.now();
        ObjectNode d = Values.object();
        d.set("AttributeDefinitions", defs);
        d.put("TableName", name);
        d.set("KeySchema", schema);
        d.put("TableStatus", "ACTIVE");
        d.set("CreationDateTime", Values.timestamp(now));
        d.set("ProvisionedThroughput", throughput(billing, in.get("ProvisionedThroughput")));
        d.put("TableArn", ctx.arn("dynamodb", "table/" + name));
        String id = UUID.randomUUID().toString();
        d.put("TableId", id);
        d.set("BillingModeSummary", Values.object().put("BillingMode", billing).set("LastUpdateToPayPerRequestDateTime", Values.timestamp(now)));
        String hashName = null;
        for (JsonNode k : schema) if (k.get("KeyType").asText().equals("HASH")) hashName = k.get("AttributeName").asText();
        ArrayNode lsis = Values.array();
        Set<String> indexNames = new java.util.HashSet<>();
        for (JsonNode l : in.path("LocalSecondaryIndexes")) {
            String iname = l.get("IndexName").asText();
            checkName(iname, "indexName");
            if (!indexNames.add(iname)) throw AwsException.validation("One or more parameter values were invalid: Duplicate index name: " + iname);
            checkSchema(l.get("KeySchema"), types, used, iname);
            String lh = null;
            boolean hasRange = false;
            for (JsonNode k : l.get("KeySchema")) {
                if (k.get("KeyType").asText().equals("HASH")) lh = k.get("AttributeName").asText();
                else hasRange = true;
            }
            if (!hasRange || schema.size() < 2) throw AwsException.validation("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex");
            if (!lh.equals(hashName)) {
                throw AwsException.validation("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: "
                        + iname + ". index hash key: " + lh + ", table hash key: " + hashName);
            }
            lsis.add(Values.object().put("IndexName", iname).<ObjectNode>set("KeySchema", l.get("KeySchema")).<ObjectNode>set("Projection", l.get("Projection"))
                    .put("IndexSizeBytes", 0).put("ItemCount", 0).put("IndexArn", d.get("TableArn").asText() + "/index/" + iname));
        }
        ArrayNode gsis = Values.array();
        for (JsonNode g : in.path("GlobalSecondaryIndexes")) {
            String iname = g.get("IndexName").asText();
            checkName(iname, "indexName");
            if (!indexNames.add(iname)) throw AwsException.validation("One or more parameter values were invalid: Duplicate index name: " + iname);
            checkSchema(g.get("KeySchema"), types, used, iname);
            gsis.add(gsi(d, g, billing));
        }
        if (!used.containsAll(types.keySet()) || used.size() != types.size()) {
            throw AwsException.validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");
        }
        if (!lsis.isEmpty()) d.set("LocalSecondaryIndexes", lsis);
        if (!gsis.isEmpty()) d.set("GlobalSecondaryIndexes", gsis);
        applyStream(d, in.get("StreamSpecification"), now);
        applySse(ctx, d, in.get("SSESpecification"));
        d.set("TableClassSummary", Values.object().put("TableClass", in.path("TableClass").asText("STANDARD")));
        d.put("DeletionProtectionEnabled", in.path("DeletionProtectionEnabled").asBoolean(false));
        ObjectNode record = Values.object().put("id", id);
        record.set("description", d);
        ObjectNode tags = Values.object();
        for (JsonNode t : in.path("Tags")) tags.put(t.get("Key").asText(), t.get("Value").asText());
        record.set("tags", tags);
        store.transaction(() -> {
            if (records.get(recordKey(ctx, name)) != null) throw new AwsException("ResourceInUseException", "Table already exists: " + name, 400);
            save(ctx, record);
            streams.sync(d, false);
        });
        ObjectNode out = describe(new TableDef(record), false);
        out.put("TableStatus", "CREATING");
        return Values.object().set("TableDescription", out);
    }

    private static void checkName(String name, String member) {
        if (name.length() < 3) {
            throw AwsException.validation("1 validation error detected: Value '" + name + "' at '" + member + "' failed to satisfy constraint: Member must have length greater than or equal to 3");
        }
        if (name.length() > 255) {
            throw AwsException.validation("1 validation error detected: Value '" + name + "' at '" + member + "' failed to satisfy constraint: Member must have length less than or equal to 255");
        }
        if (!NAME.matcher(name).matches()) {
            throw AwsException.validation("1 validation error detected: Value '" + name + "' at '" + member + "' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
        }
    }

    private static void checkSchema(JsonNode schema, Map<String, String> types, Set<String> used, String index) {
        int hashes = 0, ranges = 0;
        List<String> missing = new ArrayList<>();
        for (JsonNode k : schema) {
            String n = k.get("AttributeName").asText();
            if (k.get("KeyType").asText().equals("HASH")) hashes++;
            else ranges++;
            if (!types.containsKey(n)) missing.add(n);
            used.add(n);
        }
        if (!missing.isEmpty()) {
            throw AwsException.validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: "
                    + missing + ", AttributeDefinitions: " + new ArrayList<>(types.keySet()));
        }
        if (hashes != 1 || ranges > 1 || (ranges == 1 && !schema.get(0).get("KeyType").asText().equals("HASH"))) {
            throw AwsException.validation(index == null ? "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
                    : "One or more parameter values were invalid: Invalid KeySchema for index " + index);
        }
        for (JsonNode k : schema) {
            String t = types.get(k.get("AttributeName").asText());
            if (!t.equals("S") && !t.equals("N") && !t.equals("B")) {
                throw AwsException.validation("One or more parameter values were invalid: Member must satisfy enum value set: [B, N, S]");
            }
        }
    }

    private static void checkThroughput(String billing, JsonNode pt) {
        if (billing.equals("PROVISIONED") && (pt == null || !pt.has("ReadCapacityUnits") || !pt.has("WriteCapacityUnits"))) {
            throw AwsException.validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
        }
        if (billing.equals("PAY_PER_REQUEST") && pt != null && !pt.isNull()) {
            throw AwsException.validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
        }
    }

    private static ObjectNode throughput(String billing, JsonNode pt) {
        boolean provisioned = billing.equals("PROVISIONED") && pt != null;
        return Values.object().put("NumberOfDecreasesToday", 0)
                .put("ReadCapacityUnits", provisioned ? pt.get("ReadCapacityUnits").asLong() : 0)
                .put("WriteCapacityUnits", provisioned ? pt.get("WriteCapacityUnits").asLong() : 0);
    }

    private static ObjectNode gsi(ObjectNode table, JsonNode g, String billing) {
        String iname = g.get("IndexName").asText();
        if (billing.equals("PROVISIONED") && (g.get("ProvisionedThroughput") == null || g.get("ProvisionedThroughput").isNull())) {
            throw AwsException.validation("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: " + iname);
        }
        return Values.object().put("IndexName", iname).<ObjectNode>set("KeySchema", g.get("KeySchema")).<ObjectNode>set("Projection", g.get("Projection"))
                .put("IndexStatus", "ACTIVE").<ObjectNode>set("ProvisionedThroughput", throughput(billing, g.get("ProvisionedThroughput")))
                .put("IndexSizeBytes", 0).put("ItemCount", 0).put("IndexArn", table.get("TableArn").asText() + "/index/" + iname);
    }

    private static void applyStream(ObjectNode d, JsonNode spec, Instant now) {
        if (spec == null || spec.isNull()) return;
        boolean enabled = spec.path("StreamEnabled").asBoolean(false);
        if (enabled && !spec.has("StreamViewType")) {
            throw AwsException.validation("One or more parameter values were invalid: StreamViewType must be specified when StreamEnabled is true");
        }
        if (enabled) {
            if (d.path("StreamSpecification").path("StreamEnabled").asBoolean(false)) {
                throw AwsException.validation("Table already has an enabled stream: " + d.get("TableArn").asText());
            }
            d.set("StreamSpecification", spec);
            String label = Values.iso8601(now).replace("Z", "");
            d.put("LatestStreamLabel", label);
            d.put("LatestStreamArn", d.get("TableArn").asText() + "/stream/" + label);
        } else {
            d.set("StreamSpecification", Values.object().put("StreamEnabled", false));
        }
    }

    private static void applySse(RequestContext ctx, ObjectNode d, JsonNode sse) {
        if (sse == null || sse.isNull() || !sse.path("Enabled").asBoolean(false)) {
            d.remove("SSEDescription");
            return;
        }
        String key = sse.path("KMSMasterKeyId").asText(ctx.arn("kms", "key/aws/dynamodb"));
        d.set("SSEDescription", Values.object().put("Status", "ENABLED").put("SSEType", "KMS").put("KMSMasterKeyArn", key));
    }

    // ---- DescribeTable

    JsonNode describe(RequestContext ctx, ObjectNode in) {
        String name = nameOf(Values.text(in, "TableName"));
        TableDef t = find(ctx, name);
        if (t == null) throw new AwsException("ResourceNotFoundException", "Requested resource not found: Table: " + name + " not found", 400);
        return Values.object().set("Table", describe(t, true));
    }

    /** The description with live item counts and sizes (DynamoDB refreshes these every few hours; here they are exact). */
    ObjectNode describe(TableDef t, boolean counts) {
        ObjectNode d = t.description.deepCopy();
        if (!counts) return d;
        long[] base = stats(t.prefix());
        d.put("ItemCount", base[0]).put("TableSizeBytes", base[1]);
        for (String kind : List.of("GlobalSecondaryIndexes", "LocalSecondaryIndexes")) {
            for (JsonNode i : d.path(kind)) {
                long[] s = stats(t.prefix(t.index(i.get("IndexName").asText())));
                ((ObjectNode) i).put("ItemCount", s[0]).put("IndexSizeBytes", s[1]);
            }
        }
        return d;
    }

    private long[] stats(String prefix) {
        long count = 0, bytes = 0;
        Iterator<Table.Entry> it = items.iterate(prefix, null, 1000);
        while (it.hasNext()) {
            count++;
            bytes += AttributeValues.itemSize(Items.decode(it.next().value()));
        }
        return new long[] {count, bytes};
    }

    // ---- ListTables

    JsonNode list(RequestContext ctx, ObjectNode in) {
        int limit = Values.integer(in, "Limit", 100);
        String start = Values.text(in, "ExclusiveStartTableName", null);
        String prefix = ctx.accountId() + "/" + ctx.region() + "/";
        List<Table.Entry> page = records.scan(prefix, start == null ? null : prefix + start, limit + 1);
        ArrayNode names = Values.array();
        for (int i = 0; i < Math.min(limit, page.size()); i++) names.add(page.get(i).key().substring(prefix.length()));
        ObjectNode out = Values.object().set("TableNames", names);
        if (page.size() > limit) out.put("LastEvaluatedTableName", names.get(names.size() - 1).asText());
        return out;
    }

    // ---- DeleteTable

    JsonNode delete(RequestContext ctx, ObjectNode in) {
        TableDef t = get(ctx, Values.text(in, "TableName"));
        if (t.description.path("DeletionProtectionEnabled").asBoolean(false)) {
            throw AwsException.validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.");
        }
        ObjectNode d = describe(t, true);
        String key = recordKey(ctx, t.name);
        store.transaction(() -> {
            records.delete(key);
            cache.remove(key);
            streams.sync(t.description, true);
        });
        // Items go in the background, a batch per transaction: a big table must not hold the store's one writer.
        Thread.ofVirtual().name("dynamodb-drop-" + t.name).start(() -> drop(t));
        d.put("TableStatus", "DELETING");
        return Values.object().set("TableDescription", d);
    }

    private void drop(TableDef t) {
        List<String> prefixes = new ArrayList<>();
        prefixes.add(t.prefix());
        for (TableDef.Index i : t.indexes) prefixes.add(t.prefix(i));
        try {
            for (String prefix : prefixes) {
                while (true) {
                    List<Table.Entry> batch = items.scan(prefix, null, 500);
                    if (batch.isEmpty()) break;
                    store.transaction(() -> batch.forEach(e -> items.delete(e.key())));
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "dropping the items of table " + t.name + " stopped (store closed?)", e);
        }
    }

    // ---- UpdateTable

    JsonNode update(RequestContext ctx, ObjectNode in, Items itemOps) {
        String name = nameOf(Values.text(in, "TableName"));
        TableDef result;
        try {
            result = update(ctx, in, itemOps, name);
        } catch (RuntimeException e) {
            cache.remove(recordKey(ctx, name)); // the record may have been cached by a save that rolled back
            throw e;
        }
        return Values.object().set("TableDescription", describe(result, false));
    }

    private TableDef update(RequestContext ctx, ObjectNode in, Items itemOps, String name) {
        return store.transaction(() -> {
            TableDef t = get(ctx, name);
            ObjectNode record = t.record.deepCopy();
            ObjectNode d = (ObjectNode) record.get("description");
            Instant now = Instant.now();
            Map<String, String> types = new LinkedHashMap<>();
            for (JsonNode a : d.path("AttributeDefinitions")) types.put(a.get("AttributeName").asText(), a.get("AttributeType").asText());
            for (JsonNode a : in.path("AttributeDefinitions")) types.put(a.get("AttributeName").asText(), a.get("AttributeType").asText());
            String billing = in.path("BillingMode").asText(d.path("BillingModeSummary").path("BillingMode").asText("PROVISIONED"));
            if (in.has("BillingMode") || in.has("ProvisionedThroughput")) {
                JsonNode pt = in.get("ProvisionedThroughput");
                if (billing.equals("PAY_PER_REQUEST") && pt != null && !pt.isNull()) checkThroughput(billing, pt);
                if (billing.equals("PROVISIONED") && pt == null) checkThroughput(billing, null);
                d.set("ProvisionedThroughput", throughput(billing, pt));
                ((ObjectNode) d.get("BillingModeSummary")).put("BillingMode", billing).set("LastUpdateToPayPerRequestDateTime", Values.timestamp(now));
            }
            if (in.has("StreamSpecification")) applyStream(d, in.get("StreamSpecification"), now);
            if (in.has("SSESpecification")) applySse(ctx, d, in.get("SSESpecification"));
            if (in.has("DeletionProtectionEnabled")) d.put("DeletionProtectionEnabled", in.get("DeletionProtectionEnabled").asBoolean());
            if (in.has("TableClass")) d.set("TableClassSummary", Values.object().put("TableClass", in.get("TableClass").asText()));
            List<String> created = new ArrayList<>();
            for (JsonNode u : in.path("GlobalSecondaryIndexUpdates")) {
                ArrayNode gsis = d.has("GlobalSecondaryIndexes") ? (ArrayNode) d.get("GlobalSecondaryIndexes") : Values.array();
                if (u.has("Create")) {
                    JsonNode c = u.get("Create");
                    String iname = c.get("IndexName").asText();
                    checkName(iname, "indexName");
                    if (t.index(iname) != null) throw AwsException.validation("One or more parameter values were invalid: Index with name " + iname + " already exists");
                    checkSchema(c.get("KeySchema"), types, new LinkedHashSet<>(), iname);
                    gsis.add(gsi(d, c, billing));
                    created.add(iname);
                } else if (u.has("Delete")) {
                    String iname = u.get("Delete").get("IndexName").asText();
                    int at = -1;
                    for (int i = 0; i < gsis.size(); i++) if (gsis.get(i).get("IndexName").asText().equals(iname)) at = i;
                    if (at < 0) throw new AwsException("ResourceNotFoundException", "Requested resource not found: Index: " + iname + " not found", 400);
                    gsis.remove(at);
                    itemOps.dropIndex(t, t.index(iname));
                } else if (u.has("Update")) {
                    String iname = u.get("Update").get("IndexName").asText();
                    for (JsonNode g : gsis) {
                        if (g.get("IndexName").asText().equals(iname)) ((ObjectNode) g).set("ProvisionedThroughput", throughput(billing, u.get("Update").get("ProvisionedThroughput")));
                    }
                }
                if (gsis.isEmpty()) d.remove("GlobalSecondaryIndexes");
                else d.set("GlobalSecondaryIndexes", gsis);
            }
            ArrayNode defs = Values.array();
            Set<String> used = new LinkedHashSet<>();
            for (JsonNode k : d.get("KeySchema")) used.add(k.get("AttributeName").asText());
            for (String kind : List.of("GlobalSecondaryIndexes", "LocalSecondaryIndexes")) {
                for (JsonNode i : d.path(kind)) for (JsonNode k : i.get("KeySchema")) used.add(k.get("AttributeName").asText());
            }
            for (String n : used) defs.add(Values.object().put("AttributeName", n).put("AttributeType", types.get(n)));
            d.set("AttributeDefinitions", defs);
            save(ctx, record);
            if (!d.path("LatestStreamArn").equals(t.description.path("LatestStreamArn"))) streams.sync(t.description, true);
            streams.sync(d, false);
            TableDef updated = find(ctx, name);
            for (String iname : created) itemOps.backfill(updated, updated.index(iname));
            return updated;
        });
    }

    // ---- tags

    private TableDef byArn(RequestContext ctx, String arn) {
        TableDef t = arn.startsWith("arn:") ? find(ctx, nameOf(arn)) : null;
        if (t == null || !t.arn().equals(arn)) {
            throw new AwsException("ResourceNotFoundException", "Requested resource not found: ResourcArn: " + arn + " not found", 400);
        }
        return t;
    }

    JsonNode tag(RequestContext ctx, ObjectNode in) {
        store.transaction(() -> {
            TableDef t = byArn(ctx, Values.text(in, "ResourceArn"));
            ObjectNode record = t.record.deepCopy();
            ObjectNode tags = record.has("tags") ? (ObjectNode) record.get("tags") : Values.object();
            for (JsonNode tag : in.path("Tags")) tags.put(tag.get("Key").asText(), tag.get("Value").asText());
            record.set("tags", tags);
            save(ctx, record);
        });
        return null;
    }

    JsonNode untag(RequestContext ctx, ObjectNode in) {
        store.transaction(() -> {
            TableDef t = byArn(ctx, Values.text(in, "ResourceArn"));
            ObjectNode record = t.record.deepCopy();
            ObjectNode tags = record.has("tags") ? (ObjectNode) record.get("tags") : Values.object();
            for (JsonNode k : in.path("TagKeys")) tags.remove(k.asText());
            record.set("tags", tags);
            save(ctx, record);
        });
        return null;
    }

    JsonNode listTags(RequestContext ctx, ObjectNode in) {
        TableDef t = byArn(ctx, Values.text(in, "ResourceArn"));
        ArrayNode tags = Values.array();
        t.record.path("tags").fields().forEachRemaining(e -> tags.add(Values.object().put("Key", e.getKey()).put("Value", e.getValue().asText())));
        return Values.object().set("Tags", tags);
    }

    // ---- time to live

    JsonNode updateTtl(RequestContext ctx, ObjectNode in) {
        JsonNode spec = in.get("TimeToLiveSpecification");
        store.transaction(() -> {
            TableDef t = get(ctx, Values.text(in, "TableName"));
            ObjectNode record = t.record.deepCopy();
            boolean enabled = spec.path("Enabled").asBoolean();
            boolean was = record.path("ttl").path("TimeToLiveStatus").asText("DISABLED").equals("ENABLED");
            if (enabled == was) {
                throw AwsException.validation(enabled ? "TimeToLive is already enabled" : "TimeToLive is already disabled");
            }
            ObjectNode ttl = Values.object().put("TimeToLiveStatus", enabled ? "ENABLED" : "DISABLED");
            if (enabled) ttl.put("AttributeName", spec.get("AttributeName").asText());
            record.set("ttl", ttl);
            save(ctx, record);
        });
        return Values.object().set("TimeToLiveSpecification", spec);
    }

    JsonNode describeTtl(RequestContext ctx, ObjectNode in) {
        TableDef t = get(ctx, Values.text(in, "TableName"));
        JsonNode ttl = t.record.get("ttl");
        return Values.object().set("TimeToLiveDescription", ttl == null ? Values.object().put("TimeToLiveStatus", "DISABLED") : ttl.deepCopy());
    }

    /** Every table of every account and region (the TTL sweep walks them). */
    List<TableDef> all() {
        List<TableDef> out = new ArrayList<>();
        Iterator<Table.Entry> it = records.iterate("", null, 100);
        while (it.hasNext()) out.add(new TableDef((ObjectNode) it.next().json()));
        return out;
    }
}
