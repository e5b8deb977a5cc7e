package dev.nimbus.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every failure a client sees: an AWS error code, message and HTTP status, serialized by the
 * request's protocol. No stack trace is captured: these are expected outcomes, not bugs.
 */
public class AwsException extends RuntimeException {
    private final String code;
    private final int status;
    private final boolean senderFault;
    /** extra top-level error fields some APIs return (S3's BucketName, Key, ...) */
    private final Map<String, String> fields = new LinkedHashMap<>();
    /** structured error members of JSON protocols (DynamoDB's CancellationReasons, Item) */
    private final Map<String, JsonNode> documents = new LinkedHashMap<>();
    /** response headers that belong to the error (S3's x-amz-delete-marker on a GET of a deleted key) */
    private final Map<String, String> headers = new LinkedHashMap<>();

    public AwsException(String code, String message, int status) {
        this(code, message, status, status < 500);
    }

    public AwsException(String code, String message, int status, boolean senderFault) {
        super(message, null, false, false);
        this.code = code;
        this.status = status;
        this.senderFault = senderFault;
    }

    public String code() {
        return code;
    }

    public int status() {
        return status;
    }

    public boolean senderFault() {
        return senderFault;
    }

    public Map<String, String> fields() {
        return fields;
    }

    public AwsException with(String field, String value) {
        fields.put(field, value);
        return this;
    }

    public Map<String, JsonNode> documents() {
        return documents;
    }

    public AwsException with(String field, JsonNode value) {
        documents.put(field, value);
        return this;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public AwsException withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    // The common ones, named so that services do not each spell them.

    public static AwsException validation(String message) {
        return new AwsException("ValidationException", message, 400);
    }

    public static AwsException notFound(String code, String message) {
        return new AwsException(code, message, 404);
    }

    public static AwsException serialization(String message) {
        return new AwsException("SerializationException", message, 400);
    }

    public static AwsException notImplemented(String operation) {
        return new AwsException("NotImplemented",
                "Nimbus does not implement " + operation + " yet; see `./nimbus coverage` for what it serves", 501, false);
    }

    public static AwsException internal(String message) {
        return new AwsException("InternalFailure", message, 500, false);
    }
}
