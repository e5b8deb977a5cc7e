package dev.nimbus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many virtual threads reading, writing and scanning one store at once: every read sees a value
 * some write put there, every scan is ordered, transactions keep their invariants, and the final
 * state is exactly what the writers did. The watching loops yield after each look: virtual threads
 * are not time-sliced, and loops that never park could keep the writers they wait for off the CPU.
 */
@Timeout(120)
class ConcurrencyTest {
    @TempDir
    Path dir;

    static Stream<Arguments> stores() {
        return TableTest.stores();
    }

    /** A value that names its key, so a reader can tell it belongs there. */
    private static byte[] value(String key, int version) {
        return (key + "#" + version).getBytes(StandardCharsets.UTF_8);
    }

    private static void assertValueOf(String key, byte[] v) {
        String s = new String(v, StandardCharsets.UTF_8);
        assertTrue(s.startsWith(key + "#"), "value " + s + " under key " + key);
    }

    /** Runs the tasks on virtual threads and rethrows the first failure. */
    private static void runAll(List<Runnable> tasks) throws InterruptedException {
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (Runnable r : tasks) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    r.run();
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : threads) t.join();
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("a concurrent task failed", failures.peek());
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void readersWritersAndScannersAtOnce(String kind, Function<Path, Store> open) throws InterruptedException {
        try (Store s = open.apply(dir)) {
            Table t = s.table("mixed");
            int writers = 16, keysPerWriter = 50, rounds = 20;
            List<Map<String, byte[]>> finals = new ArrayList<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            List<Runnable> tasks = new ArrayList<>();
            List<Runnable> writerTasks = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                Map<String, byte[]> mine = new HashMap<>();
                finals.add(mine);
                int id = w;
                writerTasks.add(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int r = 0; r < rounds; r++) {
                        for (int i = 0; i < keysPerWriter; i++) {
                            String k = String.format("w%02d/k%03d", id, i);
                            switch (rnd.nextInt(4)) {
                                case 0 -> {
                                    t.delete(k);
                                    mine.remove(k);
                                }
                                case 1 -> {
                                    byte[] v = value(k, r);
                                    if (t.putIfAbsent(k, v)) mine.put(k, v);
                                }
                                default -> {
                                    byte[] v = value(k, r);
                                    t.put(k, v);
                                    mine.put(k, v);
                                }
                            }
                        }
                    }
                });
            }
            tasks.add(() -> {
                try {
                    runAll(writerTasks);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                } finally {
                    writing.set(false);
                }
            });
            for (int r = 0; r < 16; r++) {
                tasks.add(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (writing.get()) {
                        String k = String.format("w%02d/k%03d", rnd.nextInt(writers), rnd.nextInt(keysPerWriter));
                        byte[] v = t.get(k);
                        if (v != null) assertValueOf(k, v);
                        Thread.yield();
                    }
                });
            }
            for (int r = 0; r < 4; r++) {
                tasks.add(() -> {
                    while (writing.get()) {
                        String after = null;
                        List<Table.Entry> page;
                        do {
                            page = t.scan("w", after, 64);
                            for (Table.Entry e : page) {
                                assertTrue(after == null || Keys.compare(after, e.key()) < 0, "ascending: " + after + " then " + e.key());
                                assertValueOf(e.key(), e.value());
                                after = e.key();
                            }
                        } while (page.size() == 64);
                        Thread.yield();
                    }
                });
            }
            runAll(tasks);

            Map<String, byte[]> expected = new TreeMap<>();
            finals.forEach(expected::putAll);
            Map<String, byte[]> actual = new TreeMap<>();
            for (Table.Entry e : t.scan("", null, Integer.MAX_VALUE)) actual.put(e.key(), e.value());
            assertEquals(expected.keySet(), actual.keySet());
            expected.forEach((k, v) -> assertEquals(new String(v, StandardCharsets.UTF_8), new String(actual.get(k), StandardCharsets.UTF_8)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void transfersKeepTheTotalForEveryReader(String kind, Function<Path, Store> open) throws InterruptedException {
        // Many short rounds, each on a fresh store: the first moments of a store, when its read connections
        // first meet the WAL, are where a read-then-write transaction once failed with SQLITE_BUSY.
        for (int round = 0; round < 30; round++) {
            try (Store s = open.apply(dir.resolve("round-" + round))) {
                transfers(s);
            }
        }
    }

    private static void transfers(Store s) throws InterruptedException {
        Table t = s.table("accounts");
        int accounts = 10;
        long total = accounts * 1000L;
        s.transaction(() -> {
            for (int i = 0; i < accounts; i++) t.put("acct/" + i, ByteBuffer.allocate(8).putLong(1000).array());
        });
        AtomicBoolean moving = new AtomicBoolean(true);
        List<Runnable> movers = new ArrayList<>();
        for (int m = 0; m < 8; m++) {
            movers.add(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                for (int i = 0; i < 100; i++) {
                    String from = "acct/" + rnd.nextInt(accounts), to = "acct/" + rnd.nextInt(accounts);
                    long amount = rnd.nextInt(50);
                    // reads first, then writes: the transaction must not fail when it starts writing
                    s.transaction(() -> {
                        long a = ByteBuffer.wrap(t.get(from)).getLong();
                        t.put(from, ByteBuffer.allocate(8).putLong(a - amount).array());
                        long b = ByteBuffer.wrap(t.get(to)).getLong();
                        t.put(to, ByteBuffer.allocate(8).putLong(b + amount).array());
                    });
                }
            });
        }
        List<Runnable> tasks = new ArrayList<>();
        tasks.add(() -> {
            try {
                runAll(movers);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                moving.set(false);
            }
        });
        for (int r = 0; r < 8; r++) {
            tasks.add(() -> {
                while (moving.get()) {
                    // one scan is one consistent snapshot: it never sees half a transfer
                    long sum = 0;
                    for (Table.Entry e : t.scan("acct/", null, 100)) sum += ByteBuffer.wrap(e.value()).getLong();
                    assertEquals(total, sum);
                    Thread.yield();
                }
            });
        }
        runAll(tasks);
        long sum = 0;
        for (Table.Entry e : t.scan("acct/", null, 100)) sum += ByteBuffer.wrap(e.value()).getLong();
        assertEquals(total, sum);
    }
}
