package dev.nimbus.services.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InsightsQueryTest {
    static final long T0 = Instant.parse("2026-06-01T10:00:00Z").toEpochMilli();

    /** A Lambda-like log: START/END/REPORT lines, JSON lines and text lines over 12 minutes. */
    static List<Map<String, Object>> records() {
        List<Map<String, Object>> r = new ArrayList<>();
        String[] messages = {
            "START RequestId: r1 Version: $LATEST",
            "{\"level\":\"INFO\",\"user\":{\"id\":7},\"latency\":120,\"path\":\"/a\"}",
            "END RequestId: r1",
            "REPORT RequestId: r1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 150.25 ms",
            "START RequestId: r2 Version: $LATEST",
            "{\"level\":\"ERROR\",\"user\":{\"id\":8},\"latency\":300,\"path\":\"/b\"}",
            "ERROR something failed: code=42",
            "END RequestId: r2",
            "REPORT RequestId: r2\tDuration: 30.00 ms\tBilled Duration: 30 ms\tMemory Size: 128 MB\tMax Memory Used: 45 MB",
        };
        for (int i = 0; i < messages.length; i++) {
            r.add(InsightsQuery.record(T0 + i * 90_000L, messages[i], i < 4 ? "s1" : "s2", "123456789012:/aws/lambda/fn", T0 + i * 90_000L + 5));
        }
        return r;
    }

    static List<Map<String, String>> run(String query) {
        return InsightsQuery.parse(query).run(records().iterator(), 10_000).rows();
    }

    @Test
    void defaultFieldsAreTimestampAndMessage() {
        List<Map<String, String>> rows = run("filter @message like /RequestId: r1/");
        assertEquals(3, rows.size());
        assertEquals(Map.of("@timestamp", "2026-06-01 10:00:00.000", "@message", "START RequestId: r1 Version: $LATEST"), rows.get(0));
    }

    @Test
    void lambdaReportLinesBecomeFields() {
        List<Map<String, String>> rows = run("filter @type = \"REPORT\" | fields @requestId, @duration, @billedDuration, @memorySize, @maxMemoryUsed, @initDuration");
        assertEquals(2, rows.size());
        assertEquals(Map.of("@requestId", "r1", "@duration", "12.5", "@billedDuration", "13", "@memorySize", "128000000", "@maxMemoryUsed", "40000000",
                "@initDuration", "150.25"), rows.get(0));
        assertEquals(List.of("@requestId", "@duration", "@billedDuration", "@memorySize", "@maxMemoryUsed"), new ArrayList<>(rows.get(1).keySet()));
        assertEquals(List.of(Map.of("avg", "21.25", "max", "30", "n", "2", "p50", "12.5")),
                run("filter @type = 'REPORT' | stats avg(@duration) as avg, max(@duration) as max, count(*) as n, pct(@duration, 50) as p50"));
    }

    @Test
    void jsonMessagesAreDiscovered() {
        assertEquals(List.of(Map.of("path", "/b", "user.id", "8")), run("filter level = 'ERROR' and latency > 200 | fields path, user.id"));
        assertEquals(List.of(Map.of("path", "/a")), run("filter ispresent(latency) and not (level in ['ERROR', 'WARN']) | display path"));
        assertEquals(2, run("filter user.id >= 7 and user.id <= 8").size());
    }

    @Test
    void statsByBinAndField() {
        // Events every 90 s from 10:00: five fall in 10:00-10:05, four in 10:05-10:10... in 5-minute bins: 0,1.5,3,4.5 | 6,7.5,9 | 10.5,12
        assertEquals(List.of(Map.of("bin(5m)", "2026-06-01 10:00:00.000", "count()", "4"), Map.of("bin(5m)", "2026-06-01 10:05:00.000", "count()", "3"),
                Map.of("bin(5m)", "2026-06-01 10:10:00.000", "count()", "2")), run("stats count() by bin(5m)"));
        assertEquals(List.of(Map.of("@logStream", "s2", "n", "5"), Map.of("@logStream", "s1", "n", "4")),
                run("stats count(*) as n by @logStream | sort n desc"));
        assertEquals(List.of(Map.of("types", "3")), run("stats count_distinct(@type) as types"));
        assertEquals(List.of(Map.of("count(*)", "0")), run("filter @message like 'nothing matches' | stats count(*)"));
        assertEquals(List.of(Map.of("t", "2026-06-01 10:00:00.000", "c", "9")), run("stats count() as c by datefloor(@timestamp, 1h) as t"));
    }

    @Test
    void sortLimitDedupAndFunctions() {
        assertEquals(List.of("REPORT", "END"), column(run("filter ispresent(@type) | sort @timestamp desc | limit 2 | display @type"), "@type"));
        assertEquals(List.of("START", "END", "REPORT"), column(run("filter ispresent(@type) | dedup @type | display @type"), "@type"));
        Map<String, String> row = run("filter @message like /code=/ | fields strlen(@message) as len, toupper(substr(@message, 0, 5)) as head, "
                + "concat(@logStream, '-', 1 + 2 * 3) as c, abs(-2.5) as a, tolower('AbC') as l, replace(@message, 'ERROR', 'E') as r").get(0);
        assertEquals(Map.of("len", "31", "head", "ERROR", "c", "s2-7", "a", "2.5", "l", "abc", "r", "E something failed: code=42"), row);
        assertEquals(1, run("filter @message =~ /fail(ed|ure)/").size());
        assertEquals(8, run("filter @message not like /code=/").size());
        assertEquals(1, run("filter strcontains(@message, 'failed')").size());
    }

    @Test
    void aRunCountsRecordsScannedAndMatched() {
        InsightsQuery.Result r = InsightsQuery.parse("filter @type = 'END' | stats count(*)").run(records().iterator(), 10);
        assertEquals(9, r.scanned());
        assertEquals(2, r.matched());
        assertEquals(1, InsightsQuery.parse("fields @message").run(records().iterator(), 1).rows().size());
    }

    @Test
    void parseExtractsFields() {
        assertEquals(List.of(Map.of("what", "something failed", "code", "42")),
                run("filter @message like 'code=' | parse @message 'ERROR *: code=*' as what, code | display what, code"));
        assertEquals(List.of(Map.of("code", "42", "double", "84")),
                run("parse @message /code=(?<code>\\d+)/ | filter ispresent(code) | fields code * 2 as double | display code, double"));
    }

    static List<String> column(List<Map<String, String>> rows, String field) {
        List<String> out = new ArrayList<>();
        rows.forEach(r -> out.add(r.get(field)));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "fields", "filter", "fields @message |", "stats nothing(x)", "sort", "limit x", "filter a = ", "filter (a = 1",
            "parse @message 'a * b * c' as x", "parse @message /no groups/", "stats count() by bin(5x)", "frobnicate @message", "filter x like 5",
            "fields unknown_fn(@message)", "filter @message like /[/"})
    void malformedQueriesSayWhere(String query) {
        InsightsQuery.MalformedQuery e = assertThrows(InsightsQuery.MalformedQuery.class, () -> InsightsQuery.parse(query), query);
        assertTrue(e.getMessage().startsWith("unexpected symbol found "), e.getMessage());
        assertTrue(e.start >= 0 && e.start <= query.length(), () -> e.start + " in " + query);
    }
}
