package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The events Lambda proxy integrations send (payload format 1.0, which REST APIs also use, and
 * HTTP APIs' 2.0) and how the function's answer becomes the HTTP response.
 */
final class ProxyEvents {
    /** A function answer that does not follow the proxy response format. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private ProxyEvents() {}

    /** Where a request sits in its API, for the event's resource and requestContext fields. */
    record Route(String resourcePath, String resourceId, String stage, String path, String contextPath, Map<String, String> pathParameters,
                 Map<String, String> stageVariables, String routeKey) {}

    /** Payload format 1.0: REST APIs' proxy event ({@code version} null) and HTTP APIs' 1.0 ("1.0"). */
    static ObjectNode v1(GatewayRequest req, String account, String version, Route route, boolean base64) {
        ObjectNode e = Values.object();
        if (version != null) e.put("version", version);
        e.put("resource", route.resourcePath());
        e.put("path", route.path());
        e.put("httpMethod", req.method());
        headersAndQuery(e, req);
        ObjectNode ctx = e.putObject("requestContext");
        ctx.put("accountId", account);
        ctx.put("apiId", req.apiId);
        if (req.authorizer != null) ctx.set("authorizer", req.authorizer);
        ctx.put("domainName", req.domainName);
        ctx.put("domainPrefix", req.apiId);
        ctx.put("extendedRequestId", req.requestId);
        ctx.put("httpMethod", req.method());
        ObjectNode identity = ctx.putObject("identity");
        for (String f : List.of("accessKey", "accountId", "caller", "cognitoAmr", "cognitoAuthenticationProvider", "cognitoAuthenticationType",
                "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId")) {
            identity.putNull(f);
        }
        identity.put("sourceIp", req.sourceIp());
        identity.putNull("user");
        identity.put("userAgent", req.header("User-Agent"));
        identity.putNull("userArn");
        ctx.put("path", route.contextPath());
        ctx.put("protocol", "HTTP/1.1");
        ctx.put("requestId", req.requestId);
        ctx.put("requestTime", req.requestTime());
        ctx.put("requestTimeEpoch", req.time.toEpochMilli());
        ctx.put("resourceId", route.resourceId());
        ctx.put("resourcePath", route.resourcePath());
        ctx.put("stage", route.stage());
        if (route.routeKey() != null) ctx.put("routeKey", route.routeKey());
        setMap(e, "pathParameters", route.pathParameters(), true);
        setMap(e, "stageVariables", route.stageVariables(), true);
        body(e, req.body, base64, true);
        return e;
    }

    /** HTTP APIs' payload format 2.0. */
    static ObjectNode v2(GatewayRequest req, String account, Route route) {
        ObjectNode e = Values.object();
        e.put("version", "2.0");
        e.put("routeKey", route.routeKey());
        e.put("rawPath", route.path());
        e.put("rawQueryString", req.rawQuery);
        ArrayNode cookies = Values.array();
        ObjectNode headers = Values.object();
        for (Map.Entry<String, List<String>> h : req.multiHeaders().entrySet()) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (name.equals("cookie")) {
                for (String line : h.getValue()) for (String c : line.split(";")) if (!c.isBlank()) cookies.add(c.trim());
            } else {
                headers.put(name, String.join(",", h.getValue()));
            }
        }
        if (!cookies.isEmpty()) e.set("cookies", cookies);
        e.set("headers", headers);
        Map<String, List<String>> query = req.query();
        if (!query.isEmpty()) {
            ObjectNode q = e.putObject("queryStringParameters");
            for (Map.Entry<String, List<String>> p : query.entrySet()) q.put(p.getKey(), String.join(",", p.getValue()));
        }
        ObjectNode ctx = e.putObject("requestContext");
        ctx.put("accountId", account);
        ctx.put("apiId", req.apiId);
        if (req.authorizer != null) ctx.set("authorizer", req.authorizer);
        ctx.put("domainName", req.domainName);
        ctx.put("domainPrefix", req.apiId);
        ctx.putObject("http")
                .put("method", req.method())
                .put("path", route.contextPath())
                .put("protocol", "HTTP/1.1")
                .put("sourceIp", req.sourceIp())
                .put("userAgent", req.header("User-Agent"));
        ctx.put("requestId", req.requestId);
        ctx.put("routeKey", route.routeKey());
        ctx.put("stage", route.stage());
        ctx.put("time", req.requestTime());
        ctx.put("timeEpoch", req.time.toEpochMilli());
        setMap(e, "pathParameters", route.pathParameters(), false);
        setMap(e, "stageVariables", route.stageVariables(), false);
        body(e, req.body, base64(req), false);
        return e;
    }

    /** headers and multiValueHeaders, queryStringParameters and multiValueQueryStringParameters (null when none), as payload 1.0 and WebSocket $connect events have them. */
    static void headersAndQuery(ObjectNode e, GatewayRequest req) {
        ObjectNode headers = e.putObject("headers");
        ObjectNode multiHeaders = e.putObject("multiValueHeaders");
        for (Map.Entry<String, List<String>> h : req.multiHeaders().entrySet()) {
            headers.put(h.getKey(), h.getValue().get(h.getValue().size() - 1));
            ArrayNode values = multiHeaders.putArray(h.getKey());
            h.getValue().forEach(values::add);
        }
        Map<String, List<String>> query = req.query();
        if (query.isEmpty()) {
            e.putNull("queryStringParameters");
            e.putNull("multiValueQueryStringParameters");
        } else {
            ObjectNode single = e.putObject("queryStringParameters");
            ObjectNode multi = e.putObject("multiValueQueryStringParameters");
            for (Map.Entry<String, List<String>> q : query.entrySet()) {
                single.put(q.getKey(), q.getValue().get(q.getValue().size() - 1));
                ArrayNode values = multi.putArray(q.getKey());
                q.getValue().forEach(values::add);
            }
        }
    }

    private static void setMap(ObjectNode e, String field, Map<String, String> values, boolean nullWhenEmpty) {
        if (values == null || values.isEmpty()) {
            if (nullWhenEmpty) e.putNull(field);
            return;
        }
        ObjectNode o = e.putObject(field);
        values.forEach(o::put);
    }

    /** The body as text, or base64 encoded; no body is null in 1.0 and absent in 2.0. */
    private static void body(ObjectNode e, byte[] body, boolean base64, boolean nullWhenEmpty) {
        if (body == null || body.length == 0) {
            if (nullWhenEmpty) e.putNull("body");
            e.put("isBase64Encoded", false);
            return;
        }
        e.put("body", base64 ? Base64.getEncoder().encodeToString(body) : new String(body, StandardCharsets.UTF_8));
        e.put("isBase64Encoded", base64);
    }

    /** HTTP APIs pass text bodies as they are and encode anything else. */
    static boolean base64(GatewayRequest req) {
        return req.body != null && req.body.length > 0 && (!textual(req.header("Content-Type")) || utf8(req.body) == null);
    }

    static boolean textual(String contentType) {
        if (contentType == null) return true;
        String t = contentType.toLowerCase(Locale.ROOT);
        return t.startsWith("text/") || t.contains("json") || t.contains("xml") || t.contains("javascript")
                || t.startsWith("application/x-www-form-urlencoded") || t.contains("yaml");
    }

    /** The bytes as UTF-8 text, or null when they are not valid UTF-8. */
    static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** A proxy response in the 1.0 format: statusCode, headers, multiValueHeaders, body, isBase64Encoded. */
    static HttpResponse response(byte[] payload, boolean decodeBase64) throws Malformed {
        JsonNode out = parse(payload);
        if (out == null || !out.isObject()) throw new Malformed("the response is not a JSON object");
        return structured(out, false, decodeBase64);
    }

    /** A 2.0 response: the 1.0 format plus cookies, or any other JSON answer, sent as a 200 application/json body. */
    static HttpResponse responseV2(byte[] payload) throws Malformed {
        JsonNode out = parse(payload);
        if (out == null) throw new Malformed("the response is not JSON");
        if (out.isObject() && out.has("statusCode")) return structured(out, true, true);
        HttpResponse res = new HttpResponse();
        byte[] body = out.isTextual() ? out.asText().getBytes(StandardCharsets.UTF_8) : payload;
        return res.body("application/json", body);
    }

    private static JsonNode parse(byte[] payload) {
        try {
            return Values.JSON.readTree(payload);
        } catch (IOException e) {
            return null;
        }
    }

    private static HttpResponse structured(JsonNode out, boolean v2, boolean decodeBase64) throws Malformed {
        HttpResponse res = new HttpResponse();
        JsonNode status = out.get("statusCode");
        if (status == null || status.isNull()) {
            if (!v2) res.status = 200;
        } else if (status.isIntegralNumber() || status.isTextual() && status.asText().matches("\\d{3}")) {
            res.status = status.asInt();
        } else {
            throw new Malformed("statusCode is not an integer");
        }
        if (res.status < 100 || res.status > 599) throw new Malformed("statusCode out of range");
        JsonNode headers = out.get("headers");
        if (headers != null && !headers.isNull()) {
            if (!headers.isObject()) throw new Malformed("headers is not an object");
            for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> h = it.next();
                if (h.getValue().isContainerNode()) throw new Malformed("header " + h.getKey() + " is not a string");
                res.header(h.getKey(), h.getValue().asText());
            }
        }
        JsonNode multi = out.get("multiValueHeaders");
        if (multi != null && !multi.isNull()) {
            if (!multi.isObject()) throw new Malformed("multiValueHeaders is not an object");
            for (Iterator<Map.Entry<String, JsonNode>> it = multi.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> h = it.next();
                if (!h.getValue().isArray()) throw new Malformed("multiValueHeaders." + h.getKey() + " is not a list");
                if (headers != null && headers.has(h.getKey())) res.headers.removeIf(x -> x[0].equals(h.getKey()));
                for (JsonNode v : h.getValue()) res.header(h.getKey(), v.asText());
            }
        }
        if (v2) {
            JsonNode cookies = out.get("cookies");
            if (cookies != null && !cookies.isNull()) {
                if (!cookies.isArray()) throw new Malformed("cookies is not a list");
                for (JsonNode c : cookies) res.header("Set-Cookie", c.asText());
            }
        }
        JsonNode body = out.get("body");
        boolean base64 = decodeBase64 && out.path("isBase64Encoded").asBoolean(false);
        if (body != null && !body.isNull()) {
            if (!body.isTextual()) {
                if (!v2) throw new Malformed("body is not a string");
                res.body = body.toString().getBytes(StandardCharsets.UTF_8);
            } else if (base64) {
                try {
                    res.body = Base64.getMimeDecoder().decode(body.asText());
                } catch (IllegalArgumentException e) {
                    throw new Malformed("body is not base64");
                }
            } else {
                res.body = body.asText().getBytes(StandardCharsets.UTF_8);
            }
        }
        if (res.header("Content-Type") == null) res.header("Content-Type", "application/json");
        return res;
    }

    /** Reads a request body up to API Gateway's 10 MB payload limit; null when it is over. */
    static byte[] readBody(HttpRequest http, int limit) {
        if (http.contentLength > limit) return null;
        // No body (HTTP/1.1: neither Content-Length nor Transfer-Encoding, as a GET sends): readNBytes would still allocate and ask the connection.
        if (http.contentLength == 0 || http.contentLength < 0 && http.header("Transfer-Encoding") == null) return new byte[0];
        try {
            byte[] b = http.bodyStream().readNBytes(limit + 1);
            return b.length > limit ? null : b;
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
