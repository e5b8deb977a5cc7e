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
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * API Gateway v2 management (apigatewayv2, rest-json): HTTP and WebSocket APIs with their routes,
 * integrations, stages and deployments. A deployment is a snapshot of the routes and integrations;
 * a stage serves its deployment's snapshot, and an auto-deploy stage gets a new one on every change.
 */
final class HttpApiService implements AwsService {
    private static final Pattern HTTP_ROUTE_KEY = Pattern.compile("\\$default|(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\\S*");
    private static final Set<String> API_IDS = Set.of("ApiId");
    private final ApiStore apis;
    private final Supplier<String> endpoint;
    private final Clock clock;

    HttpApiService(ApiStore apis, Supplier<String> endpoint, Clock clock) {
        this.apis = apis;
        this.endpoint = endpoint;
        this.clock = clock;
    }

    @Override
    public String modelName() {
        return "apigatewayv2";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateApi", this::createApi)
                .add("ImportApi", (ctx, in) -> {
                    JsonNode definition = OpenApi.parse(Values.text(in, "Body").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    ObjectNode doc = newApi(Values.object().put("Name", definition.path("info").path("title").asText("imported")).put("ProtocolType", "HTTP"));
                    HttpOpenApi.apply(this, doc, definition);
                    String apiId = doc.path("api").path("ApiId").asText();
                    apis.create(ctx, apiId, "HTTP", doc);
                    return doc.get("api");
                })
                .add("ReimportApi", (ctx, in) -> change(ctx, in, doc -> {
                    HttpOpenApi.apply(this, doc, OpenApi.parse(Values.text(in, "Body").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                    return doc.get("api");
                }))
                .add("ExportApi", (ctx, in) -> {
                    ObjectNode doc = api(ctx, in);
                    if (!Values.text(in, "Specification").equals("OAS30")) {
                        throw new AwsException("BadRequestException", "Unsupported specification " + in.get("Specification").asText() + "; OAS30 is", 400);
                    }
                    String stage = Values.text(in, "StageName", null);
                    JsonNode source = doc;
                    if (stage != null) {
                        JsonNode deployment = doc.path("deployments").get(child(doc, "stages", stage, "Stage").path("DeploymentId").asText());
                        if (deployment == null) throw new AwsException("NotFoundException", "The stage has no deployment", 404);
                        source = deployment.get("_snapshot");
                    }
                    ObjectNode definition = HttpOpenApi.export(doc, source.get("routes"), source.get("integrations"), stage,
                            in.path("IncludeExtensions").asBoolean(true));
                    byte[] body = "YAML".equals(Values.text(in, "OutputType", "JSON")) ? OpenApi.yaml(definition)
                            : definition.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    return Values.object().set("body", Values.NODES.binaryNode(body));
                })
                .add("GetApi", (ctx, in) -> api(ctx, in).get("api"))
                .add("GetApis", (ctx, in) -> {
                    ArrayNode items = Values.array();
                    for (ObjectNode doc : apis.list(ctx, false)) items.add(doc.get("api"));
                    ObjectNode out = Values.object();
                    out.set("Items", items);
                    return out;
                })
                .add("UpdateApi", (ctx, in) -> change(ctx, in, doc -> {
                    ObjectNode api = (ObjectNode) doc.get("api");
                    merge(api, in, Set.of("ApiId", "Target", "RouteKey", "CredentialsArn"));
                    return api;
                }))
                .add("DeleteApi", (ctx, in) -> {
                    apis.delete(ctx, Values.text(in, "ApiId"), false);
                    return null;
                })
                .add("DeleteCorsConfiguration", (ctx, in) -> change(ctx, in, doc -> {
                    ((ObjectNode) doc.get("api")).remove("CorsConfiguration");
                    return null;
                }))
                .add("CreateRoute", (ctx, in) -> change(ctx, in, doc -> createRoute(doc, in)))
                .add("GetRoute", (ctx, in) -> child(api(ctx, in), "routes", Values.text(in, "RouteId"), "Route"))
                .add("GetRoutes", (ctx, in) -> items(api(ctx, in), "routes"))
                .add("UpdateRoute", (ctx, in) -> change(ctx, in, doc -> {
                    ObjectNode route = child(doc, "routes", Values.text(in, "RouteId"), "Route");
                    if (in.has("RouteKey")) checkRouteKey(doc, in.get("RouteKey").asText(), route.get("RouteId").asText());
                    merge(route, in, Set.of("ApiId", "RouteId"));
                    return route;
                }))
                .add("DeleteRoute", (ctx, in) -> change(ctx, in, doc -> {
                    child(doc, "routes", Values.text(in, "RouteId"), "Route");
                    ((ObjectNode) doc.get("routes")).remove(in.get("RouteId").asText());
                    if (doc.has("routeResponses")) ((ObjectNode) doc.get("routeResponses")).remove(in.get("RouteId").asText());
                    return null;
                }))
                .add("CreateIntegration", (ctx, in) -> change(ctx, in, doc -> createIntegration(doc, in)))
                .add("GetIntegration", (ctx, in) -> child(api(ctx, in), "integrations", Values.text(in, "IntegrationId"), "Integration"))
                .add("GetIntegrations", (ctx, in) -> items(api(ctx, in), "integrations"))
                .add("UpdateIntegration", (ctx, in) -> change(ctx, in, doc -> {
                    ObjectNode integration = child(doc, "integrations", Values.text(in, "IntegrationId"), "Integration");
                    merge(integration, in, Set.of("ApiId", "IntegrationId"));
                    checkMappings(doc, integration);
                    return integration;
                }))
                .add("DeleteIntegration", (ctx, in) -> change(ctx, in, doc -> {
                    String id = Values.text(in, "IntegrationId");
                    child(doc, "integrations", id, "Integration");
                    for (JsonNode route : doc.get("routes")) {
                        if (route.path("Target").asText().equals("integrations/" + id)) {
                            throw new AwsException("ConflictException", "Cannot delete integration " + id + ": it is the target of route "
                                    + route.get("RouteId").asText(), 409);
                        }
                    }
                    ((ObjectNode) doc.get("integrations")).remove(id);
                    if (doc.has("integrationResponses")) ((ObjectNode) doc.get("integrationResponses")).remove(id);
                    return null;
                }))
                .add("CreateAuthorizer", (ctx, in) -> apis.update(ctx, Values.text(in, "ApiId"), false, doc -> {
                    String type = Values.text(in, "AuthorizerType");
                    if (type.equals("JWT") && !in.path("JwtConfiguration").hasNonNull("Issuer")) {
                        throw new AwsException("BadRequestException", "Issuer must be specified for JWT authorizers", 400);
                    }
                    if (type.equals("REQUEST") && !in.hasNonNull("AuthorizerUri")) {
                        throw new AwsException("BadRequestException", "AuthorizerUri must be specified for REQUEST authorizers", 400);
                    }
                    String id = ApiStore.id(6);
                    ObjectNode a = Values.object().put("AuthorizerId", id);
                    if (type.equals("REQUEST")) a.put("AuthorizerResultTtlInSeconds", 0).put("AuthorizerPayloadFormatVersion", "2.0");
                    merge(a, in, Set.of("ApiId"));
                    doc.with("authorizers").set(id, a);
                    return a;
                }))
                .add("GetAuthorizer", (ctx, in) -> child(api(ctx, in), "authorizers", Values.text(in, "AuthorizerId"), "Authorizer"))
                .add("GetAuthorizers", (ctx, in) -> items(api(ctx, in), "authorizers"))
                .add("UpdateAuthorizer", (ctx, in) -> apis.update(ctx, Values.text(in, "ApiId"), false, doc -> {
                    ObjectNode a = child(doc, "authorizers", Values.text(in, "AuthorizerId"), "Authorizer");
                    merge(a, in, Set.of("ApiId", "AuthorizerId"));
                    return a;
                }))
                .add("DeleteAuthorizer", (ctx, in) -> apis.update(ctx, Values.text(in, "ApiId"), false, doc -> {
                    child(doc, "authorizers", Values.text(in, "AuthorizerId"), "Authorizer");
                    ((ObjectNode) doc.get("authorizers")).remove(in.get("AuthorizerId").asText());
                    return null;
                }))
                .add("CreateStage", (ctx, in) -> apis.update(ctx, Values.text(in, "ApiId"), false, doc -> createStage(doc, in)))
                .add("GetStage", (ctx, in) -> child(api(ctx, in), "stages", Values.text(in, "StageName"), "Stage"))
                .add("GetStages", (ctx, in) -> items(api(ctx, in), "stages"))
                .add("UpdateStage", (ctx, in) -> apis.update(ctx, Values.text(in, "ApiId"), false, doc -> {
                    ObjectNode stage = child(doc, "stages", Values.text(in, "StageName"), "Stage");
                    if (in.has("DeploymentId")) child(doc, "deployments", in.get("DeploymentId").asText(), "Deployment");
                    merge(stage, in, Set.of("ApiId", "StageName"));
                    stage.set("LastUpdatedDate", now());
                    if (stage.path("AutoDeploy").asBoolean()) deploy(doc, stage.get("StageName").asText(), true, null);
                    return stage;
                }))
                .add("DeleteStage", (ctx, in) -> apis.update(ctx, Values.text(in, "ApiId"), false, doc -> {
                    child(doc, "stages", Values.text(in, "StageName"), "Stage");
                    ((ObjectNode) doc.get("stages")).remove(in.get("StageName").asText());
                    return null;
                }))
                .add("CreateDeployment", (ctx, in) -> apis.update(ctx, Values.text(in, "ApiId"), false, doc -> {
                    String stage = Values.text(in, "StageName", null);
                    if (stage != null) {
                        ObjectNode s = child(doc, "stages", stage, "Stage");
                        if (s.path("AutoDeploy").asBoolean()) {
                            throw new AwsException("BadRequestException", "Stage " + stage + " is configured for auto-deploy; deployments are created for it on every change", 400);
                        }
                    }
                    return deploy(doc, stage, false, Values.text(in, "Description", null));
                }))
                .add("GetDeployment", (ctx, in) -> child(api(ctx, in), "deployments", Values.text(in, "DeploymentId"), "Deployment"))
                .add("GetDeployments", (ctx, in) -> items(api(ctx, in), "deployments"))
                .add("DeleteDeployment", (ctx, in) -> apis.update(ctx, Values.text(in, "ApiId"), false, doc -> {
                    String id = Values.text(in, "DeploymentId");
                    child(doc, "deployments", id, "Deployment");
                    for (JsonNode s : doc.get("stages")) {
                        if (id.equals(s.path("DeploymentId").asText())) {
                            throw new AwsException("BadRequestException", "Active stages pointing to this deployment must be moved or deleted", 400);
                        }
                    }
                    ((ObjectNode) doc.get("deployments")).remove(id);
                    return null;
                }));
        responses(ops, "RouteResponse", "routes", "Route");
        responses(ops, "IntegrationResponse", "integrations", "Integration");
    }

    /**
     * A WebSocket route's or integration's responses (RouteResponse, IntegrationResponse): create, get,
     * list, update, delete, kept in {@code doc[routeResponses|integrationResponses][parentId][id]}.
     */
    private void responses(Operations ops, String type, String parents, String parentType) {
        String parentId = parentType + "Id";
        String id = type + "Id";
        String collection = Character.toLowerCase(type.charAt(0)) + type.substring(1) + "s";
        ops.add("Create" + type, (ctx, in) -> change(ctx, in, doc -> {
                    String parent = Values.text(in, parentId);
                    child(doc, parents, parent, parentType);
                    ObjectNode response = Values.object().put(id, ApiStore.id(6));
                    merge(response, in, Set.of(parentId));
                    doc.with(collection).with(parent).set(response.get(id).asText(), response);
                    return response;
                }))
                .add("Get" + type, (ctx, in) -> response(api(ctx, in), in, parents, parentType, collection, type))
                .add("Get" + type + "s", (ctx, in) -> {
                    ObjectNode doc = api(ctx, in);
                    child(doc, parents, Values.text(in, parentId), parentType);
                    return items(doc.path(collection), in.get(parentId).asText());
                })
                .add("Update" + type, (ctx, in) -> change(ctx, in, doc -> {
                    ObjectNode response = response(doc, in, parents, parentType, collection, type);
                    merge(response, in, Set.of(parentId, id));
                    return response;
                }))
                .add("Delete" + type, (ctx, in) -> change(ctx, in, doc -> {
                    response(doc, in, parents, parentType, collection, type);
                    ((ObjectNode) doc.get(collection).get(in.get(parentId).asText())).remove(in.get(id).asText());
                    return null;
                }));
    }

    private static ObjectNode response(ObjectNode doc, ObjectNode in, String parents, String parentType, String collection, String type) {
        child(doc, parents, Values.text(in, parentType + "Id"), parentType);
        return child(doc.path(collection), in.get(parentType + "Id").asText(), Values.text(in, type + "Id"), type);
    }

    private JsonNode createApi(RequestContext ctx, ObjectNode in) {
        ObjectNode doc = newApi(in);
        ObjectNode api = (ObjectNode) doc.get("api");
        String protocol = api.get("ProtocolType").asText();
        String target = Values.text(in, "Target", null);
        if (target != null) {
            // Quick create: the target's integration, one route to it, and an auto-deployed $default stage.
            if (!protocol.equals("HTTP")) throw new AwsException("BadRequestException", "Quick create is only supported for HTTP APIs", 400);
            boolean http = target.startsWith("http://") || target.startsWith("https://");
            ObjectNode integration = createIntegration(doc, Values.object()
                    .put("IntegrationType", http ? "HTTP_PROXY" : "AWS_PROXY")
                    .put("IntegrationUri", target)
                    .put("IntegrationMethod", http ? "ANY" : "POST")
                    .put("PayloadFormatVersion", http ? "1.0" : "2.0"));
            integration.put("ApiGatewayManaged", true);
            ObjectNode route = createRoute(doc, Values.object().put("RouteKey", Values.text(in, "RouteKey", "$default"))
                    .put("Target", "integrations/" + integration.get("IntegrationId").asText()));
            route.put("ApiGatewayManaged", true);
            createStage(doc, Values.object().put("StageName", "$default").put("AutoDeploy", true)).put("ApiGatewayManaged", true);
            api.put("ApiGatewayManaged", true);
        } else if (in.has("RouteKey")) {
            throw new AwsException("BadRequestException", "RouteKey is only supported with Target (quick create)", 400);
        }
        apis.create(ctx, api.get("ApiId").asText(), protocol, doc);
        return api;
    }

    /** A new API document, without routes yet, from CreateApi's members. */
    private ObjectNode newApi(ObjectNode in) {
        String protocol = Values.text(in, "ProtocolType");
        String apiId = ApiStore.id(10);
        ObjectNode api = Values.object()
                .put("ApiId", apiId)
                .put("Name", Values.text(in, "Name"))
                .put("ProtocolType", protocol)
                .put("ApiEndpoint", endpointOf(apiId, protocol))
                .put("ApiKeySelectionExpression", Values.text(in, "ApiKeySelectionExpression", "$request.header.x-api-key"))
                .put("RouteSelectionExpression", Values.text(in, "RouteSelectionExpression",
                        protocol.equals("HTTP") ? "$request.method $request.path" : null))
                .put("DisableExecuteApiEndpoint", in.path("DisableExecuteApiEndpoint").asBoolean(false));
        if (protocol.equals("WEBSOCKET") && !in.hasNonNull("RouteSelectionExpression")) {
            throw new AwsException("BadRequestException", "RouteSelectionExpression is required for WEBSOCKET APIs", 400);
        }
        merge(api, in, Set.of("Target", "RouteKey", "CredentialsArn", "ProtocolType", "Name"));
        api.set("CreatedDate", now());
        ObjectNode doc = Values.object();
        doc.set("api", api);
        doc.putObject("routes");
        doc.putObject("integrations");
        doc.putObject("stages");
        doc.putObject("deployments");
        return doc;
    }

    /** Where the API answers: this server's invoke URL for the API (AWS's is https://{id}.execute-api.{region}.amazonaws.com). */
    private String endpointOf(String apiId, String protocol) {
        String base = endpoint.get();
        String hostAndPort = base.substring(base.indexOf("://") + 3);
        int colon = hostAndPort.lastIndexOf(':');
        String port = colon < 0 ? "" : hostAndPort.substring(colon);
        return (protocol.equals("WEBSOCKET") ? "ws://" : "http://") + apiId + ".execute-api.localhost" + port;
    }

    ObjectNode createRoute(ObjectNode doc, ObjectNode in) {
        String key = Values.text(in, "RouteKey");
        checkRouteKey(doc, key, null);
        String id = ApiStore.id(7);
        ObjectNode route = Values.object().put("RouteId", id).put("RouteKey", key)
                .put("AuthorizationType", "NONE").put("ApiKeyRequired", false);
        merge(route, in, Set.of("ApiId"));
        ((ObjectNode) doc.get("routes")).set(id, route);
        return route;
    }

    private void checkRouteKey(ObjectNode doc, String key, String routeId) {
        boolean http = "HTTP".equals(doc.path("api").path("ProtocolType").asText());
        if (http && !HTTP_ROUTE_KEY.matcher(key).matches()) {
            throw new AwsException("BadRequestException", "Unable to create route " + key + ": the route key must be $default or an HTTP method and a path starting with /", 400);
        }
        for (JsonNode r : doc.get("routes")) {
            if (r.path("RouteKey").asText().equals(key) && !r.path("RouteId").asText().equals(routeId)) {
                throw new AwsException("ConflictException", "Route with key " + key + " already exists for this API", 409);
            }
        }
    }

    ObjectNode createIntegration(ObjectNode doc, ObjectNode in) {
        String type = Values.text(in, "IntegrationType");
        boolean http = "HTTP".equals(doc.path("api").path("ProtocolType").asText());
        if (http && type.equals("AWS_PROXY") && !in.hasNonNull("PayloadFormatVersion")) {
            throw new AwsException("BadRequestException", "PayloadFormatVersion is required for AWS_PROXY integrations", 400);
        }
        String id = ApiStore.id(7);
        ObjectNode integration = Values.object().put("IntegrationId", id).put("ConnectionType", "INTERNET")
                .put("PayloadFormatVersion", "1.0").put("TimeoutInMillis", http ? 30000 : 29000);
        if (!http) integration.put("PassthroughBehavior", "WHEN_NO_MATCH");
        merge(integration, in, Set.of("ApiId"));
        checkMappings(doc, integration);
        ((ObjectNode) doc.get("integrations")).set(id, integration);
        return integration;
    }

    /** HTTP APIs' parameter mappings are checked when written (WebSocket APIs' request parameters are another syntax). */
    private static void checkMappings(ObjectNode doc, ObjectNode integration) {
        if ("HTTP".equals(doc.path("api").path("ProtocolType").asText())) {
            ParameterMapping.validate(integration.get("RequestParameters"), integration.get("ResponseParameters"));
        }
    }

    private ObjectNode createStage(ObjectNode doc, ObjectNode in) {
        String name = Values.text(in, "StageName");
        ObjectNode stages = (ObjectNode) doc.get("stages");
        if (stages.has(name)) throw new AwsException("ConflictException", "Stage already exists", 409);
        if (in.has("DeploymentId")) child(doc, "deployments", in.get("DeploymentId").asText(), "Deployment");
        ObjectNode stage = Values.object().put("StageName", name).put("AutoDeploy", false);
        stage.putObject("DefaultRouteSettings").put("DetailedMetricsEnabled", false);
        stage.putObject("RouteSettings");
        stage.putObject("StageVariables");
        stage.putObject("Tags");
        merge(stage, in, Set.of("ApiId"));
        stage.set("CreatedDate", now());
        stage.set("LastUpdatedDate", now());
        stages.set(name, stage);
        if (stage.path("AutoDeploy").asBoolean()) deploy(doc, name, true, null);
        return stage;
    }

    /** A snapshot of the routes and integrations, pointed to by {@code stage} when given. */
    private ObjectNode deploy(ObjectNode doc, String stage, boolean auto, String description) {
        String id = ApiStore.id(6);
        ObjectNode deployment = Values.object().put("DeploymentId", id).put("DeploymentStatus", "DEPLOYED").put("AutoDeployed", auto);
        if (description != null) deployment.put("Description", description);
        deployment.set("CreatedDate", now());
        ObjectNode snapshot = deployment.putObject("_snapshot");
        snapshot.set("routes", doc.get("routes").deepCopy());
        snapshot.set("integrations", doc.get("integrations").deepCopy());
        // WebSocket routes' responses (a route with one answers its client) and integrations' responses (MOCK's replies)
        for (String responses : new String[] {"routeResponses", "integrationResponses"}) {
            if (doc.has(responses)) snapshot.set(responses, doc.get(responses).deepCopy());
        }
        ((ObjectNode) doc.get("deployments")).set(id, deployment);
        if (stage != null) {
            ObjectNode s = (ObjectNode) doc.get("stages").get(stage);
            s.put("DeploymentId", id);
            s.set("LastUpdatedDate", now());
            if (auto) s.put("LastDeploymentStatusMessage", "Successfully deployed stage with deployment ID '" + id + "'");
        }
        return deployment;
    }

    /** A change to routes or integrations: applied, then deployed to every auto-deploy stage. */
    private JsonNode change(RequestContext ctx, ObjectNode in, java.util.function.Function<ObjectNode, JsonNode> edit) {
        return apis.update(ctx, Values.text(in, "ApiId"), false, doc -> {
            JsonNode out = edit.apply(doc);
            for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("stages").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> s = it.next();
                if (s.getValue().path("AutoDeploy").asBoolean()) deploy(doc, s.getKey(), true, null);
            }
            return out;
        });
    }

    private ObjectNode api(RequestContext ctx, ObjectNode in) {
        String apiId = Values.text(in, "ApiId");
        ObjectNode doc = apis.find(ctx, apiId, false);
        if (doc == null) throw ApiStore.notFound(ctx, apiId, false);
        return doc;
    }

    private static ObjectNode child(JsonNode doc, String collection, String id, String type) {
        JsonNode c = doc.path(collection).get(id);
        if (c == null) {
            throw new AwsException("NotFoundException", "Invalid " + type + " identifier specified " + id, 404).with("ResourceType", type);
        }
        return (ObjectNode) c;
    }

    private static ObjectNode items(JsonNode doc, String collection) {
        ObjectNode out = Values.object();
        ArrayNode items = out.putArray("Items");
        doc.path(collection).forEach(items::add);
        return out;
    }

    /** Copies the input's members onto an entity, but for path ids and the given ones. */
    static void merge(ObjectNode target, ObjectNode in, Set<String> skip) {
        for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!skip.contains(e.getKey()) && !API_IDS.contains(e.getKey())) target.set(e.getKey(), e.getValue());
        }
    }

    private JsonNode now() {
        return Values.timestamp(clock.instant());
    }
}
