package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * REST APIs' Lambda authorizers (TOKEN and REQUEST): the identity source is read from the request,
 * the authorizer function called (its answer cached for the authorizer's TTL, keyed by that
 * identity), and the returned policy evaluated against the method's ARN: an explicit Deny wins, an
 * Allow is needed.
 */
final class Authorizers {
    private static final Logger LOG = Logger.getLogger(Authorizers.class.getName());

    /** The outcome: either a refusal to send, or the authorizer's context for the integration. */
    record Decision(HttpResponse refusal, ObjectNode context) {}

    private record Cached(long expiresAt, String principalId, JsonNode policy, JsonNode context) {}

    private final LambdaCall lambda;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    Authorizers(LambdaCall lambda) {
        this.lambda = lambda;
    }

    /** Authorizes a request to a method whose authorizationType is CUSTOM. */
    Decision authorize(ObjectNode doc, JsonNode authorizer, GatewayRequest req, ProxyEvents.Route where, String methodArn) {
        if (authorizer == null) return new Decision(GatewayResponses.of(req, "AUTHORIZER_CONFIGURATION_ERROR"), null);
        String type = authorizer.path("type").asText();
        if (!type.equals("TOKEN") && !type.equals("REQUEST")) {
            LOG.info(() -> "REST API " + req.apiId + ": authorizer type " + type + " is not served (Lambda authorizers are)");
            return new Decision(GatewayResponses.of(req, "AUTHORIZER_CONFIGURATION_ERROR"), null);
        }
        List<String> identity = new ArrayList<>();
        for (String source : authorizer.path("identitySource").asText(type.equals("TOKEN") ? "method.request.header.Authorization" : "").split(",")) {
            String s = source.trim();
            if (s.isEmpty()) continue;
            String value = identityValue(s, req, where);
            if (value == null || value.isEmpty()) return new Decision(GatewayResponses.of(req, "UNAUTHORIZED"), null);
            identity.add(value);
        }
        if (type.equals("TOKEN")) {
            String expression = authorizer.path("identityValidationExpression").asText("");
            if (!expression.isEmpty() && !identity.isEmpty() && !Pattern.compile(expression).matcher(identity.get(0)).matches()) {
                return new Decision(GatewayResponses.of(req, "UNAUTHORIZED"), null);
            }
        }
        int ttl = authorizer.path("authorizerResultTtlInSeconds").asInt(300);
        String key = req.apiId + "/" + authorizer.path("id").asText() + "/" + String.join("\u0000", identity);
        Cached result = ttl > 0 && !identity.isEmpty() ? cache.get(key) : null;
        if (result == null || result.expiresAt < System.currentTimeMillis()) {
            ObjectNode event;
            if (type.equals("TOKEN")) {
                event = Values.object().put("type", "TOKEN").put("authorizationToken", identity.isEmpty() ? "" : identity.get(0)).put("methodArn", methodArn);
            } else {
                event = ProxyEvents.v1(req, doc.path("_account").asText(), null, where, false);
                event.remove("body");
                event.remove("isBase64Encoded");
                event.put("type", "REQUEST").put("methodArn", methodArn);
            }
            LambdaCall.Result r;
            try {
                r = lambda.invoke(doc.path("_account").asText(), doc.path("_region").asText(), authorizer.path("authorizerUri").asText(),
                        Values.JSON.writeValueAsBytes(event), 30_000);
            } catch (TimeoutException | IOException | AwsException e) {
                LOG.info(() -> "REST API " + req.apiId + ": authorizer failed: " + e.getMessage());
                return new Decision(GatewayResponses.of(req, "AUTHORIZER_FAILURE"), null);
            }
            JsonNode out = parse(r.payload());
            if (r.functionError() != null) {
                // A function that fails with the message "Unauthorized" is the documented way to answer 401.
                boolean unauthorized = out != null && "Unauthorized".equals(out.path("errorMessage").asText());
                return new Decision(GatewayResponses.of(req, unauthorized ? "UNAUTHORIZED" : "AUTHORIZER_FAILURE"), null);
            }
            if (out == null || !out.path("policyDocument").isObject()) return new Decision(GatewayResponses.of(req, "AUTHORIZER_CONFIGURATION_ERROR"), null);
            result = new Cached(System.currentTimeMillis() + ttl * 1000L, out.path("principalId").asText(null), out.get("policyDocument"), out.get("context"));
            if (ttl > 0 && !identity.isEmpty()) cache.put(key, result);
        }
        if (!allows(result.policy, methodArn)) return new Decision(GatewayResponses.of(req, "ACCESS_DENIED"), null);
        ObjectNode context = Values.object();
        if (result.principalId != null) context.put("principalId", result.principalId);
        if (result.context != null && result.context.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = result.context.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                // API Gateway passes context values on as strings, numbers and booleans only.
                if (e.getValue().isValueNode()) context.set(e.getKey(), e.getValue());
            }
        }
        return new Decision(null, context);
    }

    private static String identityValue(String source, GatewayRequest req, ProxyEvents.Route where) {
        if (source.startsWith("method.request.header.")) return req.header(source.substring("method.request.header.".length()));
        if (source.startsWith("method.request.querystring.")) return req.http.queryParam(source.substring("method.request.querystring.".length()));
        if (source.startsWith("method.request.path.")) return where.pathParameters().get(source.substring("method.request.path.".length()));
        if (source.startsWith("stageVariables.")) return where.stageVariables().get(source.substring("stageVariables.".length()));
        if (source.startsWith("context.")) {
            return switch (source) {
                case "context.identity.sourceIp" -> req.sourceIp();
                case "context.httpMethod" -> req.method();
                default -> null;
            };
        }
        return null;
    }

    /** IAM-style evaluation of an authorizer's policy for execute-api:Invoke on the method ARN. */
    static boolean allows(JsonNode policy, String methodArn) {
        boolean allowed = false;
        JsonNode statements = policy.path("Statement");
        for (JsonNode s : statements.isArray() ? statements : Values.array().add(statements)) {
            if (!matchesAny(s.get("Action"), "execute-api:Invoke") || !matchesAny(s.get("Resource"), methodArn)) continue;
            String effect = s.path("Effect").asText();
            if (effect.equalsIgnoreCase("Deny")) return false;
            if (effect.equalsIgnoreCase("Allow")) allowed = true;
        }
        return allowed;
    }

    private static boolean matchesAny(JsonNode patterns, String value) {
        if (patterns == null) return false;
        for (JsonNode p : patterns.isArray() ? patterns : Values.array().add(patterns)) {
            if (glob(p.asText(), value)) return true;
        }
        return false;
    }

    /** IAM wildcards: * any run of characters, ? one; case-sensitive but for the action's service prefix. */
    static boolean glob(String pattern, String value) {
        StringBuilder re = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            if (c == '*') re.append(".*");
            else if (c == '?') re.append('.');
            else re.append(Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString(), pattern.startsWith("execute-api:") ? Pattern.CASE_INSENSITIVE : 0).matcher(value).matches();
    }

    private static JsonNode parse(byte[] payload) {
        try {
            return Values.JSON.readTree(new String(payload, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return null;
        }
    }
}
