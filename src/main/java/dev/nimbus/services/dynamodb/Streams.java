package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import dev.nimbus.services.StreamRecords;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * DynamoDB Streams (dynamodbstreams 2012-08-10): a table's changes as records in AWS's format,
 * written by {@link #record} in the same store transaction as the item change, and read with
 * ListStreams, DescribeStream, GetShardIterator and GetRecords, or inside Nimbus as
 * {@link StreamRecords} (Lambda's event source mappings). Each stream has one shard; its records
 * are numbered in write order.
 *
 * Store: "dynamodb.streams" holds each stream's description under account/region/table/label
 * (kept after the stream or table goes, as AWS keeps a stream readable for 24 hours);
 * "dynamodb.records" its records under streamArn/sequence-number.
 */
public final class Streams implements AwsService, StreamRecords {
    private static final String SEQUENCE_FORMAT = "%021d";

    private final Table streams;
    private final Table records;

    public Streams(Store store) {
        this.streams = store.table("dynamodb.streams");
        this.records = store.table("dynamodb.records");
    }

    @Override
    public String modelName() {
        return "dynamodbstreams";
    }

    @Override
    public void register(Operations ops) {
        ops.add("ListStreams", this::listStreams)
                .add("DescribeStream", this::describeStream)
                .add("GetShardIterator", this::getShardIterator)
                .add("GetRecords", this::getRecords);
    }

    private static String[] parts(String streamArn) {
        // arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL
        String[] arn = streamArn.split(":", 6);
        if (arn.length < 6) return null;
        String[] res = arn[5].split("/");
        if (res.length != 4 || !res[0].equals("table") || !res[2].equals("stream")) return null;
        return new String[] {arn[4], arn[3], res[1], res[3]};
    }

    private static String key(String streamArn) {
        String[] p = parts(streamArn);
        return p == null ? null : p[0] + "/" + p[1] + "/" + p[2] + "/" + p[3];
    }

    /** After a table's description changed (created, stream switched, deleted): its latest stream's state follows. */
    void sync(ObjectNode table, boolean tableDeleted) {
        String arn = table.path("LatestStreamArn").asText(null);
        if (arn == null) return;
        String key = key(arn);
        JsonNode spec = table.path("StreamSpecification");
        boolean enabled = !tableDeleted && spec.path("StreamEnabled").asBoolean(false);
        ObjectNode s = (ObjectNode) streams.getJson(key);
        if (s == null) {
            s = Values.object().put("StreamArn", arn).put("StreamLabel", table.get("LatestStreamLabel").asText()).put("TableName", table.get("TableName").asText());
            s.set("KeySchema", table.get("KeySchema"));
            s.set("CreationRequestDateTime", Values.timestamp(Instant.now()));
            s.put("StreamViewType", spec.path("StreamViewType").asText());
            s.put("ShardId", "shardId-" + String.format("%020d", Instant.now().toEpochMilli()) + "-" + table.get("TableId").asText().substring(0, 8));
        }
        String status = enabled ? "ENABLED" : "DISABLED";
        if (status.equals(s.path("StreamStatus").asText())) return;
        s.put("StreamStatus", status);
        streams.putJson(key, s);
    }

    boolean enabled(TableDef t) {
        return t.description.path("StreamSpecification").path("StreamEnabled").asBoolean(false);
    }

    /** Appends the record of one item change, when the table's stream is on and the item changed; inside the write's transaction. */
    void record(TableDef t, ObjectNode old, ObjectNode item, boolean byTtl) {
        if (!enabled(t)) return;
        JsonNode spec = t.description.path("StreamSpecification");
        if (old != null && item != null && AttributeValues.equal(AttributeValues.of("M", old), AttributeValues.of("M", item))) return;
        String arn = t.description.get("LatestStreamArn").asText();
        String view = spec.path("StreamViewType").asText();
        List<Table.Entry> last = records.range(arn + "/", true, Queries.successor(arn + "/"), false, true, 1);
        long seq = last.isEmpty() ? 100000000000000000L : Long.parseLong(last.get(0).key().substring(arn.length() + 1)) + 1;
        String sequence = String.format(SEQUENCE_FORMAT, seq);
        ObjectNode dynamodb = Values.object();
        dynamodb.set("ApproximateCreationDateTime", Values.NODES.numberNode(Instant.now().getEpochSecond()));
        dynamodb.set("Keys", t.keyOf(item != null ? item : old, null));
        if (item != null && (view.equals("NEW_IMAGE") || view.equals("NEW_AND_OLD_IMAGES"))) dynamodb.set("NewImage", item);
        if (old != null && (view.equals("OLD_IMAGE") || view.equals("NEW_AND_OLD_IMAGES"))) dynamodb.set("OldImage", old);
        dynamodb.put("SequenceNumber", sequence);
        dynamodb.put("SizeBytes", AttributeValues.itemSize(dynamodb.get("Keys")) + (item == null ? 0 : AttributeValues.itemSize(item))
                + (old == null ? 0 : AttributeValues.itemSize(old)));
        dynamodb.put("StreamViewType", view);
        ObjectNode r = Values.object().put("eventID", UUID.randomUUID().toString().replace("-", ""))
                .put("eventName", old == null ? "INSERT" : item == null ? "REMOVE" : "MODIFY")
                .put("eventVersion", "1.1").put("eventSource", "aws:dynamodb").put("awsRegion", t.arn().split(":")[3]);
        r.set("dynamodb", dynamodb);
        if (byTtl) r.set("userIdentity", Values.object().put("PrincipalId", "dynamodb.amazonaws.com").put("Type", "Service"));
        records.put(arn + "/" + sequence, Items.encode(r));
    }

    private ObjectNode stream(String arn) {
        String key = key(arn);
        JsonNode s = key == null ? null : streams.getJson(key);
        if (s == null) throw new AwsException("ResourceNotFoundException", "Requested resource not found: Stream: " + arn + " not found", 400);
        return (ObjectNode) s;
    }

    /**
     * Drops records older than 24 hours, as DynamoDB Streams keeps them no longer; one pass over
     * every stream, reading only the expired records (they come first, in sequence order).
     */
    long trim(Store store, Instant now) {
        long cutoff = now.getEpochSecond() - 24 * 3600, dropped = 0;
        java.util.Iterator<Table.Entry> all = streams.iterate("", null, 100);
        while (all.hasNext()) {
            String arn = all.next().json().get("StreamArn").asText();
            while (true) {
                List<Table.Entry> page = records.scan(arn + "/", null, 500);
                List<String> old = new java.util.ArrayList<>();
                for (Table.Entry e : page) {
                    if (Items.decode(e.value()).get("dynamodb").get("ApproximateCreationDateTime").asLong() >= cutoff) break;
                    old.add(e.key());
                }
                if (old.isEmpty()) break;
                store.transaction(() -> old.forEach(records::delete));
                dropped += old.size();
                if (old.size() < page.size()) break;
            }
        }
        return dropped;
    }

    @Override
    public String shardId(String streamArn) {
        String key = key(streamArn);
        JsonNode s = key == null ? null : streams.getJson(key);
        return s == null ? null : s.get("ShardId").asText();
    }

    @Override
    public long end(String streamArn) {
        List<Table.Entry> last = records.range(streamArn + "/", true, Queries.successor(streamArn + "/"), false, true, 1);
        return last.isEmpty() ? 0 : Long.parseLong(last.get(0).key().substring(streamArn.length() + 1)) + 1;
    }

    @Override
    public List<StreamRecords.Entry> read(String streamArn, long from, int max) {
        List<StreamRecords.Entry> out = new ArrayList<>();
        for (Table.Entry e : records.range(streamArn + "/" + String.format(SEQUENCE_FORMAT, from), true, Queries.successor(streamArn + "/"), false, false, max)) {
            out.add(new StreamRecords.Entry(Long.parseLong(e.key().substring(streamArn.length() + 1)), Items.decode(e.value())));
        }
        return out;
    }

    private JsonNode listStreams(RequestContext ctx, ObjectNode in) {
        String table = Values.text(in, "TableName", null);
        int limit = Values.integer(in, "Limit", 100);
        String prefix = ctx.accountId() + "/" + ctx.region() + "/" + (table == null ? "" : Tables.nameOf(table) + "/");
        String start = Values.text(in, "ExclusiveStartStreamArn", null);
        List<Table.Entry> page = streams.scan(prefix, start == null ? null : key(start), limit + 1);
        ArrayNode out = Values.array();
        for (int i = 0; i < Math.min(limit, page.size()); i++) {
            JsonNode s = page.get(i).json();
            out.add(Values.object().put("StreamArn", s.get("StreamArn").asText()).put("TableName", s.get("TableName").asText()).put("StreamLabel", s.get("StreamLabel").asText()));
        }
        ObjectNode res = Values.object().set("Streams", out);
        if (page.size() > limit) res.put("LastEvaluatedStreamArn", out.get(out.size() - 1).get("StreamArn").asText());
        return res;
    }

    private JsonNode describeStream(RequestContext ctx, ObjectNode in) {
        ObjectNode s = stream(Values.text(in, "StreamArn"));
        String arn = s.get("StreamArn").asText();
        ObjectNode d = s.deepCopy();
        d.remove("ShardId");
        ObjectNode range = Values.object();
        List<Table.Entry> first = records.scan(arn + "/", null, 1);
        range.put("StartingSequenceNumber", first.isEmpty() ? String.format(SEQUENCE_FORMAT, 100000000000000000L) : first.get(0).key().substring(arn.length() + 1));
        if (s.get("StreamStatus").asText().equals("DISABLED")) {
            List<Table.Entry> last = records.range(arn + "/", true, Queries.successor(arn + "/"), false, true, 1);
            if (!last.isEmpty()) range.put("EndingSequenceNumber", last.get(0).key().substring(arn.length() + 1));
        }
        d.set("Shards", Values.array().add(Values.object().put("ShardId", s.get("ShardId").asText()).set("SequenceNumberRange", range)));
        return Values.object().set("StreamDescription", d);
    }

    private static String iterator(String arn, long next) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((arn + "\n" + next).getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode getShardIterator(RequestContext ctx, ObjectNode in) {
        ObjectNode s = stream(Values.text(in, "StreamArn"));
        String arn = s.get("StreamArn").asText();
        if (!s.get("ShardId").asText().equals(Values.text(in, "ShardId"))) {
            throw new AwsException("ResourceNotFoundException", "Requested resource not found: Shard does not exist", 400);
        }
        String type = Values.text(in, "ShardIteratorType");
        long next = switch (type) {
            case "TRIM_HORIZON" -> 0;
            case "LATEST" -> end(arn);
            default -> {
                String seq = Values.text(in, "SequenceNumber", null);
                if (seq == null) throw AwsException.validation("Must specify a sequence number with iterator type " + type);
                long n;
                try {
                    n = Long.parseLong(seq);
                } catch (NumberFormatException e) {
                    throw AwsException.validation("Invalid SequenceNumber: " + seq);
                }
                yield type.equals("AT_SEQUENCE_NUMBER") ? n : n + 1;
            }
        };
        return Values.object().put("ShardIterator", iterator(arn, next));
    }

    private JsonNode getRecords(RequestContext ctx, ObjectNode in) {
        String it = Values.text(in, "ShardIterator");
        String arn;
        long next;
        try {
            String[] p = new String(Base64.getUrlDecoder().decode(it), StandardCharsets.UTF_8).split("\n");
            arn = p[0];
            next = Long.parseLong(p[1]);
        } catch (RuntimeException e) {
            throw AwsException.validation("Invalid ShardIterator");
        }
        ObjectNode s = stream(arn);
        int limit = Values.integer(in, "Limit", 1000);
        List<Table.Entry> page = records.range(arn + "/" + String.format(SEQUENCE_FORMAT, next), true, Queries.successor(arn + "/"), false, false, limit);
        ArrayNode out = Values.array();
        long after = next;
        for (Table.Entry e : page) {
            out.add(Items.decode(e.value()));
            after = Long.parseLong(e.key().substring(arn.length() + 1)) + 1;
        }
        ObjectNode res = Values.object().set("Records", out);
        // A disabled stream's shard is closed: once read to its end, no next iterator.
        boolean closed = s.get("StreamStatus").asText().equals("DISABLED") && page.size() < limit;
        if (!closed) res.put("NextShardIterator", iterator(arn, after));
        return res;
    }
}
