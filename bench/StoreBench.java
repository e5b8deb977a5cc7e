import dev.nimbus.store.SqliteStore;
import dev.nimbus.store.Table;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How the durable store serves point reads while writers commit: virtual threads reading random
 * keys next to virtual threads writing (single puts, and 50-put transactions), on a real data dir;
 * then writers alone, 1 and 16 of them, doing single puts and 2-put transactions (concurrent ones
 * share commits), with the process's CPU time per write.
 * Each loop yields once per operation, as a request handler parks on its socket between requests:
 * virtual threads are not time-sliced, so loops that never park would keep the carriers to themselves.
 *
 * Run from the repository root:
 *   mvn -o -q -B package -DskipTests && java -cp 'target/classes:target/lib/*' bench/StoreBench.java [seconds]
 */
public class StoreBench {
    static final int KEYS = 20_000;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path dir = Files.createTempDirectory("nimbus-storebench-");
        try (SqliteStore store = SqliteStore.open(dir)) {
            Table t = store.table("bench");
            byte[] value = "{\"payload\":\"0123456789abcdef0123456789abcdef0123456789abcdef\"}".getBytes(StandardCharsets.UTF_8);
            store.transaction(() -> {
                for (int i = 0; i < KEYS; i++) t.put(key(i), value);
            });
            System.out.printf("%-34s %12s %12s %12s %12s %14s%n", "scenario", "reads/s", "read p50 us", "read p99 us", "writes/s", "CPU us/put");
            run(store, t, value, "reads only (8 readers)", 8, 0, 0, seconds);
            run(store, t, value, "8 readers + 2 writers (puts)", 8, 2, 1, seconds);
            run(store, t, value, "8 readers + 2 writers (50-put txns)", 8, 2, 50, seconds);
            run(store, t, value, "1 writer (puts)", 0, 1, 1, seconds);
            run(store, t, value, "16 writers (puts)", 0, 16, 1, seconds);
            run(store, t, value, "1 writer (2-put txns)", 0, 1, 2, seconds);
            run(store, t, value, "16 writers (2-put txns)", 0, 16, 2, seconds);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    static String key(int i) {
        return String.format("000000000000/us-east-1/item-%08d", i);
    }

    /** perWrite: puts per write, 1 for a single put outside a transaction, more for a transaction of that many. */
    static void run(SqliteStore store, Table t, byte[] value, String name, int readers, int writers, int perWrite, int seconds)
            throws InterruptedException {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        AtomicBoolean stop = new AtomicBoolean();
        List<long[]> latencies = new ArrayList<>();
        long[] writes = new long[writers];
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < readers; r++) {
            long[] lat = new long[20_000_000];
            latencies.add(lat);
            threads.add(Thread.ofVirtual().start(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                int n = 0;
                while (!stop.get() && n < lat.length - 1) {
                    long t0 = System.nanoTime();
                    if (t.get(key(rnd.nextInt(KEYS))) == null) throw new IllegalStateException("missing key");
                    lat[++n] = System.nanoTime() - t0;
                    Thread.yield();
                }
                lat[0] = n;
            }));
        }
        for (int w = 0; w < writers; w++) {
            int id = w;
            threads.add(Thread.ofVirtual().start(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (!stop.get()) {
                    if (perWrite > 1) {
                        store.transaction(() -> {
                            for (int i = 0; i < perWrite; i++) t.put(key(rnd.nextInt(KEYS)), value);
                        });
                        writes[id] += perWrite;
                    } else {
                        t.put(key(rnd.nextInt(KEYS)), value);
                        writes[id]++;
                    }
                    Thread.yield();
                }
            }));
        }
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        for (Thread th : threads) th.join();
        long cpu = os.getProcessCpuTime() - cpu0;
        int total = 0;
        for (long[] l : latencies) total += (int) l[0];
        long[] all = new long[total];
        int at = 0;
        for (long[] l : latencies) {
            System.arraycopy(l, 1, all, at, (int) l[0]);
            at += (int) l[0];
        }
        Arrays.sort(all);
        long w = Arrays.stream(writes).sum();
        System.out.printf("%-34s %12.0f %12.1f %12.1f %12.0f %14s%n", name, total / (double) seconds, all.length == 0 ? 0 : all[all.length / 2] / 1e3,
                all.length == 0 ? 0 : all[(int) (all.length * 0.99)] / 1e3, w / (double) seconds,
                readers == 0 && w > 0 ? String.format("%.1f", cpu / 1e3 / w) : "");
    }
}
