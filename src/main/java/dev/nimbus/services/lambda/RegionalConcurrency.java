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
    private final ConcurrentHashMap<String, AtomicInteger> running = new ConcurrentHashMap<>();
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

    /** Counts an invocation in, or throws AWS's 429; a successful call must be paired with {@link #release}. */
    void acquire(String account, String region, int memoryMb) {
        AtomicInteger count = running.computeIfAbsent(account + "/" + region, k -> new AtomicInteger());
        if (count.incrementAndGet() > limits.concurrency()) {
            count.decrementAndGet();
            throw throttled();
        }
        if (memoryInUse.addAndGet(memoryMb) > limits.memoryBudgetMb()) {
            memoryInUse.addAndGet(-memoryMb);
            count.decrementAndGet();
            throw throttled();
        }
    }

    /** Invocations of the account running in the region now (AWS/Lambda ConcurrentExecutions without dimensions). */
    int running(String account, String region) {
        AtomicInteger count = running.get(account + "/" + region);
        return count == null ? 0 : count.get();
    }

    void release(String account, String region, int memoryMb) {
        memoryInUse.addAndGet(-memoryMb);
        running.get(account + "/" + region).decrementAndGet();
    }

    private static AwsException throttled() {
        return new AwsException("TooManyRequestsException", "Rate Exceeded.", 429).with("Reason", "ConcurrentInvocationLimitExceeded");
    }
}
