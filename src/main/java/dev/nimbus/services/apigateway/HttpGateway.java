package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP APIs' data plane: stage, route (most specific first), CORS, then the route's integration
 * (Lambda proxy with payload 1.0 or 2.0, HTTP proxy), with HTTP APIs' own error bodies.
 */
final class HttpGateway {
    private static final Logger LOG = Logger.getLogger(HttpGateway.class.getName());
    static final int MAX_PAYLOAD = 10 * 1024 * 1024;
    private static final Pattern STAGE_VARIABLE = Pattern.compile("\\$\\{stageVariables\\.([A-Za-z0-9_]+)}");

    /** A stage's routes, ordered as they are tried. */
    private record Table(List<Route> routes, Route fallback, JsonNode integrations) {}

    private record Route(String method, PathPattern pattern, ObjectNode route) {}

    private final LambdaCall lambda;
    private final HttpForward http;
    private final HttpAuthorizers authorizers;
    private final TokenBuckets throttles = new TokenBuckets();

    HttpGateway(LambdaCall lambda, HttpForward http) {
        this.lambda = lambda;
        this.http = http;
        this.authorizers = new HttpAuthorizers(lambda);
    }

    HttpResponse serve(ApiStore.Entry entry, GatewayRequest req) {
        ObjectNode doc = entry.doc;
        JsonNode api = doc.get("api");
        JsonNode cors = api.get("CorsConfiguration");
        List<String> segments = PathPattern.split(req.path);
        JsonNode stages = doc.get("stages");
        String stageName;
        String path;
        if (!segments.isEmpty() && !segments.get(0).equals("$default") && stages.has(GatewayRequest.decode(segments.get(0)))) {
            stageName = GatewayRequest.decode(segments.get(0));
            path = req.path.substring(req.path.indexOf('/', 1) < 0 ? req.path.length() : req.path.indexOf('/', 1));
        } else if (stages.has("$default")) {
            stageName = "$default";
            path = req.path;
        } else {
            return notFound(req, cors);
        }
        req.stage = stageName;
        if (cors != null && Cors.isPreflight(req)) return Cors.preflight(req, cors);
        JsonNode stage = stages.get(stageName);
        JsonNode deployment = doc.get("deployments").get(stage.path("DeploymentId").asText());
        if (deployment == null) return notFound(req, cors);
        Table table = (Table) entry.derived.computeIfAbsent("http:" + deployment.get("DeploymentId").asText(), k -> compile(deployment.get("_snapshot")));
        List<String> decoded = GatewayRequest.decodedSegments(path);
        Route matched = null;
        Map<String, String> params = null;
        for (Route r : table.routes) {
            if (!r.method.equals("ANY") && !r.method.equals(req.method())) continue;
            params = r.pattern.match(decoded);
            if (params != null) {
                matched = r;
                break;
            }
        }
        if (matched == null && table.fallback != null) {
            matched = table.fallback;
            params = Map.of();
        }
        if (matched == null) return notFound(req, cors);
        req.routeKey = matched.route.get("RouteKey").asText();
        if (!admitted(req, stage, stageName)) {
            HttpResponse res = GatewayRequest.message(429, "{\"message\":\"Too Many Requests\"}");
            res.header("apigw-requestid", req.requestId);
            if (cors != null) Cors.decorate(req, cors, res);
            return res;
        }
        String target = matched.route.path("Target").asText();
        JsonNode integration = table.integrations.get(target.startsWith("integrations/") ? target.substring("integrations/".length()) : target);
        if (integration == null) return notFound(req, cors);
        req.body = ProxyEvents.readBody(req.http, MAX_PAYLOAD);
        HttpResponse res;
        if (req.body == null) {
            res = GatewayRequest.message(413, "{\"message\":\"Request Entity Too Large\"}");
        } else {
            Map<String, String> variables = variables(stage.get("StageVariables"));
            String routeKey = matched.route.get("RouteKey").asText();
            String fullPath = stageName.equals("$default") ? path : req.path;
            ProxyEvents.Route where = new ProxyEvents.Route(matched.pattern == null ? fullPath : matched.pattern.path(), routeKey, stageName,
                    fullPath, fullPath, params, variables, routeKey);
            String authorization = matched.route.path("AuthorizationType").asText("NONE");
            if (authorization.equals("JWT") || authorization.equals("CUSTOM")) {
                HttpAuthorizers.Decision d = authorizers.authorize(doc, matched.route, req, where);
                if (d.refusal() != null) {
                    d.refusal().header("apigw-requestid", req.requestId);
                    if (cors != null) Cors.decorate(req, cors, d.refusal());
                    return d.refusal();
                }
                req.authorizer = d.authorizer();
            }
            long started = System.nanoTime();
            res = integrate(doc, integration, req, where, path);
            req.integrationNanos = System.nanoTime() - started;
        }
        res.header("apigw-requestid", req.requestId);
        if (cors != null) Cors.decorate(req, cors, res);
        return res;
    }

    /** The stage's throttling (the route's settings, else the stage's defaults): a token bucket per route. */
    private boolean admitted(GatewayRequest req, JsonNode stage, String stageName) {
        JsonNode settings = stage.path("RouteSettings").path(req.routeKey);
        if (!settings.has("ThrottlingRateLimit")) settings = stage.path("DefaultRouteSettings");
        if (!settings.has("ThrottlingRateLimit")) return true;
        return throttles.take(req.apiId + "/" + stageName + "/" + req.routeKey, settings.path("ThrottlingRateLimit").asDouble(),
                settings.path("ThrottlingBurstLimit").asDouble(1));
    }

    /** The integration's answer; {@code path} is the request path below the stage, for parameter mappings. */
    private HttpResponse integrate(ObjectNode doc, JsonNode integration, GatewayRequest req, ProxyEvents.Route where, String path) {
        String type = integration.path("IntegrationType").asText();
        String uri = substitute(integration.path("IntegrationUri").asText(), where.stageVariables());
        int timeout = integration.path("TimeoutInMillis").asInt(30000);
        JsonNode requestParameters = integration.get("RequestParameters");
        JsonNode responseParameters = integration.get("ResponseParameters");
        Function<String, String> context = requestParameters == null && responseParameters == null ? null : context(req, where);
        ParameterMapping.Mapped mapped = requestParameters == null || requestParameters.isEmpty() ? null
                : ParameterMapping.request(requestParameters, req, path, where.pathParameters(), where.stageVariables(), context);
        try {
            HttpResponse res;
            if (type.equals("AWS_PROXY")) {
                if (mapped != null) {
                    req.headers.clear();
                    req.headers.addAll(mapped.headers());
                    req.rawQuery = mapped.rawQuery();
                    if (mapped.path() != null) {
                        where = new ProxyEvents.Route(where.resourcePath(), where.resourceId(), where.stage(), mapped.path(), where.contextPath(),
                                where.pathParameters(), where.stageVariables(), where.routeKey());
                    }
                }
                String account = doc.get("_account").asText();
                boolean v2 = "2.0".equals(integration.path("PayloadFormatVersion").asText());
                ObjectNode event = v2 ? ProxyEvents.v2(req, account, where) : ProxyEvents.v1(req, account, "1.0", where, ProxyEvents.base64(req));
                LambdaCall.Result r = lambda.invoke(account, doc.get("_region").asText(), uri, Values.JSON.writeValueAsBytes(event), timeout);
                if (r.functionError() != null) return internalError();
                res = v2 ? ProxyEvents.responseV2(r.payload()) : ProxyEvents.response(r.payload(), true);
            } else if (type.equals("HTTP_PROXY")) {
                String method = integration.path("IntegrationMethod").asText("ANY");
                String url = pathParameters(uri, where.pathParameters());
                List<Map.Entry<String, String>> headers = req.headers;
                String query = req.http.rawQuery;
                if (mapped != null) {
                    headers = mapped.headers();
                    query = mapped.rawQuery();
                    if (mapped.path() != null) {
                        // overwrite:path replaces the integration URL's path.
                        URI target = URI.create(url);
                        url = target.getScheme() + "://" + target.getRawAuthority() + mapped.path();
                    }
                }
                if (!query.isEmpty()) url += (url.contains("?") ? "&" : "?") + query;
                res = http.send(method.equals("ANY") ? req.method() : method, url, headers, req.body, timeout);
            } else {
                LOG.info(() -> "HTTP API " + req.apiId + ": integration type " + type + " is not served");
                return internalError();
            }
            if (responseParameters != null) ParameterMapping.response(responseParameters, res, where.stageVariables(), context);
            return res;
        } catch (ProxyEvents.Malformed e) {
            req.errorMessage = "Malformed Lambda proxy response";
            LOG.info(() -> "HTTP API " + req.apiId + ": malformed Lambda proxy response: " + e.getMessage());
            return internalError();
        } catch (TimeoutException e) {
            return GatewayRequest.message(503, "{\"message\":\"Service Unavailable\"}");
        } catch (IOException e) {
            if (HttpForward.isTimeout(e)) return GatewayRequest.message(503, "{\"message\":\"Service Unavailable\"}");
            return internalError();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return internalError();
        } catch (AwsException e) {
            LOG.info(() -> "HTTP API " + req.apiId + ": integration failed: " + e.code() + " " + e.getMessage());
            return internalError();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "HTTP API " + req.apiId + ": integration failed", e);
            return internalError();
        }
    }

    /** $context variables for parameter mappings. */
    private static Function<String, String> context(GatewayRequest req, ProxyEvents.Route where) {
        return name -> switch (name) {
            case "requestId", "extendedRequestId" -> req.requestId;
            case "apiId", "domainPrefix" -> req.apiId;
            case "stage" -> req.stage;
            case "routeKey" -> req.routeKey;
            case "domainName" -> req.domainName;
            case "httpMethod" -> req.method();
            case "path" -> where.contextPath();
            case "protocol" -> "HTTP/1.1";
            case "identity.sourceIp" -> req.sourceIp();
            case "identity.userAgent" -> req.header("User-Agent");
            case "requestTime" -> req.requestTime();
            case "requestTimeEpoch" -> Long.toString(req.time.toEpochMilli());
            default -> authorizerValue(req, name);
        };
    }

    /** $context.authorizer.claims.x (JWT) and $context.authorizer.x (Lambda authorizer context). */
    private static String authorizerValue(GatewayRequest req, String name) {
        if (req.authorizer == null || !name.startsWith("authorizer.")) return null;
        String rest = name.substring("authorizer.".length());
        JsonNode v = rest.startsWith("claims.") ? req.authorizer.path("jwt").path("claims").path(rest.substring("claims.".length()))
                : req.authorizer.path("lambda").path(rest);
        return v.isMissingNode() || v.isNull() ? null : v.asText();
    }

    private static Table compile(JsonNode snapshot) {
        List<Route> routes = new ArrayList<>();
        Route fallback = null;
        for (JsonNode r : snapshot.get("routes")) {
            String key = r.get("RouteKey").asText();
            if (key.equals("$default")) {
                fallback = new Route("ANY", null, (ObjectNode) r);
                continue;
            }
            int space = key.indexOf(' ');
            routes.add(new Route(key.substring(0, space), PathPattern.of(key.substring(space + 1)), (ObjectNode) r));
        }
        routes.sort(Comparator.<Route, PathPattern>comparing(r -> r.pattern, PathPattern::compareSpecificity)
                .thenComparing(r -> r.method.equals("ANY")));
        return new Table(routes, fallback, snapshot.get("integrations"));
    }

    static Map<String, String> variables(JsonNode map) {
        Map<String, String> out = new LinkedHashMap<>();
        if (map != null) for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /** ${stageVariables.name} in an integration URI. */
    static String substitute(String uri, Map<String, String> variables) {
        if (uri.indexOf("${") < 0) return uri;
        Matcher m = STAGE_VARIABLE.matcher(uri);
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(variables.getOrDefault(m.group(1), "")));
        m.appendTail(out);
        return out.toString();
    }

    /** {name} and {name+} in an HTTP integration URI, from the route's path parameters. */
    static String pathParameters(String uri, Map<String, String> params) {
        String out = uri;
        for (Map.Entry<String, String> p : params.entrySet()) {
            out = out.replace("{" + p.getKey() + "+}", p.getValue()).replace("{" + p.getKey() + "}", p.getValue());
        }
        return out;
    }

    private static HttpResponse notFound(GatewayRequest req, JsonNode cors) {
        HttpResponse res = GatewayRequest.message(404, "{\"message\":\"Not Found\"}");
        res.header("apigw-requestid", req.requestId);
        if (cors != null) Cors.decorate(req, cors, res);
        return res;
    }

    private static HttpResponse internalError() {
        return GatewayRequest.message(500, "{\"message\":\"Internal Server Error\"}");
    }
}
