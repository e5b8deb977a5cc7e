package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.compute.Invocation;
import dev.nimbus.protocol.Values;
import java.util.List;

/**
 * Where an event source mapping's records come from: one implementation per kind of source (SQS
 * queues, DynamoDB streams), reached inside Nimbus, never over HTTP. The poller in
 * {@link EventSourceMappings} gathers batches, filters and invokes; the source only reads records
 * and settles them. Calls name the mapping (its stored settings, with EventSourceArn and UUID), as
 * a stream source keeps a position per mapping.
 */
interface EventSource {
    /** A record as it appears in the function's event, what filters see (the body parsed when it is JSON), and its source's own id. */
    record Item(String id, ObjectNode record, JsonNode filterView, String handle) {}

    /** The settings a new mapping of this kind of source starts with, as Lambda shows them. */
    default ObjectNode defaults() {
        return Values.object().put("BatchSize", 10).put("MaximumBatchingWindowInSeconds", 0);
    }

    /** True when records must reach the function in order: one batch of a mapping at a time. */
    default boolean ordered() {
        return false;
    }

    /** Refuses a mapping this source cannot serve (no such source, settings it does not allow), with Lambda's errors. */
    void check(String sourceArn, JsonNode mapping, int functionTimeout);

    /** Waits up to {@code waitSeconds} for up to {@code max} records (a source may give fewer a call). */
    List<Item> poll(JsonNode mapping, int max, int waitSeconds);

    /** Records handled (or filtered out): removed from the source, or passed. */
    void done(JsonNode mapping, List<Item> items);

    /**
     * Records the function failed on ({@code result} null when it was not invoked, e.g. throttled):
     * the source retries them per its own policy (SQS: visible again after the visibility
     * timeout, then its redrive policy; streams: the mapping's retry settings).
     */
    void failed(JsonNode mapping, List<Item> items, Invocation.Result result);

    /** The mapping was deleted: whatever the source keeps for it goes. */
    default void forget(JsonNode mapping) {}
}
