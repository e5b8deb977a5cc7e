package dev.nimbus.services.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.protocol.Values;
import dev.nimbus.store.SqliteStore;
import dev.nimbus.store.Table;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delivery states are written behind receives ({@link Queue#saveStates}): what a kill -9 may and
 * may not do to a queue. A crash is the store closed under a running {@link Queues} (nothing of
 * it saved on the way out), then the delivery state rows taken away, as if the state writer had
 * not run since the receives.
 */
class SqsCrashTest {
    private static final String ACCOUNT = "000000000000";
    private static final String REGION = "us-east-1";

    @TempDir
    Path dir;

    private Queues open(SqliteStore store) {
        return new Queues(store, () -> "http://localhost:4566", System::currentTimeMillis);
    }

    private static void send(Queue q, String body) {
        q.send(q.draft(body, null, null, ACCOUNT, 0, null, null));
    }

    private static Set<String> bodies(List<Queue.Delivery> got) {
        return got.stream().map(d -> d.content().body()).collect(Collectors.toSet());
    }

    @Test
    void aCrashBeforeReceivesAreStoredLosesNoSendAndRevivesNoDelete() {
        SqliteStore store = SqliteStore.open(dir);
        Queues before = open(store);
        Queue q = before.create(ACCOUNT, REGION, "crash", null, null).queue();
        for (String body : List.of("m0", "m1", "m2")) send(q, body);
        List<Queue.Delivery> got = q.receive(2, 600, 0, null, null);
        assertEquals(List.of("m0", "m1"), got.stream().map(d -> d.content().body()).toList());
        assertTrue(q.delete(got.get(0).receiptHandle()));

        store.close(); // kill -9
        before.close(); // stops its state writer: saving fails on the closed store, as a killed server saves nothing
        store = SqliteStore.open(dir);
        Table states = store.table(Queue.STATES);
        List<String> rows = states.scan("", null, 100).stream().map(Table.Entry::key).toList();
        store.transaction(() -> rows.forEach(states::delete));

        Queues after = open(store);
        Queue again = after.entry(ACCOUNT, REGION, "crash").queue();
        // The receipt handle of a receive the store never saw still deletes its message (m1).
        assertTrue(again.delete(got.get(1).receiptHandle()));
        // The deleted ones never come back; the one never received is there.
        assertEquals(Set.of("m2"), bodies(again.receive(10, 600, 0, null, null)));
        after.close();
        store.close();
    }

    @Test
    void receiveCountsStoredAtShutdownStillMovePoisonMessagesToTheDeadLetterQueue() {
        SqliteStore store = SqliteStore.open(dir);
        Queues before = open(store);
        Queue dlq = before.create(ACCOUNT, REGION, "poison-dlq", null, null).queue();
        Queue q = before.create(ACCOUNT, REGION, "poison",
                Values.object().put("RedrivePolicy", "{\"deadLetterTargetArn\":\"" + dlq.arn + "\",\"maxReceiveCount\":2}"), null).queue();
        send(q, "poison");
        for (int i = 1; i <= 2; i++) {
            List<Queue.Delivery> got = q.receive(1, 0, 0, null, before::redrive);
            assertEquals(i, got.getFirst().receiveCount());
        }
        before.close(); // a graceful stop writes the states
        store.close();

        store = SqliteStore.open(dir);
        Queues after = open(store);
        Queue source = after.entry(ACCOUNT, REGION, "poison").queue();
        assertTrue(source.receive(1, 0, 0, null, after::redrive).isEmpty());
        assertEquals(Set.of("poison"), bodies(after.entry(ACCOUNT, REGION, "poison-dlq").queue().receive(10, 30, 0, null, after::redrive)));
        after.close();
        store.close();
    }
}
