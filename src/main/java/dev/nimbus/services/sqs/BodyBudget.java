package dev.nimbus.services.sqs;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How much message content (bodies and attributes) the queues of one server hold in memory; past
 * it, a message's content stays in the store alone and a receive reads it from there. Why: every
 * message held in memory is copied by each young garbage collection until it is promoted, so a
 * backlog (an SNS topic fanning out to ten queues nobody reads yet) once spent a fifth of the
 * server's time in collection pauses (bench/README.md, SnsBench), and a big enough backlog of 256 KiB messages would not fit
 * in the heap at all. What stays in memory per message beyond the budget is its index entry
 * (ids, digests, delivery state), about a tenth of an SNS envelope.
 */
final class BodyBudget {
    /** Enough for the messages a local app keeps in flight; a backlog past it is read from the store's page cache. */
    static final long DEFAULT_BYTES = 32L << 20;

    private final long max;
    private final AtomicLong held = new AtomicLong();

    BodyBudget(long max) {
        this.max = max;
    }

    /** Whether {@code bytes} more may be held; if so they are counted until {@link #release}d. */
    boolean take(int bytes) {
        if (held.addAndGet(bytes) <= max) return true;
        held.addAndGet(-bytes);
        return false;
    }

    void release(int bytes) {
        held.addAndGet(-bytes);
    }

    long held() {
        return held.get();
    }
}
