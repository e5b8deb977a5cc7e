package dev.nimbus.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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

/**
 * Blobs as files under one directory: stream to a temporary file in {@code .staging}, then rename
 * into place. A write cut short (an error, a killed process) leaves at most a file in
 * {@code .staging}, which the next open removes; the published blob is never partial.
 *
 * <p>Durability matches the store's (SQLite WAL, synchronous=NORMAL): a written blob is in the
 * OS's page cache when write returns, so it survives a killed server (kill -9); like the store's
 * last transactions, the last blobs may be lost to a power failure. No fsync per blob, then: it
 * cost more than the rest of a small PUT together, and a large one waited for the disk.
 */
final class FileBlobs implements Blobs {
    private static final String STAGING = ".staging";

    private final Path root;
    private final Path staging;
    /** directories known to exist (blob directories are never removed), to spare a stat per write */
    private final Set<Path> dirs = ConcurrentHashMap.newKeySet();

    FileBlobs(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.staging = this.root.resolve(STAGING);
        try {
            Files.createDirectories(staging);
            // Whatever is here was being written when the last process stopped: never published, never wanted.
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(staging)) {
                for (Path p : leftovers) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare blob dir " + this.root, e);
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
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                size = content.transferTo(Channels.newOutputStream(ch));
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
            return Files.newInputStream(path(id));
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
        try {
            return Files.deleteIfExists(path(id));
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
