package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * API Gateway v1 management (apigateway, rest-json): REST APIs, their resource trees, methods,
 * integrations and responses, deployments (snapshots of the resource tree) and stages.
 */
final class RestApiService implements AwsService {
    private static final Set<String> TYPES = Set.of("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY");
    private final ApiStore apis;
    private final Templates templates;
    private final Clock clock;

    RestApiService(ApiStore apis, Templates templates, Clock clock) {
        this.apis = apis;
        this.templates = templates;
        this.clock = clock;
    }

    @Override
    public String modelName() {
        return "apigateway";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateRestApi", this::createRestApi)
                .add("GetRestApi", (ctx, in) -> api(ctx, in).get("api"))
                .add("ImportRestApi", (ctx, in) -> {
                    JsonNode definition = OpenApi.parse(bytes(in));
                    ObjectNode doc = newApi(Values.object().put("name", definition.path("info").path("title").asText("imported")));
                    OpenApi.apply(this, doc, definition);
                    apis.create(ctx, doc.path("api").path("id").asText(), "REST", doc);
                    return doc.get("api");
                })
                .add("PutRestApi", (ctx, in) -> update(ctx, in, doc -> {
                    JsonNode definition = OpenApi.parse(bytes(in));
                    if (Values.text(in, "mode", "merge").equals("overwrite")) {
                        String root = doc.path("api").path("rootResourceId").asText();
                        ObjectNode resources = doc.putObject("resources");
                        resources.putObject(root).put("id", root).put("path", "/");
                    }
                    OpenApi.apply(this, doc, definition);
                    return doc.get("api");
                }))
                .add("GetExport", (ctx, in) -> {
                    ObjectNode doc = api(ctx, in);
                    JsonNode stage = stageOf(doc, Values.text(in, "stageName"));
                    String type = Values.text(in, "exportType");
                    if (!type.equals("oas30") && !type.equals("swagger")) {
                        throw new AwsException("BadRequestException", "No OpenAPI exporter for type '" + type + "'; oas30 and swagger are supported", 400);
                    }
                    String extensions = in.path("parameters").path("extensions").asText("");
                    ObjectNode definition = OpenApi.export(doc, stage, deployment(doc, stage.path("deploymentId").asText()).get("_snapshot"), type,
                            extensions.contains("integrations") || extensions.contains("apigateway"));
                    String accepts = Values.text(in, "accepts", "application/json");
                    boolean yaml = accepts.contains("yaml");
                    String file = type + "_" + Values.iso8601(java.time.Instant.now()).replace(":", "") + (yaml ? ".yaml" : ".json");
                    return Values.object().put("contentType", yaml ? "application/yaml" : "application/json")
                            .put("contentDisposition", "attachment; filename=\"" + doc.path("api").path("id").asText() + "-" + stage.get("stageName").asText() + "-" + file + "\"")
                            .set("body", Values.NODES.binaryNode(yaml ? OpenApi.yaml(definition) : definition.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                })
                .add("GetRestApis", (ctx, in) -> {
                    ArrayNode items = Values.array();
                    for (ObjectNode doc : apis.list(ctx, true)) items.add(doc.get("api"));
                    ObjectNode out = Values.object();
                    out.set("items", items);
                    return out;
                })
                .add("UpdateRestApi", (ctx, in) -> update(ctx, in, doc -> {
                    ObjectNode api = (ObjectNode) doc.get("api");
                    Patch.apply(api, in.get("patchOperations"), Set.of("name", "description", "binaryMediaTypes", "minimumCompressionSize",
                            "apiKeySource", "policy", "disableExecuteApiEndpoint", "endpointConfiguration"));
                    return api;
                }))
                .add("DeleteRestApi", (ctx, in) -> {
                    apis.delete(ctx, Values.text(in, "restApiId"), true);
                    return null;
                })
                .add("GetResources", (ctx, in) -> {
                    ObjectNode out = Values.object();
                    ArrayNode items = out.putArray("items");
                    api(ctx, in).get("resources").forEach(items::add);
                    return out;
                })
                .add("GetResource", (ctx, in) -> resource(api(ctx, in), Values.text(in, "resourceId")))
                .add("CreateResource", (ctx, in) -> update(ctx, in, doc -> createResource(doc, Values.text(in, "parentId"), Values.text(in, "pathPart"))))
                .add("UpdateResource", (ctx, in) -> update(ctx, in, doc -> {
                    ObjectNode r = resource(doc, Values.text(in, "resourceId"));
                    Patch.apply(r, in.get("patchOperations"), Set.of("pathPart", "parentId"));
                    repath(doc);
                    return r;
                }))
                .add("DeleteResource", (ctx, in) -> update(ctx, in, doc -> {
                    ObjectNode r = resource(doc, Values.text(in, "resourceId"));
                    if (!r.hasNonNull("parentId")) throw new AwsException("BadRequestException", "Cannot delete root resource", 400);
                    deleteTree(doc, r.get("id").asText());
                    return null;
                }))
                .add("PutMethod", (ctx, in) -> update(ctx, in, doc -> putMethod(doc, in)))
                .add("GetMethod", (ctx, in) -> method(api(ctx, in), in))
                .add("UpdateMethod", (ctx, in) -> update(ctx, in, doc -> {
                    ObjectNode m = method(doc, in);
                    Patch.apply(m, in.get("patchOperations"), Set.of("authorizationType", "authorizerId", "apiKeyRequired", "requestValidatorId",
                            "operationName", "requestParameters", "requestModels", "authorizationScopes"));
                    return m;
                }))
                .add("DeleteMethod", (ctx, in) -> update(ctx, in, doc -> {
                    method(doc, in);
                    ((ObjectNode) resource(doc, in.get("resourceId").asText()).get("resourceMethods")).remove(in.get("httpMethod").asText());
                    return null;
                }))
                .add("PutIntegration", (ctx, in) -> update(ctx, in, doc -> putIntegration(doc, in)))
                .add("GetIntegration", (ctx, in) -> integration(api(ctx, in), in))
                .add("UpdateIntegration", (ctx, in) -> update(ctx, in, doc -> {
                    ObjectNode i = integration(doc, in);
                    Patch.apply(i, in.get("patchOperations"), Set.of("uri", "httpMethod", "type", "requestTemplates", "requestParameters",
                            "passthroughBehavior", "timeoutInMillis", "contentHandling", "cacheNamespace", "cacheKeyParameters", "credentials"));
                    checkTemplates(i.get("requestTemplates"));
                    return i;
                }))
                .add("DeleteIntegration", (ctx, in) -> update(ctx, in, doc -> {
                    integration(doc, in);
                    method(doc, in).remove("methodIntegration");
                    return null;
                }))
                .add("PutMethodResponse", (ctx, in) -> update(ctx, in, doc -> {
                    ObjectNode m = method(doc, in);
                    ObjectNode r = Values.object().put("statusCode", Values.text(in, "statusCode"));
                    copy(in, r, "responseParameters", "responseModels");
                    m.with("methodResponses").set(r.get("statusCode").asText(), r);
                    return r;
                }))
                .add("GetMethodResponse", (ctx, in) -> child(method(api(ctx, in), in).path("methodResponses"), Values.text(in, "statusCode")))
                .add("DeleteMethodResponse", (ctx, in) -> update(ctx, in, doc -> {
                    ObjectNode m = method(doc, in);
                    child(m.path("methodResponses"), Values.text(in, "statusCode"));
                    ((ObjectNode) m.get("methodResponses")).remove(in.get("statusCode").asText());
                    return null;
                }))
                .add("PutIntegrationResponse", (ctx, in) -> update(ctx, in, doc -> {
                    ObjectNode i = integration(doc, in);
                    ObjectNode r = Values.object().put("statusCode", Values.text(in, "statusCode"));
                    copy(in, r, "selectionPattern", "responseParameters", "responseTemplates", "contentHandling");
                    checkTemplates(r.get("responseTemplates"));
                    i.with("integrationResponses").set(r.get("statusCode").asText(), r);
                    return r;
                }))
                .add("GetIntegrationResponse", (ctx, in) -> child(integration(api(ctx, in), in).path("integrationResponses"), Values.text(in, "statusCode")))
                .add("DeleteIntegrationResponse", (ctx, in) -> update(ctx, in, doc -> {
                    ObjectNode i = integration(doc, in);
                    child(i.path("integrationResponses"), Values.text(in, "statusCode"));
                    ((ObjectNode) i.get("integrationResponses")).remove(in.get("statusCode").asText());
                    return null;
                }))
                .add("CreateDeployment", (ctx, in) -> update(ctx, in, doc -> createDeployment(doc, in)))
                .add("GetDeployment", (ctx, in) -> deployment(api(ctx, in), Values.text(in, "deploymentId")))
                .add("GetDeployments", (ctx, in) -> {
                    ObjectNode out = Values.object();
                    ArrayNode items = out.putArray("items");
                    api(ctx, in).get("deployments").forEach(items::add);
                    return out;
                })
                .add("DeleteDeployment", (ctx, in) -> update(ctx, in, doc -> {
                    String id = deployment(doc, Values.text(in, "deploymentId")).get("id").asText();
                    for (JsonNode s : doc.get("stages")) {
                        if (id.equals(s.path("deploymentId").asText())) {
                            throw new AwsException("BadRequestException", "Active stages pointing to this deployment must be moved or deleted", 400);
                        }
                    }
                    ((ObjectNode) doc.get("deployments")).remove(id);
                    return null;
                }))
                .add("CreateStage", (ctx, in) -> update(ctx, in, doc -> {
                    String name = Values.text(in, "stageName");
                    if (doc.get("stages").has(name)) throw new AwsException("ConflictException", "Stage already exists", 409);
                    deployment(doc, Values.text(in, "deploymentId"));
                    ObjectNode stage = stage(doc, name, in.get("deploymentId").asText());
                    copy(in, stage, "description", "variables", "tags", "tracingEnabled", "cacheClusterEnabled", "cacheClusterSize");
                    return stage;
                }))
                .add("GetStage", (ctx, in) -> stageOf(api(ctx, in), Values.text(in, "stageName")))
                .add("GetStages", (ctx, in) -> {
                    ObjectNode out = Values.object();
                    ArrayNode items = out.putArray("item");
                    api(ctx, in).get("stages").forEach(items::add);
                    return out;
                })
                .add("UpdateStage", (ctx, in) -> update(ctx, in, doc -> {
                    ObjectNode stage = stageOf(doc, Values.text(in, "stageName"));
                    Patch.apply(stage, in.get("patchOperations"), Set.of("variables", "description", "deploymentId", "tracingEnabled",
                            "cacheClusterEnabled", "cacheClusterSize", "accessLogSettings", "methodSettings", "canarySettings"));
                    deployment(doc, stage.path("deploymentId").asText());
                    stage.set("lastUpdatedDate", now());
                    return stage;
                }))
                .add("CreateAuthorizer", (ctx, in) -> update(ctx, in, doc -> {
                    String type = Values.text(in, "type");
                    if ((type.equals("TOKEN") || type.equals("REQUEST")) && !in.hasNonNull("authorizerUri")) {
                        throw new AwsException("BadRequestException", "Authorizer URI is required for " + type + " authorizers", 400);
                    }
                    String id = ApiStore.id(6);
                    ObjectNode a = Values.object().put("id", id).put("name", Values.text(in, "name")).put("type", type)
                            .put("authorizerResultTtlInSeconds", Values.integer(in, "authorizerResultTtlInSeconds", 300));
                    if (type.equals("TOKEN")) a.put("identitySource", "method.request.header.Authorization");
                    copy(in, a, "providerARNs", "authType", "authorizerUri", "authorizerCredentials", "identitySource", "identityValidationExpression");
                    doc.with("authorizers").set(id, a);
                    return a;
                }))
                .add("GetAuthorizer", (ctx, in) -> named(api(ctx, in).path("authorizers"), Values.text(in, "authorizerId"), "Invalid Authorizer identifier specified"))
                .add("GetAuthorizers", (ctx, in) -> list(api(ctx, in).path("authorizers")))
                .add("UpdateAuthorizer", (ctx, in) -> update(ctx, in, doc -> {
                    ObjectNode a = named(doc.path("authorizers"), Values.text(in, "authorizerId"), "Invalid Authorizer identifier specified");
                    Patch.apply(a, in.get("patchOperations"), Set.of("name", "authorizerUri", "identitySource", "identityValidationExpression",
                            "authorizerResultTtlInSeconds", "authType", "authorizerCredentials", "providerARNs", "type"));
                    return a;
                }))
                .add("DeleteAuthorizer", (ctx, in) -> update(ctx, in, doc -> {
                    named(doc.path("authorizers"), Values.text(in, "authorizerId"), "Invalid Authorizer identifier specified");
                    ((ObjectNode) doc.get("authorizers")).remove(in.get("authorizerId").asText());
                    return null;
                }))
                .add("PutGatewayResponse", (ctx, in) -> update(ctx, in, doc -> {
                    String type = gatewayResponseType(in);
                    ObjectNode r = Values.object().put("responseType", type).put("defaultResponse", false);
                    copy(in, r, "statusCode", "responseParameters", "responseTemplates");
                    checkTemplates(r.get("responseTemplates"));
                    doc.with("gatewayResponses").set(type, r);
                    return r;
                }))
                .add("GetGatewayResponse", (ctx, in) -> {
                    String type = gatewayResponseType(in);
                    JsonNode r = api(ctx, in).path("gatewayResponses").get(type);
                    return r != null ? r : GatewayResponses.defaultOf(type);
                })
                .add("GetGatewayResponses", (ctx, in) -> {
                    JsonNode custom = api(ctx, in).path("gatewayResponses");
                    ObjectNode out = Values.object();
                    ArrayNode items = out.putArray("items");
                    for (String type : new java.util.TreeSet<>(GatewayResponses.TYPES)) items.add(custom.has(type) ? custom.get(type) : GatewayResponses.defaultOf(type));
                    return out;
                })
                .add("DeleteGatewayResponse", (ctx, in) -> update(ctx, in, doc -> {
                    String type = gatewayResponseType(in);
                    if (!doc.path("gatewayResponses").has(type)) throw notFound("Invalid Gateway Response type specified");
                    ((ObjectNode) doc.get("gatewayResponses")).remove(type);
                    return null;
                }))
                .add("CreateModel", (ctx, in) -> update(ctx, in, doc -> {
                    String name = Values.text(in, "name");
                    if (!name.matches("[A-Za-z0-9]+")) throw new AwsException("BadRequestException", "Model name must be alphanumeric", 400);
                    if (doc.path("models").has(name)) throw new AwsException("ConflictException", "Model name already exists for this REST API", 409);
                    ObjectNode m = Values.object().put("id", ApiStore.id(6)).put("name", name).put("contentType", Values.text(in, "contentType"));
                    copy(in, m, "description", "schema");
                    if (m.hasNonNull("schema")) {
                        try {
                            if (!Values.JSON.readTree(m.get("schema").asText()).isObject()) throw new java.io.IOException("not an object");
                        } catch (java.io.IOException e) {
                            throw new AwsException("BadRequestException", "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]", 400);
                        }
                    }
                    doc.with("models").set(name, m);
                    return m;
                }))
                .add("GetModel", (ctx, in) -> named(api(ctx, in).path("models"), Values.text(in, "modelName"), "Invalid model name specified: " + in.path("modelName").asText()))
                .add("GetModels", (ctx, in) -> list(api(ctx, in).path("models")))
                .add("DeleteModel", (ctx, in) -> update(ctx, in, doc -> {
                    named(doc.path("models"), Values.text(in, "modelName"), "Invalid model name specified: " + in.path("modelName").asText());
                    ((ObjectNode) doc.get("models")).remove(in.get("modelName").asText());
                    return null;
                }))
                .add("CreateRequestValidator", (ctx, in) -> update(ctx, in, doc -> {
                    String id = ApiStore.id(6);
                    ObjectNode v = Values.object().put("id", id).put("name", Values.text(in, "name", id))
                            .put("validateRequestBody", in.path("validateRequestBody").asBoolean(false))
                            .put("validateRequestParameters", in.path("validateRequestParameters").asBoolean(false));
                    doc.with("requestValidators").set(id, v);
                    return v;
                }))
                .add("GetRequestValidator", (ctx, in) -> named(api(ctx, in).path("requestValidators"), Values.text(in, "requestValidatorId"), "Invalid Request Validator identifier specified"))
                .add("GetRequestValidators", (ctx, in) -> list(api(ctx, in).path("requestValidators")))
                .add("DeleteRequestValidator", (ctx, in) -> update(ctx, in, doc -> {
                    named(doc.path("requestValidators"), Values.text(in, "requestValidatorId"), "Invalid Request Validator identifier specified");
                    ((ObjectNode) doc.get("requestValidators")).remove(in.get("requestValidatorId").asText());
                    return null;
                }))
                .add("DeleteStage", (ctx, in) -> update(ctx, in, doc -> {
                    stageOf(doc, Values.text(in, "stageName"));
                    ((ObjectNode) doc.get("stages")).remove(in.get("stageName").asText());
                    return null;
                }));
    }

    private static byte[] bytes(ObjectNode in) {
        try {
            JsonNode body = in.get("body");
            byte[] b = body == null || body.isNull() ? null : body.binaryValue();
            if (b == null || b.length == 0) throw OpenApi.problem("The API definition is empty");
            return b;
        } catch (java.io.IOException e) {
            throw OpenApi.problem("The API definition could not be read");
        }
    }

    private JsonNode createRestApi(RequestContext ctx, ObjectNode in) {
        ObjectNode doc = newApi(in);
        apis.create(ctx, doc.path("api").path("id").asText(), "REST", doc);
        return doc.get("api");
    }

    /** A new API document with its root resource, from CreateRestApi's members. */
    private ObjectNode newApi(ObjectNode in) {
        String id = ApiStore.id(10);
        String rootId = ApiStore.id(10);
        ObjectNode api = Values.object().put("id", id).put("name", Values.text(in, "name"));
        api.set("createdDate", now());
        api.put("apiKeySource", "HEADER");
        api.putObject("endpointConfiguration").putArray("types").add("EDGE");
        api.put("disableExecuteApiEndpoint", false);
        api.put("rootResourceId", rootId);
        copy(in, api, "description", "version", "binaryMediaTypes", "minimumCompressionSize", "apiKeySource", "endpointConfiguration", "policy", "tags",
                "disableExecuteApiEndpoint");
        ObjectNode doc = Values.object();
        doc.set("api", api);
        ObjectNode resources = doc.putObject("resources");
        resources.putObject(rootId).put("id", rootId).put("path", "/");
        doc.putObject("deployments");
        doc.putObject("stages");
        // Every new REST API has these two models, as in AWS.
        ObjectNode models = doc.putObject("models");
        models.putObject("Empty").put("id", ApiStore.id(6)).put("name", "Empty").put("contentType", "application/json").put("description", "This is a default empty schema model")
                .put("schema", "{\n  \"$schema\": \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Empty Schema\",\n  \"type\" : \"object\"\n}");
        models.putObject("Error").put("id", ApiStore.id(6)).put("name", "Error").put("contentType", "application/json").put("description", "This is a default error schema model")
                .put("schema", "{\n  \"$schema\" : \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Error Schema\",\n  \"type\" : \"object\",\n  \"properties\" : {\n    \"message\" : { \"type\" : \"string\" }\n  }\n}");
        return doc;
    }

    ObjectNode createResource(ObjectNode doc, String parentId, String pathPart) {
        ObjectNode parent = resource(doc, parentId);
        if (PathPattern.kind(parent.path("pathPart").asText()) == 2) {
            throw new AwsException("BadRequestException", "Cannot create a child of a resource with a greedy path variable: " + parent.get("path").asText(), 400);
        }
        if (!pathPart.matches("[A-Za-z0-9._\\-:~@$&'()*+,;=]+|\\{[A-Za-z0-9._\\-]+\\+?}")) {
            throw new AwsException("BadRequestException", "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.", 400);
        }
        for (JsonNode sibling : doc.get("resources")) {
            if (!parentId.equals(sibling.path("parentId").asText())) continue;
            String other = sibling.path("pathPart").asText();
            if (other.equals(pathPart)) {
                throw new AwsException("ConflictException", "Another resource with the same parent already has this name: " + pathPart, 409);
            }
            if (PathPattern.kind(other) != 0 && PathPattern.kind(pathPart) != 0) {
                throw new AwsException("BadRequestException", "A sibling (" + other + ") of this resource already has a variable path part -- only one is allowed", 400);
            }
        }
        String id = ApiStore.id(6);
        String parentPath = parent.get("path").asText();
        ObjectNode r = Values.object().put("id", id).put("parentId", parentId).put("pathPart", pathPart)
                .put("path", (parentPath.equals("/") ? "" : parentPath) + "/" + pathPart);
        ((ObjectNode) doc.get("resources")).set(id, r);
        return r;
    }

    /** Recomputes every resource's path after a pathPart or parent change. */
    private static void repath(ObjectNode doc) {
        for (JsonNode r : doc.get("resources")) {
            if (!r.hasNonNull("parentId")) continue;
            List<String> parts = new ArrayList<>();
            JsonNode n = r;
            while (n != null && n.hasNonNull("parentId")) {
                parts.add(0, n.get("pathPart").asText());
                n = doc.get("resources").get(n.get("parentId").asText());
            }
            ((ObjectNode) r).put("path", "/" + String.join("/", parts));
        }
    }

    private static void deleteTree(ObjectNode doc, String id) {
        List<String> children = new ArrayList<>();
        for (JsonNode r : doc.get("resources")) if (id.equals(r.path("parentId").asText())) children.add(r.get("id").asText());
        for (String c : children) deleteTree(doc, c);
        ((ObjectNode) doc.get("resources")).remove(id);
    }

    ObjectNode putMethod(ObjectNode doc, ObjectNode in) {
        ObjectNode r = resource(doc, Values.text(in, "resourceId"));
        String httpMethod = Values.text(in, "httpMethod").toUpperCase(java.util.Locale.ROOT);
        if (!Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY").contains(httpMethod)) {
            throw new AwsException("BadRequestException", "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY", 400);
        }
        ObjectNode methods = r.with("resourceMethods");
        if (methods.has(httpMethod)) throw new AwsException("ConflictException", "Method already exists for this resource", 409);
        ObjectNode m = Values.object().put("httpMethod", httpMethod).put("authorizationType", Values.text(in, "authorizationType"))
                .put("apiKeyRequired", in.path("apiKeyRequired").asBoolean(false));
        copy(in, m, "authorizerId", "operationName", "requestParameters", "requestModels", "requestValidatorId", "authorizationScopes");
        methods.set(httpMethod, m);
        return m;
    }

    ObjectNode putIntegration(ObjectNode doc, ObjectNode in) {
        ObjectNode m = method(doc, in);
        String type = Values.text(in, "type");
        if (!TYPES.contains(type)) throw new AwsException("BadRequestException", "Invalid integration type specified: " + type, 400);
        boolean needsEndpoint = !type.equals("MOCK");
        if (needsEndpoint && !in.hasNonNull("integrationHttpMethod")) {
            throw new AwsException("BadRequestException", "Enumeration value for HttpMethod must be non-empty", 400);
        }
        if (needsEndpoint && !in.hasNonNull("uri")) throw new AwsException("BadRequestException", "Invalid integration URI specified", 400);
        if (type.startsWith("AWS") && !in.get("uri").asText().startsWith("arn:")) {
            throw new AwsException("BadRequestException", "AWS ARN for integration must contain path or action", 400);
        }
        ObjectNode i = Values.object().put("type", type);
        if (in.hasNonNull("integrationHttpMethod")) i.put("httpMethod", in.get("integrationHttpMethod").asText());
        copy(in, i, "uri", "connectionType", "connectionId", "credentials", "requestParameters", "requestTemplates", "contentHandling", "tlsConfig");
        i.put("passthroughBehavior", Values.text(in, "passthroughBehavior", "WHEN_NO_MATCH"));
        i.put("timeoutInMillis", Values.integer(in, "timeoutInMillis", 29000));
        i.put("cacheNamespace", Values.text(in, "cacheNamespace", in.get("resourceId").asText()));
        i.set("cacheKeyParameters", in.hasNonNull("cacheKeyParameters") ? in.get("cacheKeyParameters") : Values.array());
        checkTemplates(i.get("requestTemplates"));
        m.set("methodIntegration", i);
        return i;
    }

    void checkTemplates(JsonNode map) {
        if (map != null) for (JsonNode t : map) if (t.isTextual()) templates.check(t.asText());
    }

    private ObjectNode createDeployment(ObjectNode doc, ObjectNode in) {
        boolean any = false;
        for (JsonNode r : doc.get("resources")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = r.path("resourceMethods").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> m = it.next();
                any = true;
                if (!m.getValue().has("methodIntegration")) {
                    throw new AwsException("BadRequestException", "No integration defined for method", 400);
                }
            }
        }
        if (!any) throw new AwsException("BadRequestException", "The REST API doesn't contain any methods", 400);
        String id = ApiStore.id(6);
        ObjectNode d = Values.object().put("id", id);
        copy(in, d, "description");
        d.set("createdDate", now());
        d.set("_snapshot", doc.get("resources").deepCopy());
        ((ObjectNode) doc.get("deployments")).set(id, d);
        String stageName = Values.text(in, "stageName", null);
        if (stageName != null) {
            ObjectNode stage = (ObjectNode) doc.get("stages").get(stageName);
            if (stage == null) {
                stage = stage(doc, stageName, id);
                if (in.hasNonNull("stageDescription")) stage.put("description", in.get("stageDescription").asText());
            } else {
                stage.put("deploymentId", id);
                stage.set("lastUpdatedDate", now());
            }
            if (in.hasNonNull("variables")) stage.set("variables", in.get("variables"));
        }
        return d;
    }

    private ObjectNode stage(ObjectNode doc, String name, String deploymentId) {
        ObjectNode stage = Values.object().put("stageName", name).put("deploymentId", deploymentId)
                .put("cacheClusterEnabled", false).put("cacheClusterStatus", "NOT_AVAILABLE").put("tracingEnabled", false);
        stage.putObject("methodSettings");
        stage.set("createdDate", now());
        stage.set("lastUpdatedDate", now());
        ((ObjectNode) doc.get("stages")).set(name, stage);
        return stage;
    }

    private JsonNode update(RequestContext ctx, ObjectNode in, java.util.function.Function<ObjectNode, JsonNode> change) {
        return apis.update(ctx, Values.text(in, "restApiId"), true, change);
    }

    private ObjectNode api(RequestContext ctx, ObjectNode in) {
        String id = Values.text(in, "restApiId");
        ObjectNode doc = apis.find(ctx, id, true);
        if (doc == null) throw ApiStore.notFound(ctx, id, true);
        return doc;
    }

    private static ObjectNode resource(JsonNode doc, String id) {
        JsonNode r = doc.get("resources").get(id);
        if (r == null) throw notFound("Invalid Resource identifier specified");
        return (ObjectNode) r;
    }

    private static ObjectNode method(JsonNode doc, ObjectNode in) {
        JsonNode m = resource(doc, Values.text(in, "resourceId")).path("resourceMethods").get(Values.text(in, "httpMethod").toUpperCase(java.util.Locale.ROOT));
        if (m == null) throw notFound("Invalid Method identifier specified");
        return (ObjectNode) m;
    }

    private static ObjectNode integration(JsonNode doc, ObjectNode in) {
        JsonNode i = method(doc, in).get("methodIntegration");
        if (i == null) throw notFound("Invalid Integration identifier specified");
        return (ObjectNode) i;
    }

    private static ObjectNode deployment(JsonNode doc, String id) {
        JsonNode d = doc.get("deployments").get(id);
        if (d == null) throw notFound("Invalid Deployment identifier specified");
        return (ObjectNode) d;
    }

    private static ObjectNode stageOf(JsonNode doc, String name) {
        JsonNode s = doc.get("stages").get(name);
        if (s == null) throw notFound("Invalid Stage identifier specified");
        return (ObjectNode) s;
    }

    private static ObjectNode child(JsonNode map, String statusCode) {
        JsonNode r = map.get(statusCode);
        if (r == null) throw notFound("Invalid Response status code specified");
        return (ObjectNode) r;
    }

    private static String gatewayResponseType(ObjectNode in) {
        String type = Values.text(in, "responseType");
        if (!GatewayResponses.TYPES.contains(type)) throw new AwsException("BadRequestException", "Invalid response type specified: " + type, 400);
        return type;
    }

    private static ObjectNode named(JsonNode map, String id, String missing) {
        JsonNode n = map.get(id);
        if (n == null) throw notFound(missing);
        return (ObjectNode) n;
    }

    private static ObjectNode list(JsonNode map) {
        ObjectNode out = Values.object();
        ArrayNode items = out.putArray("items");
        map.forEach(items::add);
        return out;
    }

    static AwsException notFound(String message) {
        return new AwsException("NotFoundException", message, 404);
    }

    private static void copy(ObjectNode from, ObjectNode to, String... members) {
        for (String m : members) if (from.hasNonNull(m)) to.set(m, from.get(m));
    }

    private JsonNode now() {
        return Values.timestamp(clock.instant());
    }
}
