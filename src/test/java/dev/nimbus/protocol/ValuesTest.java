package dev.nimbus.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ValuesTest {
    /** The IMF-fixdate as java.time's pattern formatter writes it, for comparison with Values' own. */
    private static final DateTimeFormatter REFERENCE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    @Test
    void httpDateIsTheImfFixdate() {
        assertEquals("Tue, 03 Jun 2008 11:05:30 GMT", Values.httpDate(Instant.parse("2008-06-03T11:05:30.999Z")));
        assertEquals("Thu, 01 Jan 1970 00:00:00 GMT", Values.httpDate(Instant.EPOCH));
        assertEquals("Fri, 31 Dec 9999 23:59:59 GMT", Values.httpDate(Instant.parse("9999-12-31T23:59:59Z")));
        Random random = new Random(42);
        long low = Instant.parse("0001-01-01T00:00:00Z").getEpochSecond(), high = Instant.parse("+12000-01-01T00:00:00Z").getEpochSecond();
        for (int i = 0; i < 20_000; i++) {
            Instant t = Instant.ofEpochSecond(low + (long) (random.nextDouble() * (high - low)));
            assertEquals(REFERENCE.format(t), Values.httpDate(t), t.toString());
        }
    }

    @Test
    void isoMillisAlwaysHasThreeDigitsOfMillisAndMatchesThePatternFormatter() {
        DateTimeFormatter pattern = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
        assertEquals("2026-11-22T10:00:00.000Z", Values.isoMillis(Instant.parse("2026-11-22T10:00:00Z")));
        assertEquals("1970-01-01T00:00:00.007Z", Values.isoMillis(Instant.ofEpochMilli(7)));
        assertEquals("1969-12-31T23:59:59.999Z", Values.isoMillis(Instant.ofEpochMilli(-1)));
        Random r = new Random(7);
        long max = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli(), min = Instant.parse("0001-01-01T00:00:00Z").toEpochMilli();
        for (int n = 0; n < 100_000; n++) {
            Instant t = Instant.ofEpochMilli(min + (long) (r.nextDouble() * (max - min)));
            assertEquals(pattern.format(t), Values.isoMillis(t), t.toString());
        }
        Instant far = Instant.parse("+12345-01-02T03:04:05.678Z");
        assertEquals(pattern.format(far), Values.isoMillis(far));
    }
}
