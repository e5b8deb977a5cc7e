package dev.nimbus.services.sns;

import static org.junit.jupiter.api.Assertions.fail;

import dev.nimbus.protocol.AwsException;
import dev.nimbus.services.Targets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A test-only {@link Targets} receiver standing in for SQS (which registers itself on its own
 * branch): records what SNS delivers to each queue ARN; queues named in {@link #refused} answer as
 * a deleted queue does.
 */
final class Received implements Targets.Target {
    record Delivery(String arn, Targets.Message message) {}

    final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    final Set<String> refused = ConcurrentHashMap.newKeySet();

    @Override
    public Runnable accept(Targets.Arn arn, Targets.Message message) {
        if (refused.contains(arn.toString())) throw new AwsException("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.", 400);
        deliveries.add(new Delivery(arn.toString(), message));
        return null;
    }

    List<Targets.Message> to(String arn) {
        return deliveries.stream().filter(d -> d.arn().equals(arn)).map(Delivery::message).toList();
    }

    /** Waits (bounded) until the queue has at least n messages, and returns them. */
    List<Targets.Message> await(String arn, int n) {
        return await(arn, n, m -> true);
    }

    List<Targets.Message> await(String arn, int n, Predicate<Targets.Message> which) {
        for (int i = 0; i < 1200; i++) {
            List<Targets.Message> got = to(arn).stream().filter(which).toList();
            if (got.size() >= n) return got;
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        fail(arn + " got " + to(arn).size() + " messages, expected " + n);
        return List.of();
    }
}
