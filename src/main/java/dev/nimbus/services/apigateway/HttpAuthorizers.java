package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Lazy;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * HTTP APIs' authorizers. JWT: a bearer token signed with one of the issuer's keys (RS256; the JWKS
 * found through the issuer's /.well-known/openid-configuration and cached), from that issuer, for
 * one of the audiences, not expired, with one of the route's scopes. Lambda (REQUEST): the function
 * answers {isAuthorized, context} (simple responses) or an IAM policy, cached by identity for the TTL.
 */
final class HttpAuthorizers {
    private static final Logger LOG = Logger.getLogger(HttpAuthorizers.class.getName());
    private static final long JWKS_TTL_MILLIS = 3_600_000;

    /** Null refusal: the request goes on, with the authorizer's part of requestContext.authorizer. */
    record Decision(HttpResponse refusal, ObjectNode authorizer) {}

    private record Keys(long fetchedAt, Map<String, PublicKey> byKid) {}

    private record Cached(long expiresAt, Decision decision) {}

    private final LambdaCall lambda;
    private final Lazy<HttpClient> http = new Lazy<>(() -> HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    private final Map<String, Keys> jwks = new ConcurrentHashMap<>();
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    HttpAuthorizers(LambdaCall lambda) {
        this.lambda = lambda;
    }

    Decision authorize(ObjectNode doc, JsonNode route, GatewayRequest req, ProxyEvents.Route where) {
        JsonNode authorizer = doc.path("authorizers").get(route.path("AuthorizerId").asText());
        if (authorizer == null) return refuse(500, "Internal Server Error");
        List<String> identity = new ArrayList<>();
        for (JsonNode source : authorizer.path("IdentitySource")) {
            String value = identityValue(source.asText(), req, where);
            if (value == null || value.isEmpty()) return refuse(401, "Unauthorized");
            identity.add(value);
        }
        return switch (authorizer.path("AuthorizerType").asText()) {
            case "JWT" -> jwt(authorizer, route, identity.isEmpty() ? null : identity.get(0));
            case "REQUEST" -> lambda(doc, authorizer, req, where, identity);
            default -> refuse(500, "Internal Server Error");
        };
    }

    private static String identityValue(String source, GatewayRequest req, ProxyEvents.Route where) {
        if (source.startsWith("$request.header.")) return req.header(source.substring("$request.header.".length()));
        if (source.startsWith("$request.querystring.")) return req.http.queryParam(source.substring("$request.querystring.".length()));
        if (source.startsWith("$stageVariables.")) return where.stageVariables().get(source.substring("$stageVariables.".length()));
        if (source.equals("$context.identity.sourceIp")) return req.sourceIp();
        return null;
    }

    private Decision jwt(JsonNode authorizer, JsonNode route, String header) {
        if (header == null) return refuse(401, "Unauthorized");
        String token = header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : header.trim();
        String[] parts = token.split("\\.");
        if (parts.length != 3) return refuse(401, "Unauthorized");
        JsonNode head;
        JsonNode claims;
        try {
            Base64.Decoder b64 = Base64.getUrlDecoder();
            head = Values.JSON.readTree(b64.decode(parts[0]));
            claims = Values.JSON.readTree(b64.decode(parts[1]));
            if (!"RS256".equals(head.path("alg").asText())) return refuse(401, "Unauthorized");
            String issuer = authorizer.path("JwtConfiguration").path("Issuer").asText();
            PublicKey key = key(issuer, head.path("kid").asText());
            if (key == null) return refuse(401, "Unauthorized");
            Signature verifier = Signature.getInstance("SHA256withRSA");
            verifier.initVerify(key);
            verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!verifier.verify(b64.decode(parts[2]))) return refuse(401, "Unauthorized");
            long now = System.currentTimeMillis() / 1000;
            if (!issuer.equals(claims.path("iss").asText())) return refuse(401, "Unauthorized");
            if (!claims.has("exp") || claims.path("exp").asLong() <= now || claims.path("nbf").asLong(0) > now) return refuse(401, "Unauthorized");
            if (!audienceMatches(authorizer.path("JwtConfiguration").path("Audience"), claims)) return refuse(401, "Unauthorized");
        } catch (IOException | IllegalArgumentException | GeneralSecurityException e) {
            return refuse(401, "Unauthorized");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return refuse(401, "Unauthorized");
        }
        List<String> scopes = new ArrayList<>();
        for (String claim : List.of("scope", "scp")) {
            JsonNode s = claims.get(claim);
            if (s == null) continue;
            if (s.isArray()) s.forEach(x -> scopes.add(x.asText()));
            else for (String x : s.asText().split(" ")) if (!x.isEmpty()) scopes.add(x);
        }
        JsonNode required = route.path("AuthorizationScopes");
        if (required.size() > 0) {
            boolean any = false;
            for (JsonNode r : required) any |= scopes.contains(r.asText());
            if (!any) return refuse(403, "Forbidden");
        }
        ObjectNode out = Values.object();
        ObjectNode jwt = out.putObject("jwt");
        ObjectNode claimStrings = jwt.putObject("claims");
        claims.fields().forEachRemaining(e -> claimStrings.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
        if (scopes.isEmpty()) jwt.putNull("scopes");
        else {
            ArrayNode list = jwt.putArray("scopes");
            scopes.forEach(list::add);
        }
        return new Decision(null, out);
    }

    private static boolean audienceMatches(JsonNode audiences, JsonNode claims) {
        List<String> tokenAud = new ArrayList<>();
        JsonNode aud = claims.get("aud");
        if (aud != null && aud.isArray()) aud.forEach(a -> tokenAud.add(a.asText()));
        else if (aud != null) tokenAud.add(aud.asText());
        // Access tokens without aud (Cognito's) are checked by client_id.
        if (tokenAud.isEmpty() && claims.has("client_id")) tokenAud.add(claims.get("client_id").asText());
        for (JsonNode a : audiences) if (tokenAud.contains(a.asText())) return true;
        return false;
    }

    /** The issuer's signing key by id, from its JWKS (fetched again when the key is unknown or the copy is an hour old). */
    private PublicKey key(String issuer, String kid) throws IOException, InterruptedException, GeneralSecurityException {
        Keys keys = jwks.get(issuer);
        if (keys == null || !keys.byKid.containsKey(kid) || System.currentTimeMillis() - keys.fetchedAt > JWKS_TTL_MILLIS) {
            JsonNode config = get(issuer.replaceAll("/$", "") + "/.well-known/openid-configuration");
            JsonNode set = get(config.path("jwks_uri").asText());
            Map<String, PublicKey> byKid = new ConcurrentHashMap<>();
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            for (JsonNode k : set.path("keys")) {
                if (!"RSA".equals(k.path("kty").asText())) continue;
                BigInteger n = new BigInteger(1, Base64.getUrlDecoder().decode(k.path("n").asText()));
                BigInteger e = new BigInteger(1, Base64.getUrlDecoder().decode(k.path("e").asText()));
                byKid.put(k.path("kid").asText(), rsa.generatePublic(new RSAPublicKeySpec(n, e)));
            }
            keys = new Keys(System.currentTimeMillis(), byKid);
            jwks.put(issuer, keys);
        }
        return keys.byKid.get(kid);
    }

    private JsonNode get(String url) throws IOException, InterruptedException {
        var r = http.get().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) throw new IOException(url + " answered " + r.statusCode());
        return Values.JSON.readTree(r.body());
    }

    private Decision lambda(ObjectNode doc, JsonNode authorizer, GatewayRequest req, ProxyEvents.Route where, List<String> identity) {
        int ttl = authorizer.path("AuthorizerResultTtlInSeconds").asInt(0);
        String key = req.apiId + "/" + authorizer.path("AuthorizerId").asText() + "/" + String.join("\u0000", identity);
        Cached cached = ttl > 0 && !identity.isEmpty() ? cache.get(key) : null;
        if (cached != null && cached.expiresAt > System.currentTimeMillis()) return cached.decision;
        String account = doc.path("_account").asText();
        String routeArn = "arn:aws:execute-api:" + doc.path("_region").asText() + ":" + account + ":" + req.apiId + "/" + where.stage() + "/"
                + req.method() + where.contextPath().substring(where.stage().equals("$default") ? 0 : where.stage().length() + 1);
        boolean v2 = "2.0".equals(authorizer.path("AuthorizerPayloadFormatVersion").asText("2.0"));
        ObjectNode event = v2 ? ProxyEvents.v2(req, account, where) : ProxyEvents.v1(req, account, "1.0", where, false);
        event.remove("body");
        event.remove("isBase64Encoded");
        event.put("type", "REQUEST").put(v2 ? "routeArn" : "methodArn", routeArn);
        ArrayNode sources = Values.array();
        identity.forEach(sources::add);
        if (v2) event.set("identitySource", sources);
        else event.put("identitySource", String.join(",", identity));
        LambdaCall.Result r;
        JsonNode out;
        try {
            r = lambda.invoke(account, doc.path("_region").asText(), authorizer.path("AuthorizerUri").asText(), Values.JSON.writeValueAsBytes(event), 10_000);
            out = Values.JSON.readTree(r.payload());
        } catch (TimeoutException | IOException | AwsException e) {
            LOG.info(() -> "HTTP API " + req.apiId + ": authorizer failed: " + e.getMessage());
            return refuse(500, "Internal Server Error");
        }
        if (r.functionError() != null || out == null) return refuse(500, "Internal Server Error");
        boolean allowed;
        JsonNode context;
        if (v2 && authorizer.path("EnableSimpleResponses").asBoolean(false)) {
            allowed = out.path("isAuthorized").asBoolean(false);
            context = out.get("context");
        } else {
            allowed = out.path("policyDocument").isObject() && Authorizers.allows(out.get("policyDocument"), routeArn);
            context = out.get("context");
        }
        Decision d;
        if (!allowed) {
            d = refuse(403, "Forbidden");
        } else {
            ObjectNode a = Values.object();
            ObjectNode lambdaContext = a.putObject("lambda");
            if (context != null && context.isObject()) lambdaContext.setAll((ObjectNode) context);
            if (out.has("principalId")) a.put("principalId", out.get("principalId").asText());
            d = new Decision(null, a);
        }
        if (ttl > 0 && !identity.isEmpty()) cache.put(key, new Cached(System.currentTimeMillis() + ttl * 1000L, d));
        return d;
    }

    private static Decision refuse(int status, String message) {
        return new Decision(GatewayRequest.message(status, "{\"message\":\"" + message + "\"}"), null);
    }
}
