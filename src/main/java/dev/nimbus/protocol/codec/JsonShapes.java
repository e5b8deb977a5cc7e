package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.model.Member;
import dev.nimbus.protocol.model.Shape;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;

/**
 * Type rules shared by the JSON-shaped protocols (json, rest-json, rpc-v2-cbor): checks that a
 * parsed document has the model's types and brings timestamps and blobs into the shared form.
 * Wrong types answer SerializationException, as AWS's JSON front ends do.
 */
public final class JsonShapes {
    private JsonShapes() {}

    /** Normalizes a structure in place; unknown members are dropped as AWS ignores them. */
    public static ObjectNode input(JsonNode doc, Shape shape) {
        if (doc == null || doc.isNull() || doc.isMissingNode()) return Values.object();
        if (!doc.isObject()) throw AwsException.serialization("Expected a JSON object for " + shape.name + " but found " + kind(doc));
        return (ObjectNode) normalize(doc, shape, shape.name);
    }

    private static JsonNode normalize(JsonNode v, Shape s, String path) {
        if (v.isNull()) return v;
        switch (s.type) {
            case "structure": {
                if (s.document) return v;
                if (!v.isObject()) throw wrong(v, s, path);
                ObjectNode o = (ObjectNode) v;
                Iterator<Map.Entry<String, JsonNode>> it = o.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    Member m = s.members.get(e.getKey());
                    if (m == null) {
                        it.remove();
                        continue;
                    }
                    JsonNode n = normalize(e.getValue(), m.shape, path + "." + e.getKey());
                    if (n != e.getValue()) e.setValue(n);
                }
                return o;
            }
            case "list": {
                if (!v.isArray()) throw wrong(v, s, path);
                ArrayNode a = (ArrayNode) v;
                for (int i = 0; i < a.size(); i++) {
                    JsonNode n = normalize(a.get(i), s.member.shape, path + "[" + i + "]");
                    if (n != a.get(i)) a.set(i, n);
                }
                return a;
            }
            case "map": {
                if (!v.isObject()) throw wrong(v, s, path);
                ObjectNode o = (ObjectNode) v;
                Iterator<Map.Entry<String, JsonNode>> it = o.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode n = normalize(e.getValue(), s.value.shape, path + "." + e.getKey());
                    if (n != e.getValue()) e.setValue(n);
                }
                return o;
            }
            case "string":
                if (!v.isTextual()) throw wrong(v, s, path);
                return v;
            case "boolean":
                if (!v.isBoolean()) throw wrong(v, s, path);
                return v;
            case "integer", "long", "short", "byte":
                if (!v.isIntegralNumber()) throw wrong(v, s, path);
                return v;
            case "float", "double":
                if (v.isNumber()) return v;
                // JSON cannot carry these three; AWS protocols send them as strings.
                if (v.isTextual() && (v.asText().equals("NaN") || v.asText().equals("Infinity") || v.asText().equals("-Infinity"))) {
                    return Values.NODES.numberNode(Double.parseDouble(v.asText()));
                }
                throw wrong(v, s, path);
            case "bigdecimal", "biginteger":
                if (!v.isNumber()) throw wrong(v, s, path);
                return v;
            case "timestamp":
                if (v.isNumber()) return v;
                if (v.isTextual()) return Values.timestamp(Values.parseTimestamp(v.asText()));
                throw wrong(v, s, path);
            case "blob":
                if (v.isBinary()) return v;
                if (!v.isTextual()) throw wrong(v, s, path);
                try {
                    return Values.NODES.binaryNode(Base64.getMimeDecoder().decode(v.asText()));
                } catch (IllegalArgumentException e) {
                    throw AwsException.serialization("Base64 encoded value at " + path + " is not valid");
                }
            default:
                return v;
        }
    }

    private static AwsException wrong(JsonNode v, Shape s, String path) {
        return AwsException.serialization("Unexpected value type in payload: expected " + s.type + " at " + path + " but found " + kind(v));
    }

    private static String kind(JsonNode v) {
        if (v.isTextual()) return "string";
        if (v.isBoolean()) return "boolean";
        if (v.isNumber()) return "number";
        if (v.isArray()) return "array";
        if (v.isObject()) return "object";
        return v.getNodeType().name().toLowerCase();
    }

    /**
     * Prepares an output tree for JSON: timestamps become epoch seconds unless the model asks for
     * another format. Blobs (BinaryNode) are written as base64 by Jackson itself.
     */
    public static JsonNode output(JsonNode v, Shape s, Member m) {
        if (v == null || v.isNull() || s == null) return v;
        switch (s.type) {
            case "structure": {
                if (s.document || !v.isObject()) return v;
                ObjectNode o = (ObjectNode) v;
                for (Member member : s.members.values()) {
                    JsonNode child = o.get(member.name);
                    if (child == null) continue;
                    if (member.location != null) continue;
                    JsonNode n = output(child, member.shape, member);
                    if (n != child) o.set(member.name, n);
                }
                return o;
            }
            case "list": {
                if (!v.isArray()) return v;
                ArrayNode a = (ArrayNode) v;
                for (int i = 0; i < a.size(); i++) {
                    JsonNode n = output(a.get(i), s.member.shape, s.member);
                    if (n != a.get(i)) a.set(i, n);
                }
                return a;
            }
            case "map": {
                if (!v.isObject()) return v;
                ObjectNode o = (ObjectNode) v;
                Iterator<Map.Entry<String, JsonNode>> it = o.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode n = output(e.getValue(), s.value.shape, s.value);
                    if (n != e.getValue()) e.setValue(n);
                }
                return o;
            }
            case "timestamp": {
                String format = m != null && m.timestampFormat != null ? m.timestampFormat : s.timestampFormat;
                // Doubles would print as 1.76722566E9: valid, but not what AWS sends. Whole seconds stay integral.
                if ((format == null || "unixTimestamp".equals(format)) && v.isIntegralNumber()) return v;
                java.time.Instant t = Values.instant(v);
                if ("iso8601".equals(format)) return Values.NODES.textNode(Values.iso8601(t));
                if ("rfc822".equals(format)) return Values.NODES.textNode(Values.httpDate(t));
                return Values.epochSeconds(t);
            }
            default:
                return v;
        }
    }
}
