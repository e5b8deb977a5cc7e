package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP APIs to and from OpenAPI 3 with API Gateway's extensions (x-amazon-apigateway-integration,
 * -any-method, -cors): each path and method becomes a route, each distinct integration one
 * integration shared by its routes.
 */
final class HttpOpenApi {
    private static final List<String> METHODS = List.of("get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method");
    private static final Map<String, String> CORS = Map.of("allowOrigins", "AllowOrigins", "allowMethods", "AllowMethods", "allowHeaders", "AllowHeaders",
            "exposeHeaders", "ExposeHeaders", "maxAge", "MaxAge", "allowCredentials", "AllowCredentials");

    private HttpOpenApi() {}

    /** Replaces the API's routes and integrations with the definition's (ImportApi on a new API, ReimportApi on an existing one). */
    static void apply(HttpApiService service, ObjectNode doc, JsonNode def) {
        if (!def.isObject() || !def.path("openapi").asText().startsWith("3.")) {
            throw OpenApi.problem("HTTP APIs import OpenAPI 3 definitions: the document must declare openapi: 3.x");
        }
        ObjectNode api = (ObjectNode) doc.get("api");
        if (def.path("info").hasNonNull("title")) api.put("Name", def.path("info").path("title").asText());
        if (def.path("info").hasNonNull("version")) api.put("Version", def.path("info").path("version").asText());
        if (def.path("info").hasNonNull("description")) api.put("Description", def.path("info").path("description").asText());
        JsonNode cors = def.get("x-amazon-apigateway-cors");
        if (cors != null && cors.isObject()) {
            ObjectNode c = Values.object();
            cors.fields().forEachRemaining(e -> {
                String member = CORS.get(e.getKey());
                if (member != null) c.set(member, e.getValue());
            });
            api.set("CorsConfiguration", c);
        }
        JsonNode paths = def.path("paths");
        if (!paths.isObject()) throw OpenApi.problem("The API definition has no paths object");
        doc.putObject("routes");
        doc.putObject("integrations");
        Map<String, String> integrations = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            String path = p.getKey();
            if (!path.startsWith("/") && !path.equals("$default")) throw OpenApi.problem("Invalid path " + path + ": paths must start with /");
            for (Iterator<Map.Entry<String, JsonNode>> ops = p.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                String verb = op.getKey().toLowerCase(Locale.ROOT);
                if (!METHODS.contains(verb)) continue;
                String method = verb.startsWith("x-") ? "ANY" : verb.toUpperCase(Locale.ROOT);
                String routeKey = path.equals("$default") ? "$default" : method + " " + path;
                ObjectNode route = Values.object().put("RouteKey", routeKey);
                JsonNode x = op.getValue().get("x-amazon-apigateway-integration");
                if (x != null) {
                    if (!x.hasNonNull("type")) throw OpenApi.problem("Unable to create integration for route '" + routeKey + "': x-amazon-apigateway-integration has no type");
                    ObjectNode in = Values.object().put("IntegrationType", x.get("type").asText().toUpperCase(Locale.ROOT));
                    if (x.hasNonNull("uri")) in.put("IntegrationUri", x.get("uri").asText());
                    if (x.hasNonNull("httpMethod")) in.put("IntegrationMethod", x.get("httpMethod").asText().toUpperCase(Locale.ROOT));
                    in.put("PayloadFormatVersion", x.path("payloadFormatVersion").asText("1.0"));
                    if (x.hasNonNull("timeoutInMillis")) in.put("TimeoutInMillis", x.get("timeoutInMillis").asInt());
                    if (x.hasNonNull("connectionType")) in.put("ConnectionType", x.get("connectionType").asText());
                    if (!in.hasNonNull("IntegrationUri")) throw OpenApi.problem("Unable to create integration for route '" + routeKey + "': the integration has no uri");
                    String id = integrations.computeIfAbsent(in.toString(), k -> service.createIntegration(doc, in).get("IntegrationId").asText());
                    route.put("Target", "integrations/" + id);
                }
                try {
                    service.createRoute(doc, route);
                } catch (dev.nimbus.protocol.AwsException e) {
                    throw OpenApi.problem("Unable to create route '" + routeKey + "': " + e.getMessage());
                }
            }
        }
    }

    /** The API (its routes now, or those deployed to a stage) as OpenAPI 3.0.1. */
    static ObjectNode export(ObjectNode doc, JsonNode routes, JsonNode integrations, String stageName, boolean extensions) {
        JsonNode api = doc.get("api");
        ObjectNode out = Values.object().put("openapi", "3.0.1");
        ObjectNode info = out.putObject("info").put("title", api.path("Name").asText());
        info.put("version", api.path("Version").asText(Values.iso8601(Values.instant(api.get("CreatedDate")))));
        if (api.hasNonNull("Description")) info.put("description", api.get("Description").asText());
        String url = api.path("ApiEndpoint").asText() + (stageName == null || stageName.equals("$default") ? "" : "/{basePath}");
        ObjectNode server = out.putArray("servers").addObject().put("url", url);
        if (stageName != null && !stageName.equals("$default")) server.putObject("variables").putObject("basePath").put("default", stageName);
        ObjectNode paths = out.putObject("paths");
        for (JsonNode r : routes) {
            String key = r.path("RouteKey").asText();
            String path = key.equals("$default") ? "$default" : key.substring(key.indexOf(' ') + 1);
            String method = key.equals("$default") ? "ANY" : key.substring(0, key.indexOf(' '));
            ObjectNode item = paths.has(path) ? (ObjectNode) paths.get(path) : paths.putObject(path);
            ObjectNode op = item.putObject(method.equals("ANY") ? "x-amazon-apigateway-any-method" : method.toLowerCase(Locale.ROOT));
            op.putObject("responses").putObject("default").put("description", "Default response for " + key);
            List<String> params = PathPattern.split(path).stream().filter(s -> PathPattern.kind(s) != 0).toList();
            if (!params.isEmpty()) {
                var list = op.putArray("parameters");
                for (String s : params) {
                    list.addObject().put("name", s.replaceAll("[{}+]", "")).put("in", "path").put("required", true).putObject("schema").put("type", "string");
                }
            }
            JsonNode integration = integrations.get(r.path("Target").asText().replaceFirst("^integrations/", ""));
            if (extensions && integration != null) {
                ObjectNode x = op.putObject("x-amazon-apigateway-integration")
                        .put("type", integration.path("IntegrationType").asText().toLowerCase(Locale.ROOT))
                        .put("uri", integration.path("IntegrationUri").asText())
                        .put("payloadFormatVersion", integration.path("PayloadFormatVersion").asText());
                if (integration.hasNonNull("IntegrationMethod")) x.put("httpMethod", integration.get("IntegrationMethod").asText());
                x.put("connectionType", integration.path("ConnectionType").asText("INTERNET"));
            }
        }
        JsonNode cors = api.get("CorsConfiguration");
        if (extensions && cors != null) {
            ObjectNode c = out.putObject("x-amazon-apigateway-cors");
            CORS.forEach((wire, member) -> {
                if (cors.has(member)) c.set(wire, cors.get(member));
            });
        }
        return out;
    }
}
