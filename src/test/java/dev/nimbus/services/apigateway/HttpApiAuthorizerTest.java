package dev.nimbus.services.apigateway;

import static dev.nimbus.services.apigateway.ApiGatewayApi.in;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** HTTP APIs' JWT authorizers (an issuer with its JWKS served here) and Lambda authorizers with simple responses. */
class HttpApiAuthorizerTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static ApiGatewayApi api;
    static HttpServer issuer;
    static KeyPair keys;
    static String issuerUrl;

    static final String CODE = """
            import json
            def auth(event, context):
                ok = event["headers"].get("x-token") == "let-me-in"
                return {"isAuthorized": ok, "context": {"user": "ana", "route": event["routeArn"].split("/", 1)[1]}}
            def echo(event, context):
                return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
            """;

    @BeforeAll
    static void start() throws Exception {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        api = new ApiGatewayApi(nimbus.endpoint());
        for (String handler : List.of("auth", "echo")) {
            lambda.createFunction(b -> b.functionName("v2-" + handler).role("arn:aws:iam::000000000000:role/r").runtime(Runtime.PYTHON3_12)
                    .handler("app." + handler).code(c -> c.zipFile(ApiGatewayApi.zip("app.py", CODE))));
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        keys = g.generateKeyPair();
        issuer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        issuerUrl = "http://127.0.0.1:" + issuer.getAddress().getPort() + "/pool";
        RSAPublicKey pub = (RSAPublicKey) keys.getPublic();
        String jwks = Values.object().set("keys", Values.array().add(Values.object().put("kty", "RSA").put("kid", "k1").put("alg", "RS256")
                .put("n", b64(unsigned(pub.getModulus().toByteArray()))).put("e", b64(unsigned(pub.getPublicExponent().toByteArray()))))).toString();
        serve("/pool/.well-known/openid-configuration", "{\"issuer\":\"" + issuerUrl + "\",\"jwks_uri\":\"" + issuerUrl + "/jwks.json\"}");
        serve("/pool/jwks.json", jwks);
        issuer.start();
    }

    static void serve(String path, String body) {
        issuer.createContext(path, x -> {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
    }

    @AfterAll
    static void stop() {
        issuer.stop(0);
        lambda.close();
        nimbus.close();
    }

    static byte[] unsigned(byte[] b) {
        return b.length > 1 && b[0] == 0 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b;
    }

    static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String token(Map<String, Object> claims) throws Exception {
        String head = b64("{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String body = b64(Values.JSON.writeValueAsBytes(claims));
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(keys.getPrivate());
        s.update((head + "." + body).getBytes(StandardCharsets.US_ASCII));
        return head + "." + body + "." + b64(s.sign());
    }

    @Test
    void jwtAuthorizerChecksSignatureIssuerAudienceExpiryAndScopes() throws Exception {
        String id = api.ok(201, "POST", "/v2/apis", in("name", "jwt", "protocolType", "HTTP")).path("apiId").asText();
        String integration = api.ok(201, "POST", "/v2/apis/" + id + "/integrations", in("integrationType", "AWS_PROXY",
                "integrationUri", "arn:aws:lambda:us-east-1:000000000000:function:v2-echo", "payloadFormatVersion", "2.0")).path("integrationId").asText();
        String auth = api.ok(201, "POST", "/v2/apis/" + id + "/authorizers", in("name", "pool", "authorizerType", "JWT",
                "identitySource", List.of("$request.header.Authorization"), "jwtConfiguration", Map.of("issuer", issuerUrl, "audience", List.of("app")))).path("authorizerId").asText();
        api.ok(201, "POST", "/v2/apis/" + id + "/routes", in("routeKey", "GET /me", "target", "integrations/" + integration,
                "authorizationType", "JWT", "authorizerId", auth));
        api.ok(201, "POST", "/v2/apis/" + id + "/routes", in("routeKey", "GET /admin", "target", "integrations/" + integration,
                "authorizationType", "JWT", "authorizerId", auth, "authorizationScopes", List.of("admin")));
        api.ok(201, "POST", "/v2/apis/" + id + "/stages", in("stageName", "$default", "autoDeploy", true));
        long now = System.currentTimeMillis() / 1000;
        String good = token(Map.of("iss", issuerUrl, "aud", "app", "sub", "u1", "exp", now + 600, "scope", "read write"));

        ApiGatewayApi.Answer ok = api.invoke("GET", "/_aws/execute-api/" + id + "/me", null, "Authorization", "Bearer " + good);
        assertEquals(200, ok.status(), ok.body());
        JsonNode jwt = ok.json().path("jwt");
        assertEquals("u1", jwt.path("claims").path("sub").asText());
        assertEquals("[\"read\",\"write\"]", jwt.path("scopes").toString());

        ApiGatewayApi.Answer none = api.invoke("GET", "/_aws/execute-api/" + id + "/me", null);
        assertEquals(401, none.status());
        assertEquals("{\"message\":\"Unauthorized\"}", none.body());
        String expired = token(Map.of("iss", issuerUrl, "aud", "app", "exp", now - 10));
        assertEquals(401, api.invoke("GET", "/_aws/execute-api/" + id + "/me", null, "Authorization", "Bearer " + expired).status());
        String otherAudience = token(Map.of("iss", issuerUrl, "aud", "other", "exp", now + 600));
        assertEquals(401, api.invoke("GET", "/_aws/execute-api/" + id + "/me", null, "Authorization", "Bearer " + otherAudience).status());
        String tampered = good.substring(0, good.lastIndexOf('.')) + "." + b64(new byte[256]);
        assertEquals(401, api.invoke("GET", "/_aws/execute-api/" + id + "/me", null, "Authorization", "Bearer " + tampered).status());
        ApiGatewayApi.Answer scope = api.invoke("GET", "/_aws/execute-api/" + id + "/admin", null, "Authorization", "Bearer " + good);
        assertEquals(403, scope.status());
        assertEquals("{\"message\":\"Forbidden\"}", scope.body());
    }

    @Test
    void lambdaAuthorizerWithSimpleResponses() {
        String id = api.ok(201, "POST", "/v2/apis", in("name", "lam", "protocolType", "HTTP",
                "target", "arn:aws:lambda:us-east-1:000000000000:function:v2-echo", "routeKey", "GET /doc")).path("apiId").asText();
        String auth = api.ok(201, "POST", "/v2/apis/" + id + "/authorizers", in("name", "fn", "authorizerType", "REQUEST",
                "authorizerUri", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:v2-auth/invocations",
                "identitySource", List.of("$request.header.x-token"), "authorizerPayloadFormatVersion", "2.0", "enableSimpleResponses", true)).path("authorizerId").asText();
        String route = api.ok(200, "GET", "/v2/apis/" + id + "/routes", null).path("items").get(0).path("routeId").asText();
        api.ok(200, "PATCH", "/v2/apis/" + id + "/routes/" + route, in("authorizationType", "CUSTOM", "authorizerId", auth));

        assertEquals(401, api.invoke("GET", "/_aws/execute-api/" + id + "/doc", null).status());
        assertEquals(403, api.invoke("GET", "/_aws/execute-api/" + id + "/doc", null, "x-token", "nope").status());
        ApiGatewayApi.Answer ok = api.invoke("GET", "/_aws/execute-api/" + id + "/doc", null, "x-token", "let-me-in");
        assertEquals(200, ok.status(), ok.body());
        assertEquals("ana", ok.json().path("lambda").path("user").asText());
        assertEquals("$default/GET/doc", ok.json().path("lambda").path("route").asText());
    }
}
