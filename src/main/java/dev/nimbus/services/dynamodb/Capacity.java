package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.AwsException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Provisioned throughput of PROVISIONED tables, as DynamoDB enforces it: a bucket per table and
 * kind (read, write) refilled at the provisioned units per second and holding up to five minutes of
 * unused capacity (DynamoDB's burst capacity); a request finding its bucket short is throttled.
 * On-demand tables are never throttled here. In memory: a restart refills every bucket.
 */
final class Capacity {
    private static final int BURST_SECONDS = 300;

    private static final class Bucket {
        double tokens;
        long at;
        double rate;
    }

    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** Takes the units, or throws ProvisionedThroughputExceededException when the table's bucket lacks them. */
    void consume(TableDef t, double units, boolean write) {
        take(t, units, write, true);
    }

    /** Takes units a request used beyond what it was let in for (a Query's pages): the bucket may go below zero, throttling what follows. */
    void charge(TableDef t, double units, boolean write) {
        take(t, units, write, false);
    }

    private void take(TableDef t, double units, boolean write, boolean check) {
        if (!t.description.path("BillingModeSummary").path("BillingMode").asText("PROVISIONED").equals("PROVISIONED")) return;
        JsonNode pt = t.description.path("ProvisionedThroughput");
        double rate = pt.path(write ? "WriteCapacityUnits" : "ReadCapacityUnits").asDouble(0);
        if (rate <= 0) return;
        Bucket b = buckets.computeIfAbsent(t.id + (write ? "/w" : "/r"), k -> {
            Bucket n = new Bucket();
            n.tokens = rate * BURST_SECONDS;
            n.at = System.nanoTime();
            n.rate = rate;
            return n;
        });
        synchronized (b) {
            long now = System.nanoTime();
            b.rate = rate; // UpdateTable may have changed it
            b.tokens = Math.min(rate * BURST_SECONDS, b.tokens + (now - b.at) / 1e9 * rate);
            b.at = now;
            if (check && b.tokens < units) {
                throw new AwsException("ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded. "
                        + "Consider increasing your provisioning level with the UpdateTable API.", 400);
            }
            b.tokens -= units;
        }
    }
}
