package dev.nimbus.services;

import java.util.List;
import java.util.Map;

/**
 * A queue service's messages for consumers inside Nimbus (Lambda's event source mappings), by
 * queue ARN and without HTTP: SQS implements it, pollers use it, neither knows the other's classes.
 */
public interface QueueMessages {
    /** A received message: what a consumer needs to build its event and to delete or return it. */
    record Received(String messageId, String receiptHandle, String body, Map<String, String> attributes,
                    Map<String, Attribute> messageAttributes, String md5OfBody, String md5OfMessageAttributes) {}

    /** A message attribute: StringValue (String, Number) or BinaryValue (Binary), by DataType. */
    record Attribute(String dataType, String stringValue, byte[] binaryValue) {}

    /** The queue's visibility timeout in seconds, or -1 when there is no such queue. */
    int visibilityTimeout(String queueArn);

    /**
     * Receives up to {@code max} messages (at most 10), waiting up to {@code waitSeconds} for the
     * first, with every system attribute and message attribute.
     *
     * @throws dev.nimbus.protocol.AwsException when the queue does not exist
     */
    List<Received> receive(String queueArn, int max, int waitSeconds);

    void delete(String queueArn, String receiptHandle);

    /** Makes a received message visible again after {@code seconds}. */
    void changeVisibility(String queueArn, String receiptHandle, int seconds);
}
