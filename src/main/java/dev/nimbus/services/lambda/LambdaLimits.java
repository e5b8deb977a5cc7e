package dev.nimbus.services.lambda;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * How much Lambda may run at once on this server, and how long it keeps an unused environment.
 *
 * @param concurrency     concurrent invocations per account and region (AWS's default regional limit: 1,000)
 * @param memoryBudgetMb  the sum of the MemorySize of the invocations running at once, host-wide (default: the host's physical memory)
 * @param environmentIdle an execution environment unused this long is ended
 */
public record LambdaLimits(int concurrency, long memoryBudgetMb, Duration environmentIdle) {
    public LambdaLimits {
        if (concurrency < 1 || memoryBudgetMb < 128 || environmentIdle.isNegative() || environmentIdle.isZero()) {
            throw new IllegalArgumentException("Lambda limits out of range: " + concurrency + " invocations, " + memoryBudgetMb + " MB, " + environmentIdle);
        }
    }

    public static LambdaLimits defaults() {
        long physical = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return new LambdaLimits(1000, Math.max(128, physical / (1024 * 1024)), Duration.ofMinutes(10));
    }

    public LambdaLimits withConcurrency(int n) {
        return new LambdaLimits(n, memoryBudgetMb, environmentIdle);
    }

    public LambdaLimits withMemoryBudgetMb(long mb) {
        return new LambdaLimits(concurrency, mb, environmentIdle);
    }

    public LambdaLimits withEnvironmentIdle(Duration idle) {
        return new LambdaLimits(concurrency, memoryBudgetMb, idle);
    }
}
