package dev.nimbus.store;

import java.io.InputStream;

/**
 * Large values as files. A write streams to a temporary file and is published by an atomic
 * rename, so a reader sees the whole old blob or the whole new one, never a part.
 */
public interface Blobs {
    /** Streams {@code content} into the blob {@code id} (a relative path of safe segments), replacing it; returns its size. */
    long write(String id, InputStream content);

    /** Opens the blob for reading, or returns null when it does not exist. */
    InputStream open(String id);

    /** Size in bytes, or -1 when it does not exist. */
    long size(String id);

    boolean delete(String id);
}
