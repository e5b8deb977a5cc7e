package dev.nimbus.store;

import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The process CrashTest kills: opens a store and writes to it as fast as it can, printing
 * "ack N" only once write N has returned, until SIGKILL ends it. Never closes the store.
 *
 * args: records|group|blobs|hold DATA_DIR ROUND
 */
public final class CrashChild {
    private CrashChild() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path dir = Path.of(args[1]);
        String round = args[2];
        PrintStream out = System.out;
        SqliteStore store = SqliteStore.open(dir);
        out.println("open");
        out.flush();
        switch (mode) {
            case "records" -> {
                Table t = store.table(CrashTest.TABLE);
                for (int i = 0; ; i++) {
                    int n = i;
                    t.put(CrashTest.key(round, "single", n), CrashTest.record(round, "single", n));
                    store.transaction(() -> {
                        t.put(CrashTest.key(round, "pairA", n), CrashTest.record(round, "pairA", n));
                        t.put(CrashTest.key(round, "pairB", n), CrashTest.record(round, "pairB", n));
                    });
                    out.println("ack " + n);
                    out.flush();
                }
            }
            case "group" -> {
                // GROUP_WRITERS threads writing at once; "ack W N" once writer W's write N returned
                Table t = store.table(CrashTest.TABLE);
                for (int w = 0; w < CrashTest.GROUP_WRITERS; w++) {
                    String name = round + "w" + w;
                    int id = w;
                    Thread.ofVirtual().start(() -> {
                        for (int i = 0; ; i++) {
                            int n = i;
                            if (n % 2 == 0) {
                                t.put(CrashTest.key(name, "single", n), CrashTest.record(name, "single", n));
                            } else {
                                store.transaction(() -> {
                                    t.put(CrashTest.key(name, "pairA", n), CrashTest.record(name, "pairA", n));
                                    t.put(CrashTest.key(name, "pairB", n), CrashTest.record(name, "pairB", n));
                                });
                            }
                            synchronized (out) {
                                out.println("ack " + id + " " + n);
                                out.flush();
                            }
                        }
                    });
                }
                Thread.sleep(Long.MAX_VALUE);
            }
            case "blobs" -> {
                for (int v = 0; ; v++) {
                    store.blobs().write(CrashTest.CURRENT_BLOB, new ByteArrayInputStream(CrashTest.blob(v)));
                    store.blobs().write(CrashTest.versionBlob(v), new ByteArrayInputStream(CrashTest.blob(v)));
                    out.println("ack " + v);
                    out.flush();
                }
            }
            case "hold" -> Thread.sleep(Long.MAX_VALUE);
            default -> throw new IllegalArgumentException(mode);
        }
    }
}
