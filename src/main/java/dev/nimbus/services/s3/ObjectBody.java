package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.store.Blobs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * An object's bytes, or a range of them, over its blobs (one for a PUT, one per part for a
 * multipart upload, so completing an upload never copies its parts), or the bytes of a small
 * object held in its record ({"data", "size"}, see {@link Upload#receive}). Every blob the range
 * touches is opened up front: a concurrent overwrite deletes the old blobs, and an open file stays readable.
 */
final class ObjectBody extends InputStream {
    private final List<InputStream> streams = new ArrayList<>();
    private final List<Long> lengths = new ArrayList<>();
    private int current;
    private long leftInCurrent;
    /** bytes this body yields in all */
    private long total;

    /** {@code parts}: the object's [{"id", "size"}] in order; reads [start, start + length). */
    ObjectBody(Blobs blobs, JsonNode parts, long start, long length) {
        long offset = 0;
        try {
            for (JsonNode p : parts) {
                long size = p.get("size").asLong();
                long from = Math.max(start, offset), to = Math.min(start + length, offset + size);
                if (from < to) {
                    InputStream in = p.has("data") ? new ByteArrayInputStream(data(p.get("data"))) : blobs.open(p.get("id").asText());
                    if (in == null) throw new IllegalStateException("blob of an object is missing: " + p.get("id").asText());
                    streams.add(in);
                    lengths.add(to - from);
                    total += to - from;
                    in.skipNBytes(from - offset);
                }
                offset += size;
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            throw e instanceof RuntimeException r ? r : new java.io.UncheckedIOException((IOException) e);
        }
        leftInCurrent = lengths.isEmpty() ? 0 : lengths.get(0);
    }

    /**
     * A small object's bytes: base64 text in a record read back from the store (the JDK's decoder,
     * several times cheaper than Jackson's TextNode.binaryValue on a GET), binary in one just built.
     */
    private static byte[] data(JsonNode data) throws IOException {
        return data.isTextual() ? Base64.getDecoder().decode(data.textValue()) : data.binaryValue();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (current < streams.size() && leftInCurrent == 0) {
            streams.get(current++).close();
            leftInCurrent = current < lengths.size() ? lengths.get(current) : 0;
        }
        if (current >= streams.size()) return -1;
        int n = streams.get(current).read(b, off, (int) Math.min(len, leftInCurrent));
        if (n < 0) throw new IOException("blob shorter than recorded");
        leftInCurrent -= n;
        return n;
    }

    /**
     * Large copies: the default 16 KiB buffer costs a system call per 16 KiB on a 1 GiB GET; small
     * ones: a buffer no larger than the body (a 256 KiB one per 1 KiB GET was most of its allocation).
     */
    @Override
    public long transferTo(OutputStream out) throws IOException {
        if (total == 0) return 0;
        byte[] buf = new byte[(int) Math.min(256 * 1024, total)];
        long total = 0;
        for (int n = read(buf, 0, buf.length); n >= 0; n = read(buf, 0, buf.length)) {
            out.write(buf, 0, n);
            total += n;
        }
        return total;
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        for (InputStream in : streams) {
            try {
                in.close();
            } catch (IOException ignored) {
                // read-only file: nothing to lose
            }
        }
    }
}
