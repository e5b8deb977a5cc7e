package dev.nimbus.store;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Blobs as files under one directory: stream to a temporary file in {@code .staging}, then rename
 * into place. A write cut short (an error, a killed process) leaves at most a file in
 * {@code .staging}, which the next open removes; the published blob is never partial.
 *
 * <p>Durability matches the store's (SQLite WAL, synchronous=NORMAL): a written blob is in the
 * OS's page cache (or, a large one, on the disk: {@link BlobOutput}) when write returns, so it
 * survives a killed server (kill -9); like the store's
 * last transactions, the last blobs may be lost to a power failure. No fsync per blob, then: it
 * cost more than the rest of a small PUT together, and a large one waited for the disk.
 */
final class FileBlobs implements Blobs {
    private static final String STAGING = ".staging";

    private final Path root;
    private final Path staging;
    /** directories known to exist (blob directories are never removed), to spare a stat per write */
    private final Set<Path> dirs = ConcurrentHashMap.newKeySet();
    /** Blobs larger than this are written around the page cache (see {@link BlobOutput}). */
    private static final long DIRECT_FROM = 1 << 20;
    /** bytes per direct write */
    private static final int DIRECT_BLOCK = 1 << 20;
    /**
     * Blobs from this size on are unlinked off the caller's thread: freeing a GiB's extents took
     * ~170 ms here, which an overwriting PUT or a DeleteObject of a large object waited for.
     */
    static final long UNLINK_LATER_FROM = 64L << 20;
    /** the alignment direct writes need here (the file system's block size), or null where they are not possible */
    private volatile Integer directIo;

    FileBlobs(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.staging = this.root.resolve(STAGING);
        try {
            Files.createDirectories(staging);
            // Whatever is here was being written when the last process stopped: never published, never wanted.
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(staging)) {
                for (Path p : leftovers) Files.deleteIfExists(p);
            }
            directIo = alignment(staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare blob dir " + this.root, e);
        }
    }

    /** The file system's block size, which direct writes must be aligned to; null when it is not known or does not fit {@link #DIRECT_BLOCK}. */
    private static Integer alignment(Path dir) throws IOException {
        try {
            long size = Files.getFileStore(dir).getBlockSize();
            return size > 0 && size <= DIRECT_BLOCK && DIRECT_BLOCK % size == 0 ? (int) size : null;
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * The file of a blob id: relative segments separated by '/', none empty, "." or "..", and not
     * in the staging area, so that no id reaches outside the root or into another blob's write.
     */
    private Path path(String id) {
        if (id == null || id.isEmpty() || id.startsWith("/") || id.indexOf('\\') >= 0 || id.indexOf('\0') >= 0) throw badId(id);
        for (String segment : id.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) throw badId(id);
        }
        Path p;
        try {
            p = root.resolve(id).normalize();
        } catch (InvalidPathException e) {
            throw badId(id);
        }
        if (!p.startsWith(root) || p.equals(root) || p.startsWith(staging)) throw badId(id);
        return p;
    }

    private static IllegalArgumentException badId(String id) {
        return new IllegalArgumentException("bad blob id (relative path of plain segments expected): " + id);
    }

    @Override
    public long write(String id, InputStream content) {
        Path target = path(id);
        Path tmp = staging.resolve(UUID.randomUUID().toString());
        boolean published = false;
        try {
            long size;
            try (BlobOutput out = new BlobOutput(tmp)) {
                size = content.transferTo(out);
            }
            Path dir = target.getParent();
            if (!dirs.contains(dir)) {
                Files.createDirectories(dir);
                dirs.add(dir);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            published = true;
            return size;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write blob " + id, e);
        } finally {
            // A failed write (including a content stream that broke off) leaves the old blob as it was.
            if (!published) deleteQuietly(tmp);
        }
    }

    /**
     * A new blob file's bytes: through the page cache at first, and from {@link #DIRECT_FROM} on
     * around it (O_DIRECT, where the file system allows it). Writing a large blob through the page
     * cache costs a copy into pages the kernel must first find: on a VM whose memory the host hands
     * out lazily, a new GiB cost 1.5-2 s of system time, more than the rest of the PUT; a direct write
     * costs ~0.1 s and waits for the disk instead, on the writer's own thread (and is on the disk when
     * it returns: stronger than the page cache's durability). Small blobs stay as they were: a direct
     * write per small blob would wait for the disk on every PUT, and a GET of it soon after would
     * read it back from the disk.
     */
    private final class BlobOutput extends OutputStream {
        private final Path file;
        private final FileChannel ch;
        /** the same file opened for direct writes once the blob is large; null before */
        private FileChannel direct;
        /** block-aligned memory the direct writes go out from (O_DIRECT needs aligned addresses, offsets and lengths) */
        private ByteBuffer block;
        /** bytes accepted so far; those in {@code block} are written from {@code flushed} on */
        private long size, flushed;
        private int alignment;

        BlobOutput(Path file) throws IOException {
            this.file = file;
            this.ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Integer alignment = directIo;
            if (direct == null && alignment != null && size + len > DIRECT_FROM) {
                // through the page cache up to a block boundary, direct from there
                int head = (int) Math.min(len, Math.floorMod(-size, alignment));
                buffered(b, off, head);
                off += head;
                len -= head;
                if (len > 0) startDirect(alignment);
            }
            if (direct == null) {
                buffered(b, off, len);
                return;
            }
            while (len > 0) {
                int n = Math.min(len, block.remaining());
                block.put(b, off, n);
                off += n;
                len -= n;
                size += n;
                if (!block.hasRemaining()) flushBlock();
            }
        }

        private void buffered(byte[] b, int off, int len) throws IOException {
            for (ByteBuffer buf = ByteBuffer.wrap(b, off, len); buf.hasRemaining(); ) ch.write(buf);
            size += len;
        }

        /** Opens the file for direct writes; where the file system refuses them, leaves it (and later blobs) to the page cache. */
        private void startDirect(int alignment) {
            try {
                direct = FileChannel.open(file, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
            } catch (UnsupportedOperationException | IOException e) {
                directIo = null;
                return;
            }
            this.alignment = alignment;
            block = alignedBlock(alignment);
            flushed = size;
        }

        private void flushBlock() throws IOException {
            block.flip();
            while (block.hasRemaining()) flushed += direct.write(block, flushed);
            block.clear();
        }

        /** The last, partial block goes out padded to the block size; the padding is then cut off. */
        @Override
        public void close() throws IOException {
            try (ch) {
                if (direct == null) return;
                try (FileChannel d = direct) {
                    int tail = block.position();
                    if (tail > 0) {
                        int padded = (tail + alignment - 1) / alignment * alignment;
                        while (block.position() < padded) block.put((byte) 0);
                        flushBlock();
                        d.truncate(size);
                    }
                }
            }
        }
    }

    /**
     * A large blob read around the page cache, for the reason it was written so ({@link BlobOutput}):
     * read through the cache, a GiB written directly cost ~2.8 s of system time to bring into new
     * pages. While the reader takes one block, the next is read on a thread of its own: a direct read
     * waits for the disk, and one read after the other a GET went at the sum of the disk's pace and the network's.
     */
    private static final class DirectInput extends InputStream {
        private final FileChannel ch;
        private final int alignment;
        /** what the last read brought: the file's bytes from {@code blockStart} on, up to its limit */
        private ByteBuffer block;
        private long blockStart;
        /** the block being read ahead (null: none), from {@code aheadStart} on */
        private FutureTask<ByteBuffer> ahead;
        private long aheadStart;
        /** the other block, when no read-ahead holds it */
        private ByteBuffer spare;
        /** the file offset of the next byte to return */
        private long position;

        DirectInput(FileChannel ch, int alignment) {
            this.ch = ch;
            this.alignment = alignment;
            this.block = alignedBlock(alignment).limit(0);
            this.spare = alignedBlock(alignment);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            if (!block.hasRemaining() && !fill()) return -1;
            int n = Math.min(len, block.remaining());
            block.get(b, off, n);
            position += n;
            return n;
        }

        /** Makes {@code block} the aligned block that holds {@code position} (the one read ahead, if it is that one); false at the end of the file. */
        private boolean fill() throws IOException {
            long start = position / alignment * alignment;
            boolean ready = false;
            if (ahead != null) {
                ByteBuffer done = finish(ahead);
                ahead = null;
                ready = aheadStart == start;
                if (ready) {
                    spare = block;
                    block = done;
                } else {
                    spare = done;
                }
            }
            if (!ready) read(block, start);
            blockStart = start;
            if (position - blockStart >= block.limit()) {
                block.limit(0);
                return false;
            }
            block.position((int) (position - blockStart));
            // a full block: the file may go on
            if (block.limit() == block.capacity()) readAhead(blockStart + block.capacity());
            return true;
        }

        /**
         * Reads the file from {@code start} into {@code buf} until it is full or the file ends. A direct
         * read ends short of a block boundary only at the end of the file (and may not go on from there).
         */
        private void read(ByteBuffer buf, long start) throws IOException {
            buf.clear();
            for (int n = 0; buf.hasRemaining() && n >= 0 && buf.position() % alignment == 0; ) n = ch.read(buf, start + buf.position());
            buf.flip();
        }

        private void readAhead(long start) {
            ByteBuffer buf = spare;
            spare = null;
            aheadStart = start;
            ahead = new FutureTask<>(() -> {
                read(buf, start);
                return buf;
            });
            Thread.ofVirtual().name("blob-read-ahead").start(ahead);
        }

        private static ByteBuffer finish(FutureTask<ByteBuffer> task) throws IOException {
            try {
                return task.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("blob read interrupted");
            }
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = Math.max(0, Math.min(n, ch.size() - position));
            position += skipped;
            long inBlock = position - blockStart;
            if (inBlock >= 0 && inBlock < block.limit()) block.position((int) inBlock);
            else block.limit(0);
            return skipped;
        }

        /** Waits for a read-ahead still going, so that it ends before the file is closed under it. */
        @Override
        public void close() throws IOException {
            try (ch) {
                if (ahead != null) finish(ahead);
            } catch (IOException ignored) {
                // a read nobody wants any more
            }
        }
    }

    /** A {@link #DIRECT_BLOCK} of memory aligned as direct reads and writes need it. */
    private static ByteBuffer alignedBlock(int alignment) {
        return ByteBuffer.allocateDirect(DIRECT_BLOCK + alignment).alignedSlice(alignment).slice(0, DIRECT_BLOCK);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the staging area is swept on the next open
        }
    }

    @Override
    public InputStream open(String id) {
        try {
            FileChannel ch = FileChannel.open(path(id), StandardOpenOption.READ);
            Integer alignment = directIo;
            if (alignment == null || ch.size() <= DIRECT_FROM) return Channels.newInputStream(ch);
            try (ch) {
                return new DirectInput(FileChannel.open(path(id), StandardOpenOption.READ, ExtendedOpenOption.DIRECT), alignment);
            } catch (UnsupportedOperationException | IOException e) {
                return Files.newInputStream(path(id));
            }
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public long size(String id) {
        try {
            return Files.size(path(id));
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean delete(String id) {
        Path p = path(id);
        try {
            if (Files.size(p) < UNLINK_LATER_FROM) return Files.deleteIfExists(p);
            // Out of the blobs at once (a rename), its space freed on a thread of its own; a stop before
            // that leaves it in staging, which the next start empties.
            Path doomed = staging.resolve(UUID.randomUUID() + ".deleted");
            Files.move(p, doomed, StandardCopyOption.ATOMIC_MOVE);
            Thread.ofPlatform().daemon().name("blob-unlink").start(() -> deleteQuietly(doomed));
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // best effort: a temporary directory
        }
    }
}
