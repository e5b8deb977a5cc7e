package dev.nimbus.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Writes that arrive together commit together: one store transaction runs every write queued so
 * far. A commit costs SQLite a few WAL frames (the changed pages, 8 KiB each, nearly always page 1
 * and a leaf's parent too), its file locks and now and then a checkpoint; concurrent small writes
 * to one table (S3 PUTs under one prefix, SNS publishes' SQS messages) change the same pages, so one
 * commit for several costs little more than one for one. Nobody waits to fill a batch: a write
 * queues, then takes the lock, and whoever gets it first commits all that is queued; the others
 * find theirs done. A write returns only after the commit that holds it, so it is exactly as
 * durable as a transaction of its own.
 *
 * <p>A write may run twice (see {@link #commitQueued}), so it must start from scratch each time it
 * runs, as a transaction that is retried does. Never call {@link #run} inside a store transaction: it
 * would wait for a leader that waits for the store's writer it holds.
 */
public final class GroupCommit {
    private final Store store;
    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();

    public GroupCommit(Store store) {
        this.store = store;
    }

    /** One queued write; its fields are written by the committing thread and read after it releases the lock. */
    private static final class Pending {
        final Supplier<?> work;
        boolean done;
        Object result;
        Throwable failure;

        Pending(Supplier<?> work) {
            this.work = work;
        }
    }

    /** Runs {@code work} atomically (as {@link Store#transaction}) and returns once it is committed. */
    @SuppressWarnings("unchecked")
    public <T> T run(Supplier<T> work) {
        Pending p = new Pending(work);
        queue.add(p);
        lock.lock();
        try {
            if (!p.done) commitQueued();
        } finally {
            lock.unlock();
        }
        if (p.failure instanceof RuntimeException e) throw e;
        if (p.failure instanceof Error e) throw e;
        return (T) p.result;
    }

    /**
     * Commits every queued write (this caller's among them); called holding the lock. The writes run
     * one after the other in one transaction. If one fails, that transaction is rolled back and each
     * write runs again in a transaction of its own, so the failure stays with its write. (Savepoints
     * would undo a failed write alone too, but SQLite copies every page a savepoint touches to a
     * statement journal, a temporary file once it passes 64 KiB: more writing than the batch saves.)
     */
    private void commitQueued() {
        List<Pending> batch = new ArrayList<>();
        for (Pending q; (q = queue.poll()) != null; ) batch.add(q);
        try {
            if (batch.size() > 1) {
                try {
                    List<Object> results = store.transaction(() -> {
                        List<Object> out = new ArrayList<>(batch.size());
                        for (Pending q : batch) out.add(q.work.get());
                        return out;
                    });
                    for (int i = 0; i < batch.size(); i++) batch.get(i).result = results.get(i);
                    return;
                } catch (RuntimeException | Error e) {
                    // some write failed, or the commit did: each on its own below
                }
            }
            for (Pending q : batch) {
                try {
                    q.result = store.transaction(q.work);
                } catch (RuntimeException | Error e) {
                    q.failure = e;
                }
            }
        } finally {
            for (Pending q : batch) q.done = true;
        }
    }
}
