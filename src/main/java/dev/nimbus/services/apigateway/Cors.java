package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.HttpResponse;

/** An HTTP API's CORS configuration: preflight requests answered by the gateway, CORS headers on every answer. */
final class Cors {
    private Cors() {}

    static boolean isPreflight(GatewayRequest req) {
        return req.method().equals("OPTIONS") && req.header("Origin") != null && req.header("Access-Control-Request-Method") != null;
    }

    static HttpResponse preflight(GatewayRequest req, JsonNode cors) {
        HttpResponse res = new HttpResponse();
        res.status = 204;
        String origin = allowedOrigin(req, cors);
        if (origin == null) return res;
        res.header("access-control-allow-origin", origin);
        join(res, "access-control-allow-methods", cors.get("AllowMethods"));
        join(res, "access-control-allow-headers", cors.get("AllowHeaders"));
        if (cors.path("AllowCredentials").asBoolean()) res.header("access-control-allow-credentials", "true");
        if (cors.has("MaxAge") && cors.get("MaxAge").asInt() >= 0) res.header("access-control-max-age", cors.get("MaxAge").asText());
        return res;
    }

    /** The CORS headers of an actual request's answer; they replace any the integration set. */
    static void decorate(GatewayRequest req, JsonNode cors, HttpResponse res) {
        String origin = allowedOrigin(req, cors);
        if (origin == null) return;
        res.headers.removeIf(h -> h[0].toLowerCase(java.util.Locale.ROOT).startsWith("access-control-"));
        res.header("access-control-allow-origin", origin);
        if (cors.path("AllowCredentials").asBoolean()) res.header("access-control-allow-credentials", "true");
        join(res, "access-control-expose-headers", cors.get("ExposeHeaders"));
    }

    /** "*" or the request's origin when the configuration allows it, else null (no CORS headers). */
    private static String allowedOrigin(GatewayRequest req, JsonNode cors) {
        String origin = req.header("Origin");
        if (origin == null) return null;
        for (JsonNode allowed : cors.path("AllowOrigins")) {
            if (allowed.asText().equals("*")) return "*";
            if (allowed.asText().equalsIgnoreCase(origin)) return origin;
        }
        return null;
    }

    private static void join(HttpResponse res, String header, JsonNode values) {
        if (values == null || values.isEmpty()) return;
        StringBuilder b = new StringBuilder();
        for (JsonNode v : values) b.append(b.isEmpty() ? "" : ",").append(v.asText());
        res.header(header, b.toString());
    }
}
