package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Payload;
import dev.nimbus.protocol.Values;
import dev.nimbus.protocol.model.Member;
import dev.nimbus.protocol.model.Operation;
import dev.nimbus.protocol.model.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP bindings rest-json and rest-xml share. Input members come from URI labels (already
 * decoded by the router), the query string, headers, header prefixes ({@code x-amz-meta-*}) and the
 * body; the body is either the operation's payload member alone (a structure, a string, a blob, or
 * a stream handed to the service as a {@link Payload} and never read here) or a document of the
 * remaining members, whose format the subclass knows. Output goes the same way back, plus the
 * status code (the operation's, or a statusCode member's).
 */
public abstract class RestCodec implements Codec {
    private static final String OCTETS = "application/octet-stream";

    // ---- what differs between rest-json and rest-xml ----

    /** Parses a document body into the body members of {@code shape}, added to {@code into}. */
    protected abstract void readBody(byte[] body, Shape shape, ObjectNode into);

    /** Parses a document body that is the structure payload member alone. */
    protected abstract JsonNode readPayloadDocument(byte[] body, Member payload);

    /** Writes the body members of {@code output} as the document body. */
    protected abstract void writeBody(HttpResponse res, Operation op, Shape shape, JsonNode output);

    /** Writes a structure payload member as the whole body; {@code value} may be null. */
    protected abstract void writePayloadDocument(HttpResponse res, Operation op, Member payload, JsonNode value);

    /** The error for a label, query or header value that does not parse as its type. */
    protected abstract AwsException badValue(String where, String text, Shape shape);

    // ---- input ----

    /**
     * Where an input shape's members come from, worked out once per shape: a request is then read
     * by walking its own dozen headers rather than all of the shape's header members (PutObject has about 50).
     */
    private record Bindings(List<Member> labels, List<Member> query, Map<String, Member> headers, List<Member> prefixed,
                            Member payload, boolean bodyMembers) {
        static Bindings of(Shape shape) {
            List<Member> labels = new ArrayList<>(), query = new ArrayList<>(), prefixed = new ArrayList<>();
            Map<String, Member> headers = new HashMap<>();
            Member payload = payloadMember(shape);
            boolean bodyMembers = false;
            for (Member m : shape.members.values()) {
                if (m.location == null) {
                    bodyMembers |= m != payload;
                    continue;
                }
                switch (m.location) {
                    case "uri" -> labels.add(m);
                    case "querystring" -> query.add(m);
                    case "header" -> headers.put(m.wireName().toLowerCase(Locale.ROOT), m);
                    case "headers" -> prefixed.add(m);
                    default -> { } // statusCode binds output only
                }
            }
            return new Bindings(List.copyOf(labels), List.copyOf(query), Map.copyOf(headers), List.copyOf(prefixed), payload, bodyMembers);
        }
    }

    private final Map<Shape, Bindings> bindings = new ConcurrentHashMap<>();

    @Override
    public ObjectNode read(HttpRequest req, Operation op, Map<String, String> labels) {
        ObjectNode input = Values.object();
        Shape shape = op.input;
        if (shape == null) return input;
        Bindings b = bindings.computeIfAbsent(shape, Bindings::of);
        for (Member m : b.labels) {
            JsonNode v = label(labels, m);
            if (v != null) input.set(m.name, v);
        }
        if (!req.rawQuery.isEmpty()) {
            for (Member m : b.query) {
                JsonNode v = query(req, op, m);
                if (v != null) input.set(m.name, v);
            }
        }
        if (!b.headers.isEmpty() || !b.prefixed.isEmpty()) {
            Map<String, List<String>> headers = byLowerCaseName(req);
            for (Map.Entry<String, List<String>> h : headers.entrySet()) {
                Member m = b.headers.get(h.getKey());
                JsonNode v = m == null ? null : header(h.getValue(), m);
                if (v != null) input.set(m.name, v);
            }
            for (Member m : b.prefixed) {
                JsonNode v = prefixedHeaders(headers, m);
                if (v != null) input.set(m.name, v);
            }
        }
        if (b.payload != null) {
            JsonNode v = readPayload(req, b.payload);
            if (v != null) input.set(b.payload.name, v);
        } else if (b.bodyMembers) {
            byte[] body = documentBytes(req);
            if (body.length > 0) readBody(body, shape, input);
        }
        return input;
    }

    private JsonNode label(Map<String, String> labels, Member m) {
        String raw = labels.get(m.wireName());
        return raw == null ? null : scalar(raw, m.shape, "URI label " + m.wireName());
    }

    private JsonNode query(HttpRequest req, Operation op, Member m) {
        Map<String, List<String>> query = req.query();
        if (m.shape.isMap()) {
            // A map bound to the query string takes every parameter nothing else claims.
            ObjectNode map = Values.object();
            for (Map.Entry<String, List<String>> e : query.entrySet()) {
                if (claimed(op, e.getKey())) continue;
                Shape value = m.shape.value.shape;
                if (value.isList()) {
                    ArrayNode items = map.putArray(e.getKey());
                    for (String s : e.getValue()) items.add(scalar(s, value.member.shape, "query parameter " + e.getKey()));
                } else {
                    map.set(e.getKey(), scalar(e.getValue().get(0), value, "query parameter " + e.getKey()));
                }
            }
            return map.isEmpty() ? null : map;
        }
        List<String> values = query.get(m.wireName());
        if (values == null || values.isEmpty()) return null;
        if (m.shape.isList()) {
            ArrayNode items = Values.array();
            for (String s : values) items.add(scalar(s, m.shape.member.shape, "query parameter " + m.wireName()));
            return items;
        }
        return scalar(values.get(0), m.shape, "query parameter " + m.wireName());
    }

    private static boolean claimed(Operation op, String key) {
        if (op.uri.queryLiterals().contains(key)) return true;
        for (Member other : op.input.members.values()) {
            if ("querystring".equals(other.location) && !other.shape.isMap() && other.wireName().equals(key)) return true;
        }
        return false;
    }

    /** The request's headers by lower-case name, each with its values in order. */
    private static Map<String, List<String>> byLowerCaseName(HttpRequest req) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : req.headers()) {
            headers.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>(1)).add(h.getValue());
        }
        return headers;
    }

    private JsonNode header(List<String> values, Member m) {
        String name = m.wireName();
        if (m.shape.isList()) {
            ArrayNode items = Values.array();
            for (String value : values) {
                for (String part : value.split(",")) {
                    String s = part.trim();
                    if (!s.isEmpty()) items.add(scalar(s, m.shape.member.shape, "header " + name));
                }
            }
            return items.isEmpty() ? null : items;
        }
        String value = values.get(0);
        // aws-chunked is how the body was framed on the wire, not how the content is encoded.
        if (name.equalsIgnoreCase("Content-Encoding")) {
            value = withoutAwsChunked(value);
            if (value.isEmpty()) return null;
        }
        if (m.jsonValue) {
            try {
                return Values.NODES.textNode(new String(Base64.getDecoder().decode(value.trim()), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw badValue("header " + name, value, m.shape);
            }
        }
        return scalar(value, m.shape, "header " + name);
    }

    private static JsonNode prefixedHeaders(Map<String, List<String>> headers, Member m) {
        String prefix = m.wireName().toLowerCase(Locale.ROOT);
        ObjectNode map = Values.object();
        // Header names are case-insensitive, so the keys they carry are kept in one case (S3 lowercases them too).
        for (Map.Entry<String, List<String>> h : headers.entrySet()) {
            String name = h.getKey();
            if (name.length() > prefix.length() && name.startsWith(prefix)) map.put(name.substring(prefix.length()), h.getValue().get(h.getValue().size() - 1));
        }
        return map.isEmpty() ? null : map;
    }

    private JsonNode readPayload(HttpRequest req, Member payload) {
        Shape s = payload.shape;
        if (s.type.equals("blob") && (payload.streaming || s.streaming)) {
            // Always present, even empty: a zero-byte object is still an object.
            return new POJONode(new Payload(bodyStream(req), bodyLength(req), req.header("Content-Type")));
        }
        byte[] body = documentBytes(req);
        if (body.length == 0) return null;
        return switch (s.type) {
            case "blob" -> Values.NODES.binaryNode(body);
            case "string" -> Values.NODES.textNode(new String(body, StandardCharsets.UTF_8));
            default -> readPayloadDocument(body, payload);
        };
    }

    /** The body as sent by the client, aws-chunked framing removed. */
    private static InputStream bodyStream(HttpRequest req) {
        return awsChunked(req) ? new AwsChunkedInputStream(req.bodyStream()) : req.bodyStream();
    }

    private static long bodyLength(HttpRequest req) {
        if (!awsChunked(req)) return req.contentLength;
        String decoded = req.header("x-amz-decoded-content-length");
        try {
            return decoded == null ? -1 : Long.parseLong(decoded.trim());
        } catch (NumberFormatException e) {
            throw new AwsException("InvalidArgument", "x-amz-decoded-content-length is not a number: " + decoded, 400);
        }
    }

    /** A document body, whole: bounded like {@link HttpRequest#bodyBytes()}, aws-chunked framing removed. */
    protected static byte[] documentBytes(HttpRequest req) {
        if (!awsChunked(req)) return req.bodyBytes();
        try (InputStream in = bodyStream(req)) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, req.maxBodyBytes + 1));
            if (bytes.length > req.maxBodyBytes) {
                throw new AwsException("RequestEntityTooLarge", "Request body is larger than the limit of " + req.maxBodyBytes + " bytes", 413);
            }
            return bytes;
        } catch (IOException e) {
            throw new AwsException("IncompleteBody", "The request body could not be read: " + e.getMessage(), 400);
        }
    }

    private static boolean awsChunked(HttpRequest req) {
        String encoding = req.header("Content-Encoding");
        if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("aws-chunked")) return true;
        String sha = req.header("x-amz-content-sha256");
        return sha != null && sha.startsWith("STREAMING-");
    }

    private static String withoutAwsChunked(String encoding) {
        StringBuilder sb = new StringBuilder();
        for (String part : encoding.split(",")) {
            String p = part.trim();
            if (p.isEmpty() || p.equalsIgnoreCase("aws-chunked")) continue;
            if (!sb.isEmpty()) sb.append(',');
            sb.append(p);
        }
        return sb.toString();
    }

    private JsonNode scalar(String text, Shape s, String where) {
        try {
            return parseScalar(text, s);
        } catch (IllegalArgumentException | AwsException e) {
            throw badValue(where, text, s);
        }
    }

    /**
     * A scalar from its text form (label, query parameter, header, XML element): numbers and
     * booleans trimmed, timestamps in any AWS format, blobs base64. Throws IllegalArgumentException
     * or AwsException when the text is not of the type; callers answer in their protocol's terms.
     */
    static JsonNode parseScalar(String text, Shape s) {
        String t = text.trim();
        return switch (s.type) {
            case "integer", "short", "byte" -> Values.NODES.numberNode(Integer.parseInt(t));
            case "long" -> Values.NODES.numberNode(Long.parseLong(t));
            case "float", "double" -> Values.NODES.numberNode(Double.parseDouble(t));
            case "bigdecimal", "biginteger" -> Values.NODES.numberNode(new BigDecimal(t));
            case "boolean" -> {
                if (!t.equalsIgnoreCase("true") && !t.equalsIgnoreCase("false")) throw new IllegalArgumentException("not a boolean: " + t);
                yield Values.NODES.booleanNode(Boolean.parseBoolean(t));
            }
            case "timestamp" -> Values.timestamp(Values.parseTimestamp(t));
            // base64 in XML may be wrapped over lines; the basic decoder refuses anything else that is not base64
            case "blob" -> Values.NODES.binaryNode(Base64.getDecoder().decode(t.replaceAll("\\s", "")));
            default -> Values.NODES.textNode(text);
        };
    }

    // ---- output ----

    @Override
    public void write(HttpResponse res, Operation op, JsonNode output, String requestId) {
        res.status = op.responseCode;
        Shape shape = op.output;
        if (shape == null || output == null || !output.isObject()) return;
        String declaredLength = null;
        // The output's few members, not the shape's many (GetObject's has about 40).
        for (var it = output.fields(); it.hasNext(); ) {
            var field = it.next();
            Member m = shape.members.get(field.getKey());
            JsonNode v = field.getValue();
            if (m == null || m.location == null || v.isNull()) continue;
            switch (m.location) {
                case "header" -> {
                    // The body (below) decides Content-Length; the member only speaks for a body not sent (HEAD).
                    if (m.wireName().equalsIgnoreCase("Content-Length")) declaredLength = v.asText();
                    else res.header(m.wireName(), headerText(v, m));
                }
                case "headers" -> v.fields().forEachRemaining(e -> res.header(m.wireName() + e.getKey(), e.getValue().asText()));
                case "statusCode" -> res.status = v.asInt();
                default -> { }
            }
        }
        Member payload = payloadMember(shape);
        if (payload != null) writePayload(res, op, payload, output.get(payload.name));
        else if (hasBodyMembers(shape)) writeBody(res, op, shape, output);

        if (res.stream != null && res.streamLength < 0 && declaredLength != null) res.streamLength = Long.parseLong(declaredLength);
        if (res.stream == null && res.body == null && declaredLength != null) res.header("Content-Length", declaredLength);
        // A response carrying Content-Range is a part of the representation (S3 ranged GetObject).
        if (res.status == 200 && res.header("Content-Range") != null) res.status = 206;
    }

    private void writePayload(HttpResponse res, Operation op, Member payload, JsonNode v) {
        Shape s = payload.shape;
        if (!s.type.equals("blob") && !s.type.equals("string")) {
            writePayloadDocument(res, op, payload, v == null || v.isNull() ? null : v);
            return;
        }
        if (v == null || v.isNull()) return;
        if (v instanceof POJONode pojo && pojo.getPojo() instanceof Payload p) {
            res.stream = out -> {
                try (InputStream in = p.stream()) {
                    in.transferTo(out);
                }
            };
            res.streamLength = p.length();
            if (res.header("Content-Type") == null) res.header("Content-Type", p.contentType() != null ? p.contentType() : OCTETS);
            return;
        }
        byte[] bytes;
        if (v.isBinary()) {
            try {
                bytes = v.binaryValue();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        } else {
            bytes = v.asText().getBytes(StandardCharsets.UTF_8);
        }
        res.body(res.header("Content-Type") == null ? (s.type.equals("string") ? "text/plain; charset=utf-8" : OCTETS) : null, bytes);
    }

    /** A header's text: timestamps as http-date unless the model says otherwise, lists comma-joined, jsonvalue base64. */
    private static String headerText(JsonNode v, Member m) {
        if (m.jsonValue) {
            String json = v.isTextual() ? v.asText() : v.toString();
            return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
        }
        if (m.shape.isList()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode item : v) {
                if (!sb.isEmpty()) sb.append(',');
                sb.append(scalarText(item, m.shape.member.shape, m.shape.member));
            }
            return sb.toString();
        }
        return scalarText(v, m.shape, m);
    }

    private static String scalarText(JsonNode v, Shape s, Member m) {
        switch (s.type) {
            case "timestamp": {
                String format = m != null && m.timestampFormat != null ? m.timestampFormat : s.timestampFormat;
                Instant t = Values.instant(v);
                if ("iso8601".equals(format)) return Values.iso8601(t);
                if ("unixTimestamp".equals(format)) return Values.epochSeconds(t).asText();
                return Values.httpDate(t);
            }
            case "blob":
                try {
                    return v.isBinary() ? Base64.getEncoder().encodeToString(v.binaryValue()) : v.asText();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            default:
                return v.asText();
        }
    }

    // ---- shared by both families ----

    protected static Member payloadMember(Shape shape) {
        return shape.payload == null ? null : shape.members.get(shape.payload);
    }

    protected static boolean hasBodyMembers(Shape shape) {
        for (Member m : shape.members.values()) if (m.location == null) return true;
        return false;
    }
}
