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
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
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
 * logs.events   ACCT/REGION/group:stream:POSITION -> a chunk: events of one put that fall in one
 *               minute, packed in binary (see {@link Chunk}): events are the bulk of the data, so no
 *               JSON, and a row per event made the store's per-row cost most of ingest and of scans.
 *               An event's POSITION is its 15-digit timestamp then its 10-digit per-stream sequence
 *               number (events scan in timestamp order, events of equal time in arrival order); a
 *               chunk's key holds its first event's position. Chunks of one stream may overlap in
 *               time (puts need not come in time order), so a scan merges them; a chunk spans less
 *               than a minute, so a scan from time T starts at T's minute.
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
    /** the most chunks read at once: each holds up to a put's worth (1 MB) of events */
    private static final int CHUNK_BATCH = 16;
    static final long MINUTE = 60_000L;

    /** An event to append: epoch millis and message. */
    public record InputEvent(long timestamp, String message) {}

    /** A stored event of one stream. */
    record Event(String stream, long timestamp, long seq, String message, long ingestionTime) {
        String position() {
            return Logs.position(timestamp, seq);
        }

        /** Position order: timestamp, then sequence. */
        int compareTo(Event o) {
            int c = Long.compare(timestamp, o.timestamp);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

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

    /** A 56-digit event id unique in the group, like AWS's: the position, then the stream (its name's hash). */
    static String eventId(String stream, long timestamp, long seq) {
        String hash = Long.toString(Integer.toUnsignedLong(stream.hashCode()));
        return position(timestamp, seq) + "0".repeat(31 - hash.length()) + hash;
    }

    static long timestampOf(String position) {
        return Long.parseLong(position.substring(0, 15));
    }

    static long seqOf(String position) {
        return Long.parseLong(position.substring(15, 25));
    }

    /**
     * A chunk's binary form: the ingestion time (8 bytes), the event count (4), then per event its
     * timestamp (8), sequence number (8), message length (4) and message (UTF-8), in position order.
     */
    static final class Chunk {
        static byte[] encode(long ingestionTime, long[] timestamps, long[] seqs, byte[][] messages, int from, int to) {
            int size = 12;
            for (int i = from; i < to; i++) size += 20 + messages[i].length;
            ByteBuffer b = ByteBuffer.allocate(size).putLong(ingestionTime).putInt(to - from);
            for (int i = from; i < to; i++) b.putLong(timestamps[i]).putLong(seqs[i]).putInt(messages[i].length).put(messages[i]);
            return b.array();
        }

        static int count(byte[] chunk) {
            return ByteBuffer.wrap(chunk).getInt(8);
        }

        /** The chunk's events in position order. */
        static List<Event> decode(String stream, byte[] chunk) {
            ByteBuffer b = ByteBuffer.wrap(chunk);
            long ingestion = b.getLong();
            int n = b.getInt();
            List<Event> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long ts = b.getLong(), seq = b.getLong();
                int len = b.getInt();
                out.add(new Event(stream, ts, seq, new String(chunk, b.position(), len, StandardCharsets.UTF_8), ingestion));
                b.position(b.position() + len);
            }
            return out;
        }

        static byte[] encode(List<Event> events) {
            long[] ts = new long[events.size()], seqs = new long[events.size()];
            byte[][] messages = new byte[events.size()][];
            for (int i = 0; i < events.size(); i++) {
                ts[i] = events.get(i).timestamp();
                seqs[i] = events.get(i).seq();
                messages[i] = events.get(i).message().getBytes(StandardCharsets.UTF_8);
            }
            return encode(events.getFirst().ingestionTime(), ts, seqs, messages, 0, events.size());
        }
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
            long[] timestamps = new long[batch.size()], seqs = new long[batch.size()];
            for (int i = first; i < last; i++) {
                timestamps[i] = batch.get(i).timestamp();
                seqs[i] = ++seq;
                stored += utf8[i].length;
            }
            // One chunk per minute the stored events fall in.
            for (int from = first; from < last; ) {
                int to = from + 1;
                long minute = Math.floorDiv(timestamps[from], MINUTE);
                while (to < last && Math.floorDiv(timestamps[to], MINUTE) == minute) to++;
                events.put(prefix + position(timestamps[from], seqs[from]), Chunk.encode(now, timestamps, seqs, utf8, from, to));
                from = to;
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
     * A stream's events in position order, from after {@code afterPosition} (a position, or a bare
     * timestamp: from that millisecond on) or the first event at or
     * after {@code fromTimestamp}), read lazily; events past retention are skipped. Chunks are read
     * in key order (their first event's position) and merged: a chunk is opened once the smallest
     * event not yet returned is not before its first event.
     */
    Iterator<Event> scan(String streamKey, String stream, String afterPosition, long fromTimestamp, long cutoff) {
        String prefix = streamKey + ":";
        long from = Math.max(fromTimestamp, cutoff);
        long afterTs = afterPosition == null ? Long.MIN_VALUE : timestampOf(afterPosition);
        // A bare 15-digit timestamp as afterPosition keeps that millisecond's events (FilterLogEvents' resume of a later stream).
        long afterSeq = afterPosition == null ? Long.MIN_VALUE : afterPosition.length() == 15 ? -1 : seqOf(afterPosition);
        long low = Math.max(from, afterTs);
        // A key longer than the bare padded time sorts after it: "after minute M's padded time" starts at minute M.
        String startAfter = low <= 0 ? null : prefix + position(Math.floorDiv(low, MINUTE) * MINUTE, 0).substring(0, 15);
        Iterator<Table.Entry> chunks = chunks(prefix, startAfter);
        record Cursor(List<Event> events, int[] at) {
            Event head() {
                return events.get(at[0]);
            }
        }
        PriorityQueue<Cursor> open = new PriorityQueue<>((a, b) -> a.head().compareTo(b.head()));
        return new Iterator<>() {
            private Table.Entry pending = chunks.hasNext() ? chunks.next() : null;

            /** Opens every chunk that may hold the next event. */
            private void fill() {
                while (pending != null) {
                    String pos = pending.key().substring(prefix.length());
                    if (!open.isEmpty()) {
                        Event top = open.peek().head();
                        long ts = timestampOf(pos);
                        if (ts > top.timestamp() || (ts == top.timestamp() && seqOf(pos) > top.seq())) return;
                    }
                    List<Event> list = Chunk.decode(stream, pending.value());
                    int i = 0;
                    while (i < list.size() && skipped(list.get(i))) i++;
                    if (i < list.size()) open.add(new Cursor(list, new int[] {i}));
                    pending = chunks.hasNext() ? chunks.next() : null;
                }
            }

            private boolean skipped(Event e) {
                return e.timestamp() < from || e.timestamp() < afterTs || (e.timestamp() == afterTs && e.seq() <= afterSeq);
            }

            @Override
            public boolean hasNext() {
                fill();
                return !open.isEmpty();
            }

            @Override
            public Event next() {
                if (!hasNext()) throw new NoSuchElementException();
                Cursor c = open.poll();
                Event e = c.head();
                if (++c.at()[0] < c.events().size()) open.add(c);
                return e;
            }
        };
    }

    /**
     * A stream's chunks in key order, read lazily a few first, then more at a time: a chunk may hold
     * a megabyte of events, and a page of a read often needs only the first one or two.
     */
    private Iterator<Table.Entry> chunks(String prefix, String startAfter) {
        return new Iterator<>() {
            private String cursor = startAfter;
            private List<Table.Entry> page = List.of();
            private int index;
            private int batch = 2;
            private boolean exhausted;

            @Override
            public boolean hasNext() {
                if (index < page.size()) return true;
                if (exhausted) return false;
                page = events.scan(prefix, cursor, batch);
                index = 0;
                exhausted = page.size() < batch;
                batch = Math.min(batch * 2, CHUNK_BATCH);
                if (!page.isEmpty()) cursor = page.getLast().key();
                return !page.isEmpty();
            }

            @Override
            public Table.Entry next() {
                if (!hasNext()) throw new NoSuchElementException();
                return page.get(index++);
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

    /** Removes the stream's events before the cutoff: whole chunks, and a straddling chunk rewritten without them. */
    private long sweepStream(String streamKey, long cutoff) {
        String prefix = streamKey + ":";
        String stream = streamKey.substring(streamKey.indexOf(':') + 1);
        long deleted = 0;
        // Chunks sort by their first event: those holding an event before the cutoff come first. Each
        // is handled as it is read (a backlog of expired chunks never sits in memory); a rewritten
        // chunk's new key is at or after the cutoff, where the scan stops.
        for (Iterator<Table.Entry> it = chunks(prefix, null); it.hasNext(); ) {
            Table.Entry e = it.next();
            if (timestampOf(e.key().substring(prefix.length())) >= cutoff) break;
            List<Event> kept = Chunk.decode(stream, e.value()).stream().filter(x -> x.timestamp() >= cutoff).toList();
            deleted += Chunk.count(e.value()) - kept.size();
            store.transaction(() -> {
                events.delete(e.key());
                if (!kept.isEmpty()) events.put(prefix + kept.getFirst().position(), Chunk.encode(kept));
            });
        }
        return deleted;
    }
}
