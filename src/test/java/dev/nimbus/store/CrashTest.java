package dev.nimbus.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged writes survive kill -9: a child JVM writes and acknowledges, the test kills it
 * with SIGKILL mid-stream, reopens the data dir and checks every acknowledged write is there and
 * intact, transactions whole, blobs whole.
 */
@Timeout(180)
class CrashTest {
    static final String TABLE = "crash";
    static final String CURRENT_BLOB = "objects/current";
    static final int GROUP_WRITERS = 8;
    private static final int BLOB_SIZE = 256 * 1024;

    @TempDir
    Path tmp;

    static String key(String round, String kind, int i) {
        return round + "/" + kind + "/" + String.format("%08d", i);
    }

    /** A value that can only be this key's: its name, then a pattern derived from it. */
    static byte[] record(String round, String kind, int i) {
        String name = key(round, kind, i);
        StringBuilder b = new StringBuilder(name).append(':');
        for (int j = 0; j < 200; j++) b.append((char) ('a' + (name.hashCode() + j * 7 & 0x7fffffff) % 26));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String versionBlob(int v) {
        return "objects/v" + v;
    }

    /** Version v of a blob: the version, then bytes derived from it. */
    static byte[] blob(int v) {
        ByteBuffer b = ByteBuffer.allocate(BLOB_SIZE).putInt(v);
        while (b.hasRemaining()) b.put((byte) (v * 31 + b.position()));
        return b.array();
    }

    private Path data() {
        return tmp.resolve("data");
    }

    private Process start(String mode, String round) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED",
                // sqlite-jdbc unpacks its native library per process; a killed one cannot clean up, so keep it in the test's dir
                "-Dorg.sqlite.tmpdir=" + tmp, CrashChild.class.getName(), mode, data().toString(), round);
        pb.redirectError(tmp.resolve("child-" + mode + "-" + round + ".err").toFile());
        return pb.start();
    }

    /** Waits for the child to open the store and write {@code acks} times, kills it, and returns the last write it acknowledged. */
    private int killAfter(Process child, String name, int acks) throws IOException, InterruptedException {
        int last = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            if (!"open".equals(out.readLine())) fail("child did not open the store: " + childErrors(name));
            String line;
            while (last + 1 < acks && (line = out.readLine()) != null) last = Integer.parseInt(line.substring(4));
            if (last + 1 < acks) fail("child stopped early: " + childErrors(name));
            // let the kill land anywhere in the next writes: before, inside or after a commit, a fsync, a rename
            Thread.sleep(ThreadLocalRandom.current().nextInt(30));
            // SIGKILL through the handle: Process.destroyForcibly would also close our end of the pipe,
            // and acknowledgements already in it when the signal landed count too.
            child.toHandle().destroyForcibly();
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ack ")) last = Integer.parseInt(line.substring(4));
            }
        }
        assertEquals(137, child.waitFor(), "killed by SIGKILL, not finished on its own");
        return last;
    }

    private String childErrors(String name) throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            StringBuilder b = new StringBuilder();
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith("child-" + name)).toList()) b.append(Files.readString(p));
            return b.toString();
        }
    }

    @Test
    void acknowledgedRecordsAndTransactionsSurviveKill9() throws Exception {
        int[] lastAck = new int[3];
        for (int round = 0; round < lastAck.length; round++) {
            lastAck[round] = killAfter(start("records", "r" + round), "records-r" + round, 300);
            try (SqliteStore store = SqliteStore.open(data())) {
                Table t = store.table(TABLE);
                // every round so far, not only the last: later crashes must not lose earlier writes
                for (int r = 0; r <= round; r++) {
                    String name = "r" + r;
                    for (int i = 0; i <= lastAck[r]; i++) {
                        for (String kind : new String[] {"single", "pairA", "pairB"}) {
                            byte[] v = t.get(key(name, kind, i));
                            assertNotNull(v, "acknowledged " + key(name, kind, i) + " lost");
                            assertArrayEquals(record(name, kind, i), v, key(name, kind, i));
                        }
                    }
                    // whatever was in flight is whole or absent: a transaction never half there
                    for (Table.Entry e : t.scan(name + "/pairA/", null, Integer.MAX_VALUE)) {
                        int i = Integer.parseInt(e.key().substring(e.key().lastIndexOf('/') + 1));
                        assertArrayEquals(record(name, "pairA", i), e.value());
                        assertArrayEquals(record(name, "pairB", i), t.get(key(name, "pairB", i)), "pair " + i + " half committed");
                    }
                    assertEquals(t.count(name + "/pairA/"), t.count(name + "/pairB/"));
                    for (Table.Entry e : t.scan(name + "/single/", null, Integer.MAX_VALUE)) {
                        int i = Integer.parseInt(e.key().substring(e.key().lastIndexOf('/') + 1));
                        assertArrayEquals(record(name, "single", i), e.value());
                    }
                }
            }
        }
    }

    /** Eight writers at once (the writer lock handed between them mid-stream): every acknowledged one survives, transactions whole. */
    @Test
    void writesThatSharedCommitsSurviveKill9() throws Exception {
        Process child = start("group", "g");
        int[] last = new int[GROUP_WRITERS];
        Arrays.fill(last, -1);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            if (!"open".equals(out.readLine())) fail("child did not open the store: " + childErrors("group"));
            int acks = 0;
            String line;
            while (acks < 2000 && (line = out.readLine()) != null) {
                String[] p = line.split(" ");
                last[Integer.parseInt(p[1])] = Integer.parseInt(p[2]);
                acks++;
            }
            if (acks < 2000) fail("child stopped early: " + childErrors("group"));
            Thread.sleep(ThreadLocalRandom.current().nextInt(30));
            child.toHandle().destroyForcibly();
            while ((line = out.readLine()) != null) {
                String[] p = line.split(" ");
                // max: a line cut short by the kill can only read lower
                if (p.length == 3 && p[0].equals("ack")) last[Integer.parseInt(p[1])] = Math.max(last[Integer.parseInt(p[1])], Integer.parseInt(p[2]));
            }
        }
        assertEquals(137, child.waitFor(), "killed by SIGKILL, not finished on its own");
        try (SqliteStore store = SqliteStore.open(data())) {
            Table t = store.table(TABLE);
            for (int w = 0; w < GROUP_WRITERS; w++) {
                String name = "gw" + w;
                for (int i = 0; i <= last[w]; i++) {
                    for (String kind : i % 2 == 0 ? new String[] {"single"} : new String[] {"pairA", "pairB"}) {
                        assertArrayEquals(record(name, kind, i), t.get(key(name, kind, i)), "acknowledged " + key(name, kind, i));
                    }
                }
                for (Table.Entry e : t.scan(name + "/pairA/", null, Integer.MAX_VALUE)) {
                    int i = Integer.parseInt(e.key().substring(e.key().lastIndexOf('/') + 1));
                    assertArrayEquals(record(name, "pairB", i), t.get(key(name, "pairB", i)), "pair " + i + " half committed");
                }
                assertEquals(t.count(name + "/pairA/"), t.count(name + "/pairB/"));
            }
        }
    }

    @Test
    void blobsAreWholeOldOrWholeNewAfterKill9() throws Exception {
        int last = killAfter(start("blobs", "b"), "blobs-b", 40);
        try (SqliteStore store = SqliteStore.open(data())) {
            try (Stream<Path> staging = Files.list(data().resolve("blobs/.staging"))) {
                assertEquals(0, staging.count(), "unfinished writes are swept at open");
            }
            Blobs blobs = store.blobs();
            for (int v = 0; v <= last; v++) assertBlob(blobs, versionBlob(v), v);
            // the one being written when the kill came is all there or not at all
            if (blobs.size(versionBlob(last + 1)) >= 0) assertBlob(blobs, versionBlob(last + 1), last + 1);
            try (InputStream in = blobs.open(CURRENT_BLOB)) {
                byte[] current = in.readAllBytes();
                int v = ByteBuffer.wrap(current).getInt();
                assertTrue(v == last || v == last + 1, "current is the last acknowledged version or the next, not " + v);
                assertArrayEquals(blob(v), current);
            }
        }
    }

    private static void assertBlob(Blobs blobs, String id, int v) throws IOException {
        try (InputStream in = blobs.open(id)) {
            assertNotNull(in, "acknowledged blob " + id + " lost");
            assertArrayEquals(blob(v), in.readAllBytes(), id);
        }
    }

    @Test
    void aDataDirInUseByAnotherProcessIsRefused() throws Exception {
        Process holder = start("hold", "h");
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            if (!"open".equals(out.readLine())) fail("child did not open the store: " + childErrors("hold"));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SqliteStore.open(data()));
            assertTrue(e.getMessage().contains("in use by another Nimbus process"), e.getMessage());
        } finally {
            holder.destroyForcibly();
            holder.waitFor();
        }
        // the dead holder's lock went with it
        try (SqliteStore store = SqliteStore.open(data())) {
            store.table("t").put("k", new byte[] {1});
        }
    }
}
