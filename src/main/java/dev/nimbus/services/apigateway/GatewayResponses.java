package dev.nimbus.services.apigateway;

import dev.nimbus.protocol.HttpResponse;
import java.util.Map;

/**
 * REST APIs' own answers when a request does not reach an integration's response: AWS's gateway
 * responses, by default as AWS writes them, or as the API customized them (PutGatewayResponse:
 * status, headers, a mapping template), falling back to its DEFAULT_4XX / DEFAULT_5XX.
 */
final class GatewayResponses {
    /** The response types an API may customize, besides DEFAULT_4XX and DEFAULT_5XX. */
    static final java.util.Set<String> TYPES = java.util.Set.of("ACCESS_DENIED", "API_CONFIGURATION_ERROR", "AUTHORIZER_CONFIGURATION_ERROR",
            "AUTHORIZER_FAILURE", "BAD_REQUEST_PARAMETERS", "BAD_REQUEST_BODY", "DEFAULT_4XX", "DEFAULT_5XX", "EXPIRED_TOKEN", "INTEGRATION_FAILURE",
            "INTEGRATION_TIMEOUT", "INVALID_API_KEY", "INVALID_SIGNATURE", "MISSING_AUTHENTICATION_TOKEN", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE",
            "RESOURCE_NOT_FOUND", "THROTTLED", "UNAUTHORIZED", "UNSUPPORTED_MEDIA_TYPE", "WAF_FILTERED");
    private record Default(int status, String errorType, String body) {}

    private static final Map<String, Default> DEFAULTS = Map.ofEntries(
            Map.entry("MISSING_AUTHENTICATION_TOKEN", message(403, "MissingAuthenticationTokenException", "Missing Authentication Token")),
            Map.entry("FORBIDDEN", message(403, "ForbiddenException", "Forbidden")),
            Map.entry("INVALID_API_KEY", message(403, "ForbiddenException", "Forbidden")),
            Map.entry("ACCESS_DENIED", message(403, "AccessDeniedException", "User is not authorized to access this resource")),
            Map.entry("UNAUTHORIZED", message(401, "UnauthorizedException", "Unauthorized")),
            Map.entry("THROTTLED", message(429, "TooManyRequestsException", "Too Many Requests")),
            Map.entry("QUOTA_EXCEEDED", message(429, "LimitExceededException", "Limit Exceeded")),
            Map.entry("REQUEST_TOO_LARGE", message(413, "RequestTooLargeException", "Request Too Long")),
            Map.entry("UNSUPPORTED_MEDIA_TYPE", message(415, "UnsupportedMediaTypeException", "Unsupported Media Type")),
            Map.entry("BAD_REQUEST_BODY", new Default(400, "BadRequestException", "{\"message\": \"Invalid request body\"}")),
            Map.entry("BAD_REQUEST_PARAMETERS", message(400, "BadRequestException", "Missing required request parameters")),
            Map.entry("INTEGRATION_TIMEOUT", new Default(504, "InternalServerErrorException", "{\"message\": \"Endpoint request timed out\"}")),
            Map.entry("INTEGRATION_FAILURE", new Default(504, "InternalServerErrorException", "{\"message\": \"Internal server error\"}")),
            Map.entry("API_CONFIGURATION_ERROR", new Default(500, "InternalServerErrorException", "{\"message\": \"Internal server error\"}")),
            Map.entry("AUTHORIZER_FAILURE", new Default(500, "AuthorizerConfigurationException", "{\"message\": null}")),
            Map.entry("AUTHORIZER_CONFIGURATION_ERROR", new Default(500, "AuthorizerConfigurationException", "{\"message\": null}")),
            // A Lambda proxy integration whose function failed or answered outside the proxy format.
            Map.entry("LAMBDA_PROXY_ERROR", new Default(502, "InternalServerErrorException", "{\"message\": \"Internal server error\"}")));

    private GatewayResponses() {}

    private static Default message(int status, String errorType, String message) {
        return new Default(status, errorType, "{\"message\":\"" + message + "\"}");
    }

    /** The default answer of a response type; the request remembers the type so that the API's customization can apply. */
    static HttpResponse of(GatewayRequest req, String type) {
        Default d = DEFAULTS.get(type);
        req.responseType = type;
        req.errorMessage = message(d);
        HttpResponse res = GatewayRequest.message(d.status, d.body);
        return res.header("x-amzn-ErrorType", d.errorType);
    }

    private static String message(Default d) {
        int start = d.body.indexOf(':') + 1;
        String m = d.body.substring(start, d.body.length() - 1).trim();
        return m.equals("null") ? null : m.substring(1, m.length() - 1);
    }

    /** What GetGatewayResponse shows for a type the API did not customize. */
    static com.fasterxml.jackson.databind.node.ObjectNode defaultOf(String type) {
        com.fasterxml.jackson.databind.node.ObjectNode out = dev.nimbus.protocol.Values.object().put("responseType", type).put("defaultResponse", true);
        Default d = DEFAULTS.get(type);
        if (d != null) out.put("statusCode", Integer.toString(d.status));
        out.putObject("responseParameters");
        out.putObject("responseTemplates").put("application/json", "{\"message\":$context.error.messageString}");
        return out;
    }

    /** The API's customization of the response the request got, if it has one for the type (or its DEFAULT_4XX/5XX). */
    static HttpResponse customize(com.fasterxml.jackson.databind.JsonNode doc, GatewayRequest req, HttpResponse res, Templates templates) {
        com.fasterxml.jackson.databind.JsonNode custom = doc.path("gatewayResponses");
        com.fasterxml.jackson.databind.JsonNode c = TYPES.contains(req.responseType) ? custom.get(req.responseType) : null;
        if (c == null) c = custom.get(res.status >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX");
        if (c == null) return res;
        if (c.hasNonNull("statusCode")) res.status = Integer.parseInt(c.get("statusCode").asText());
        c.path("responseParameters").fields().forEachRemaining(p -> {
            String v = p.getValue().asText();
            if (!p.getKey().startsWith("gatewayresponse.header.") || v.length() < 2 || !v.startsWith("'")) return;
            String name = p.getKey().substring("gatewayresponse.header.".length());
            res.headers.removeIf(h -> h[0].equalsIgnoreCase(name));
            res.header(name, v.substring(1, v.length() - 1));
        });
        com.fasterxml.jackson.databind.JsonNode template = c.path("responseTemplates").get("application/json");
        if (template != null && !template.asText().isEmpty()) {
            Map<String, Object> context = new java.util.LinkedHashMap<>();
            context.put("requestId", req.requestId);
            context.put("apiId", req.apiId);
            context.put("stage", req.stage);
            context.put("resourcePath", req.resourcePath);
            context.put("httpMethod", req.method());
            Map<String, Object> error = new java.util.LinkedHashMap<>();
            error.put("message", req.errorMessage);
            error.put("messageString", req.errorMessage == null ? "null" : "\"" + req.errorMessage + "\"");
            error.put("responseType", req.responseType);
            context.put("error", error);
            String body = templates.render(template.asText(), new Templates.Input("", Map.of(), Map.of(), Map.of()), context, Map.of());
            res.body = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        return res;
    }
}
