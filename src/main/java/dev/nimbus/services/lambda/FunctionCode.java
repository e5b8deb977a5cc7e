package dev.nimbus.services.lambda;

import dev.nimbus.protocol.AwsException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/** A deployment package: the zip as uploaded, and its files unpacked where environments run them. */
final class FunctionCode {
    /** AWS's limit for a zip uploaded directly (not through S3). */
    static final int MAX_ZIP = 50 * 1024 * 1024;
    /** AWS's limit for a function's unzipped code. */
    static final long MAX_UNZIPPED = 250L * 1024 * 1024;
    static final String UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again.";

    private FunctionCode() {}

    /** Base64 SHA-256 of the zip, as CodeSha256 reports it. */
    static String sha256(byte[] zip) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(zip));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void checkSize(byte[] zip, String operation) {
        if (zip.length > MAX_ZIP) {
            // What AWS's front end answers: its bound is on the request, the zip in base64 JSON.
            throw new AwsException("RequestEntityTooLargeException", "Request must be smaller than 69905067 bytes for the " + operation + " operation", 413);
        }
    }

    /**
     * Unpacks the zip into {@code dir} (which must not exist), all or nothing: into a sibling first,
     * renamed when complete. A corrupt zip, an entry escaping the directory or more than 250 MB
     * unzipped is refused as AWS refuses them.
     */
    static void unzip(byte[] zip, Path dir) {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".unzipping");
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            long total = 0;
            int entries = 0;
            try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    entries++;
                    Path target = tmp.resolve(e.getName()).normalize();
                    if (!target.startsWith(tmp)) throw invalid(UNZIP_FAILED);
                    if (e.isDirectory()) {
                        Files.createDirectories(target);
                        continue;
                    }
                    Files.createDirectories(target.getParent());
                    total += copy(in, target, MAX_UNZIPPED - total);
                    // Java's zip API does not carry Unix modes: every file is readable and executable,
                    // so that a custom runtime's bootstrap runs however the zip was made.
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r-xr-xr-x"));
                }
            }
            if (entries == 0) throw invalid(UNZIP_FAILED);
            readOnlyDirectories(tmp);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (ZipException | IllegalArgumentException e) {
            deleteTree(tmp);
            throw invalid(UNZIP_FAILED);
        } catch (AwsException e) {
            deleteTree(tmp);
            throw e;
        } catch (IOException e) {
            deleteTree(tmp);
            // A truncated zip ends in EOFException, an entry with a bad path in an invalid-path error.
            if (e instanceof java.io.EOFException || e.getCause() instanceof IllegalArgumentException) throw invalid(UNZIP_FAILED);
            throw new UncheckedIOException(e);
        }
    }

    private static long copy(InputStream in, Path target, long budget) throws IOException {
        long n = 0;
        byte[] buf = new byte[64 * 1024];
        try (var out = Files.newOutputStream(target)) {
            for (int r; (r = in.read(buf)) > 0; ) {
                n += r;
                if (n > budget) {
                    throw invalid("Unzipped size must be smaller than " + MAX_UNZIPPED + " bytes");
                }
                out.write(buf, 0, r);
            }
        }
        return n;
    }

    /** Code is read-only, as /var/task is on AWS (Python, for one, then writes no __pycache__ there). */
    private static void readOnlyDirectories(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("r-xr-xr-x"));
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static AwsException invalid(String message) {
        return new AwsException("InvalidParameterValueException", message, 400);
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
                    return FileVisitResult.CONTINUE;
                }

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
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
