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
    /** Invocations running in one account and region: all of them, and those of functions without reserved concurrency. */
    private record Running(AtomicInteger all, AtomicInteger unreserved) {}

    private final ConcurrentHashMap<String, Running> running = new ConcurrentHashMap<>();
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
     * Counts an invocation of a function with ({@code reserved}) or without reserved concurrency in,
     * or throws AWS's 429; a successful call must be paired with {@link #release} with the same arguments.
     * The caller checks a reserved function's own limit.
     */
    void acquire(String account, String region, int memoryMb, boolean reserved) {
        String key = account + "/" + region;
        Running r = running.computeIfAbsent(key, k -> new Running(new AtomicInteger(), new AtomicInteger()));
        if (r.all().incrementAndGet() > limits.concurrency()) {
            r.all().decrementAndGet();
            throw throttled();
        }
        if (!reserved && r.unreserved().incrementAndGet() > limits.concurrency() - reservations.computeIfAbsent(key, sumReservations::applyAsInt)) {
            r.unreserved().decrementAndGet();
            r.all().decrementAndGet();
            throw throttled();
        }
        if (memoryInUse.addAndGet(memoryMb) > limits.memoryBudgetMb()) {
            release(account, region, memoryMb, reserved);
            throw throttled();
        }
    }

    /**
     * Invocations of the account running in the region now, all of them ({@code unreserved} false:
     * AWS/Lambda ConcurrentExecutions) or those of functions without reserved concurrency (UnreservedConcurrentExecutions).
     */
    int running(String account, String region, boolean unreserved) {
        Running r = running.get(account + "/" + region);
        return r == null ? 0 : unreserved ? r.unreserved().get() : r.all().get();
    }

    void release(String account, String region, int memoryMb, boolean reserved) {
        memoryInUse.addAndGet(-memoryMb);
        Running r = running.get(account + "/" + region);
        r.all().decrementAndGet();
        if (!reserved) r.unreserved().decrementAndGet();
    }

    private static AwsException throttled() {
        return new AwsException("TooManyRequestsException", "Rate Exceeded.", 429).with("Reason", "ConcurrentInvocationLimitExceeded");
    }
}
