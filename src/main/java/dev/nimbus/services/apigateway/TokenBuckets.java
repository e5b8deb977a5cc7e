package dev.nimbus.services.apigateway;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Request throttling as API Gateway does it: a token bucket per slot, holding up to {@code burst} tokens, refilled at {@code rate} a second. */
final class TokenBuckets {
    private final Map<String, double[]> buckets = new ConcurrentHashMap<>();

    /** Takes a token for one request; false when the slot is out of tokens (answer 429). */
    boolean take(String slot, double rate, double burst) {
        double capacity = Math.max(burst, 1);
        long now = System.nanoTime();
        boolean[] ok = new boolean[1];
        buckets.compute(slot, (k, b) -> {
            if (b == null) b = new double[] {capacity, now};
            b[0] = Math.min(capacity, b[0] + (now - (long) b[1]) / 1e9 * rate);
            b[1] = now;
            if (b[0] >= 1) {
                b[0] -= 1;
                ok[0] = true;
            }
            return b;
        });
        return ok[0];
    }
}
