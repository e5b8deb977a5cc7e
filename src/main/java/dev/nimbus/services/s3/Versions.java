package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.codec.XmlShapes;
import dev.nimbus.store.Table;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Object versions. The key's current version (an object or a delete marker) stays in
 * {@code s3.objects} under "bucket/key", so reading the latest is one read and a bucket that never
 * had versioning does no work here at all. Noncurrent versions live in {@code s3.versions} under
 * "bucket/key" + SEP + the inverted sequence, so a key's versions are one range read, newest first.
 * A key has noncurrent versions only while it has a current one: deleting the current version
 * promotes the newest noncurrent one.
 *
 * <p>Records of versioned writes carry "seq" (a sequence, microseconds since the epoch or later)
 * and "vid" (the version id; absent for the "null" version); a delete marker has "marker": true; a
 * noncurrent version has "until" (when it stopped being current, for NoncurrentDays).
 */
final class Versions {
    static final String SEP = "\u0001";
    private static final int SUFFIX = SEP.length() + 16;
    private static final AtomicLong LAST = new AtomicLong();
    private static final SecureRandom RANDOM = new SecureRandom();

    final Table versions;

    Versions(Table versions) {
        this.versions = versions;
    }

    /** Increasing across restarts too (clock-based), so newer versions always sort first. */
    static long nextSeq() {
        long now = System.currentTimeMillis() * 1000;
        return LAST.updateAndGet(l -> Math.max(l + 1, now));
    }

    /** A version id: the sequence and 16 random bytes, 32 URL-safe characters (the length S3's ids have). */
    static String newId(long seq) {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        ByteBuffer.wrap(b).putLong(seq);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The sequence inside a version id, or InvalidArgument as S3 answers a version id it never issued. */
    static long seqOf(String versionId) {
        try {
            byte[] b = Base64.getUrlDecoder().decode(versionId);
            if (b.length == 24) return ByteBuffer.wrap(b).getLong();
        } catch (IllegalArgumentException e) {
            // falls through to the error S3 gives
        }
        throw S3Errors.invalidArgument("Invalid version id specified", "versionId", versionId);
    }

    static String vid(JsonNode r) {
        return r.path("vid").asText("null");
    }

    static boolean isMarker(JsonNode r) {
        return r != null && r.path("marker").asBoolean(false);
    }

    static String prefix(String bucket, String key) {
        return bucket + "/" + key + SEP;
    }

    private static String slot(String bucket, String key, long seq) {
        return prefix(bucket, key) + String.format("%016x", Long.MAX_VALUE - seq);
    }

    /** The object key of a row of s3.versions under "bucket/". */
    static String keyOf(String bucket, String row) {
        return row.substring(bucket.length() + 1, row.length() - SUFFIX);
    }

    /** The key's noncurrent versions, newest first, after the row {@code afterRow} (or null), at most {@code limit}. */
    List<Table.Entry> of(String bucket, String key, String afterRow, int limit) {
        String p = prefix(bucket, key);
        List<Table.Entry> out = new ArrayList<>();
        // a longer key that starts with this key and SEP shares the prefix: its rows have a longer suffix
        for (Table.Entry e : versions.scan(p, afterRow, limit)) if (e.key().length() == p.length() + SUFFIX - SEP.length()) out.add(e);
        return out;
    }

    /**
     * Gives {@code record} (about to become current) its version, and moves the replaced current
     * version {@code old} to the noncurrent ones, in the caller's transaction. With versioning
     * Suspended the record is the "null" version, replacing the previous null version, whose
     * record goes to {@code dropped} (its blobs are deleted after commit). Returns the version id.
     */
    String stack(String bucket, String key, ObjectNode record, JsonNode old, boolean enabled, List<JsonNode> dropped) {
        long seq = nextSeq();
        record.put("seq", seq);
        String id = "null";
        if (enabled) {
            id = newId(seq);
            record.put("vid", id);
        } else {
            record.remove("vid");
            Table.Entry previous = findNull(bucket, key);
            if (previous != null) {
                versions.delete(previous.key());
                dropped.add(previous.json());
            }
        }
        if (old != null) {
            if (!enabled && !old.has("vid")) dropped.add(old);
            else retire(bucket, key, old);
        }
        return id;
    }

    private void retire(String bucket, String key, JsonNode old) {
        ObjectNode o = ((ObjectNode) old).deepCopy();
        o.remove("list"); // a listing's markup (Listing.stored) is for current records only
        // a record written before versioning was enabled has no sequence: it is older than any that has one
        long seq = old.path("seq").asLong(old.path("modified").asLong() * 1000);
        o.put("seq", seq).put("until", Instant.now().toEpochMilli());
        versions.putJson(slot(bucket, key, seq), o);
    }

    /** The newest noncurrent version, removed from s3.versions to become current; null when there is none. */
    ObjectNode promote(String bucket, String key) {
        List<Table.Entry> newest = of(bucket, key, null, 1);
        if (newest.isEmpty()) return null;
        versions.delete(newest.get(0).key());
        ObjectNode r = (ObjectNode) newest.get(0).json();
        r.remove("until");
        return r;
    }

    /** The noncurrent version with this id, or null. */
    Table.Entry find(String bucket, String key, String versionId) {
        if (versionId.equals("null")) return findNull(bucket, key);
        String row = slot(bucket, key, seqOf(versionId));
        byte[] v = versions.get(row);
        if (v == null) return null;
        Table.Entry e = new Table.Entry(row, v);
        return vid(e.json()).equals(versionId) ? e : null;
    }

    private Table.Entry findNull(String bucket, String key) {
        String after = null;
        while (true) {
            List<Table.Entry> page = versions.scan(prefix(bucket, key), after, 100);
            for (Table.Entry e : page) if (!e.json().has("vid") && e.key().length() == prefix(bucket, key).length() + 16) return e;
            if (page.size() < 100) return null;
            after = page.get(page.size() - 1).key();
        }
    }

    /**
     * ListObjectVersions: the keys of one listing page (common prefixes rolled up as in
     * ListObjects), each followed by its versions and delete markers newest first, interleaved in the
     * document as S3 writes them; every version, delete marker and common prefix counts toward MaxKeys.
     */
    JsonNode list(Listing listing, JsonNode bucket, JsonNode in) {
        String name = bucket.path("name").asText();
        String prefix = Values.text(in, "Prefix", "");
        String delimiter = Values.text(in, "Delimiter", null);
        boolean url = Listing.encoding(in);
        int max = Listing.maxKeys(in);
        String keyMarker = Values.text(in, "KeyMarker", null);
        String idMarker = Values.text(in, "VersionIdMarker", null);
        if (idMarker != null && idMarker.isEmpty()) idMarker = null;
        if (keyMarker != null && keyMarker.isEmpty()) keyMarker = null;
        if (idMarker != null && keyMarker == null) {
            throw S3Errors.invalidArgument("A version-id marker cannot be specified without a key marker.", "version-id-marker", idMarker);
        }
        ObjectNode out = Values.object().put("Name", name).put("Prefix", Listing.enc(prefix, url))
                .put("KeyMarker", keyMarker == null ? "" : Listing.enc(keyMarker, url)).put("VersionIdMarker", idMarker == null ? "" : idMarker)
                .put("MaxKeys", max);
        if (delimiter != null) out.put("Delimiter", Listing.enc(delimiter, url));
        if (url) out.put("EncodingType", "url");
        ArrayNode versionsOut = Values.array(), markersOut = Values.array(), prefixesOut = Values.array(), order = Values.array();
        String owner = bucket.path("account").asText();
        boolean everVersioned = bucket.has("versioning");
        int count = 0;
        String nextKey = null, nextId = null;
        boolean truncated = false;
        List<Item> items = new ArrayList<>();
        if (idMarker != null) {
            // the rest of the marker key's versions first: the page before ended inside them
            JsonNode current = listing.current(name, keyMarker);
            if (current != null && vid(current).equals(idMarker)) {
                items.add(new Item(keyMarker, current, false, null));
            } else if (current != null) {
                Table.Entry at = find(name, keyMarker, idMarker);
                if (at != null) items.add(new Item(keyMarker, current, false, at.key()));
            }
        }
        Listing.Page page = listing.list(name, prefix, delimiter, keyMarker, max, true);
        for (Listing.Entry e : merge(page)) items.add(new Item(e.key(), e.record(), true, null));
        outer:
        for (Item item : items) {
            if (item.current == null) {
                if (count == max) {
                    truncated = true;
                    break;
                }
                prefixesOut.addObject().put("Prefix", Listing.enc(item.key, url));
                count++;
                nextKey = item.key;
                nextId = null;
                continue;
            }
            List<JsonNode> all = new ArrayList<>();
            if (item.withCurrent) all.add(item.current);
            String cursor = item.afterRow;
            // a bucket that never had versioning has no noncurrent versions to read
            while (everVersioned && all.size() <= max - count) {
                List<Table.Entry> rows = of(name, item.key, cursor, max + 1);
                for (Table.Entry r : rows) all.add(r.json());
                if (rows.isEmpty()) break;
                cursor = rows.get(rows.size() - 1).key();
            }
            for (JsonNode v : all) {
                if (count == max) {
                    truncated = true;
                    break outer;
                }
                // S3's document lists versions and delete markers as they come, not versions first
                order.add(isMarker(v) ? "DeleteMarkers" : "Versions");
                ObjectNode o = (isMarker(v) ? markersOut : versionsOut).addObject().put("Key", Listing.enc(item.key, url)).put("VersionId", vid(v))
                        .put("IsLatest", v == item.current);
                o.set("LastModified", Values.timestamp(Instant.ofEpochMilli(v.path("modified").asLong())));
                if (!isMarker(v)) {
                    o.put("ETag", v.path("etag").asText()).put("Size", v.path("size").asLong()).put("StorageClass", v.path("storage").asText("STANDARD"));
                    if (v.has("checksum")) {
                        o.putArray("ChecksumAlgorithm").add(v.path("checksum").path("alg").asText());
                        o.put("ChecksumType", Checksums.type(v.path("checksum")));
                    }
                }
                o.set("Owner", Buckets.owner(owner));
                count++;
                nextKey = item.key;
                nextId = vid(v);
            }
        }
        if (!truncated && page.truncated()) truncated = true;
        out.put("IsTruncated", truncated);
        if (truncated && nextKey != null) {
            out.put("NextKeyMarker", Listing.enc(nextKey, url));
            if (nextId != null) out.put("NextVersionIdMarker", nextId);
        }
        if (!versionsOut.isEmpty()) out.set("Versions", versionsOut);
        if (!markersOut.isEmpty()) out.set("DeleteMarkers", markersOut);
        if (!versionsOut.isEmpty() && !markersOut.isEmpty()) out.set(XmlShapes.ORDER, order);
        if (!prefixesOut.isEmpty()) out.set("CommonPrefixes", prefixesOut);
        return out;
    }

    /** One key to list the versions of (current null: a common prefix), from after {@code afterRow} among its noncurrent ones. */
    private record Item(String key, JsonNode current, boolean withCurrent, String afterRow) {}

    /** The page's keys and common prefixes in one key order (a prefix as an entry without a record). */
    private static List<Listing.Entry> merge(Listing.Page page) {
        List<Listing.Entry> all = new ArrayList<>(page.contents());
        for (String p : page.prefixes()) all.add(new Listing.Entry(p, null, null, null));
        all.sort((a, b) -> a.key().compareTo(b.key()));
        return all;
    }
}
