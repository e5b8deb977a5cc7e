package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.model.Member;
import dev.nimbus.protocol.model.Operation;
import dev.nimbus.protocol.model.ServiceModel;
import dev.nimbus.protocol.model.Shape;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The query protocol (STS, IAM, SNS; SQS and CloudWatch for older clients): form-encoded
 * parameters in ({@code Action=...&Tags.member.1.Key=...}), XML out, wrapped in
 * {@code <OpResponse><OpResult>} with ResponseMetadata.
 */
public final class QueryCodec implements Codec {
    private static final String XML = "text/xml";

    /** All parameters of a query request: the URL's and, for form posts, the body's. */
    public static Map<String, List<String>> params(HttpRequest req) {
        Map<String, List<String>> params = req.query();
        String type = req.header("Content-Type");
        if ("POST".equals(req.method) && (type == null || type.startsWith("application/x-www-form-urlencoded"))) {
            Map<String, List<String>> form = HttpRequest.parseForm(new String(req.bodyBytes(), StandardCharsets.UTF_8));
            if (!params.isEmpty()) form.putAll(params);
            params = form;
        }
        return params;
    }

    @Override
    public ObjectNode read(HttpRequest request, Operation op, Map<String, String> labels) {
        NavigableMap<String, String> flat = new TreeMap<>();
        params(request).forEach((k, v) -> flat.put(k, v.get(0)));
        ObjectNode input = Values.object();
        if (op.input != null) structure(flat, "", op.input, input);
        return input;
    }

    private static void structure(NavigableMap<String, String> p, String prefix, Shape shape, ObjectNode out) {
        for (Member m : shape.members.values()) {
            String key = prefix + (m.queryName != null ? m.queryName : m.locationName != null ? m.locationName
                    : m.shape.locationName != null ? m.shape.locationName : m.name);
            JsonNode v = value(p, key, m.shape, m.flattened || m.shape.flattened, m);
            if (v != null) out.set(m.name, v);
        }
    }

    private static JsonNode value(NavigableMap<String, String> p, String key, Shape s, boolean flattened, Member m) {
        switch (s.type) {
            case "structure": {
                if (!hasPrefix(p, key + ".")) return null;
                ObjectNode o = Values.object();
                structure(p, key + ".", s, o);
                return o;
            }
            case "list": {
                // Flattened items repeat the member's own name when it has one (SQS: AttributeName.1, not AttributeNames.1).
                String itemBase = !flattened ? key + "." + (s.member.locationName != null ? s.member.locationName : "member")
                        : s.member.locationName != null ? key.substring(0, key.lastIndexOf('.') + 1) + s.member.locationName : key;
                if (!hasPrefix(p, itemBase + ".")) {
                    // "Name=" (present, empty) is how query clients send an empty list.
                    return "".equals(p.get(key)) ? Values.array() : null;
                }
                var arr = Values.array();
                for (int i = 1; ; i++) {
                    JsonNode item = value(p, itemBase + "." + i, s.member.shape, false, s.member);
                    if (item == null) break;
                    arr.add(item);
                }
                return arr;
            }
            case "map": {
                String entryBase = flattened ? key : key + ".entry";
                if (!hasPrefix(p, entryBase + ".")) return null;
                String k = s.key.locationName != null ? s.key.locationName : "key";
                String val = s.value.locationName != null ? s.value.locationName : "value";
                ObjectNode o = Values.object();
                for (int i = 1; ; i++) {
                    String name = p.get(entryBase + "." + i + "." + k);
                    if (name == null) break;
                    JsonNode item = value(p, entryBase + "." + i + "." + val, s.value.shape, false, s.value);
                    o.set(name, item == null ? Values.NODES.nullNode() : item);
                }
                return o;
            }
            default: {
                String text = p.get(key);
                return text == null ? null : scalar(text, s, key);
            }
        }
    }

    static JsonNode scalar(String text, Shape s, String key) {
        try {
            return switch (s.type) {
                case "integer", "short", "byte" -> Values.NODES.numberNode(Integer.parseInt(text.trim()));
                case "long" -> Values.NODES.numberNode(Long.parseLong(text.trim()));
                case "float", "double" -> Values.NODES.numberNode(Double.parseDouble(text.trim()));
                case "bigdecimal", "biginteger" -> Values.NODES.numberNode(new java.math.BigDecimal(text.trim()));
                case "boolean" -> {
                    if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) throw new NumberFormatException();
                    yield Values.NODES.booleanNode(Boolean.parseBoolean(text));
                }
                case "timestamp" -> Values.timestamp(Values.parseTimestamp(text));
                case "blob" -> Values.NODES.binaryNode(Base64.getDecoder().decode(text));
                default -> Values.NODES.textNode(text);
            };
        } catch (IllegalArgumentException e) {
            throw new AwsException("InvalidParameterValue", "Value (" + text + ") for parameter " + key + " is invalid. Expected a " + s.type + ".", 400);
        }
    }

    private static boolean hasPrefix(NavigableMap<String, String> p, String prefix) {
        String k = p.ceilingKey(prefix);
        return k != null && k.startsWith(prefix);
    }

    @Override
    public void write(HttpResponse res, Operation op, JsonNode output, String requestId) {
        String name = op.name + "Response";
        XmlWriter w = new XmlWriter().open(name, "xmlns", op.service.xmlNamespace != null ? op.service.xmlNamespace : namespace(op.service));
        if (op.output != null) {
            String wrapper = op.resultWrapper != null ? op.resultWrapper : op.name + "Result";
            w.open(wrapper);
            XmlShapes.members(w, output, op.output);
            w.close(wrapper);
        }
        w.open("ResponseMetadata").element("RequestId", requestId).close("ResponseMetadata").close(name);
        res.status = 200;
        res.body(XML, w.toBytes());
    }

    @Override
    public void writeError(HttpResponse res, AwsException e, ServiceModel model, String requestId) {
        XmlWriter w = new XmlWriter().open("ErrorResponse", "xmlns", model == null ? null : model.xmlNamespace != null ? model.xmlNamespace : namespace(model))
                .open("Error")
                .element("Type", e.senderFault() ? "Sender" : "Receiver")
                .element("Code", queryCode(e, model))
                .element("Message", e.getMessage());
        e.fields().forEach(w::element);
        w.close("Error").element("RequestId", requestId).close("ErrorResponse");
        res.status = e.status();
        res.body(XML, w.toBytes());
    }

    /** Query clients of awsQueryCompatible services (SQS) expect the legacy code the model records. */
    private static String queryCode(AwsException e, ServiceModel model) {
        if (model != null) {
            Shape s = model.errorShape(e.code());
            if (s != null && s.errorCode != null) return s.errorCode;
        }
        return e.code();
    }

    /** Services whose current model is json (SQS, CloudWatch) still answer query clients in their old namespace. */
    private static String namespace(ServiceModel model) {
        return "http://" + model.endpointPrefix + ".amazonaws.com/doc/" + model.apiVersion + "/";
    }

    @Override
    public AwsException validationError(String message) {
        return new AwsException("ValidationError", message, 400);
    }

    @Override
    public AwsException unknownOperation(ServiceModel model, String name) {
        return new AwsException("InvalidAction", "Could not find operation " + name + " for version " + model.apiVersion, 400);
    }
}
