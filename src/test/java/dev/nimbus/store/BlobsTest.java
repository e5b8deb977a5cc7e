package dev.nimbus.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blobs as files: atomic replacement, ids confined to the blob directory, unfinished writes swept. */
class BlobsTest {
    @TempDir
    Path dir;

    private static InputStream in(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String read(Blobs blobs, String id) throws IOException {
        try (InputStream in = blobs.open(id)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private long stagingFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("blobs/.staging"))) {
            return s.count();
        }
    }

    @Test
    void writeReplaceReadDelete() throws IOException {
        try (SqliteStore store = SqliteStore.open(dir)) {
            Blobs blobs = store.blobs();
            assertNull(blobs.open("fn/code.zip"));
            assertEquals(-1, blobs.size("fn/code.zip"));
            assertEquals(5, blobs.write("fn/code.zip", in("first")));
            assertEquals("first", read(blobs, "fn/code.zip"));
            assertEquals(6, blobs.write("fn/code.zip", in("second")));
            assertEquals("second", read(blobs, "fn/code.zip"));
            assertEquals(6, blobs.size("fn/code.zip"));
            assertTrue(blobs.delete("fn/code.zip"));
            assertFalse(blobs.delete("fn/code.zip"));
            assertEquals(0, stagingFiles());
        }
    }

    /** A large blob leaves the blobs at once and its file is unlinked behind the caller's back; nothing stays. */
    @Test
    void aLargeBlobIsGoneAtOnceAndItsFileSoonAfter() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir)) {
            Blobs blobs = store.blobs();
            byte[] mib = new byte[1 << 20];
            InputStream large = new InputStream() {
                long left = FileBlobs.UNLINK_LATER_FROM;

                @Override
                public int read() {
                    return left-- > 0 ? 7 : -1;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    if (left <= 0) return -1;
                    int n = (int) Math.min(Math.min(len, left), mib.length);
                    System.arraycopy(mib, 0, b, off, n);
                    left -= n;
                    return n;
                }
            };
            assertEquals(FileBlobs.UNLINK_LATER_FROM, blobs.write("big", large));
            assertTrue(blobs.delete("big"));
            assertNull(blobs.open("big"));
            assertEquals(-1, blobs.size("big"));
            assertFalse(blobs.delete("big"));
            for (int i = 0; i < 200 && stagingFiles() > 0; i++) Thread.sleep(50);
            assertEquals(0, stagingFiles());
        }
    }

    @Test
    void aWriteThatBreaksOffKeepsTheOldBlobAndLeavesNothing() throws IOException {
        try (SqliteStore store = SqliteStore.open(dir)) {
            Blobs blobs = store.blobs();
            blobs.write("obj", in("old"));
            InputStream broken = new InputStream() {
                int n;

                @Override
                public int read() throws IOException {
                    if (n++ < 100_000) return 'x';
                    throw new IOException("client went away");
                }
            };
            assertThrows(UncheckedIOException.class, () -> blobs.write("obj", broken));
            InputStream failing = new InputStream() {
                @Override
                public int read() {
                    throw new IllegalStateException("not an IOException");
                }
            };
            assertThrows(IllegalStateException.class, () -> blobs.write("obj", failing));
            assertEquals("old", read(blobs, "obj"));
            assertEquals(0, stagingFiles());
        }
    }

    @Test
    void leftoversOfAnInterruptedWriteAreSweptAtOpen() throws IOException {
        try (SqliteStore store = SqliteStore.open(dir)) {
            store.blobs().write("kept", in("published"));
        }
        // what a process killed mid-write leaves behind
        Files.writeString(dir.resolve("blobs/.staging/3f2a9c1e-unfinished"), "half a blob");
        try (SqliteStore store = SqliteStore.open(dir)) {
            assertEquals(0, stagingFiles());
            assertEquals("published", read(store.blobs(), "kept"));
        }
    }

    @Test
    void idsCannotEscapeTheBlobDirectory() throws IOException {
        Files.writeString(dir.resolve("secret.txt"), "outside");
        try (SqliteStore store = SqliteStore.open(dir)) {
            Blobs blobs = store.blobs();
            for (String id : List.of("../secret.txt", "a/../../secret.txt", "/etc/passwd", "", ".", "..", "a//b", "a/./b", "a/", ".staging/x",
                    ".staging", "a\\..\\..\\secret.txt", "nul\0byte")) {
                assertThrows(IllegalArgumentException.class, () -> blobs.write(id, in("x")), id);
                assertThrows(IllegalArgumentException.class, () -> blobs.open(id), id);
                assertThrows(IllegalArgumentException.class, () -> blobs.size(id), id);
                assertThrows(IllegalArgumentException.class, () -> blobs.delete(id), id);
            }
            assertEquals("outside", Files.readString(dir.resolve("secret.txt")));
            // dots inside a segment are fine
            blobs.write("bucket/photos/..hidden/a.b..c", in("ok"));
            assertEquals("ok", read(blobs, "bucket/photos/..hidden/a.b..c"));
        }
    }

    /**
     * Large blobs go around the page cache (block-aligned direct writes and reads): what comes back
     * is what went in, whatever the sizes of the writes, a size that is no multiple of the block,
     * and reads that skip.
     */
    @Test
    void largeBlobsRoundTripWhateverTheirSize() throws IOException {
        try (SqliteStore store = SqliteStore.open(dir)) {
            Blobs blobs = store.blobs();
            for (int size : new int[] {(1 << 20) + 1, (3 << 20) + 12_345, 4 << 20}) {
                byte[] content = new byte[size];
                new java.util.Random(size).nextBytes(content);
                // uneven pieces, as a request body arrives
                InputStream uneven = new ByteArrayInputStream(content) {
                    @Override
                    public synchronized int read(byte[] b, int off, int len) {
                        return super.read(b, off, Math.min(len, 7_001));
                    }

                    @Override
                    public synchronized long transferTo(java.io.OutputStream out) throws IOException {
                        byte[] buf = new byte[70_001];
                        long n = 0;
                        for (int r = read(buf, 0, buf.length); r > 0; r = read(buf, 0, buf.length)) {
                            out.write(buf, 0, r);
                            n += r;
                        }
                        return n;
                    }
                };
                assertEquals(size, blobs.write("big", uneven));
                assertEquals(size, blobs.size("big"));
                try (InputStream in = blobs.open("big")) {
                    assertArrayEquals(content, in.readAllBytes());
                }
                // a range, as a GET with Range reads it: skip, then read
                int from = size / 3 + 1, length = size / 2;
                try (InputStream in = blobs.open("big")) {
                    in.skipNBytes(from);
                    assertArrayEquals(java.util.Arrays.copyOfRange(content, from, from + length), in.readNBytes(length));
                }
                assertEquals(0, stagingFiles());
            }
        }
    }
}
