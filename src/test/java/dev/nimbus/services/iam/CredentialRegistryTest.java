package dev.nimbus.services.iam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Identity;
import dev.nimbus.store.Blobs;
import dev.nimbus.store.SqliteStore;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-request key lookup: what reaches the store, and what a cached answer becomes after a change. */
class CredentialRegistryTest {
    final SqliteStore sqlite = SqliteStore.ephemeral();
    final AtomicInteger reads = new AtomicInteger();
    final Store store = new CountingStore();
    final CredentialRegistry registry = new CredentialRegistry(store);

    @AfterEach
    void close() {
        sqlite.close();
    }

    @Test
    void keysNimbusCannotHaveIssuedNeverReachTheStore() {
        for (int i = 0; i < 1000; i++) {
            assertEquals("000000000000", registry.identity("test").accountId());
            assertEquals("123456789012", registry.identity("123456789012").accountId());
            assertEquals("000000000000", registry.identity(null).accountId());
        }
        assertEquals(0, reads.get());
    }

    @Test
    void unknownKeysOfOurShapeAreReadOnce() {
        for (int i = 0; i < 1000; i++) assertEquals("arn:aws:iam::000000000000:root", registry.identity("AKIAIOSFODNN7EXAMPLE").arn());
        assertEquals(1, reads.get());
    }

    @Test
    void changedKeysAreReReadOnceRefreshed() {
        Identity principal = new Identity("123456789012", "arn:aws:iam::123456789012:user/u", "AIDAEXAMPLEEXAMPLE123", null);
        String keyId = store.transaction(() -> registry.issueTemporary(principal, Instant.now().plusSeconds(900))).get("AccessKeyId").asText();
        registry.refresh(keyId);
        assertEquals("arn:aws:iam::123456789012:user/u", registry.identity(keyId).arn());
        int before = reads.get();
        registry.identity(keyId);
        assertEquals(before, reads.get(), "answered from the cache");

        // The cached answer says Active; after the change and its refresh the lookup must say otherwise.
        store.transaction(() -> registry.put(keyId, registry.record(keyId).put("Status", "Inactive")));
        registry.refresh(keyId);
        AwsException inactive = assertThrows(AwsException.class, () -> registry.identity(keyId));
        assertEquals("InvalidClientTokenId", inactive.code());
    }

    @Test
    void expiredSessionsAreRefusedAtLookup() {
        Identity principal = Identity.ofUnknownKey("123456789012");
        String keyId = store.transaction(() -> registry.issueTemporary(principal, Instant.now().minusSeconds(1))).get("AccessKeyId").asText();
        registry.refresh(keyId);
        AwsException expired = assertThrows(AwsException.class, () -> registry.identity(keyId));
        assertEquals("ExpiredToken", expired.code());
        assertEquals(403, expired.status());
    }

    /** The in-memory store, counting reads of single keys (what a per-request lookup would do). */
    private final class CountingStore implements Store {
        @Override
        public Table table(String name) {
            Table t = sqlite.table(name);
            return new Table() {
                public byte[] get(String key) {
                    reads.incrementAndGet();
                    return t.get(key);
                }

                public void put(String key, byte[] value) {
                    t.put(key, value);
                }

                public boolean putIfAbsent(String key, byte[] value) {
                    return t.putIfAbsent(key, value);
                }

                public boolean delete(String key) {
                    return t.delete(key);
                }

                public List<Entry> scan(String prefix, String startAfter, int limit) {
                    return t.scan(prefix, startAfter, limit);
                }

                public List<Entry> range(String low, boolean lowInclusive, String high, boolean highInclusive, boolean descending, int limit) {
                    return t.range(low, lowInclusive, high, highInclusive, descending, limit);
                }

                public long count(String prefix) {
                    return t.count(prefix);
                }
            };
        }

        @Override
        public <T> T transaction(Supplier<T> work) {
            return sqlite.transaction(work);
        }

        @Override
        public Blobs blobs() {
            return sqlite.blobs();
        }

        @Override
        public void close() {
            sqlite.close();
        }
    }
}
