package dev.nimbus.services.lambda;

import dev.nimbus.protocol.AwsException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;

/**
 * The regional concurrency limit: invocations running at once per account and region, as AWS
 * counts them (default 1,000), and, since every invocation here runs on this one host, the sum of
 * their MemorySize within the host's memory budget. Past either, an invocation is throttled as
 * AWS throttles past the regional limit. Functions without reserved concurrency share what the
 * reservations leave (UnreservedConcurrentExecutions), so a reservation is always available to
 * its function, as in AWS.
 */
final class RegionalConcurrency {
    private final ConcurrentHashMap<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> unreservedRunning = new ConcurrentHashMap<>();
    /** The sum of reservations per account/region, read from the store on first use and after each change. */
    private final ConcurrentHashMap<String, Integer> reservations = new ConcurrentHashMap<>();
    private final ToIntFunction<String> sumReservations;
    private final AtomicLong memoryInUse = new AtomicLong();
    private volatile LambdaLimits limits;

    /** @param sumReservations the reserved concurrency of all functions of an "account/region" */
    RegionalConcurrency(LambdaLimits limits, ToIntFunction<String> sumReservations) {
        this.limits = limits;
        this.sumReservations = sumReservations;
    }

    /** A function's reservation was set or removed (or the function deleted). */
    void reservationsChanged(String account, String region) {
        reservations.remove(account + "/" + region);
    }

    void limit(LambdaLimits l) {
        limits = l;
    }

    int limit() {
        return limits.concurrency();
    }

    /**
     * Counts an invocation in, or throws AWS's 429; a successful call must be paired with
     * {@link #release} with the same arguments.
     *
     * @param reserved whether the function has reserved concurrency (its own limit is checked by the caller)
     */
    void acquire(String account, String region, int memoryMb, boolean reserved) {
        String key = account + "/" + region;
        AtomicInteger count = running.computeIfAbsent(key, k -> new AtomicInteger());
        if (count.incrementAndGet() > limits.concurrency()) {
            count.decrementAndGet();
            throw throttled();
        }
        if (!reserved) {
            AtomicInteger shared = unreservedRunning.computeIfAbsent(key, k -> new AtomicInteger());
            if (shared.incrementAndGet() > limits.concurrency() - reservations.computeIfAbsent(key, sumReservations::applyAsInt)) {
                shared.decrementAndGet();
                count.decrementAndGet();
                throw throttled();
            }
        }
        if (memoryInUse.addAndGet(memoryMb) > limits.memoryBudgetMb()) {
            release(account, region, memoryMb, reserved);
            throw throttled();
        }
    }

    void release(String account, String region, int memoryMb, boolean reserved) {
        String key = account + "/" + region;
        memoryInUse.addAndGet(-memoryMb);
        running.get(key).decrementAndGet();
        if (!reserved) unreservedRunning.get(key).decrementAndGet();
    }

    private static AwsException throttled() {
        return new AwsException("TooManyRequestsException", "Rate Exceeded.", 429).with("Reason", "ConcurrentInvocationLimitExceeded");
    }
}
