package dev.nimbus.services.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.SqliteStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Messages past the body budget keep their content in the store alone, and every path that needs it reads it back. */
class BodyBudgetTest {
    private static final String ACCOUNT = "000000000000", REGION = "us-east-1";

    private static ObjectNode attributes(int i) {
        ObjectNode a = Values.object();
        a.putObject("n").put("DataType", "Number").put("StringValue", Integer.toString(i));
        return a;
    }

    private static String body(int i) {
        return ("message " + i + " ").repeat(20);
    }

    private static Message send(Queue q, int i) {
        return q.send(q.draft(body(i), attributes(i), null, ACCOUNT, 0, null, null));
    }

    @Test
    void contentPastTheBudgetIsReadFromTheStoreAndTheBudgetIsGivenBack() {
        BodyBudget budget = new BodyBudget(1_000);
        try (SqliteStore store = SqliteStore.ephemeral(); Queues queues = new Queues(store, () -> "http://localhost", System::currentTimeMillis, budget)) {
            Queue q = queues.create(ACCOUNT, REGION, "q", null, null).queue();
            List<Message> sent = new ArrayList<>();
            for (int i = 0; i < 20; i++) sent.add(send(q, i));
            assertNotNull(sent.get(0).content, "the first messages fit the budget");
            assertNull(sent.get(19).content, "later ones do not");
            assertTrue(budget.held() <= 1_000);

            List<Queue.Delivery> got = new ArrayList<>();
            while (got.size() < 20) got.addAll(q.receive(10, 30, 0, null, null));
            for (int i = 0; i < 20; i++) {
                Queue.Delivery d = got.get(i);
                assertEquals(sent.get(i).id, d.message().id);
                assertEquals(body(i), d.content().body());
                assertEquals(attributes(i), d.content().attributes());
            }
            for (Queue.Delivery d : got) assertTrue(q.delete(d.receiptHandle()));
            assertEquals(0, budget.held(), "deleted messages give their share back");

            // room again: a new message is held
            assertNotNull(send(q, 99).content);
            q.purge();
            assertEquals(0, budget.held());
        }
    }

    @Test
    void aMessageWhoseContentIsInTheStoreMovesToTheDeadLetterQueueWhole() {
        BodyBudget budget = new BodyBudget(0);
        try (SqliteStore store = SqliteStore.ephemeral(); Queues queues = new Queues(store, () -> "http://localhost", System::currentTimeMillis, budget)) {
            Queues.Entry dlq = queues.create(ACCOUNT, REGION, "dlq", null, null);
            ObjectNode attrs = Values.object().put("RedrivePolicy",
                    "{\"deadLetterTargetArn\":\"" + dlq.queue().arn + "\",\"maxReceiveCount\":\"1\"}").put("VisibilityTimeout", "0");
            Queue q = queues.create(ACCOUNT, REGION, "q", attrs, null).queue();
            assertNull(send(q, 7).content);
            assertEquals(1, q.receive(1, 0, 0, null, queues::redrive).size());
            assertTrue(q.receive(1, 0, 0, null, queues::redrive).isEmpty(), "received once: the second receive moves it");
            List<Queue.Delivery> moved = dlq.queue().receive(1, 30, 1000, null, null);
            assertEquals(1, moved.size());
            assertEquals(body(7), moved.get(0).content().body());
            assertEquals(attributes(7), moved.get(0).content().attributes());
        }
    }

    @Test
    void aRetriedFifoReceiveGetsTheContentFromTheStoreAgain() {
        try (SqliteStore store = SqliteStore.ephemeral(); Queues queues = new Queues(store, () -> "http://localhost", System::currentTimeMillis, new BodyBudget(0))) {
            Queue q = queues.create(ACCOUNT, REGION, "q.fifo", Values.object().put("FifoQueue", "true"), null).queue();
            q.send(q.draft(body(3), attributes(3), null, ACCOUNT, 0, "g", "d3"));
            List<Queue.Delivery> first = q.receive(1, 30, 0, "attempt-1", null);
            List<Queue.Delivery> again = q.receive(1, 30, 0, "attempt-1", null);
            assertEquals(1, again.size());
            assertEquals(first.get(0).receiptHandle(), again.get(0).receiptHandle());
            assertEquals(body(3), again.get(0).content().body());
        }
    }

    @Test
    void afterARestartContentPastTheBudgetIsStillReceived(@TempDir Path dir) {
        try (SqliteStore store = SqliteStore.open(dir); Queues queues = new Queues(store, () -> "http://localhost", System::currentTimeMillis)) {
            Queue q = queues.create(ACCOUNT, REGION, "q", null, null).queue();
            for (int i = 0; i < 5; i++) send(q, i);
        }
        BodyBudget budget = new BodyBudget(600);
        try (SqliteStore store = SqliteStore.open(dir); Queues queues = new Queues(store, () -> "http://localhost", System::currentTimeMillis, budget)) {
            assertTrue(budget.held() > 0 && budget.held() <= 600);
            List<Queue.Delivery> got = new ArrayList<>();
            Queue q = queues.entry(ACCOUNT, REGION, "q").queue();
            while (got.size() < 5) got.addAll(q.receive(10, 30, 0, null, null));
            for (int i = 0; i < 5; i++) assertEquals(body(i), got.get(i).content().body());
        }
    }
}
