package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * REST APIs to and from OpenAPI 3 and Swagger 2 (JSON or YAML) with API Gateway's extensions
 * (x-amazon-apigateway-integration, -any-method, -binary-media-types). Import builds the resource
 * tree through the same steps as the management operations, so it checks what they check.
 */
final class OpenApi {
    private static final List<String> METHODS = List.of("get", "put", "post", "delete", "options", "head", "patch", "x-amazon-apigateway-any-method");

    private OpenApi() {}

    /** The definition as a JSON tree; BadRequestException when it is neither JSON nor YAML. */
    static JsonNode parse(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        try {
            if (text.startsWith("{")) return Values.JSON.readTree(text);
            Object yaml = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
            return Values.JSON.valueToTree(yaml);
        } catch (IOException | YAMLException | IllegalArgumentException e) {
            throw problem("Unable to parse the API definition: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    static AwsException problem(String message) {
        return new AwsException("BadRequestException", "Errors found during import:\n\t" + message, 400);
    }

    /** Adds the definition's paths to the API document (the caller has reset it for an overwrite). */
    static void apply(RestApiService service, ObjectNode doc, JsonNode def) {
        if (!def.isObject()) throw problem("The API definition is not an object");
        boolean oas3 = def.path("openapi").asText().startsWith("3.");
        boolean swagger2 = def.path("swagger").asText().equals("2.0");
        if (!oas3 && !swagger2) throw problem("The API definition must declare openapi: 3.x or swagger: \"2.0\"");
        ObjectNode api = (ObjectNode) doc.get("api");
        String title = def.path("info").path("title").asText("");
        if (!title.isEmpty()) api.put("name", title);
        else if (!api.hasNonNull("name")) throw problem("The API definition has no info.title to name the API");
        if (def.path("info").hasNonNull("description")) api.put("description", def.path("info").path("description").asText());
        if (def.path("info").hasNonNull("version")) api.put("version", def.path("info").path("version").asText());
        JsonNode binary = def.get("x-amazon-apigateway-binary-media-types");
        if (binary != null && binary.isArray()) api.set("binaryMediaTypes", binary);
        JsonNode paths = def.path("paths");
        if (!paths.isObject()) throw problem("The API definition has no paths object");
        for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            String path = p.getKey();
            if (!path.startsWith("/")) throw problem("Invalid path " + path + ": paths must start with /");
            String resourceId = resourceFor(service, doc, path);
            for (Iterator<Map.Entry<String, JsonNode>> ops = p.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                String verb = op.getKey().toLowerCase(Locale.ROOT);
                if (!METHODS.contains(verb)) continue;
                String httpMethod = verb.startsWith("x-") ? "ANY" : verb.toUpperCase(Locale.ROOT);
                method(service, doc, resourceId, httpMethod, path, op.getValue(), p.getValue().path("parameters"));
            }
        }
    }

    private static String resourceFor(RestApiService service, ObjectNode doc, String path) {
        String id = doc.path("api").path("rootResourceId").asText();
        for (String part : PathPattern.split(path)) {
            String found = null;
            for (JsonNode r : doc.get("resources")) {
                if (id.equals(r.path("parentId").asText()) && part.equals(r.path("pathPart").asText())) found = r.get("id").asText();
            }
            id = found != null ? found : service.createResource(doc, id, part).get("id").asText();
        }
        return id;
    }

    private static void method(RestApiService service, ObjectNode doc, String resourceId, String httpMethod, String path, JsonNode op, JsonNode shared) {
        ObjectNode resource = (ObjectNode) doc.get("resources").get(resourceId);
        ObjectNode methods = resource.with("resourceMethods");
        methods.remove(httpMethod);
        ObjectNode in = Values.object().put("resourceId", resourceId).put("httpMethod", httpMethod).put("authorizationType", "NONE");
        ObjectNode params = Values.object();
        for (JsonNode list : List.of(shared, op.path("parameters"))) {
            for (JsonNode p : list) {
                String where = switch (p.path("in").asText()) {
                    case "path" -> "path";
                    case "query" -> "querystring";
                    case "header" -> "header";
                    default -> null;
                };
                if (where != null) params.put("method.request." + where + "." + p.path("name").asText(), p.path("required").asBoolean(false));
            }
        }
        if (!params.isEmpty()) in.set("requestParameters", params);
        if (op.has("x-amazon-apigateway-api-key-source") || op.path("security").toString().contains("api_key")) in.put("apiKeyRequired", true);
        ObjectNode method = service.putMethod(doc, in);
        ObjectNode responses = method.putObject("methodResponses");
        for (Iterator<Map.Entry<String, JsonNode>> it = op.path("responses").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> r = it.next();
            if (!r.getKey().matches("[1-5]\\d\\d")) continue;
            ObjectNode mr = responses.putObject(r.getKey()).put("statusCode", r.getKey());
            JsonNode headers = r.getValue().path("headers");
            if (headers.isObject() && !headers.isEmpty()) {
                ObjectNode rp = mr.putObject("responseParameters");
                headers.fieldNames().forEachRemaining(h -> rp.put("method.response.header." + h, false));
            }
        }
        JsonNode x = op.get("x-amazon-apigateway-integration");
        if (x == null) return;
        String where = httpMethod + " " + path;
        if (!x.isObject() || !x.hasNonNull("type")) throw problem("Unable to put integration on '" + where + "': x-amazon-apigateway-integration has no type");
        ObjectNode integration = Values.object().put("resourceId", resourceId).put("httpMethod", httpMethod)
                .put("type", x.get("type").asText().toUpperCase(Locale.ROOT));
        if (x.hasNonNull("httpMethod")) integration.put("integrationHttpMethod", x.get("httpMethod").asText().toUpperCase(Locale.ROOT));
        for (String f : List.of("uri", "passthroughBehavior", "requestTemplates", "requestParameters", "timeoutInMillis", "contentHandling", "credentials",
                "connectionType", "cacheNamespace", "cacheKeyParameters")) {
            if (x.hasNonNull(f)) integration.set(f, x.get(f));
        }
        if (integration.hasNonNull("passthroughBehavior")) {
            integration.put("passthroughBehavior", integration.get("passthroughBehavior").asText().toUpperCase(Locale.ROOT));
        }
        ObjectNode put;
        try {
            put = service.putIntegration(doc, integration);
        } catch (AwsException e) {
            throw problem("Unable to put integration on '" + where + "': " + e.getMessage());
        }
        ObjectNode integrationResponses = put.putObject("integrationResponses");
        for (Iterator<Map.Entry<String, JsonNode>> it = x.path("responses").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> r = it.next();
            String status = r.getValue().path("statusCode").asText("");
            if (!status.matches("[1-5]\\d\\d")) throw problem("Unable to put integration response on '" + where + "' for pattern '" + r.getKey() + "': invalid statusCode");
            ObjectNode ir = integrationResponses.putObject(status).put("statusCode", status);
            if (!r.getKey().equals("default")) ir.put("selectionPattern", r.getKey());
            for (String f : List.of("responseTemplates", "responseParameters", "contentHandling")) {
                if (r.getValue().hasNonNull(f)) ir.set(f, r.getValue().get(f));
            }
            service.checkTemplates(ir.get("responseTemplates"));
        }
    }

    /** The stage's deployed API as OpenAPI 3 ("oas30") or Swagger 2, with API Gateway's extensions when asked. */
    static ObjectNode export(ObjectNode doc, JsonNode stage, JsonNode resources, String type, boolean extensions) {
        JsonNode api = doc.get("api");
        ObjectNode out = Values.object();
        boolean oas3 = type.equals("oas30");
        if (oas3) out.put("openapi", "3.0.1");
        else out.put("swagger", "2.0");
        ObjectNode info = out.putObject("info").put("title", api.path("name").asText());
        if (api.hasNonNull("description")) info.put("description", api.get("description").asText());
        info.put("version", api.path("version").asText(Values.iso8601(Values.instant(api.get("createdDate")))));
        String host = api.get("id").asText() + ".execute-api." + doc.get("_region").asText() + ".amazonaws.com";
        if (oas3) {
            out.putArray("servers").addObject().put("url", "https://" + host + "/{basePath}")
                    .putObject("variables").putObject("basePath").put("default", stage.get("stageName").asText());
        } else {
            out.put("host", host).put("basePath", "/" + stage.get("stageName").asText());
            out.putArray("schemes").add("https");
        }
        ObjectNode paths = out.putObject("paths");
        for (JsonNode r : resources) {
            JsonNode methods = r.path("resourceMethods");
            if (methods.isEmpty()) continue;
            ObjectNode item = paths.putObject(r.get("path").asText());
            for (Iterator<Map.Entry<String, JsonNode>> it = methods.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> m = it.next();
                ObjectNode op = item.putObject(m.getKey().equals("ANY") ? "x-amazon-apigateway-any-method" : m.getKey().toLowerCase(Locale.ROOT));
                ArrayNode parameters = Values.array();
                m.getValue().path("requestParameters").fields().forEachRemaining(p -> {
                    String[] parts = p.getKey().split("\\.", 4);
                    if (parts.length < 4) return;
                    String in = parts[2].equals("querystring") ? "query" : parts[2];
                    ObjectNode param = parameters.addObject().put("name", parts[3]).put("in", in).put("required", in.equals("path") || p.getValue().asBoolean());
                    if (oas3) param.putObject("schema").put("type", "string");
                    else param.put("type", "string");
                });
                if (!parameters.isEmpty()) op.set("parameters", parameters);
                ObjectNode responses = op.putObject("responses");
                m.getValue().path("methodResponses").fields().forEachRemaining(mr -> responses.putObject(mr.getKey()).put("description", mr.getKey() + " response"));
                JsonNode integration = m.getValue().get("methodIntegration");
                if (extensions && integration != null) {
                    ObjectNode x = op.putObject("x-amazon-apigateway-integration").put("type", integration.path("type").asText().toLowerCase(Locale.ROOT));
                    for (String f : List.of("httpMethod", "uri", "passthroughBehavior", "requestTemplates", "requestParameters", "timeoutInMillis")) {
                        if (integration.hasNonNull(f)) x.set(f, integration.get(f));
                    }
                    ObjectNode xr = Values.object();
                    integration.path("integrationResponses").forEach(ir -> {
                        ObjectNode o = xr.putObject(ir.path("selectionPattern").asText("default").isEmpty() ? "default" : ir.path("selectionPattern").asText("default"))
                                .put("statusCode", ir.path("statusCode").asText());
                        for (String f : List.of("responseTemplates", "responseParameters")) if (ir.hasNonNull(f)) o.set(f, ir.get(f));
                    });
                    if (!xr.isEmpty()) x.set("responses", xr);
                }
            }
        }
        if (extensions && api.path("binaryMediaTypes").size() > 0) out.set("x-amazon-apigateway-binary-media-types", api.get("binaryMediaTypes"));
        return out;
    }

    static byte[] yaml(JsonNode tree) {
        org.yaml.snakeyaml.DumperOptions options = new org.yaml.snakeyaml.DumperOptions();
        options.setDefaultFlowStyle(org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(Values.JSON.convertValue(tree, Object.class)).getBytes(StandardCharsets.UTF_8);
    }
}
