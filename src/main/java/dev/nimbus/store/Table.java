package dev.nimbus.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * One keyspace of a {@link Store}: ordered string keys to byte values. A key is any well-formed
 * Unicode string (a lone surrogate is refused with IllegalArgumentException); keys sort by their
 * UTF-8 bytes.
 */
public interface Table {
    record Entry(String key, byte[] value) {
        public JsonNode json() {
            return Table.parse(value);
        }
    }

    /** The value, or null. */
    byte[] get(String key);

    /** Inserts or replaces. Acknowledged (returned) writes are on disk unless the store is ephemeral. */
    void put(String key, byte[] value);

    /** Inserts only if absent; returns false when the key exists (no change). */
    boolean putIfAbsent(String key, byte[] value);

    /** Removes; returns whether the key existed. */
    boolean delete(String key);

    /**
     * Entries whose keys start with {@code prefix}, in key order, after {@code startAfter} (exclusive,
     * or null for the first), at most {@code limit}. Pagination is: pass the last key seen.
     */
    List<Entry> scan(String prefix, String startAfter, int limit);

    /**
     * Entries between two bounds (null: unbounded; each inclusive or not), ascending or, when
     * {@code descending}, from the high end down, at most {@code limit}: an index-range read whose
     * cost follows the result, not the table (DynamoDB's Query in both directions).
     */
    List<Entry> range(String low, boolean lowInclusive, String high, boolean highInclusive, boolean descending, int limit);

    /**
     * Every entry whose key starts with {@code prefix}, after {@code startAfter} (or null), in key
     * order, read lazily {@code batch} at a time: a long listing never sits in memory whole.
     */
    default Iterator<Entry> iterate(String prefix, String startAfter, int batch) {
        return new Iterator<>() {
            private String cursor = startAfter;
            private List<Entry> page = List.of();
            private int index;
            private boolean exhausted;

            @Override
            public boolean hasNext() {
                if (index < page.size()) return true;
                if (exhausted) return false;
                page = scan(prefix, cursor, batch);
                index = 0;
                exhausted = page.size() < batch;
                if (!page.isEmpty()) cursor = page.get(page.size() - 1).key();
                return !page.isEmpty();
            }

            @Override
            public Entry next() {
                if (!hasNext()) throw new NoSuchElementException();
                return page.get(index++);
            }
        };
    }

    /** How many keys start with the prefix. */
    long count(String prefix);

    default JsonNode getJson(String key) {
        byte[] v = get(key);
        return v == null ? null : parse(v);
    }

    default void putJson(String key, JsonNode value) {
        put(key, toBytes(value));
    }

    default boolean putJsonIfAbsent(String key, JsonNode value) {
        return putIfAbsent(key, toBytes(value));
    }

    static JsonNode parse(byte[] v) {
        try {
            return Values.JSON.readTree(v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] toBytes(JsonNode value) {
        try {
            return Values.JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
