package dev.nimbus.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Tables of both stores (durable on disk, in memory): point operations, ordered prefix scans, pagination. */
class TableTest {
    @TempDir
    Path dir;

    static Stream<Arguments> stores() {
        return Stream.of(Arguments.of("durable", (Function<Path, Store>) SqliteStore::open),
                Arguments.of("in-memory", (Function<Path, Store>) d -> SqliteStore.ephemeral()));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> keys(List<Table.Entry> entries) {
        return entries.stream().map(Table.Entry::key).toList();
    }

    /** Every entry with the prefix, fetched a page at a time the way services paginate. */
    private static List<String> allPages(Table t, String prefix, int pageSize) {
        List<String> out = new ArrayList<>();
        String after = null;
        while (true) {
            List<Table.Entry> page = t.scan(prefix, after, pageSize);
            out.addAll(keys(page));
            if (page.size() < pageSize) return out;
            after = page.getLast().key();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void pointOperations(String kind, Function<Path, Store> open) {
        try (Store s = open.apply(dir)) {
            Table t = s.table("things");
            assertNull(t.get("a"));
            t.put("a", b("1"));
            assertArrayEquals(b("1"), t.get("a"));
            t.put("a", b("2"));
            assertArrayEquals(b("2"), t.get("a"));
            assertFalse(t.putIfAbsent("a", b("3")));
            assertArrayEquals(b("2"), t.get("a"));
            assertTrue(t.putIfAbsent("b", b("3")));
            assertTrue(t.delete("a"));
            assertFalse(t.delete("a"));
            assertNull(t.get("a"));

            byte[] every = new byte[256];
            for (int i = 0; i < 256; i++) every[i] = (byte) i;
            t.put("binary", every);
            assertArrayEquals(every, t.get("binary"));
            t.put("empty", new byte[0]);
            assertArrayEquals(new byte[0], t.get("empty"));

            s.table("other").put("b", b("elsewhere"));
            assertArrayEquals(b("3"), t.get("b"), "tables are separate keyspaces");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void prefixScanPaginatesInOrderWithoutLeavingThePrefix(String kind, Function<Path, Store> open) {
        try (Store s = open.apply(dir)) {
            Table t = s.table("items");
            List<String> expected = new ArrayList<>();
            s.transaction(() -> {
                for (int i = 249; i >= 0; i--) {
                    String k = String.format("123456789012/us-east-1/item-%04d", i);
                    t.put(k, b("v" + i));
                    expected.add(0, k);
                }
                // neighbours that share the prefix's text but not the prefix
                t.put("123456789012/us-east-1", b("x"));
                t.put("123456789012/us-east-10/item-0000", b("x"));
                t.put("123456789012/us-east-1.", b("x"));
                t.put("123456789012/us-east-10", b("x"));
            });
            String prefix = "123456789012/us-east-1/";
            assertEquals(expected, allPages(t, prefix, 100));
            assertEquals(expected, allPages(t, prefix, 1));
            assertEquals(expected, allPages(t, prefix, 250));
            assertEquals(250, t.count(prefix));
            assertEquals(254, t.count("123456789012/"));
            assertEquals(254, t.scan("", null, 1000).size());

            List<Table.Entry> page = t.scan(prefix, expected.get(9), 3);
            assertEquals(expected.subList(10, 13), keys(page));
            assertArrayEquals(b("v10"), page.getFirst().value());
            assertEquals(List.of(), t.scan(prefix, expected.getLast(), 10));
            assertEquals(List.of(), t.scan(prefix, null, 0));
            assertEquals(List.of(), t.scan("nothing/", null, 10));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void startAfterOutsideThePrefixStaysInsideIt(String kind, Function<Path, Store> open) {
        try (Store s = open.apply(dir)) {
            Table t = s.table("t");
            for (String k : List.of("a/1", "a/2", "b/1", "b/2", "c/1")) t.put(k, b(k));
            assertEquals(List.of("b/1", "b/2"), keys(t.scan("b/", "a/1", 10)), "a cursor before the prefix starts at the prefix");
            assertEquals(List.of("b/1", "b/2"), keys(t.scan("b/", "", 10)));
            assertEquals(List.of(), keys(t.scan("b/", "b/3", 10)));
            assertEquals(List.of(), keys(t.scan("b/", "c", 10)), "a cursor past the prefix finds nothing");
            assertEquals(List.of("b/2"), keys(t.scan("b/", "b/1", 10)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void rangesInBothDirectionsWithEitherBoundInclusive(String kind, Function<Path, Store> open) {
        try (Store s = open.apply(dir)) {
            Table t = s.table("r");
            for (String k : List.of("k1", "k2", "k3", "k4", "k5")) t.put(k, b(k));
            s.table("other").put("k3", b("x"));
            assertEquals(List.of("k2", "k3", "k4"), keys(t.range("k2", true, "k4", true, false, 10)));
            assertEquals(List.of("k3"), keys(t.range("k2", false, "k4", false, false, 10)));
            assertEquals(List.of("k4", "k3", "k2"), keys(t.range("k2", true, "k4", true, true, 10)));
            assertEquals(List.of("k5", "k4"), keys(t.range(null, false, null, false, true, 2)), "unbounded, descending, limited");
            assertEquals(List.of("k1", "k2"), keys(t.range(null, false, "k3", false, false, 10)));
            assertEquals(List.of(), keys(t.range("k4", true, "k2", true, false, 10)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void unicodeKeysSortByUtf8Bytes(String kind, Function<Path, Store> open) {
        try (Store s = open.apply(dir)) {
            Table t = s.table("u");
            // U+FF61 and U+1F600 order differently as UTF-16 units (Java's compareTo) and as UTF-8 bytes.
            List<String> keys = new ArrayList<>(List.of("k/a", "k/Z", "k/é", "k/\uFF61", "k/\uD83D\uDE00", "k/\uE000", "k/\uD7FF", "k/日本",
                    "k/\u0001", "k/\u007F", "k/\u0080", "k/\uFFFD", "k/\uDBFF\uDFFF"));
            for (String k : keys) t.put(k, b(k));
            List<String> byUtf8 = new ArrayList<>(keys);
            byUtf8.sort((x, y) -> Arrays.compareUnsigned(b(x), b(y)));
            List<String> byUtf16 = new ArrayList<>(keys);
            byUtf16.sort(String::compareTo);
            assertNotEquals(byUtf16, byUtf8, "the test needs keys on which the two orders disagree");
            assertEquals(byUtf8, keys(t.scan("k/", null, 100)));
            assertEquals(byUtf8, allPages(t, "k/", 2));
            for (String k : keys) assertArrayEquals(b(k), t.get(k));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void prefixesEndingInUnusualCodePoints(String kind, Function<Path, Store> open) {
        try (Store s = open.apply(dir)) {
            Table t = s.table("edge");
            // The successor of U+D7FF skips the surrogate range; U+10FFFF has none, so its predecessor grows.
            for (String k : List.of("x\uD7FF", "x\uD7FF/1", "x\uE000", "y\uDBFF\uDFFF", "y\uDBFF\uDFFF\uDBFF\uDFFF", "y\uDBFF\uDFFFa", "z")) {
                t.put(k, b(k));
            }
            assertEquals(List.of("x\uD7FF", "x\uD7FF/1"), keys(t.scan("x\uD7FF", null, 10)));
            assertEquals(List.of("y\uDBFF\uDFFF", "y\uDBFF\uDFFFa", "y\uDBFF\uDFFF\uDBFF\uDFFF"), keys(t.scan("y\uDBFF\uDFFF", null, 10)));
            assertEquals(3, t.count("y\uDBFF\uDFFF"));
            assertEquals(List.of("y\uDBFF\uDFFF\uDBFF\uDFFF"), keys(t.scan("y\uDBFF\uDFFF\uDBFF\uDFFF", null, 10)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void keysWithoutAUtf8FormAreRefused(String kind, Function<Path, Store> open) {
        try (Store s = open.apply(dir)) {
            Table t = s.table("bad");
            // Two different lone surrogates would both reach SQLite as '?' and name one row.
            assertThrows(IllegalArgumentException.class, () -> t.put("a\uD800", b("1")));
            assertThrows(IllegalArgumentException.class, () -> t.put("a\uDC00", b("1")));
            assertThrows(IllegalArgumentException.class, () -> t.get("\uD800"));
            assertThrows(IllegalArgumentException.class, () -> t.scan("\uDC00", null, 1));
            assertThrows(IllegalArgumentException.class, () -> t.put(null, b("1")));
            assertEquals(0, t.count(""));
        }
    }
}
