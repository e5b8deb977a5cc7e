package dev.nimbus.services.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nimbus.protocol.AwsException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Functions without a reservation share what the reservations leave of the regional limit (too many to start in a test otherwise: AWS keeps 100 unreserved). */
class RegionalConcurrencyTest {
    @Test
    void unreservedFunctionsShareWhatReservationsLeave() {
        AtomicInteger reserved = new AtomicInteger(2);
        RegionalConcurrency limit = new RegionalConcurrency(LambdaLimits.defaults().withConcurrency(3), key -> reserved.get());
        limit.acquire("111122223333", "us-east-1", 128, false);
        AwsException e = assertThrows(AwsException.class, () -> limit.acquire("111122223333", "us-east-1", 128, false));
        assertEquals(429, e.status());
        assertEquals("TooManyRequestsException", e.code());
        // The reservations stay available to their functions, and other accounts have their own pool.
        limit.acquire("111122223333", "us-east-1", 128, true);
        limit.acquire("111122223333", "us-east-1", 128, true);
        limit.acquire("444455556666", "us-east-1", 128, false);
        // The regional total still holds: three are running.
        assertThrows(AwsException.class, () -> limit.acquire("111122223333", "us-east-1", 128, true));

        limit.release("111122223333", "us-east-1", 128, true);
        limit.release("111122223333", "us-east-1", 128, true);
        reserved.set(0);
        limit.reservationsChanged("111122223333", "us-east-1");
        limit.acquire("111122223333", "us-east-1", 128, false);
        limit.acquire("111122223333", "us-east-1", 128, false);
        assertThrows(AwsException.class, () -> limit.acquire("111122223333", "us-east-1", 128, false));
    }
}
