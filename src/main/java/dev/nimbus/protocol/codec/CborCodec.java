package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.model.Member;
import dev.nimbus.protocol.model.Operation;
import dev.nimbus.protocol.model.ServiceModel;
import dev.nimbus.protocol.model.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * smithy-rpc-v2-cbor (CloudWatch in current SDKs): {@code POST /service/{Service}/operation/{Op}}
 * with {@code smithy-protocol: rpc-v2-cbor}; request and response bodies are CBOR maps of the
 * input and output structures. Input goes through the same type rules as JSON ({@link JsonShapes});
 * output is written by shape, because CBOR carries what JSON cannot: timestamps as tag 1 around
 * epoch seconds, blobs as byte strings, NaN and infinities as floats.
 */
public final class CborCodec implements Codec {
    public static final String CONTENT_TYPE = "application/cbor";
    private static final String PROTOCOL_HEADER = "smithy-protocol";
    private static final String PROTOCOL = "rpc-v2-cbor";
    /** CBOR tag for a date-time given as epoch seconds (RFC 8949 section 3.4.2). */
    private static final int EPOCH_TAG = 1;
    private static final CBORMapper CBOR = new CBORMapper();
    /** Bytes after the input map make the body malformed, as they do for JSON. */
    private static final ObjectReader READER = CBOR.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @FunctionalInterface
    private interface Body {
        void write(CBORGenerator g) throws IOException;
    }

    @Override
    public ObjectNode read(HttpRequest request, Operation op, Map<String, String> labels) {
        JsonNode doc = parse(request.bodyBytes());
        // Tags are dropped by the tree reader: a tagged timestamp arrives as its number of seconds,
        // which is the shared form already; byte strings arrive as BinaryNode.
        return op.input == null ? Values.object() : JsonShapes.input(doc, op.input);
    }

    /** Parses a CBOR document; an empty body is an empty structure (operations without input send none). */
    static JsonNode parse(byte[] body) {
        if (body.length == 0) return Values.object();
        try {
            JsonNode doc = READER.readTree(body);
            return doc == null ? Values.object() : doc;
        } catch (JsonProcessingException e) {
            throw AwsException.serialization("Malformed CBOR: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw AwsException.serialization("Unreadable request body");
        }
    }

    @Override
    public void write(HttpResponse res, Operation op, JsonNode output, String requestId) {
        res.status = 200;
        res.header(PROTOCOL_HEADER, PROTOCOL);
        if (op.output == null) {
            // No output shape: the protocol sends no body and no Content-Type.
            res.body(null, new byte[0]);
            return;
        }
        JsonNode value = output == null ? Values.object() : output;
        res.body(CONTENT_TYPE, encode(g -> value(g, value, op.output)));
    }

    @Override
    public void writeError(HttpResponse res, AwsException e, ServiceModel model, String requestId) {
        res.status = e.status();
        res.header(PROTOCOL_HEADER, PROTOCOL);
        JsonCodec.queryErrorHeader(res, e, model);
        res.body(CONTENT_TYPE, encode(g -> {
            g.writeStartObject();
            g.writeStringField("__type", errorType(e, model));
            if (e.getMessage() != null) g.writeStringField("message", e.getMessage());
            for (Map.Entry<String, String> f : e.fields().entrySet()) g.writeStringField(f.getKey(), f.getValue());
            g.writeEndObject();
        }));
    }

    /**
     * The error's shape ID ("com.amazonaws.cloudwatch#ResourceNotFound") when the model declares it;
     * other errors (validation, not implemented) have no shape there and go by their bare code.
     * AWS's Smithy namespaces are "com.amazonaws." + the serviceId, lower case, without spaces.
     */
    static String errorType(AwsException e, ServiceModel model) {
        if (model == null || model.errorShape(e.code()) == null) return e.code();
        return "com.amazonaws." + model.serviceId.toLowerCase(Locale.ROOT).replace(" ", "") + "#" + e.code();
    }

    @Override
    public AwsException unknownOperation(ServiceModel model, String name) {
        // rpc-v2-cbor servers answer an unroutable path with 404, as for an unknown service.
        return new AwsException("UnknownOperationException", "Operation " + name + " is not part of " + model.serviceId, 404);
    }

    private static byte[] encode(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (CBORGenerator g = CBOR.getFactory().createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Writes a value of the output tree as its model shape says; members the shape lacks are not sent. */
    private static void value(CBORGenerator g, JsonNode v, Shape s) throws IOException {
        if (v.isNull()) {
            g.writeNull(); // only reachable inside lists and maps (sparse collections)
            return;
        }
        switch (s.type) {
            case "structure" -> {
                if (s.document) {
                    CBOR.writeTree(g, v);
                    return;
                }
                g.writeStartObject();
                for (Member m : s.members.values()) {
                    JsonNode child = v.get(m.name);
                    if (child == null || child.isNull()) continue;
                    g.writeFieldName(m.name);
                    value(g, child, m.shape);
                }
                g.writeEndObject();
            }
            case "list" -> {
                g.writeStartArray();
                for (JsonNode e : v) value(g, e, s.member.shape);
                g.writeEndArray();
            }
            case "map" -> {
                g.writeStartObject();
                Iterator<Map.Entry<String, JsonNode>> it = v.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    g.writeFieldName(e.getKey());
                    value(g, e.getValue(), s.value.shape);
                }
                g.writeEndObject();
            }
            case "timestamp" -> {
                Instant t = Values.instant(v);
                long millis = t.toEpochMilli();
                g.writeTag(EPOCH_TAG);
                if (millis % 1000 == 0) g.writeNumber(millis / 1000);
                else g.writeNumber(millis / 1000.0);
            }
            case "blob" -> {
                // Services put BinaryNode here; text is what JSON would carry, i.e. base64.
                byte[] bytes = v.isBinary() ? v.binaryValue() : Base64.getMimeDecoder().decode(v.asText());
                g.writeBinary(bytes);
            }
            case "boolean" -> g.writeBoolean(v.asBoolean());
            case "byte", "short", "integer", "long" -> {
                if (v.isBigInteger()) g.writeNumber(v.bigIntegerValue());
                else g.writeNumber(v.asLong());
            }
            case "float", "double" -> g.writeNumber(v.isNumber() ? v.doubleValue() : Double.parseDouble(v.asText()));
            case "bigdecimal" -> g.writeNumber(v.decimalValue());
            case "biginteger" -> g.writeNumber(v.bigIntegerValue());
            case "string" -> g.writeString(v.asText());
            default -> CBOR.writeTree(g, v);
        }
    }
}
