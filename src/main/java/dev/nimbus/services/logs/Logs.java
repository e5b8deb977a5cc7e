package dev.nimbus.services.logs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * CloudWatch Logs' durable state: log groups, their streams and the streams' events, per account
 * and region. Group names cannot hold ':' and stream names cannot hold ':' either, so ':' ends each
 * name in a key and a prefix scan never strays into a group or stream whose name merely starts alike.
 *
 * Tables (key -> value):
 * logs.groups   ACCT/REGION/group -> {logGroupName, creationTime, retentionInDays?, logGroupClass, tags}
 * logs.streams  ACCT/REGION/group:stream -> {logStreamName, creationTime, firstEventTimestamp,
 *               lastEventTimestamp, lastIngestionTime, storedBytes, seq}
 * logs.events   ACCT/REGION/group:stream:POSITION -> ingestion time (8 bytes, big-endian) then the
 *               message in UTF-8: events are the bulk of the data, so no JSON. POSITION is the
 *               15-digit timestamp then the 10-digit per-stream sequence number, so a stream's
 *               events scan in timestamp order and events of equal time in arrival order.
 * logs.queries  ACCT/REGION/queryId -> a finished Insights query with its results (kept 7 days).
 */
public final class Logs {
    static final long HOUR = 3_600_000L;
    static final long DAY = 24 * HOUR;
    /** AWS counts 26 bytes per event on top of its message's UTF-8 bytes towards the batch limit. */
    static final int EVENT_OVERHEAD = 26;
    static final int MAX_BATCH_BYTES = 1_048_576;
    static final int MAX_EVENT_BYTES = 262_144;
    static final List<Integer> RETENTION_DAYS = List.of(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
            2922, 3288, 3653);
    private static final Set<Integer> RETENTION_SET = Set.copyOf(RETENTION_DAYS);
    private static final int SCAN_BATCH = 500;

    /** An event to append: epoch millis and message. */
    public record InputEvent(long timestamp, String message) {}

    /** A stored event of one stream. */
    record Event(String stream, String position, long timestamp, String message, long ingestionTime) {}

    /** What PutLogEvents answers: the stream's new token and which events were set aside, or null when none. */
    public record PutResult(String nextSequenceToken, ObjectNode rejected) {}

    final Store store;
    final Table groups;
    final Table streams;
    final Table events;
    final Table queries;
    final InstantSource clock;

    public Logs(Store store, InstantSource clock) {
        this.store = store;
        this.clock = clock;
        this.groups = store.table("logs.groups");
        this.streams = store.table("logs.streams");
        this.events = store.table("logs.events");
        this.queries = store.table("logs.queries");
    }

    long now() {
        return clock.millis();
    }

    static String groupKey(String account, String region, String group) {
        return account + "/" + region + "/" + group;
    }

    static String streamKey(String account, String region, String group, String stream) {
        return groupKey(account, region, group) + ":" + stream;
    }

    static String position(long timestamp, long seq) {
        StringBuilder sb = new StringBuilder(25);
        pad(sb, timestamp, 15);
        pad(sb, seq, 10);
        return sb.toString();
    }

    /** Zero-padded decimal, built by hand: String.format, once per event, was a large share of ingest time. */
    private static void pad(StringBuilder sb, long value, int width) {
        String digits = Long.toString(value);
        for (int i = digits.length(); i < width; i++) sb.append('0');
        sb.append(digits);
    }

    static byte[] eventValue(long ingestionTime, byte[] message) {
        return ByteBuffer.allocate(8 + message.length).putLong(ingestionTime).put(message).array();
    }

    static long timestampOf(String position) {
        return Long.parseLong(position.substring(0, 15));
    }

    static AwsException invalidParameter(String message) {
        return new AwsException("InvalidParameterException", message, 400);
    }

    static AwsException groupNotFound() {
        return new AwsException("ResourceNotFoundException", "The specified log group does not exist.", 400);
    }

    static AwsException streamNotFound() {
        return new AwsException("ResourceNotFoundException", "The specified log stream does not exist.", 400);
    }

    static void checkRetention(int days) {
        if (!RETENTION_SET.contains(days)) {
            throw invalidParameter("1 validation error detected: Value '" + days + "' at 'retentionInDays' failed to satisfy constraint: "
                    + "Member must satisfy enum value set: " + RETENTION_DAYS);
        }
    }

    ObjectNode group(String account, String region, String group) {
        return (ObjectNode) groups.getJson(groupKey(account, region, group));
    }

    ObjectNode requireGroup(String account, String region, String group) {
        ObjectNode g = group(account, region, group);
        if (g == null) throw groupNotFound();
        return g;
    }

    /** Creates the group; false when it exists already. */
    boolean createGroup(String account, String region, String group, String logGroupClass, ObjectNode tags) {
        ObjectNode g = Values.object().put("logGroupName", group).put("creationTime", now()).put("logGroupClass", logGroupClass);
        g.set("tags", tags == null ? Values.object() : tags);
        return groups.putJsonIfAbsent(groupKey(account, region, group), g);
    }

    /** Creates the stream in an existing group; false when it exists already. */
    boolean createStream(String account, String region, String group, String stream) {
        ObjectNode s = Values.object().put("logStreamName", stream).put("creationTime", now()).put("storedBytes", 0).put("seq", 0);
        return streams.putJsonIfAbsent(streamKey(account, region, group, stream), s);
    }

    /** Removes the group, its streams and their events. */
    void deleteGroup(String account, String region, String group) {
        store.transaction(() -> {
            if (!groups.delete(groupKey(account, region, group))) throw groupNotFound();
            String prefix = groupKey(account, region, group) + ":";
            deleteAll(streams, prefix);
            deleteAll(events, prefix);
        });
    }

    void deleteStream(String account, String region, String group, String stream) {
        store.transaction(() -> {
            requireGroup(account, region, group);
            if (!streams.delete(streamKey(account, region, group, stream))) throw streamNotFound();
            deleteAll(events, streamKey(account, region, group, stream) + ":");
        });
    }

    private static void deleteAll(Table table, String prefix) {
        List<Table.Entry> batch;
        do {
            batch = table.scan(prefix, null, SCAN_BATCH);
            for (Table.Entry e : batch) table.delete(e.key());
        } while (batch.size() == SCAN_BATCH);
    }

    /** Events older than this are past the group's retention (Long.MIN_VALUE when it keeps them forever). */
    long retentionCutoff(ObjectNode group) {
        int days = group.path("retentionInDays").asInt(0);
        return days == 0 ? Long.MIN_VALUE : now() - days * DAY;
    }

    /**
     * PutLogEvents: validates the batch as AWS does, sets aside events too old, past retention or too
     * far ahead (reported as indexes), and stores the rest in one transaction. With {@code create},
     * a missing group and stream are created first (what Lambda's log shipping does).
     */
    PutResult put(String account, String region, String group, String stream, List<InputEvent> batch, boolean create) {
        long bytes = 0;
        byte[][] utf8 = new byte[batch.size()][];
        for (int i = 0; i < batch.size(); i++) {
            InputEvent e = batch.get(i);
            utf8[i] = e.message().getBytes(StandardCharsets.UTF_8);
            int size = utf8[i].length + EVENT_OVERHEAD;
            if (size > MAX_EVENT_BYTES) throw invalidParameter("Log event too large: " + size + " bytes exceeds limit of " + MAX_EVENT_BYTES);
            bytes += size;
            if (i > 0 && e.timestamp() < batch.get(i - 1).timestamp()) {
                throw invalidParameter("Log events in a single PutLogEvents request must be in chronological order.");
            }
        }
        if (bytes > MAX_BATCH_BYTES) throw invalidParameter("Upload too large: " + bytes + " bytes exceeds limit of " + MAX_BATCH_BYTES);
        if (!batch.isEmpty() && batch.get(batch.size() - 1).timestamp() - batch.get(0).timestamp() > DAY) {
            throw invalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
        }
        return store.transaction(() -> {
            if (create) {
                createGroup(account, region, group, "STANDARD", null);
                createStream(account, region, group, stream);
            }
            ObjectNode g = requireGroup(account, region, group);
            String key = streamKey(account, region, group, stream);
            ObjectNode s = (ObjectNode) streams.getJson(key);
            if (s == null) throw streamNotFound();
            long now = now();
            long tooOld = now - 14 * DAY;
            long tooNew = now + 2 * HOUR;
            long expired = retentionCutoff(g);
            // Events are in time order, so each kind of rejection is a run at one end of the batch.
            int first = 0;
            int last = batch.size();
            int tooOldEnd = -1;
            int expiredEnd = -1;
            while (first < last && (batch.get(first).timestamp() < tooOld || batch.get(first).timestamp() < expired)) {
                if (batch.get(first).timestamp() < tooOld) tooOldEnd = first;
                if (batch.get(first).timestamp() < expired) expiredEnd = first;
                first++;
            }
            while (last > first && batch.get(last - 1).timestamp() > tooNew) last--;
            long seq = s.path("seq").asLong();
            long stored = 0;
            String prefix = key + ":";
            for (int i = first; i < last; i++) {
                events.put(prefix + position(batch.get(i).timestamp(), ++seq), eventValue(now, utf8[i]));
                stored += utf8[i].length;
            }
            if (last > first) {
                long firstTs = batch.get(first).timestamp();
                long lastTs = batch.get(last - 1).timestamp();
                if (!s.has("firstEventTimestamp") || s.get("firstEventTimestamp").asLong() > firstTs) s.put("firstEventTimestamp", firstTs);
                if (!s.has("lastEventTimestamp") || s.get("lastEventTimestamp").asLong() < lastTs) s.put("lastEventTimestamp", lastTs);
                s.put("lastIngestionTime", now);
                s.put("storedBytes", s.path("storedBytes").asLong() + stored);
                s.put("seq", seq);
                streams.putJson(key, s);
                g.put("storedBytes", g.path("storedBytes").asLong() + stored);
                groups.putJson(groupKey(account, region, group), g);
            }
            ObjectNode rejected = null;
            if (tooOldEnd >= 0 || expiredEnd >= 0 || last < batch.size()) {
                rejected = Values.object();
                if (last < batch.size()) rejected.put("tooNewLogEventStartIndex", last);
                if (tooOldEnd >= 0) rejected.put("tooOldLogEventEndIndex", tooOldEnd);
                if (expiredEnd >= 0) rejected.put("expiredLogEventEndIndex", expiredEnd);
            }
            return new PutResult(sequenceToken(seq), rejected);
        });
    }

    /** The token AWS used to require on the next put (it no longer checks it): the stream's event count, zero-padded. */
    static String sequenceToken(long seq) {
        StringBuilder sb = new StringBuilder(56);
        pad(sb, seq, 56);
        return sb.toString();
    }

    /**
     * A stream's events in position order, from after {@code afterPosition} (or the first event at or
     * after {@code fromTimestamp}), read lazily in batches; events past retention are skipped.
     */
    Iterator<Event> scan(String streamKey, String stream, String afterPosition, long fromTimestamp, long cutoff) {
        String prefix = streamKey + ":";
        long from = Math.max(fromTimestamp, cutoff);
        String start = afterPosition;
        // A position longer than the bare timestamp sorts after it, so "after the padded timestamp" starts at that time.
        if (from > 0 && (start == null || timestampOf(start) < from)) start = position(from, 0).substring(0, 15);
        String startAfter = start == null ? null : prefix + start;
        Iterator<Table.Entry> entries = events.iterate(prefix, startAfter, SCAN_BATCH);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return entries.hasNext();
            }

            @Override
            public Event next() {
                Table.Entry e = entries.next();
                String pos = e.key().substring(prefix.length());
                ByteBuffer v = ByteBuffer.wrap(e.value());
                long ingestion = v.getLong();
                return new Event(stream, pos, timestampOf(pos), new String(e.value(), 8, e.value().length - 8, StandardCharsets.UTF_8), ingestion);
            }
        };
    }

    /** Names of the group's streams, in name order. */
    List<ObjectNode> streams(String account, String region, String group) {
        String prefix = groupKey(account, region, group) + ":";
        List<ObjectNode> out = new ArrayList<>();
        streams.iterate(prefix, null, SCAN_BATCH).forEachRemaining(e -> out.add((ObjectNode) e.json()));
        return out;
    }

    /**
     * Deletes the events that every group's retention has expired: what keeps a group's storage
     * bounded (reads already skip them), and Insights results older than the 7 days AWS keeps them.
     * Returns how many events were deleted.
     */
    long sweepExpired() {
        long queryCutoff = now() - 7 * DAY;
        List<String> oldQueries = new ArrayList<>();
        for (Table.Entry q : queries.scan("", null, Integer.MAX_VALUE)) {
            if (q.json().path("createTime").asLong() < queryCutoff) oldQueries.add(q.key());
        }
        if (!oldQueries.isEmpty()) store.transaction(() -> oldQueries.forEach(queries::delete));
        long deleted = 0;
        String after = null;
        List<Table.Entry> batch;
        do {
            batch = groups.scan("", after, SCAN_BATCH);
            for (Table.Entry g : batch) {
                after = g.key();
                ObjectNode group = (ObjectNode) g.json();
                long cutoff = retentionCutoff(group);
                if (cutoff == Long.MIN_VALUE) continue;
                for (Table.Entry s : streams.scan(g.key() + ":", null, Integer.MAX_VALUE)) deleted += sweepStream(s.key(), cutoff);
            }
        } while (batch.size() == SCAN_BATCH);
        return deleted;
    }

    private long sweepStream(String streamKey, long cutoff) {
        String prefix = streamKey + ":";
        long deleted = 0;
        while (true) {
            List<Table.Entry> batch = events.scan(prefix, null, SCAN_BATCH);
            List<String> old = new ArrayList<>();
            for (Table.Entry e : batch) {
                if (timestampOf(e.key().substring(prefix.length())) >= cutoff) break;
                old.add(e.key());
            }
            if (old.isEmpty()) return deleted;
            store.transaction(() -> old.forEach(events::delete));
            deleted += old.size();
            if (old.size() < batch.size()) return deleted;
        }
    }
}
