package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.model.Operation;
import dev.nimbus.protocol.model.ServiceModel;
import java.util.Map;

/**
 * One protocol family (json, rest-json, rest-xml, query, smithy-rpc-v2-cbor): how an operation's
 * input is read off the wire and its output or error written back, driven by the model's shapes.
 */
public interface Codec {
    /**
     * Parses the operation's input: types checked, timestamps and blobs in the shared
     * representation of {@link dev.nimbus.protocol.Values}. {@code labels} are the URI labels
     * the router matched (rest protocols), else empty.
     */
    ObjectNode read(HttpRequest request, Operation op, Map<String, String> labels);

    void write(HttpResponse response, Operation op, JsonNode output, String requestId);

    void writeError(HttpResponse response, AwsException error, ServiceModel model, String requestId);

    /** The error this protocol family reports for model constraint violations. */
    default AwsException validationError(String message) {
        return AwsException.validation(message);
    }

    /** The error for an operation name the model does not have. */
    default AwsException unknownOperation(ServiceModel model, String name) {
        return new AwsException("UnknownOperationException", "Operation " + name + " is not part of " + model.serviceId, 400);
    }
}
