package dev.nimbus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Writes queued behind a running commit are committed together; each caller gets its own result or
 * its own failure, and a failed write leaves nothing behind while the others of its batch stand.
 */
class GroupCommitTest {
    private static final int WRITERS = 8;

    @Test
    void writesQueuedBehindACommitStandOrFailEachOnItsOwn() throws Exception {
        try (SqliteStore store = SqliteStore.ephemeral()) {
            Table t = store.table("t");
            GroupCommit commits = new GroupCommit(store);
            CountDownLatch release = new CountDownLatch(1);
            // The first write holds the commit until the others are queued behind it, so they make one batch.
            Thread first = Thread.ofPlatform().start(() -> commits.run(() -> {
                t.put("first", bytes("1"));
                awaitQuietly(release);
                return null;
            }));
            awaitWaiting(first);
            Map<Integer, Object> outcomes = new ConcurrentHashMap<>();
            List<Thread> writers = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                int n = i;
                Supplier<String> work = () -> {
                    t.put("k" + n, bytes("v" + n));
                    if (n == 3) throw new IllegalStateException("write 3 refused");
                    return "done " + n;
                };
                writers.add(Thread.ofPlatform().start(() -> {
                    try {
                        outcomes.put(n, commits.run(work));
                    } catch (IllegalStateException e) {
                        outcomes.put(n, e);
                    }
                }));
            }
            // every writer queued its write and waits for the lock the first one's commit holds
            for (Thread w : writers) awaitWaiting(w);
            release.countDown();
            first.join();
            for (Thread w : writers) w.join();

            assertEquals("1", text(t.get("first")));
            for (int i = 0; i < WRITERS; i++) {
                if (i == 3) {
                    assertTrue(outcomes.get(i) instanceof IllegalStateException e && e.getMessage().equals("write 3 refused"));
                    assertNull(t.get("k3"));
                } else {
                    assertEquals("done " + i, outcomes.get(i));
                    assertEquals("v" + i, text(t.get("k" + i)));
                }
            }
        }
    }

    @Test
    void aWriteAloneCommitsAndReturnsItsResult() {
        try (SqliteStore store = SqliteStore.ephemeral()) {
            Table t = store.table("t");
            GroupCommit commits = new GroupCommit(store);
            assertEquals("ok", commits.run(() -> {
                t.put("a", bytes("b"));
                return "ok";
            }));
            assertEquals("b", text(t.get("a")));
        }
    }

    /** Until the thread waits (a lock, a latch), for at most 10 s: the checks hold either way, only the batch may not form. */
    private static void awaitWaiting(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) Thread.sleep(1);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
