package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.WebSocketDoor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * WebSocket APIs' data plane: connections through {@code ws://{apiId}.execute-api.localhost:4566/{stage}}
 * (and the path-style URL), their $connect / $disconnect / custom / $default routes to Lambda (the
 * route chosen by the API's route selection expression over the message's JSON body), replies for
 * two-way routes, and the @connections management API functions use to push to clients:
 * {@code POST|GET|DELETE /{stage}/@connections/{connectionId}} on the same URLs.
 */
final class WebSocketGateway implements WebSocketDoor, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WebSocketGateway.class.getName());
    /** PostToConnection's limit on one message, as API Gateway's frames. */
    static final int MAX_POST = 128 * 1024;
    private static final String BODY_SELECTION = "$request.body.";

    private final ApiStore apis;
    private final LambdaCall lambda;
    private final Templates templates;
    private final Clock clock;
    private final Connections connections = new Connections();

    WebSocketGateway(ApiStore apis, LambdaCall lambda, Templates templates, Clock clock) {
        this.apis = apis;
        this.lambda = lambda;
        this.templates = templates;
        this.clock = clock;
    }

    /** A stage's deployed routes (by route key), integrations and route responses (by route id). */
    private record Deployed(ObjectNode doc, String stage, JsonNode routes, JsonNode integrations, JsonNode routeResponses, JsonNode integrationResponses) {
        JsonNode route(String key) {
            for (JsonNode r : routes) if (r.path("RouteKey").asText().equals(key)) return r;
            return null;
        }
    }

    /** What an integration answered: whether it succeeded (a function error or a timeout did not), its status and body. */
    private record Outcome(boolean failed, int status, String body) {}

    @Override
    public Answer open(HttpRequest request) {
        ApiGateway.Target target = ApiGateway.locate(request);
        if (target == null) return null;
        ApiStore.Entry entry = apis.get(target.apiId());
        if (entry == null || !"WEBSOCKET".equals(entry.doc.path("_kind").asText())) return null;
        Instant now = clock.instant();
        GatewayRequest req = new GatewayRequest(request, target.apiId(), target.path(), target.domain(), Connections.id(), now);
        List<String> segments = GatewayRequest.decodedSegments(req.path);
        Deployed stage = segments.isEmpty() ? null : deployed(entry.doc, segments.get(0));
        if (stage == null) return new Answer(null, GatewayRequest.message(403, "{\"message\":\"Forbidden\"}"));
        String userAgent = request.header("User-Agent");
        Connections.Connection c = new Connections.Connection(Connections.id(), target.apiId(), stage.stage(), target.domain(),
                req.sourceIp(), userAgent == null ? "" : userAgent, now);
        JsonNode route = stage.route("$connect");
        if (route != null) {
            ObjectNode event = Values.object();
            ProxyEvents.headersAndQuery(event, req);
            event.set("requestContext", context(c, "$connect", "CONNECT", req.requestId, now));
            event.put("isBase64Encoded", false);
            Outcome out = integrate(stage, route, event);
            // A $connect route that fails or answers other than 2xx refuses the connection.
            if (out.failed()) return new Answer(null, GatewayRequest.message(out.status(), "{\"message\": \"Internal server error\"}"));
            if (out.status() < 200 || out.status() > 299) {
                HttpResponse refusal = new HttpResponse();
                refusal.status = out.status();
                return new Answer(null, out.body() == null ? refusal : refusal.body("application/json", out.body().getBytes(StandardCharsets.UTF_8)));
            }
        }
        return new Answer(new Session(c), null);
    }

    /** The stage's current deployment, or null when the API has no such stage (or it is not deployed). */
    private static Deployed deployed(ObjectNode doc, String stageName) {
        JsonNode stage = doc.path("stages").get(stageName);
        if (stage == null) return null;
        JsonNode deployment = doc.path("deployments").get(stage.path("DeploymentId").asText());
        if (deployment == null) return null;
        JsonNode snapshot = deployment.get("_snapshot");
        return new Deployed(doc, stageName, snapshot.get("routes"), snapshot.get("integrations"), snapshot.path("routeResponses"),
                snapshot.path("integrationResponses"));
    }

    /** One accepted connection's messages and end. */
    private final class Session implements WebSocketDoor.Session {
        private final Connections.Connection c;

        Session(Connections.Connection c) {
            this.c = c;
        }

        @Override
        public void opened(Peer peer) {
            c.peer = peer;
            connections.add(c);
        }

        @Override
        public void message(String text, byte[] binary) {
            Instant now = clock.instant();
            c.lastActiveAt = now;
            String requestId = Connections.id();
            ApiStore.Entry entry = apis.get(c.apiId);
            Deployed stage = entry == null ? null : deployed(entry.doc, c.stage);
            JsonNode route = stage == null ? null : stage.route(routeKey(entry.doc.path("api").path("RouteSelectionExpression").asText(), text));
            if (route == null && stage != null) route = stage.route("$default");
            if (route == null) {
                c.peer.sendText(errorFrame("Forbidden", c.id, requestId));
                return;
            }
            ObjectNode event = Values.object();
            ObjectNode context = context(c, route.get("RouteKey").asText(), "MESSAGE", requestId, now);
            context.put("messageId", Connections.id());
            event.set("requestContext", context);
            event.put("body", text != null ? text : Base64.getEncoder().encodeToString(binary));
            event.put("isBase64Encoded", text == null);
            Outcome out = integrate(stage, route, event);
            if (out.failed()) {
                c.peer.sendText(errorFrame("Internal server error", c.id, requestId));
            } else if (twoWay(stage, route) && out.body() != null) {
                c.peer.sendText(out.body());
            }
        }

        @Override
        public void closed(int code, String reason) {
            connections.remove(c);
            ApiStore.Entry entry = apis.get(c.apiId);
            Deployed stage = entry == null ? null : deployed(entry.doc, c.stage);
            JsonNode route = stage == null ? null : stage.route("$disconnect");
            if (route == null) return;
            Instant now = clock.instant();
            ObjectNode event = Values.object();
            // What API Gateway puts in a $disconnect event's headers: the host, and two it leaves empty.
            ObjectNode headers = event.putObject("headers").put("Host", c.domainName).put("x-api-key", "").put("X-Forwarded-For", "").put("x-restapi", "");
            ObjectNode multi = event.putObject("multiValueHeaders");
            headers.fields().forEachRemaining(h -> multi.putArray(h.getKey()).add(h.getValue()));
            ObjectNode context = context(c, "$disconnect", "DISCONNECT", Connections.id(), now);
            context.put("disconnectStatusCode", code).put("disconnectReason", reason);
            event.set("requestContext", context);
            event.put("isBase64Encoded", false);
            integrate(stage, route, event);
        }
    }

    /** What a selection expression picks from a message: {@code $request.body.path.to.key} over a JSON body, else null. */
    private static String routeKey(String expression, String text) {
        if (text == null || !expression.startsWith(BODY_SELECTION)) return null;
        JsonNode body;
        try {
            body = Values.JSON.readTree(text);
        } catch (IOException e) {
            return null;
        }
        for (String name : expression.substring(BODY_SELECTION.length()).split("\\.")) body = body == null ? null : body.get(name);
        return body != null && body.isValueNode() ? body.asText() : null;
    }

    /** A route answers the client when it has a route response selection expression and a route response ($default, say). */
    private static boolean twoWay(Deployed stage, JsonNode route) {
        if (!route.hasNonNull("RouteResponseSelectionExpression")) return false;
        JsonNode responses = stage.routeResponses().get(route.get("RouteId").asText());
        return responses != null && !responses.isEmpty();
    }

    /** Invokes the route's integration (Lambda proxy); what cannot be served is a failure, logged. */
    private Outcome integrate(Deployed stage, JsonNode route, ObjectNode event) {
        JsonNode integration = stage.integrations().get(route.path("Target").asText().replaceFirst("^integrations/", ""));
        ObjectNode doc = stage.doc();
        String apiId = doc.path("api").path("ApiId").asText();
        String type = integration == null ? "" : integration.path("IntegrationType").asText();
        if (!type.equals("AWS_PROXY") && !type.equals("MOCK")) {
            LOG.info(() -> "WebSocket API " + apiId + ": route " + route.path("RouteKey").asText() + " has no Lambda proxy or MOCK integration");
            return new Outcome(true, 500, null);
        }
        Map<String, String> variables = HttpGateway.variables(doc.path("stages").path(stage.stage()).get("StageVariables"));
        try {
            if (type.equals("MOCK")) return mock(stage, integration, event, variables);
            String uri = HttpGateway.substitute(integration.path("IntegrationUri").asText(), variables);
            LambdaCall.Result r = lambda.invoke(doc.get("_account").asText(), doc.get("_region").asText(), uri,
                    Values.JSON.writeValueAsBytes(event), integration.path("TimeoutInMillis").asInt(29000));
            if (r.functionError() != null) return new Outcome(true, 502, null);
            JsonNode out = r.payload().length == 0 ? null : Values.JSON.readTree(r.payload());
            if (out == null || out.isNull()) return new Outcome(false, 200, null);
            // A proxy response ({statusCode, body}) or any other JSON value, which is the reply as it is.
            if (out.isObject() && (out.has("statusCode") || out.has("body"))) {
                JsonNode body = out.get("body");
                return new Outcome(false, out.path("statusCode").asInt(200), body == null || body.isNull() ? null : body.isTextual() ? body.asText() : body.toString());
            }
            return new Outcome(false, 200, out.isTextual() ? out.asText() : out.toString());
        } catch (TimeoutException e) {
            return new Outcome(true, 504, null);
        } catch (IOException e) {
            return new Outcome(true, 502, null);
        } catch (AwsException e) {
            LOG.info(() -> "WebSocket API " + apiId + ": integration failed: " + e.code() + " " + e.getMessage());
            return new Outcome(true, 500, null);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "WebSocket API " + apiId + ": integration failed", e);
            return new Outcome(true, 500, null);
        }
    }

    /**
     * A MOCK integration: its request template (chosen by the template selection expression) gives the
     * status code ({"statusCode": 200} when it has none), and the integration response that status
     * selects gives the reply, from its response template.
     */
    private Outcome mock(Deployed stage, JsonNode integration, ObjectNode event, Map<String, String> variables) {
        String body = event.path("body").asText("");
        Map<String, Object> context = Values.JSON.convertValue(event.get("requestContext"), new TypeReference<Map<String, Object>>() {});
        JsonNode requestTemplate = template(integration.path("RequestTemplates"), integration.path("TemplateSelectionExpression").asText(), body);
        String request = requestTemplate == null ? "" : templates.render(requestTemplate.asText(), input(body), context, variables);
        int status = 200;
        try {
            JsonNode parsed = request.isBlank() ? null : Values.JSON.readTree(request);
            if (parsed != null && parsed.path("statusCode").canConvertToInt()) status = parsed.path("statusCode").asInt();
        } catch (IOException e) {
            // not JSON: no status in it
        }
        JsonNode chosen = null;
        JsonNode responses = stage.integrationResponses().path(integration.path("IntegrationId").asText());
        for (JsonNode r : responses) {
            String key = r.path("IntegrationResponseKey").asText();
            if (key.equals("$default") && chosen == null) chosen = r;
            else if (key.length() > 1 && key.startsWith("/") && key.endsWith("/") && Integer.toString(status).matches(key.substring(1, key.length() - 1))) chosen = r;
        }
        if (chosen == null) return new Outcome(false, status, null);
        JsonNode responseTemplate = template(chosen.path("ResponseTemplates"), chosen.path("TemplateSelectionExpression").asText(), body);
        return new Outcome(false, status, responseTemplate == null ? null : templates.render(responseTemplate.asText(), input(""), context, variables));
    }

    /** The template a selection expression picks ("\$default", or $request.body.x), else the $default one, else the only one. */
    private static JsonNode template(JsonNode templates, String expression, String body) {
        if (templates.isEmpty()) return null;
        String key = expression.startsWith(BODY_SELECTION) ? routeKey(expression, body) : expression.replace("\\", "");
        JsonNode t = key == null ? null : templates.get(key);
        if (t == null) t = templates.get("$default");
        if (t == null && templates.size() == 1) t = templates.elements().next();
        return t;
    }

    private static Templates.Input input(String body) {
        return new Templates.Input(body, Map.of(), Map.of(), Map.of());
    }

    private static ObjectNode context(Connections.Connection c, String routeKey, String eventType, String requestId, Instant now) {
        ObjectNode ctx = Values.object()
                .put("routeKey", routeKey)
                .put("eventType", eventType)
                .put("extendedRequestId", requestId)
                .put("requestTime", GatewayRequest.REQUEST_TIME.format(now))
                .put("messageDirection", "IN")
                .put("stage", c.stage)
                .put("connectedAt", c.connectedAt.toEpochMilli())
                .put("requestTimeEpoch", now.toEpochMilli())
                .put("requestId", requestId)
                .put("domainName", c.domainName)
                .put("connectionId", c.id)
                .put("apiId", c.apiId);
        ctx.putObject("identity").put("sourceIp", c.sourceIp).put("userAgent", c.userAgent);
        return ctx;
    }

    /** API Gateway's error message to a client, as a frame. */
    private static String errorFrame(String message, String connectionId, String requestId) {
        return "{\"message\": \"" + message + "\", \"connectionId\":\"" + connectionId + "\", \"requestId\":\"" + requestId + "\"}";
    }

    /**
     * The @connections API (apigatewaymanagementapi, rest-json) on a WebSocket API's invoke URL:
     * PostToConnection, GetConnection, DeleteConnection. Anything else on the URL is refused as AWS does.
     */
    HttpResponse serve(ApiStore.Entry entry, GatewayRequest req) {
        List<String> segments = GatewayRequest.decodedSegments(req.path);
        if (segments.size() != 3 || !segments.get(1).equals("@connections")) return GatewayRequest.message(403, "{\"message\":\"Forbidden\"}");
        req.stage = segments.get(0);
        Connections.Connection c = connections.get(req.apiId, segments.get(0), segments.get(2));
        switch (req.method()) {
            case "POST" -> {
                byte[] data = ProxyEvents.readBody(req.http, MAX_POST);
                if (data == null) return error(413, "PayloadTooLargeException", "{\"message\":\"Message too long\"}");
                if (c == null || !c.peer.sendText(new String(data, StandardCharsets.UTF_8))) return gone();
                return new HttpResponse();
            }
            case "GET" -> {
                if (c == null) return gone();
                ObjectNode out = Values.object().put("connectedAt", iso(c.connectedAt)).put("lastActiveAt", iso(c.lastActiveAt));
                out.putObject("identity").put("sourceIp", c.sourceIp).put("userAgent", c.userAgent);
                return new HttpResponse().body("application/json", out.toString().getBytes(StandardCharsets.UTF_8));
            }
            case "DELETE" -> {
                if (c == null) return gone();
                // Gone at once, as in AWS: the closing handshake (then $disconnect) finishes after this answer.
                connections.remove(c);
                c.peer.close(1000, "");
                HttpResponse res = new HttpResponse();
                res.status = 204;
                return res;
            }
            default -> {
                return GatewayRequest.message(403, "{\"message\":\"Forbidden\"}");
            }
        }
    }

    /** AWS answers a gone connection with the error type header and no body at all (SDKs report the message as null). */
    private static HttpResponse gone() {
        HttpResponse res = new HttpResponse();
        res.status = 410;
        res.header("x-amzn-ErrorType", "GoneException");
        return res;
    }

    private static HttpResponse error(int status, String type, String body) {
        HttpResponse res = GatewayRequest.message(status, body);
        res.header("x-amzn-ErrorType", type);
        return res;
    }

    private static String iso(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.MILLIS));
    }

    /** The server is stopping: every connection closes (and its $disconnect route runs). */
    @Override
    public void close() {
        connections.closeAll();
    }
}
