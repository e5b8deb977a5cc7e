package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.codec.AwsChunkedInputStream;
import dev.nimbus.store.Blobs;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A request body streamed into a new blob while its MD5 and the requested checksums are
 * computed, then checked against what the client declared (Content-MD5, x-amz-checksum-* headers
 * or aws-chunked trailers). Anything wrong, a body cut short included, deletes the blob: nothing
 * is published, and the caller records the blob in the store only after this returns. A small
 * body of known length ({@link #receive}) is kept in memory instead ({@code data}, no blob) and
 * travels inside the object's record, so that a small PUT is one store transaction and no file.
 */
record Upload(String blobId, byte[] data, long size, byte[] md5, Map<String, String> checksums) {
    /**
     * Bodies up to this size live in the object's record: a file per 1 KiB object costs more (create,
     * rename, a second store of metadata, open on every GET) than the bytes do in a row.
     */
    static final int INLINE_MAX = 4096;

    String etag() {
        return "\"" + Checksums.hex(md5) + "\"";
    }

    /** The record's parts list for this body: the blob, or the bytes themselves. */
    ArrayNode parts() {
        if (data == null) return S3Service.oneBlob(blobId, size);
        ArrayNode parts = Values.array();
        // base64 by the JDK's encoder (as the store's JSON would hold it anyway): Jackson's own costs several times more per PUT
        parts.addObject().put("data", java.util.Base64.getEncoder().encodeToString(data)).put("size", size);
        return parts;
    }

    /**
     * Like {@link #store}, but a body whose length is known and at most {@link #INLINE_MAX} stays in
     * memory (for an object record, not for multipart parts, whose records list blob ids).
     */
    static Upload receive(Blobs blobs, InputStream body, long declaredLength, String contentMd5, Map<String, String> declared) {
        return take(blobs, body, declaredLength, contentMd5, declared, declaredLength >= 0 && declaredLength <= INLINE_MAX);
    }

    /**
     * @param declaredLength the length the client announced, or -1
     * @param contentMd5     base64 Content-MD5, or null
     * @param declared       algorithm -> base64 value from headers (value null: compute only, the value may come as a trailer)
     */
    static Upload store(Blobs blobs, InputStream body, long declaredLength, String contentMd5, Map<String, String> declared) {
        return take(blobs, body, declaredLength, contentMd5, declared, false);
    }

    private static Upload take(Blobs blobs, InputStream body, long declaredLength, String contentMd5, Map<String, String> declared, boolean inMemory) {
        byte[] expectedMd5 = null;
        if (contentMd5 != null) {
            try {
                expectedMd5 = Base64.getDecoder().decode(contentMd5.trim());
            } catch (IllegalArgumentException e) {
                expectedMd5 = new byte[0];
            }
            if (expectedMd5.length != 16) throw new AwsException("InvalidDigest", "The Content-MD5 you specified is not valid.", 400);
        }
        Map<String, Checksums.Running> running = new LinkedHashMap<>();
        for (String alg : declared.keySet()) running.put(alg, Checksums.of(alg));
        Digesting in = new Digesting(body, running, declaredLength);
        String id = null;
        byte[] data = null;
        long size;
        try {
            if (inMemory) {
                // one byte more than announced: a longer body is refused below like a shorter one
                data = in.readNBytes((int) declaredLength + 1);
                size = data.length;
            } else {
                id = newBlobId();
                size = blobs.write(id, in);
            }
        } catch (IOException | UncheckedIOException e) {
            // The client's body broke off (or the disk failed): the blob store published nothing.
            throw new AwsException("IncompleteBody", "The request body terminated unexpectedly", 400);
        }
        boolean ok = false;
        try {
            if (declaredLength >= 0 && size != declaredLength) {
                throw new AwsException("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header", 400);
            }
            byte[] md5 = in.md5.digest();
            if (expectedMd5 != null && !MessageDigest.isEqual(md5, expectedMd5)) {
                throw new AwsException("BadDigest", "The Content-MD5 you specified did not match what we received.", 400)
                        .with("ExpectedDigest", Checksums.hex(expectedMd5)).with("CalculatedDigest", Base64.getEncoder().encodeToString(md5));
            }
            Map<String, String> values = new LinkedHashMap<>();
            for (Map.Entry<String, Checksums.Running> e : running.entrySet()) values.put(e.getKey(), e.getValue().value());
            Map<String, String> expected = new LinkedHashMap<>();
            declared.forEach((alg, v) -> {
                if (v != null) expected.put(alg, v);
            });
            if (body instanceof AwsChunkedInputStream chunked) {
                chunked.trailers().forEach((name, v) -> {
                    if (name.startsWith("x-amz-checksum-")) expected.put(name.substring(15).toUpperCase(Locale.ROOT), v);
                });
            }
            for (Map.Entry<String, String> e : expected.entrySet()) {
                String alg = e.getKey();
                if (!Checksums.ALGORITHMS.contains(alg)) continue;
                // A trailer for an algorithm no header announced: read the bytes once more.
                String blob = id;
                byte[] bytes = data;
                String actual = values.computeIfAbsent(alg, a -> bytes != null ? checksum(a, bytes) : recompute(blobs, blob, a));
                if (!actual.equals(e.getValue().trim())) {
                    throw new AwsException("BadDigest", "The " + alg + " you specified did not match the calculated checksum.", 400);
                }
            }
            ok = true;
            return new Upload(id, data, size, md5, values);
        } finally {
            if (!ok && id != null) blobs.delete(id);
        }
    }

    private static String checksum(String algorithm, byte[] bytes) {
        Checksums.Running c = Checksums.of(algorithm);
        c.update(bytes, 0, bytes.length);
        return c.value();
    }

    static String newBlobId() {
        String uuid = UUID.randomUUID().toString();
        return "s3/" + uuid.substring(0, 2) + "/" + uuid;
    }

    private static String recompute(Blobs blobs, String id, String algorithm) {
        Checksums.Running c = Checksums.of(algorithm);
        try (InputStream in = blobs.open(id)) {
            byte[] buf = new byte[1 << 16];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) c.update(buf, 0, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return c.value();
    }

    /** The algorithms a request asks for: its ChecksumAlgorithm and every Checksum* member it carries. */
    static Map<String, String> declared(com.fasterxml.jackson.databind.JsonNode in) {
        Map<String, String> out = new LinkedHashMap<>();
        String alg = in.path("ChecksumAlgorithm").asText(null);
        if (alg != null) {
            alg = alg.toUpperCase(Locale.ROOT);
            if (!Checksums.ALGORITHMS.contains(alg)) throw new AwsException("InvalidRequest", "Checksum algorithm provided is unsupported.", 400);
            out.put(alg, null);
        }
        for (String a : Checksums.ALGORITHMS) {
            String v = in.path(Checksums.member(a)).asText(null);
            if (v == null) continue;
            Checksums.checkValue(a, v);
            if (out.values().stream().anyMatch(java.util.Objects::nonNull)) {
                throw new AwsException("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.", 400);
            }
            out.put(a, v);
        }
        return out;
    }

    private static final class Digesting extends FilterInputStream {
        /** Bodies from this size on are digested on a second thread while the next buffer is read: MD5 alone runs at ~750 MB/s on one core. */
        private static final long PIPELINE_MIN = 1 << 20;

        final MessageDigest md5 = Checksums.md("MD5");
        final Checksums.Running[] others;
        /** copy buffer: large for large bodies, small for the many 1 KiB ones (a 256 KiB buffer per small PUT is most of its allocation) */
        private final int buffer;
        private final boolean pipelined;

        Digesting(InputStream in, Map<String, Checksums.Running> others, long declaredLength) {
            super(in);
            this.others = others.values().toArray(Checksums.Running[]::new);
            this.buffer = (int) (declaredLength < 0 ? 256 * 1024 : Math.max(8192, Math.min(256 * 1024, declaredLength)));
            this.pipelined = declaredLength < 0 || declaredLength >= PIPELINE_MIN;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) digest(b, off, n);
            return n;
        }

        private void digest(byte[] b, int off, int n) {
            md5.update(b, off, n);
            for (Checksums.Running c : others) c.update(b, off, n);
        }

        @Override
        public long skip(long n) {
            throw new UnsupportedOperationException("an upload is read whole");
        }

        /**
         * Large reads: FileBlobs copies with transferTo, whose 16 KiB default means many small writes.
         * The buffer is filled before each write, since a read of the request body returns what one
         * socket read brought (often 16 KiB or less): one file write per 256 KiB, not per socket read.
         */
        @Override
        public long transferTo(OutputStream out) throws IOException {
            if (pipelined) return pipeline(out);
            byte[] buf = new byte[buffer];
            long total = 0;
            while (true) {
                int filled = fill(buf, true);
                if (filled > 0) out.write(buf, 0, filled);
                total += filled;
                if (filled < buf.length) return total;
            }
        }

        /** Reads until the buffer is full or the body ends; returns the bytes read. */
        private int fill(byte[] buf, boolean digesting) throws IOException {
            int filled = 0;
            for (int n = 0; filled < buf.length && n >= 0; ) {
                n = digesting ? read(buf, filled, buf.length - filled) : in.read(buf, filled, buf.length - filled);
                if (n > 0) filled += n;
            }
            return filled;
        }

        /** A buffer on its way through the stages; {@link #END} (length -1) follows the last one. */
        private record Chunk(byte[] buf, int length) {}

        private static final Chunk END = new Chunk(null, -1);

        /** Buffers circulating in {@link #pipeline}: enough that no stage waits for one while another holds two. */
        private static final int BUFFERS = 6;

        private interface Work {
            void on(Chunk c) throws IOException;
        }

        /**
         * Three stages on three threads, each buffer going through them in order: this thread reads
         * the body into a free buffer, a digester computes MD5 over it, a writer computes the other
         * checksums (CRC64NVME, the default, takes ~0.4 s of CPU per GiB, CRC32 next to nothing) and
         * writes it out and frees it. MD5 alone keeps a core busy (~1.4 s per GiB); reading the
         * socket (Helidon's 8 KiB reads) and the writer's work share the other core, so a large PUT
         * goes at the pace of MD5 rather than of the sum. A failure in the digester or writer stops
         * the reading; every buffer still travels to the end (no longer used), then the first
         * failure is thrown here. The digests are complete once the stages have been joined.
         */
        private long pipeline(OutputStream out) throws IOException {
            BlockingQueue<Chunk> free = new ArrayBlockingQueue<>(BUFFERS + 1);
            BlockingQueue<Chunk> toDigest = new ArrayBlockingQueue<>(BUFFERS + 1);
            BlockingQueue<Chunk> toWrite = new ArrayBlockingQueue<>(BUFFERS + 1);
            for (int i = 0; i < BUFFERS; i++) free.add(new Chunk(new byte[buffer], 0));
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread digester = Thread.ofVirtual().name("s3-upload-digest").start(() -> stage(toDigest, c -> md5.update(c.buf, 0, c.length), toWrite, failure));
            Thread writer = Thread.ofVirtual().name("s3-upload-write").start(() -> stage(toWrite, c -> {
                for (Checksums.Running sum : others) sum.update(c.buf, 0, c.length);
                out.write(c.buf, 0, c.length);
            }, free, failure));
            long total = 0;
            IOException readFailure = null;
            try {
                while (failure.get() == null) {
                    byte[] buf = free.take().buf;
                    int filled = fill(buf, false);
                    toDigest.put(new Chunk(buf, filled));
                    total += filled;
                    if (filled < buf.length) break;
                }
            } catch (IOException e) {
                readFailure = e;
            } catch (InterruptedException e) {
                readFailure = new InterruptedIOException("upload interrupted");
            } finally {
                toDigest.add(END); // room for it whatever the others hold
                try {
                    digester.join();
                    writer.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (readFailure != null) throw readFailure;
            return switch (failure.get()) {
                case null -> total;
                case IOException e -> throw e;
                case RuntimeException e -> throw e;
                default -> throw new InterruptedIOException("upload interrupted");
            };
        }

        /** One stage: takes buffers until {@link #END}, works on each unless a stage has failed, and passes every one on. */
        private static void stage(BlockingQueue<Chunk> in, Work work, BlockingQueue<Chunk> next, AtomicReference<Throwable> failure) {
            try {
                for (Chunk c = in.take(); ; c = in.take()) {
                    if (c != END && failure.get() == null) {
                        try {
                            work.on(c);
                        } catch (IOException | RuntimeException e) {
                            failure.compareAndSet(null, e);
                        }
                    }
                    next.add(c);
                    if (c == END) return;
                }
            } catch (InterruptedException e) {
                failure.compareAndSet(null, e);
            }
        }
    }
}
