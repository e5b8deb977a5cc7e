package dev.nimbus.services.cloudwatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.store.SqliteStore;
import dev.nimbus.store.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retention and roll-up need time to pass: Metrics with a clock the test moves. */
class MetricsRollUpTest {
    static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");

    Store store;
    Instant now = T0;
    Metrics metrics;

    @BeforeEach
    void open() {
        store = SqliteStore.ephemeral();
        metrics = new Metrics(store, () -> now);
    }

    @AfterEach
    void close() {
        store.close();
    }

    JsonNode metric() {
        return metrics.metric("123456789012", "eu-west-1", "App", "Latency", new TreeMap<>());
    }

    /** Sum, SampleCount and Maximum per period from T0 to now. */
    List<String> series(int period) {
        return metrics.query(metric(), T0, now, period, null).stream()
                .map(p -> p.time() + "=" + p.stats().stat("Sum") + "/" + p.stats().stat("SampleCount") + "/" + p.stats().stat("Maximum")).toList();
    }

    @Test
    void oldDataRollsUpIntoCoarserBucketsAndExpires() {
        // One value a second for two minutes (high resolution), then one a minute for ten minutes.
        for (int s = 0; s < 120; s++) {
            metrics.record("123456789012", "eu-west-1", "App", "Latency", new TreeMap<>(), Metrics.Stats.of(s, 1), "Milliseconds", T0.plusSeconds(s), 1);
        }
        for (int m = 2; m < 12; m++) metrics.put("123456789012", "eu-west-1", "App", "Latency", Map.of(), 1000 + m, "Milliseconds", T0.plusSeconds(60L * m));
        now = T0.plus(Duration.ofMinutes(15));
        assertEquals(0, metrics.rollUp(), "nothing is old enough yet");

        now = T0.plus(Duration.ofHours(4)); // past 3 hours: seconds become minutes
        assertEquals(120, metrics.rollUp());
        assertEquals(T0 + "=" + 1770.0 + "/60.0/59.0", series(60).getFirst());
        assertEquals(12, series(60).size());
        assertEquals(List.of(), series(1), "periods under a minute are not served 3 hours on");

        now = T0.plus(Duration.ofDays(16)); // past 15 days: 5-minute buckets, and 1-minute periods get nothing
        assertTrue(metrics.rollUp() > 0);
        assertEquals(List.of(), series(60));
        List<String> fiveMinutes = series(300);
        assertEquals(3, fiveMinutes.size());
        assertEquals(T0 + "=" + (7140.0 + 1002 + 1003 + 1004) + "/123.0/1004.0", fiveMinutes.get(0));

        now = T0.plus(Duration.ofDays(64)); // past 63 days: hours
        metrics.rollUp();
        assertEquals(List.of(T0 + "=" + (7140.0 + 10065) + "/130.0/1011.0"), series(3600));
        assertEquals(List.of(), series(300));

        now = T0.plus(Duration.ofDays(456)); // past 455 days: gone
        assertEquals(1, metrics.rollUp());
        assertEquals(List.of(), series(3600));
        assertEquals(0, metrics.rollUp());
    }
}
