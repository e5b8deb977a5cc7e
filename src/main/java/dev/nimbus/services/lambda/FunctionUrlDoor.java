package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.compute.Invocation;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Identity;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.SigV4;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.FrontDoor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Serves function URLs: a request to {@code <url-id>.lambda-url.<region>.localhost} becomes the
 * payload format 2.0 event Lambda sends for function URLs, the function runs synchronously, and
 * its result becomes the HTTP response the way Lambda infers it (a result with a statusCode is a
 * response description; anything else is a 200 JSON body). CORS, when configured on the URL, is
 * answered here and overrides the function's own CORS headers, as in AWS.
 */
final class FunctionUrlDoor implements FrontDoor {
    private static final Pattern HOST = Pattern.compile("([a-z0-9]{32})\\.lambda-url\\.([a-z0-9-]+)\\.localhost(?::(\\d+))?\\.?", Pattern.CASE_INSENSITIVE);
    /** The request time as API Gateway's payload 2.0 writes it. */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.US).withZone(ZoneOffset.UTC);
    /** Lambda's synchronous payload limit applies to the request body too. */
    private static final int MAX_BODY = LambdaService.MAX_PAYLOAD;

    private final FunctionUrls urls;
    private final LambdaService lambda;
    private final Function<String, Identity> identities;

    FunctionUrlDoor(FunctionUrls urls, LambdaService lambda, Function<String, Identity> identities) {
        this.urls = urls;
        this.lambda = lambda;
        this.identities = identities;
    }

    @Override
    public HttpResponse serve(HttpRequest req) {
        String host = req.header("Host");
        if (host == null) return null;
        Matcher m = HOST.matcher(host);
        if (!m.matches()) return null;
        String urlId = m.group(1).toLowerCase(Locale.ROOT), region = m.group(2).toLowerCase(Locale.ROOT);
        FunctionUrls.Target target = urls.find(urlId, region);
        if (target == null) return message(403, "Forbidden");
        JsonNode cors = target.config().path("Cors");
        String origin = req.header("Origin");
        if (cors.isObject() && origin != null && req.method.equals("OPTIONS") && req.header("Access-Control-Request-Method") != null) {
            return preflight(cors, origin);
        }
        Identity caller = null;
        if (target.config().get("AuthType").asText().equals("AWS_IAM")) {
            SigV4 sig = SigV4.of(req);
            if (sig.accessKey() == null) return withCors(message(403, "Forbidden"), cors, origin);
            caller = identities.apply(sig.accessKey());
        }
        byte[] body;
        try {
            body = req.bodyBytes();
        } catch (AwsException e) {
            return withCors(message(413, "Request Entity Too Large"), cors, origin);
        }
        if (body.length > MAX_BODY) return withCors(message(413, "Request Entity Too Large"), cors, origin);
        String requestId = UUID.randomUUID().toString();
        ObjectNode event = event(req, host, urlId, body, caller, requestId);
        RequestContext ctx = new RequestContext(requestId, new Identity(target.account(), "arn:aws:iam::" + target.account() + ":root",
                target.account(), null), target.region(), null);
        HttpResponse out;
        try {
            Invocation.Result r = lambda.invokeFunctionUrl(ctx, target.function(), target.qualifier(), bytes(event));
            out = r.functionError() != null ? message(502, "Internal Server Error") : response(r.payload());
        } catch (AwsException e) {
            out = e.status() == 429 ? message(429, "Rate Exceeded.") : e.status() == 404 ? message(403, "Forbidden") : message(502, "Internal Server Error");
        }
        return withCors(out, cors, origin);
    }

    /** The event, payload format 2.0 as Lambda builds it for function URLs. */
    static ObjectNode event(HttpRequest req, String host, String urlId, byte[] body, Identity caller, String requestId) {
        Instant now = Instant.now();
        String path = req.rawPath;
        ObjectNode event = Values.object().put("version", "2.0").put("routeKey", "$default").put("rawPath", path).put("rawQueryString", req.rawQuery);
        Map<String, String> headers = new LinkedHashMap<>();
        List<String> cookies = new ArrayList<>();
        for (Map.Entry<String, String> h : req.headers()) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (name.equals("cookie")) {
                for (String c : h.getValue().split(";")) if (!c.isBlank()) cookies.add(c.trim());
            } else {
                headers.merge(name, h.getValue(), (a, b) -> a + "," + b);
            }
        }
        String sourceIp = sourceIp(headers.get("x-forwarded-for"));
        headers.putIfAbsent("x-forwarded-for", sourceIp);
        headers.putIfAbsent("x-forwarded-proto", "http");
        int colon = host.lastIndexOf(':');
        headers.putIfAbsent("x-forwarded-port", colon > 0 ? host.substring(colon + 1) : "80");
        headers.putIfAbsent("x-amzn-trace-id", "Root=1-" + Long.toHexString(now.getEpochSecond()) + "-" + requestId.replace("-", "").substring(0, 24));
        if (!cookies.isEmpty()) {
            ArrayNode list = event.putArray("cookies");
            cookies.forEach(list::add);
        }
        ObjectNode h = event.putObject("headers");
        headers.forEach(h::put);
        if (!req.rawQuery.isEmpty()) {
            ObjectNode q = event.putObject("queryStringParameters");
            req.query().forEach((k, v) -> q.put(k, String.join(",", v)));
        }
        ObjectNode context = event.putObject("requestContext");
        context.put("accountId", caller == null ? "anonymous" : caller.accountId());
        context.put("apiId", urlId);
        if (caller != null) {
            context.putObject("authorizer").putObject("iam")
                    .put("accessKey", caller.accessKeyId())
                    .put("accountId", caller.accountId())
                    .put("callerId", caller.userId())
                    .putNull("cognitoIdentity")
                    .putNull("principalOrgId")
                    .put("userArn", caller.arn())
                    .put("userId", caller.userId());
        }
        String domain = colon > 0 ? host.substring(0, colon) : host;
        context.put("domainName", domain.toLowerCase(Locale.ROOT));
        context.put("domainPrefix", urlId);
        context.putObject("http")
                .put("method", req.method)
                .put("path", path)
                .put("protocol", "HTTP/1.1")
                .put("sourceIp", sourceIp)
                .put("userAgent", req.header("User-Agent") == null ? "" : req.header("User-Agent"));
        context.put("requestId", requestId);
        context.put("routeKey", "$default");
        context.put("stage", "$default");
        context.put("time", TIME.format(now));
        context.put("timeEpoch", now.toEpochMilli());
        if (body.length > 0) {
            boolean text = textual(req.header("Content-Type"));
            event.put("body", text ? new String(body, StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(body));
            event.put("isBase64Encoded", !text);
        } else {
            event.put("isBase64Encoded", false);
        }
        return event;
    }

    /** The client as the first X-Forwarded-For entry when a proxy in front of Nimbus set one, else loopback (where Nimbus listens by default). */
    private static String sourceIp(String forwarded) {
        if (forwarded == null || forwarded.isBlank()) return "127.0.0.1";
        return forwarded.split(",")[0].trim();
    }

    /** Bodies Lambda passes as text; everything else (images, octet streams, no type) arrives base64. */
    private static boolean textual(String contentType) {
        if (contentType == null) return false;
        String t = contentType.toLowerCase(Locale.ROOT);
        return t.startsWith("text/") || t.contains("json") || t.contains("xml") || t.contains("javascript")
                || t.startsWith("application/x-www-form-urlencoded");
    }

    /**
     * The function's result as an HTTP response: an object with a statusCode describes the
     * response (statusCode, headers, cookies, body, isBase64Encoded); any other valid JSON is the
     * body of a 200 application/json response (a JSON string is the body's text itself).
     */
    static HttpResponse response(byte[] payload) {
        JsonNode result;
        try {
            result = payload.length == 0 ? Values.NODES.nullNode() : Values.JSON.readTree(payload);
        } catch (IOException e) {
            return message(502, "Internal Server Error");
        }
        HttpResponse out = new HttpResponse();
        if (!result.isObject() || !result.has("statusCode")) {
            byte[] body = result.isTextual() ? result.asText().getBytes(StandardCharsets.UTF_8) : result.isNull() ? new byte[0] : payload;
            return out.body("application/json", body);
        }
        if (!result.get("statusCode").canConvertToInt()) return message(502, "Internal Server Error");
        out.status = result.get("statusCode").asInt();
        boolean typed = false;
        var headers = result.path("headers").fields();
        while (headers.hasNext()) {
            var h = headers.next();
            out.header(h.getKey(), h.getValue().asText());
            typed |= h.getKey().equalsIgnoreCase("Content-Type");
        }
        for (JsonNode cookie : result.path("cookies")) out.header("Set-Cookie", cookie.asText());
        if (!typed) out.header("Content-Type", "application/json");
        JsonNode body = result.path("body");
        if (body.isMissingNode() || body.isNull()) return out;
        String text = body.isTextual() ? body.asText() : body.toString();
        try {
            out.body = result.path("isBase64Encoded").asBoolean(false) ? Base64.getMimeDecoder().decode(text) : text.getBytes(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return message(502, "Internal Server Error");
        }
        return out;
    }

    /** Lambda answers the preflight itself when the URL has a CORS configuration. */
    private static HttpResponse preflight(JsonNode cors, String origin) {
        HttpResponse out = new HttpResponse();
        if (!allowed(cors, origin)) return out;
        out.header("Access-Control-Allow-Origin", allowOrigin(cors, origin));
        if (!cors.path("AllowMethods").isEmpty()) out.header("Access-Control-Allow-Methods", join(cors.get("AllowMethods")));
        if (!cors.path("AllowHeaders").isEmpty()) out.header("Access-Control-Allow-Headers", join(cors.get("AllowHeaders")));
        if (cors.path("AllowCredentials").asBoolean(false)) out.header("Access-Control-Allow-Credentials", "true");
        if (cors.has("MaxAge")) out.header("Access-Control-Max-Age", cors.get("MaxAge").asText());
        out.header("Vary", "Origin");
        return out;
    }

    /** With a CORS configuration, its headers replace whatever CORS headers the function set. */
    private static HttpResponse withCors(HttpResponse out, JsonNode cors, String origin) {
        if (!cors.isObject()) return out;
        out.headers.removeIf(h -> h[0].toLowerCase(Locale.ROOT).startsWith("access-control-"));
        if (origin == null || !allowed(cors, origin)) return out;
        out.header("Access-Control-Allow-Origin", allowOrigin(cors, origin));
        if (!cors.path("ExposeHeaders").isEmpty()) out.header("Access-Control-Expose-Headers", join(cors.get("ExposeHeaders")));
        if (cors.path("AllowCredentials").asBoolean(false)) out.header("Access-Control-Allow-Credentials", "true");
        out.header("Vary", "Origin");
        return out;
    }

    private static boolean allowed(JsonNode cors, String origin) {
        for (JsonNode o : cors.path("AllowOrigins")) if (o.asText().equals("*") || o.asText().equalsIgnoreCase(origin)) return true;
        return false;
    }

    /** "*" only where credentials are not allowed: a browser refuses the wildcard with credentials. */
    private static String allowOrigin(JsonNode cors, String origin) {
        boolean wildcard = false;
        for (JsonNode o : cors.path("AllowOrigins")) wildcard |= o.asText().equals("*");
        return wildcard && !cors.path("AllowCredentials").asBoolean(false) ? "*" : origin;
    }

    private static String join(JsonNode list) {
        List<String> items = new ArrayList<>();
        list.forEach(n -> items.add(n.asText()));
        return String.join(",", items);
    }

    private static HttpResponse message(int status, String message) {
        HttpResponse out = new HttpResponse();
        out.status = status;
        return out.body("application/json", Values.object().put("Message", message).toString().getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bytes(JsonNode json) {
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }
}
