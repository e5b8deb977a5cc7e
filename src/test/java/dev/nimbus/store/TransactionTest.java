package dev.nimbus.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Store.transaction: all or nothing, nested calls join, reads inside see the transaction's writes. */
class TransactionTest {
    @TempDir
    Path dir;

    static Stream<Arguments> stores() {
        return TableTest.stores();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void commitsTogether(String kind, Function<Path, Store> open) {
        try (Store s = open.apply(dir)) {
            Table t = s.table("t");
            String result = s.transaction(() -> {
                t.put("a", b("1"));
                t.put("b", b("2"));
                assertArrayEquals(b("1"), t.get("a"), "reads inside see the transaction's writes");
                assertEquals(2, t.count(""));
                return "done";
            });
            assertEquals("done", result);
            assertArrayEquals(b("1"), t.get("a"));
            assertArrayEquals(b("2"), t.get("b"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void exceptionRollsBackAndIsRethrown(String kind, Function<Path, Store> open) {
        try (Store s = open.apply(dir)) {
            Table t = s.table("t");
            t.put("kept", b("before"));
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> s.transaction(() -> {
                t.put("kept", b("changed"));
                t.put("new", b("x"));
                t.delete("kept");
                throw boom;
            }));
            assertSame(boom, thrown);
            assertArrayEquals(b("before"), t.get("kept"));
            assertNull(t.get("new"));
            // an Error too, and the store goes on working afterwards
            assertThrows(AssertionError.class, () -> s.transaction(() -> {
                t.put("new", b("x"));
                throw new AssertionError("bug");
            }));
            assertNull(t.get("new"));
            t.put("after", b("ok"));
            assertArrayEquals(b("ok"), t.get("after"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void nestedCallsJoinTheOuterTransaction(String kind, Function<Path, Store> open) {
        try (Store s = open.apply(dir)) {
            Table t = s.table("t");
            assertThrows(IllegalStateException.class, () -> s.transaction(() -> {
                t.put("outer", b("1"));
                s.transaction(() -> t.put("inner", b("2")));
                throw new IllegalStateException("outer fails after the inner one succeeded");
            }));
            assertNull(t.get("outer"));
            assertNull(t.get("inner"), "a nested transaction commits only with the outer one");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void failedNestedCallUndoesOnlyItsOwnWrites(String kind, Function<Path, Store> open) {
        try (Store s = open.apply(dir)) {
            Table t = s.table("t");
            s.transaction(() -> {
                t.put("before", b("1"));
                try {
                    s.transaction(() -> {
                        t.put("inner", b("2"));
                        t.delete("before");
                        throw new IllegalArgumentException("inner fails");
                    });
                } catch (IllegalArgumentException expected) {
                    // the caller handles it and goes on
                }
                t.put("after", b("3"));
            });
            assertArrayEquals(b("1"), t.get("before"));
            assertNull(t.get("inner"));
            assertArrayEquals(b("3"), t.get("after"));
        }
    }

    @Test
    void otherThreadsSeeOnlyCommittedState() throws Exception {
        // Durable store only: its readers have their own connections (in memory, a reader waits for the writer).
        try (Store s = SqliteStore.open(dir)) {
            Table t = s.table("t");
            t.put("k", b("old"));
            AtomicReference<byte[]> seen = new AtomicReference<>();
            s.transaction(() -> {
                t.put("k", b("new"));
                Thread reader = Thread.ofVirtual().start(() -> seen.set(t.get("k")));
                try {
                    reader.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertArrayEquals(b("old"), seen.get(), "an open transaction is invisible to other threads");
            assertArrayEquals(b("new"), t.get("k"));
        }
    }
}
