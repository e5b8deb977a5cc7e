package dev.nimbus.services.apigateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.nimbus.services.cloudwatch.Metrics;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Latency tallies: exact count, sum, min and max; the percentile distribution to 3 significant digits. */
class LatencySamplesTest {
    @Test
    void keepsExactAggregatesAndARoundedDistribution() {
        Observability.Samples s = new Observability.Samples();
        assertNull(s.stats(), "nothing measured, nothing to write");
        for (double v : List.of(1.23456, 1.2349, 0.0012345, 987.6)) s.add(v);
        Metrics.Stats stats = s.stats();
        assertEquals(4, stats.count());
        assertEquals(1.23456 + 1.2349 + 0.0012345 + 987.6, stats.sum(), 1e-9);
        assertEquals(0.0012345, stats.min());
        assertEquals(987.6, stats.max());
        assertEquals(List.of(0.00123, 1.23, 988.0), List.copyOf(stats.values().keySet()));
        assertEquals(2.0, stats.values().get(1.23), "1.23456 and 1.2349 fall on the same value");
    }
}
