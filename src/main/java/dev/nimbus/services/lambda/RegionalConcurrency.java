package dev.nimbus.services.lambda;

import dev.nimbus.protocol.AwsException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The regional concurrency limit: invocations running at once per account and region, as AWS
 * counts them (default 1,000), and, since every invocation here runs on this one host, the sum of
 * their MemorySize within the host's memory budget. Past either, an invocation is throttled as
 * AWS throttles past the regional limit.
 */
final class RegionalConcurrency {
    /** Invocations running in one account and region: all of them, and those of functions without reserved concurrency. */
    private record Running(AtomicInteger all, AtomicInteger unreserved) {}

    private final ConcurrentHashMap<String, Running> running = new ConcurrentHashMap<>();
    private final AtomicLong memoryInUse = new AtomicLong();
    private volatile LambdaLimits limits;

    RegionalConcurrency(LambdaLimits limits) {
        this.limits = limits;
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
     */
    void acquire(String account, String region, int memoryMb, boolean reserved) {
        Running r = running.computeIfAbsent(account + "/" + region, k -> new Running(new AtomicInteger(), new AtomicInteger()));
        AtomicInteger count = r.all();
        if (count.incrementAndGet() > limits.concurrency()) {
            count.decrementAndGet();
            throw throttled();
        }
        if (memoryInUse.addAndGet(memoryMb) > limits.memoryBudgetMb()) {
            memoryInUse.addAndGet(-memoryMb);
            count.decrementAndGet();
            throw throttled();
        }
        if (!reserved) r.unreserved().incrementAndGet();
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
