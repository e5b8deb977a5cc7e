package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.model.Member;
import dev.nimbus.protocol.model.Operation;
import dev.nimbus.protocol.model.ServiceModel;
import dev.nimbus.protocol.model.Shape;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * rest-json (Lambda, API Gateway v1 and v2): the {@link RestCodec} bindings with a JSON document
 * body. JSON keys are the members' wire names (API Gateway v2 spells {@code Name} as {@code name}),
 * translated here to and from the member names the rest of Nimbus uses. Errors carry the code in
 * {@code x-amzn-ErrorType} and the error shape's members in the body, spelled as the model spells
 * them ({@code Message} for most Lambda errors, {@code message} for API Gateway).
 */
public final class RestJsonCodec extends RestCodec {
    private static final String JSON = "application/json";
    /** per structure shape: body member by JSON key */
    private final Map<Shape, Map<String, Member>> byWireName = new ConcurrentHashMap<>();

    @Override
    protected void readBody(byte[] body, Shape shape, ObjectNode into) {
        JsonNode doc = JsonCodec.parse(body);
        if (!doc.isObject()) throw AwsException.serialization("Expected a JSON object for " + shape.name + " but the body is not one");
        JsonShapes.input(toMembers(doc, shape), shape).fields().forEachRemaining(e -> into.set(e.getKey(), e.getValue()));
    }

    @Override
    protected JsonNode readPayloadDocument(byte[] body, Member payload) {
        JsonNode doc = JsonCodec.parse(body);
        if (payload.shape.document) return doc;
        return JsonShapes.input(toMembers(doc, payload.shape), payload.shape);
    }

    @Override
    protected void writeBody(HttpResponse res, Operation op, Shape shape, JsonNode output) {
        res.body(JSON, JsonCodec.bytes(toWire(JsonShapes.output(output, shape, null), shape)));
    }

    @Override
    protected void writePayloadDocument(HttpResponse res, Operation op, Member payload, JsonNode value) {
        JsonNode doc = value == null ? Values.object() : toWire(JsonShapes.output(value, payload.shape, payload), payload.shape);
        res.body(JSON, JsonCodec.bytes(doc));
    }

    @Override
    protected AwsException badValue(String where, String text, Shape shape) {
        return AwsException.serialization("Cannot read " + where + ": '" + text + "' is not a valid " + shape.type);
    }

    @Override
    public void writeError(HttpResponse res, AwsException e, ServiceModel model, String requestId) {
        res.status = e.status();
        res.header("x-amzn-ErrorType", e.code());
        ObjectNode body = Values.object();
        Shape shape = model == null ? null : model.errorShape(e.code());
        if (shape == null) {
            body.put("message", e.getMessage());
            e.fields().forEach(body::put);
        } else {
            for (Member m : shape.members.values()) {
                String value = m.name.equalsIgnoreCase("message") ? e.getMessage() : field(e, m);
                // Lambda's errors say whose fault they are: "User" or "Service".
                if (value == null && m.name.equals("Type")) value = e.senderFault() ? "User" : "Service";
                if (value == null) continue;
                if ("header".equals(m.location)) res.header(m.wireName(), value);
                else if (m.location == null) body.put(m.wireName(), value);
            }
        }
        res.body(JSON, JsonCodec.bytes(body));
    }

    private static String field(AwsException e, Member m) {
        String v = e.fields().get(m.name);
        return v != null ? v : e.fields().get(m.wireName());
    }

    // ---- JSON keys <-> member names ----

    /** A copy of {@code v} keyed by member names; keys that name no body member are dropped, as AWS ignores them. */
    private JsonNode toMembers(JsonNode v, Shape s) {
        if (v == null || v.isNull()) return v;
        switch (s.type) {
            case "structure": {
                if (s.document || !v.isObject()) return v; // JsonShapes reports a wrong type
                Map<String, Member> members = wireNames(s);
                ObjectNode out = Values.object();
                Iterator<Map.Entry<String, JsonNode>> it = v.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    Member m = members.get(e.getKey());
                    if (m != null) out.set(m.name, toMembers(e.getValue(), m.shape));
                }
                return out;
            }
            case "list": {
                if (!v.isArray() || !nested(s.member.shape)) return v;
                ArrayNode out = Values.array();
                for (JsonNode item : v) out.add(toMembers(item, s.member.shape));
                return out;
            }
            case "map": {
                if (!v.isObject() || !nested(s.value.shape)) return v;
                ObjectNode out = Values.object();
                v.fields().forEachRemaining(e -> out.set(e.getKey(), toMembers(e.getValue(), s.value.shape)));
                return out;
            }
            default:
                return v;
        }
    }

    /** The JSON form of an output value: member names become wire names; members bound elsewhere are left out. */
    private static JsonNode toWire(JsonNode v, Shape s) {
        if (v == null || v.isNull()) return v;
        switch (s.type) {
            case "structure": {
                if (s.document || !v.isObject()) return v;
                ObjectNode out = Values.object();
                for (Member m : s.members.values()) {
                    if (m.location != null) continue;
                    JsonNode child = v.get(m.name);
                    if (child == null || child.isNull()) continue;
                    out.set(m.wireName(), toWire(child, m.shape));
                }
                return out;
            }
            case "list": {
                if (!v.isArray() || !nested(s.member.shape)) return v;
                ArrayNode out = Values.array();
                for (JsonNode item : v) out.add(toWire(item, s.member.shape));
                return out;
            }
            case "map": {
                if (!v.isObject() || !nested(s.value.shape)) return v;
                ObjectNode out = Values.object();
                v.fields().forEachRemaining(e -> out.set(e.getKey(), toWire(e.getValue(), s.value.shape)));
                return out;
            }
            default:
                return v;
        }
    }

    /** Only structures have members to rename; lists and maps of scalars are kept as they are. */
    private static boolean nested(Shape s) {
        return !s.isScalar();
    }

    private Map<String, Member> wireNames(Shape s) {
        Map<String, Member> m = byWireName.get(s);
        if (m != null) return m;
        Map<String, Member> built = new HashMap<>();
        for (Member member : s.members.values()) if (member.location == null) built.put(member.wireName(), member);
        byWireName.put(s, built);
        return built;
    }
}
