package dev.nimbus.services;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A stream service's records for consumers inside Nimbus (Lambda's event source mappings), by
 * stream ARN and without HTTP: DynamoDB Streams implements it, pollers use it. A stream has one
 * shard whose records are numbered in write order.
 */
public interface StreamRecords {
    /** A record with its position: {@code record} is in the stream's own format (for DynamoDB, without eventSourceARN). */
    record Entry(long sequence, ObjectNode record) {}

    /** The stream's shard id, or null when there is no such stream. */
    String shardId(String streamArn);

    /** The position after the stream's last record (where LATEST starts). */
    long end(String streamArn);

    /** Up to {@code max} records from position {@code from} on, in order (records trimmed away are skipped). */
    List<Entry> read(String streamArn, long from, int max);
}
