package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Where an event source mapping's records come from: one implementation per kind of source (SQS
 * queues now; DynamoDB and Kinesis streams later), reached inside Nimbus, never over HTTP. The
 * poller in {@link EventSourceMappings} gathers batches, filters and invokes; the source only
 * reads records and settles them.
 */
interface EventSource {
    /** A record as it appears in the function's event, what filters see (the body parsed when it is JSON), and its source's own id. */
    record Item(String id, ObjectNode record, JsonNode filterView, String handle) {}

    /** Refuses a mapping this source cannot serve (no such source, settings it does not allow), with Lambda's errors. */
    void check(String sourceArn, JsonNode mapping, int functionTimeout);

    /** Waits up to {@code waitSeconds} for up to {@code max} records (at most 10 a call). */
    List<Item> poll(String sourceArn, int max, int waitSeconds);

    /** Records handled (or filtered out): removed from the source. */
    void done(String sourceArn, List<Item> items);

    /** Records the function failed on: the source retries them per its own policy (SQS: visible again after the visibility timeout, then its redrive policy). */
    void failed(String sourceArn, List<Item> items);
}
