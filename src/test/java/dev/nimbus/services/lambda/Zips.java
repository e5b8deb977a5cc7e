package dev.nimbus.services.lambda;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import software.amazon.awssdk.core.SdkBytes;

/** Deployment packages built in the test, as a user's zip tool would. */
public final class Zips {
    private Zips() {}

    /** Pairs of file name and content: {@code zip("app.py", "def handler(e, c): return 1")}. */
    public static byte[] zip(String... nameThenContent) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (int i = 0; i < nameThenContent.length; i += 2) {
                zip.putNextEntry(new ZipEntry(nameThenContent[i]));
                zip.write(nameThenContent[i + 1].getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static SdkBytes sdk(String... nameThenContent) {
        return SdkBytes.fromByteArray(zip(nameThenContent));
    }

    /**
     * Whether a process has ended: gone, or a zombie. Processes orphaned inside a sandbox's PID
     * namespace are reaped by the host's init, which may take its time; a zombie runs nothing.
     */
    static boolean ended(ProcessHandle p) {
        if (!p.isAlive()) return true;
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(p.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (IOException e) {
            return !p.isAlive();
        }
    }

    static final String ROLE = "arn:aws:iam::000000000000:role/lambda-role";

    static Map<String, String> env(String... kv) {
        java.util.LinkedHashMap<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }
}
