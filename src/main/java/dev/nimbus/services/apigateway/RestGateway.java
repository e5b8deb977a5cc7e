package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * REST APIs' data plane: stage, resource (literal before {param} before {greedy+}), method (or ANY),
 * then the integration: Lambda proxy (payload 1.0), Lambda and HTTP with mapping templates and
 * integration responses chosen by selection pattern, HTTP proxy, MOCK. Failures are API Gateway's
 * gateway responses.
 */
final class RestGateway {
    private static final Logger LOG = Logger.getLogger(RestGateway.class.getName());

    /** One node of a deployed resource tree. */
    private static final class Node {
        final ObjectNode resource;
        final Map<String, Node> literal = new HashMap<>();
        Node param;
        Node greedy;

        Node(ObjectNode resource) {
            this.resource = resource;
        }

        String part() {
            return resource.path("pathPart").asText();
        }
    }

    private record Match(Node node, Map<String, String> params) {}

    private final LambdaCall lambda;
    private final HttpForward http;
    private final Templates templates;
    private final Authorizers authorizers;

    private final UsagePlans usagePlans;
    /** rendered MOCK request templates -> their status code */
    private final Map<String, Integer> mockStatuses = new ConcurrentHashMap<>();

    RestGateway(LambdaCall lambda, HttpForward http, Templates templates, UsagePlans usagePlans) {
        this.usagePlans = usagePlans;
        this.lambda = lambda;
        this.http = http;
        this.templates = templates;
        this.authorizers = new Authorizers(lambda);
    }

    HttpResponse serve(ApiStore.Entry entry, GatewayRequest req) {
        HttpResponse res = route(entry, req);
        return req.responseType == null ? res : GatewayResponses.customize(entry.doc, req, res, templates);
    }

    private HttpResponse route(ApiStore.Entry entry, GatewayRequest req) {
        ObjectNode doc = entry.doc;
        List<String> segments = GatewayRequest.decodedSegments(req.path);
        if (segments.isEmpty()) return GatewayResponses.of(req, "MISSING_AUTHENTICATION_TOKEN");
        String stageName = segments.get(0);
        JsonNode stage = doc.get("stages").get(stageName);
        if (stage != null) req.stage = stageName;
        if (stage == null) return GatewayResponses.of(req, "FORBIDDEN");
        JsonNode deployment = doc.get("deployments").get(stage.path("deploymentId").asText());
        if (deployment == null) return GatewayResponses.of(req, "FORBIDDEN");
        Node root = (Node) entry.derived.computeIfAbsent("rest:" + deployment.get("id").asText(), k -> compile(deployment.get("_snapshot")));
        Match match = match(root, segments.subList(1, segments.size()), 0, new LinkedHashMap<>());
        if (match == null) return GatewayResponses.of(req, "MISSING_AUTHENTICATION_TOKEN");
        req.resourcePath = match.node.resource.path("path").asText();
        req.resourceId = match.node.resource.path("id").asText();
        JsonNode methods = match.node.resource.path("resourceMethods");
        JsonNode method = methods.get(req.method());
        if (method == null) method = methods.get("ANY");
        if (method == null) return GatewayResponses.of(req, "MISSING_AUTHENTICATION_TOKEN");
        req.body = ProxyEvents.readBody(req.http, HttpGateway.MAX_PAYLOAD);
        if (req.body == null) return GatewayResponses.of(req, "REQUEST_TOO_LARGE");
        String rest = "/" + String.join("/", segments.subList(1, segments.size()));
        Call call = new Call(doc, req, match.node.resource, (ObjectNode) method, stageName, match.params,
                HttpGateway.variables(stage.get("variables")), rest);
        HttpResponse refused = admit(call);
        if (refused != null) return refused;
        long started = System.nanoTime();
        try {
            return integrate(call);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "REST API " + req.apiId + ": integration failed", e);
            return GatewayResponses.of(req, "API_CONFIGURATION_ERROR");
        } finally {
            req.integrationNanos = System.nanoTime() - started;
        }
    }

    /** The method's authorizer, when it has one: null when the request may go on, else the answer refusing it. */
    private HttpResponse admit(Call call) {
        GatewayRequest req = call.req;
        if ("CUSTOM".equals(call.method.path("authorizationType").asText())) {
            String methodArn = "arn:aws:execute-api:" + call.doc.get("_region").asText() + ":" + call.account() + ":" + req.apiId + "/" + call.stage
                    + "/" + req.method() + call.path;
            Authorizers.Decision d = authorizers.authorize(call.doc, call.doc.path("authorizers").get(call.method.path("authorizerId").asText()), req,
                    call.where(), methodArn);
            if (d.refusal() != null) return d.refusal();
            req.authorizer = d.context();
        }
        if (call.method.path("apiKeyRequired").asBoolean()) {
            String refusal = usagePlans.admit(call.account(), call.doc.get("_region").asText(), req.apiId, call.stage, req.header("x-api-key"));
            if (refusal != null) return GatewayResponses.of(req, refusal);
        }
        JsonNode validator = call.doc.path("requestValidators").get(call.method.path("requestValidatorId").asText(""));
        if (validator != null) return validate(call, validator);
        return null;
    }

    /** A request validator's checks: required parameters present, the body valid for the method's model of its content type. */
    private HttpResponse validate(Call call, JsonNode validator) {
        GatewayRequest req = call.req;
        if (validator.path("validateRequestParameters").asBoolean()) {
            List<String> missing = new java.util.ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = call.method.path("requestParameters").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                if (!p.getValue().asBoolean()) continue;
                String[] parts = p.getKey().split("\\.", 4);
                if (parts.length < 4) continue;
                String value = switch (parts[2]) {
                    case "path" -> call.pathParams.get(parts[3]);
                    case "querystring" -> req.http.queryParam(parts[3]);
                    case "header" -> req.header(parts[3]);
                    default -> "";
                };
                if (value == null || value.isEmpty() && !parts[2].equals("querystring")) missing.add(parts[3]);
            }
            if (!missing.isEmpty()) {
                HttpResponse res = GatewayResponses.of(req, "BAD_REQUEST_PARAMETERS");
                req.errorMessage = "Missing required request parameters: [" + String.join(", ", missing) + "]";
                res.body = ("{\"message\": \"" + req.errorMessage + "\"}").getBytes(StandardCharsets.UTF_8);
                return res;
            }
        }
        if (validator.path("validateRequestBody").asBoolean()) {
            String contentType = mediaType(req.header("Content-Type"), "application/json");
            JsonNode models = call.method.path("requestModels");
            String modelName = models.has(contentType) ? models.get(contentType).asText() : models.path("$default").asText(null);
            JsonNode model = modelName == null ? null : call.doc.path("models").get(modelName);
            if (model != null && model.hasNonNull("schema")) {
                JsonNode schema = parseOrNull(model.get("schema").asText());
                JsonNode body = parseOrNull(new String(req.body, StandardCharsets.UTF_8));
                String problem = schema == null ? null : body == null ? "instance: the body is not JSON" : JsonSchema.check(schema, body, name -> {
                    JsonNode m = call.doc.path("models").get(name);
                    return m == null ? null : parseOrNull(m.path("schema").asText());
                });
                if (problem != null) {
                    LOG.fine(() -> "REST API " + req.apiId + ": request body does not match model " + modelName + ": " + problem);
                    return GatewayResponses.of(req, "BAD_REQUEST_BODY");
                }
            }
        }
        return null;
    }

    /** Everything about one matched request. */
    private record Call(ObjectNode doc, GatewayRequest req, ObjectNode resource, ObjectNode method, String stage, Map<String, String> pathParams,
                        Map<String, String> stageVariables, String path) {
        JsonNode integration() {
            return method.path("methodIntegration");
        }

        /** Where the request sits, for proxy and authorizer events. */
        ProxyEvents.Route where() {
            return new ProxyEvents.Route(resource.get("path").asText(), resource.get("id").asText(), stage, path, "/" + stage + path,
                    pathParams, stageVariables, null);
        }

        String account() {
            return doc.get("_account").asText();
        }

        /** $context for mapping templates. */
        Map<String, Object> context() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("accountId", account());
            c.put("apiId", req.apiId);
            c.put("domainName", req.domainName);
            c.put("domainPrefix", req.apiId);
            c.put("extendedRequestId", req.requestId);
            c.put("httpMethod", req.method());
            Map<String, Object> identity = new LinkedHashMap<>();
            identity.put("sourceIp", req.sourceIp());
            identity.put("userAgent", req.header("User-Agent"));
            c.put("identity", identity);
            c.put("path", "/" + stage + path);
            c.put("protocol", "HTTP/1.1");
            c.put("requestId", req.requestId);
            c.put("requestTime", req.requestTime());
            c.put("requestTimeEpoch", req.time.toEpochMilli());
            c.put("resourceId", resource.get("id").asText());
            c.put("resourcePath", resource.get("path").asText());
            c.put("stage", stage);
            if (req.authorizer != null) c.put("authorizer", Templates.toJava(req.authorizer));
            return c;
        }

        Templates.Input input(String body) {
            Map<String, String> query = new LinkedHashMap<>();
            req.http.query().forEach((k, v) -> query.put(k, v.get(v.size() - 1)));
            Map<String, String> headers = new LinkedHashMap<>();
            req.multiHeaders().forEach((k, v) -> headers.put(k, v.get(v.size() - 1)));
            return new Templates.Input(body, pathParams, query, headers);
        }
    }

    private HttpResponse integrate(Call call) {
        JsonNode integration = call.integration();
        String type = integration.path("type").asText();
        int timeout = integration.path("timeoutInMillis").asInt(29000);
        String uri = HttpGateway.substitute(integration.path("uri").asText(), call.stageVariables);
        GatewayRequest req = call.req;
        try {
            switch (type) {
                case "AWS_PROXY" -> {
                    ObjectNode event = ProxyEvents.v1(req, call.account(), null, call.where(), binary(call.doc, req.header("Content-Type")));
                    LambdaCall.Result r = lambda.invoke(call.account(), call.doc.get("_region").asText(), uri, Values.JSON.writeValueAsBytes(event), timeout);
                    if (r.functionError() != null) return GatewayResponses.of(req, "LAMBDA_PROXY_ERROR");
                    try {
                        return ProxyEvents.response(r.payload(), binary(call.doc, req.header("Accept")));
                    } catch (ProxyEvents.Malformed e) {
                        req.errorMessage = "Malformed Lambda proxy response";
                        LOG.info(() -> "REST API " + req.apiId + ": malformed Lambda proxy response: " + e.getMessage());
                        return GatewayResponses.of(req, "LAMBDA_PROXY_ERROR");
                    }
                }
                case "HTTP_PROXY" -> {
                    String url = withQuery(mapPath(uri, call), req.http.rawQuery);
                    String m = integration.path("httpMethod").asText("ANY");
                    return http.send(m.equals("ANY") ? req.method() : m, url, req.headers, req.body, timeout);
                }
                case "MOCK", "HTTP", "AWS" -> {
                    return mapped(call, type, uri, timeout);
                }
                default -> {
                    return GatewayResponses.of(req, "API_CONFIGURATION_ERROR");
                }
            }
        } catch (TimeoutException e) {
            return GatewayResponses.of(req, "INTEGRATION_TIMEOUT");
        } catch (IOException e) {
            if (HttpForward.isTimeout(e)) return GatewayResponses.of(req, "INTEGRATION_TIMEOUT");
            LOG.info(() -> "REST API " + req.apiId + ": HTTP integration failed: " + e);
            return GatewayResponses.of(req, "INTEGRATION_FAILURE");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return GatewayResponses.of(req, "API_CONFIGURATION_ERROR");
        } catch (AwsException e) {
            LOG.info(() -> "REST API " + req.apiId + ": integration failed: " + e.code() + " " + e.getMessage());
            return GatewayResponses.of(req, "API_CONFIGURATION_ERROR");
        }
    }

    /** MOCK's status code, from its rendered request template ({"statusCode": N}; 200 when it has none). */
    private int mockStatus(String body) {
        Integer known = mockStatuses.get(body);
        if (known != null) return known;
        JsonNode parsed = parseOrNull(body);
        int status = parsed != null && parsed.path("statusCode").canConvertToInt() ? parsed.path("statusCode").asInt() : 200;
        // Most templates render the same text every call: parsing it again each time showed in the MOCK profile.
        if (mockStatuses.size() < 1_000) mockStatuses.put(body, status);
        return status;
    }

    /** MOCK, HTTP and AWS integrations: request template, the call, then the integration response its result selects. */
    private HttpResponse mapped(Call call, String type, String uri, int timeout) throws IOException, InterruptedException, TimeoutException {
        GatewayRequest req = call.req;
        JsonNode integration = call.integration();
        String contentType = mediaType(req.header("Content-Type"), "application/json");
        JsonNode requestTemplates = integration.path("requestTemplates");
        String body = new String(req.body, StandardCharsets.UTF_8);
        JsonNode template = requestTemplates.get(contentType);
        String passthrough = integration.path("passthroughBehavior").asText("WHEN_NO_MATCH");
        if (template != null && !template.isNull()) {
            body = templates.render(template.asText(), call.input(body), call.context(), call.stageVariables);
        } else if (passthrough.equals("NEVER") || passthrough.equals("WHEN_NO_TEMPLATES") && !requestTemplates.isEmpty()) {
            return GatewayResponses.of(req, "UNSUPPORTED_MEDIA_TYPE");
        }
        String selector;
        byte[] result;
        Map<String, String> resultHeaders = new LinkedHashMap<>();
        int resultStatus = 200;
        switch (type) {
            case "MOCK" -> {
                resultStatus = mockStatus(body);
                selector = Integer.toString(resultStatus);
                result = new byte[0];
            }
            case "HTTP" -> {
                String m = integration.path("httpMethod").asText(req.method());
                HttpResponse r = http.send(m.equals("ANY") ? req.method() : m, withQuery(mapPath(uri, call), req.http.rawQuery), req.headers,
                        body.getBytes(StandardCharsets.UTF_8), timeout);
                resultStatus = r.status;
                selector = Integer.toString(r.status);
                result = r.body == null ? new byte[0] : r.body;
                for (String[] h : r.headers) resultHeaders.put(h[0].toLowerCase(Locale.ROOT), h[1]);
            }
            default -> {
                if (!uri.contains(":lambda:path/")) {
                    LOG.info(() -> "REST API " + req.apiId + ": AWS integration " + uri + " is not served (only Lambda)");
                    return GatewayResponses.of(req, "API_CONFIGURATION_ERROR");
                }
                LambdaCall.Result r = lambda.invoke(call.account(), call.doc.get("_region").asText(), uri,
                        body.isBlank() ? "{}".getBytes(StandardCharsets.UTF_8) : body.getBytes(StandardCharsets.UTF_8), timeout);
                result = r.payload();
                selector = "";
                if (r.functionError() != null) {
                    JsonNode err = parseOrNull(new String(result, StandardCharsets.UTF_8));
                    selector = err == null ? "" : err.path("errorMessage").asText("");
                }
            }
        }
        JsonNode chosen = select(integration.path("integrationResponses"), selector, type.equals("AWS"));
        if (chosen == null) return GatewayResponses.of(req, "API_CONFIGURATION_ERROR");
        HttpResponse res = new HttpResponse();
        res.status = Integer.parseInt(chosen.path("statusCode").asText("200"));
        String resultText = new String(result, StandardCharsets.UTF_8);
        JsonNode responseTemplates = chosen.path("responseTemplates");
        String accept = mediaType(req.header("Accept"), "application/json");
        JsonNode rt = responseTemplates.get(accept);
        if (rt == null) rt = responseTemplates.get("application/json");
        if (rt == null && responseTemplates.size() > 0) rt = responseTemplates.elements().next();
        String outType = "application/json";
        if (rt != null && !rt.isNull() && !rt.asText().isEmpty()) {
            res.body = templates.render(rt.asText(), call.input(resultText), call.context(), call.stageVariables).getBytes(StandardCharsets.UTF_8);
        } else {
            res.body = result;
            if (type.equals("HTTP") && resultHeaders.containsKey("content-type")) outType = resultHeaders.get("content-type");
        }
        res.header("Content-Type", outType);
        for (Iterator<Map.Entry<String, JsonNode>> it = chosen.path("responseParameters").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            if (!p.getKey().startsWith("method.response.header.")) continue;
            String value = responseValue(p.getValue().asText(), resultHeaders, resultText);
            if (value == null) continue;
            String name = p.getKey().substring("method.response.header.".length());
            res.headers.removeIf(h -> h[0].equalsIgnoreCase(name));
            res.header(name, value);
        }
        return res;
    }

    /** The integration response whose selection pattern matches (a regex over the whole value), else the default one (no pattern). */
    /** Compiled selection patterns: compiling one costs more than matching it, and an API has few. */
    private static final Map<String, Pattern> SELECTION_PATTERNS = new ConcurrentHashMap<>();

    private static Pattern selectionPattern(String pattern) {
        Pattern compiled = SELECTION_PATTERNS.get(pattern);
        if (compiled == null) {
            compiled = Pattern.compile(pattern, Pattern.DOTALL);
            if (SELECTION_PATTERNS.size() < 10_000) SELECTION_PATTERNS.put(pattern, compiled);
        }
        return compiled;
    }

    private static JsonNode select(JsonNode responses, String selector, boolean lambdaResult) {
        JsonNode fallback = null;
        for (JsonNode r : responses) {
            String pattern = r.path("selectionPattern").asText("");
            if (pattern.isEmpty()) {
                fallback = r;
                continue;
            }
            if (lambdaResult && selector.isEmpty()) continue;
            try {
                if (selectionPattern(pattern).matcher(selector).matches()) return r;
            } catch (PatternSyntaxException e) {
                LOG.fine(() -> "invalid selection pattern " + pattern);
            }
        }
        return fallback;
    }

    /** A response parameter's source: 'literal', integration.response.header.X, integration.response.body[.path]. */
    private static String responseValue(String source, Map<String, String> headers, String body) {
        if (source.length() >= 2 && source.startsWith("'") && source.endsWith("'")) return source.substring(1, source.length() - 1);
        if (source.startsWith("integration.response.header.")) return headers.get(source.substring("integration.response.header.".length()).toLowerCase(Locale.ROOT));
        if (source.equals("integration.response.body")) return body;
        if (source.startsWith("integration.response.body.")) {
            JsonNode json = parseOrNull(body);
            if (json == null) return null;
            JsonNode n = Templates.JsonPaths.select(json, "$" + source.substring("integration.response.body".length()));
            return n.isMissingNode() ? null : n.isValueNode() ? n.asText() : n.toString();
        }
        return null;
    }

    /** {name} in an HTTP integration URI, from requestParameters' integration.request.path.* mappings or the method's path parameters. */
    private static String mapPath(String uri, Call call) {
        Map<String, String> values = new LinkedHashMap<>(call.pathParams);
        for (Iterator<Map.Entry<String, JsonNode>> it = call.integration().path("requestParameters").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            if (!p.getKey().startsWith("integration.request.path.")) continue;
            String source = p.getValue().asText();
            String value = source.startsWith("method.request.path.") ? call.pathParams.get(source.substring("method.request.path.".length()))
                    : source.startsWith("'") && source.endsWith("'") && source.length() >= 2 ? source.substring(1, source.length() - 1) : null;
            if (value != null) values.put(p.getKey().substring("integration.request.path.".length()), value);
        }
        return HttpGateway.pathParameters(uri, values);
    }

    private static String withQuery(String url, String rawQuery) {
        return rawQuery.isEmpty() ? url : url + (url.contains("?") ? "&" : "?") + rawQuery;
    }

    /** Whether a content type is one of the API's binary media types (wildcards allowed). */
    private static boolean binary(ObjectNode doc, String contentType) {
        if (contentType == null) return false;
        String type = mediaType(contentType, "");
        for (JsonNode b : doc.path("api").path("binaryMediaTypes")) {
            String pattern = b.asText().toLowerCase(Locale.ROOT);
            if (pattern.equals("*/*") || pattern.equals(type) || pattern.endsWith("/*") && type.startsWith(pattern.substring(0, pattern.length() - 1))) {
                return true;
            }
        }
        return false;
    }

    static String mediaType(String header, String orElse) {
        if (header == null || header.isBlank()) return orElse;
        int semi = header.indexOf(';');
        int comma = header.indexOf(',');
        int end = semi < 0 ? (comma < 0 ? header.length() : comma) : (comma < 0 ? semi : Math.min(semi, comma));
        String t = header.substring(0, end).trim().toLowerCase(Locale.ROOT);
        return t.equals("*/*") ? orElse : t;
    }

    private static JsonNode parseOrNull(String text) {
        try {
            return text.isBlank() ? null : Values.JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private static Node compile(JsonNode resources) {
        Map<String, Node> nodes = new HashMap<>();
        Node root = null;
        for (JsonNode r : resources) nodes.put(r.get("id").asText(), new Node((ObjectNode) r));
        for (Node n : nodes.values()) {
            String parent = n.resource.path("parentId").asText(null);
            if (parent == null) {
                root = n;
                continue;
            }
            Node p = nodes.get(parent);
            switch (PathPattern.kind(n.part())) {
                case 0 -> p.literal.put(n.part(), n);
                case 1 -> p.param = n;
                default -> p.greedy = n;
            }
        }
        return root;
    }

    /** The most specific resource for the path: literal children first, then {param}, then {greedy+}. */
    private static Match match(Node node, List<String> path, int i, Map<String, String> params) {
        if (i == path.size()) return new Match(node, params);
        Node lit = node.literal.get(path.get(i));
        if (lit != null) {
            Match m = match(lit, path, i + 1, params);
            if (m != null) return m;
        }
        if (node.param != null) {
            Map<String, String> with = new LinkedHashMap<>(params);
            String part = node.param.part();
            with.put(part.substring(1, part.length() - 1), path.get(i));
            Match m = match(node.param, path, i + 1, with);
            if (m != null) return m;
        }
        if (node.greedy != null) {
            Map<String, String> with = new LinkedHashMap<>(params);
            String part = node.greedy.part();
            with.put(part.substring(1, part.length() - 2), String.join("/", path.subList(i, path.size())));
            return new Match(node.greedy, with);
        }
        return null;
    }
}
