package dev.nimbus.store;

import java.util.function.Supplier;

/**
 * Durable state behind every service: named tables of ordered string keys to byte values.
 * Services never see the engine; an embedded one (SQLite) is the default, a networked one
 * (PostgreSQL-compatible) can be added behind this interface for clusters.
 *
 * Keys sort by their UTF-8 bytes, so a common prefix ("123456789012/us-east-1/") gathers one
 * account's and region's records and a prefix scan lists them in order.
 */
public interface Store extends AutoCloseable {
    /** A table by name (letters, digits, '_' and '.'), created on first use. */
    Table table(String name);

    /**
     * Runs work atomically: every write made through this store's tables inside it commits
     * together or not at all (an exception rolls back and is rethrown). Reads inside it see its
     * writes; other threads see them once it commits. A nested call joins the outer one: its writes
     * commit with the outer transaction, and an exception leaving the nested call undoes only the
     * nested call's writes. The work runs on the calling thread and holds the store's one writer,
     * so keep it short and never wait in it for another thread that writes.
     */
    <T> T transaction(Supplier<T> work);

    default void transaction(Runnable work) {
        transaction(() -> {
            work.run();
            return null;
        });
    }

    /** Blobs (S3 objects, function code): files, written then atomically published. */
    Blobs blobs();

    @Override
    void close();
}
