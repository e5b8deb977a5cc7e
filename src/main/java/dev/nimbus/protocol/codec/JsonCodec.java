package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.model.Operation;
import dev.nimbus.protocol.model.ServiceModel;
import dev.nimbus.protocol.model.Shape;
import java.io.IOException;
import java.util.Map;

/**
 * awsJson 1.0 / 1.1 (DynamoDB, SQS, Logs, EventBridge, Step Functions): X-Amz-Target names the
 * operation, the body is the input document, errors carry {@code __type}.
 */
public final class JsonCodec implements Codec {
    /** AWS rejects a body with anything after its document; a lenient reader would ignore it. */
    private static final ObjectReader READER = Values.JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private final String contentType;

    public JsonCodec(String jsonVersion) {
        this.contentType = "application/x-amz-json-" + jsonVersion;
    }

    @Override
    public ObjectNode read(HttpRequest request, Operation op, Map<String, String> labels) {
        JsonNode doc = parse(request.bodyBytes());
        return op.input == null ? Values.object() : JsonShapes.input(doc, op.input);
    }

    /** Parses a JSON document; an empty body is an empty object, as AWS treats it. */
    public static JsonNode parse(byte[] body) {
        if (body.length == 0) return Values.object();
        try {
            JsonNode doc = READER.readTree(body);
            return doc == null ? Values.object() : doc;
        } catch (JsonProcessingException e) {
            throw AwsException.serialization("Malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw AwsException.serialization("Unreadable request body");
        }
    }

    @Override
    public void write(HttpResponse res, Operation op, JsonNode output, String requestId) {
        JsonNode body = output == null ? Values.object() : JsonShapes.output(output, op.output, null);
        res.status = 200;
        res.body(contentType, bytes(body));
    }

    @Override
    public void writeError(HttpResponse res, AwsException e, ServiceModel model, String requestId) {
        ObjectNode body = Values.object().put("__type", e.code()).put("message", e.getMessage());
        e.fields().forEach(body::put);
        e.documents().forEach(body::set);
        res.status = e.status();
        queryErrorHeader(res, e, model);
        res.body(contentType, bytes(body));
    }

    /**
     * awsQueryCompatible services (SQS, CloudWatch) answering json or cbor clients: SDKs map this
     * header back to the legacy query error code the model records.
     */
    static void queryErrorHeader(HttpResponse res, AwsException e, ServiceModel model) {
        if (model == null || !model.awsQueryCompatible) return;
        Shape s = model.errorShape(e.code());
        if (s != null && s.errorCode != null) res.header("x-amzn-query-error", s.errorCode + ";" + (e.senderFault() ? "Sender" : "Receiver"));
    }

    static byte[] bytes(JsonNode node) {
        try {
            return Values.JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
