package dev.nimbus.services.sqs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Store;
import dev.nimbus.store.Table;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask: redrive from a
 * dead-letter queue back to each message's source queue (or to a queue named), at most
 * MaxNumberOfMessagesPerSecond, one task per source queue at a time. Each message moves in one
 * store transaction (removed from the source, stored in the destination) with the task's count.
 * Tasks are stored in table {@code sqs.movetasks} (by handle), so ListMessageMoveTasks shows them
 * after a restart, and a task that was running goes on moving where it stopped.
 */
final class MoveTasks implements AutoCloseable {
    static final String TABLE = "sqs.movetasks";
    private final Store store;
    private final Table table;
    private final Queues queues;
    private final Map<String, Task> tasks = new ConcurrentHashMap<>();

    private static final class Task {
        final String handle;
        final String id;
        final String source;
        final String destination;
        final int rate;
        final long started;
        final long toMove;
        volatile long moved;
        volatile String status = "RUNNING";
        volatile String failure;
        volatile Thread thread;

        Task(String handle, String id, String source, String destination, int rate, long started, long toMove) {
            this.handle = handle;
            this.id = id;
            this.source = source;
            this.destination = destination;
            this.rate = rate;
            this.started = started;
            this.toMove = toMove;
        }

        ObjectNode toJson() {
            ObjectNode n = Values.object().put("id", id).put("source", source).put("destination", destination).put("rate", rate).put("started", started)
                    .put("toMove", toMove).put("moved", moved).put("status", status);
            if (failure != null) n.put("failure", failure);
            return n;
        }

        static Task fromJson(String handle, JsonNode n) {
            Task t = new Task(handle, n.get("id").asText(), n.get("source").asText(), n.path("destination").textValue(), n.get("rate").asInt(),
                    n.get("started").asLong(), n.get("toMove").asLong());
            t.moved = n.get("moved").asLong();
            t.status = n.get("status").asText();
            t.failure = n.path("failure").textValue();
            return t;
        }
    }

    /** Loads the stored tasks: running ones go on, one that was being cancelled is cancelled. */
    MoveTasks(Store store, Queues queues) {
        this.store = store;
        this.table = store.table(TABLE);
        this.queues = queues;
        for (Iterator<Table.Entry> it = table.iterate("", null, 500); it.hasNext(); ) {
            Table.Entry e = it.next();
            Task t = Task.fromJson(e.key(), e.json());
            tasks.put(t.handle, t);
            if (t.status.equals("CANCELLING")) finish(t, "CANCELLED", null);
            else if (t.status.equals("RUNNING")) resume(t);
        }
    }

    private void resume(Task t) {
        Queues.Entry source = queues.byArn(t.source);
        if (source == null) {
            finish(t, "FAILED", "The source queue does not exist.");
            return;
        }
        t.thread = Thread.ofVirtual().name("sqs-move-" + source.queue().name).start(() -> run(t, source.queue()));
    }

    /** A task's end, stored. */
    private void finish(Task t, String status, String failure) {
        t.status = status;
        t.failure = failure;
        table.putJson(t.handle, t.toJson());
    }

    JsonNode start(RequestContext ctx, ObjectNode in) {
        String sourceArn = Values.text(in, "SourceArn");
        Queues.Entry source = queues.byArn(sourceArn);
        if (source == null) throw new AwsException("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.", 404);
        boolean isDeadLetterQueue = queues.all().stream().anyMatch(e -> {
            JsonNode p = e.queue().config().redrivePolicy();
            return p != null && p.path("deadLetterTargetArn").asText().equals(sourceArn);
        });
        if (!isDeadLetterQueue) throw SqsService.invalid("Source queue must be configured as a Dead Letter Queue.");
        String destinationArn = Values.text(in, "DestinationArn", null);
        if (destinationArn != null && queues.byArn(destinationArn) == null) {
            throw new AwsException("ResourceNotFoundException", "The resource that you specified for the DestinationArn parameter doesn't exist.", 404);
        }
        int rate = Values.integer(in, "MaxNumberOfMessagesPerSecond", 500);
        if (rate < 1 || rate > 500) throw SqsService.invalid("Value " + rate + " for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.");
        synchronized (this) {
            for (Task t : tasks.values()) {
                if (t.source.equals(sourceArn) && (t.status.equals("RUNNING") || t.status.equals("CANCELLING"))) {
                    throw new AwsException("UnsupportedOperation",
                            "There is already a task running. Only one active task is allowed for a source queue arn at a given time.", 400);
                }
            }
            String id = UUID.randomUUID().toString();
            String handle = Base64.getEncoder().encodeToString(Values.object().put("taskId", id).put("sourceArn", sourceArn).toString()
                    .getBytes(StandardCharsets.UTF_8));
            Task t = new Task(handle, id, sourceArn, destinationArn, rate, queues.clock.getAsLong(), source.queue().counts()[0]);
            table.putJson(handle, t.toJson());
            tasks.put(handle, t);
            resume(t);
            return Values.object().put("TaskHandle", handle);
        }
    }

    private void run(Task t, Queue source) {
        try {
            while (t.moved < t.toMove && t.status.equals("RUNNING")) {
                long second = System.currentTimeMillis();
                List<Message> batch = source.takeForMove((int) Math.min(t.rate, t.toMove - t.moved));
                if (batch.isEmpty()) break;
                for (Message m : batch) {
                    String to = t.destination != null ? t.destination : m.deadLetterSource;
                    Queues.Entry dest = to == null ? null : queues.byArn(to);
                    Queue target = dest == null ? source : dest.queue(); // no known source: the message stays where it was
                    Message copy = target == source ? m : m.movedTo(target.nextSeq(), null, queues.clock.getAsLong(), source.content(m));
                    if (target == source) {
                        source.adopt(m);
                        continue;
                    }
                    Runnable adopt = store.transaction(() -> {
                        source.forget(m);
                        t.moved++;
                        table.putJson(t.handle, t.toJson());
                        return target.stage(copy);
                    });
                    adopt.run();
                }
                long rest = 1000 - (System.currentTimeMillis() - second);
                if (rest > 0 && t.moved < t.toMove) Thread.sleep(rest); // the task's rate limit
            }
            finish(t, t.status.equals("CANCELLING") ? "CANCELLED" : "COMPLETED", null);
        } catch (InterruptedException e) {
            // the server is stopping: the task stays RUNNING in the store and goes on after the restart
        } catch (RuntimeException e) {
            finish(t, "FAILED", e.getMessage());
        }
    }

    JsonNode list(RequestContext ctx, ObjectNode in) {
        String sourceArn = Values.text(in, "SourceArn");
        if (queues.byArn(sourceArn) == null) throw new AwsException("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.", 404);
        int max = Values.integer(in, "MaxResults", 1);
        if (max < 1 || max > 10) throw SqsService.invalid("Value " + max + " for parameter MaxResults is invalid. Reason: Must be between 1 and 10.");
        List<Task> mine = new ArrayList<>(tasks.values().stream().filter(t -> t.source.equals(sourceArn)).toList());
        mine.sort((a, b) -> Long.compare(b.started, a.started));
        ArrayNode results = Values.array();
        for (Task t : mine.subList(0, Math.min(max, mine.size()))) {
            ObjectNode r = results.addObject();
            if (t.status.equals("RUNNING")) r.put("TaskHandle", t.handle);
            r.put("Status", t.status).put("SourceArn", t.source);
            if (t.destination != null) r.put("DestinationArn", t.destination);
            r.put("MaxNumberOfMessagesPerSecond", t.rate).put("ApproximateNumberOfMessagesMoved", t.moved)
                    .put("ApproximateNumberOfMessagesToMove", t.toMove).put("StartedTimestamp", t.started);
            if (t.failure != null) r.put("FailureReason", t.failure);
        }
        return Values.object().set("Results", results);
    }

    JsonNode cancel(RequestContext ctx, ObjectNode in) {
        Task t = tasks.get(Values.text(in, "TaskHandle"));
        if (t == null) throw new AwsException("ResourceNotFoundException", "Task does not exist.", 404);
        if (!t.status.equals("RUNNING")) throw new AwsException("UnsupportedOperation", "Only active tasks can be cancelled.", 400);
        t.status = "CANCELLING";
        table.putJson(t.handle, t.toJson());
        return Values.object().put("ApproximateNumberOfMessagesMoved", t.moved);
    }

    @Override
    public void close() {
        for (Task t : tasks.values()) {
            Thread th = t.thread;
            if (th != null) th.interrupt();
        }
    }
}
