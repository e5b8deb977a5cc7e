package dev.nimbus.services.apigateway;

import static dev.nimbus.services.apigateway.ApiGatewayApi.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.s3.S3Client;

/** HTTP APIs (apigatewayv2): management over rest-json, and invoke URLs in front of real Python functions. */
class HttpApiTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static ApiGatewayApi api;
    static final String ARN = "arn:aws:lambda:us-east-1:000000000000:function:";

    /** Answers with the event it got (2.0 structured response), or what the query asks for. */
    static final String ECHO = """
            import json
            def handler(event, context):
                q = event.get("queryStringParameters") or {}
                if q.get("mode") == "plain":
                    return {"hello": "world"}
                if q.get("mode") == "string":
                    return "just text"
                if q.get("mode") == "bad":
                    return {"statusCode": "two hundred"}
                if q.get("mode") == "raise":
                    raise ValueError("boom")
                return {"statusCode": 201, "headers": {"x-echo": "yes"}, "cookies": ["a=1", "b=2"], "body": json.dumps(event)}
            """;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        api = new ApiGatewayApi(nimbus.endpoint());
        lambda.createFunction(b -> b.functionName("echo").role("arn:aws:iam::000000000000:role/r").runtime(Runtime.PYTHON3_12)
                .handler("app.handler").code(c -> c.zipFile(ApiGatewayApi.zip("app.py", ECHO))));
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    @Test
    void managementSpeaksCamelCaseIso8601AndAwsErrors() {
        JsonNode created = api.ok(201, "POST", "/v2/apis", in("name", "shop", "protocolType", "HTTP", "tags", Map.of("env", "dev"),
                "corsConfiguration", Map.of("allowOrigins", List.of("*"), "maxAge", 60), "Name", "ignored"));
        String id = created.path("apiId").asText();
        assertEquals(10, id.length());
        assertEquals("shop", created.path("name").asText());
        assertEquals("HTTP", created.path("protocolType").asText());
        assertEquals("$request.method $request.path", created.path("routeSelectionExpression").asText());
        assertEquals("dev", created.path("tags").path("env").asText());
        assertEquals(60, created.path("corsConfiguration").path("maxAge").asInt());
        assertTrue(created.path("createdDate").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), created.toString());
        assertTrue(created.path("apiEndpoint").asText().startsWith("http://" + id + ".execute-api.localhost:"), created.toString());
        assertTrue(created.path("Name").isMissingNode());

        assertEquals("shop2", api.ok(200, "PATCH", "/v2/apis/" + id, in("name", "shop2")).path("name").asText());
        assertEquals("shop2", api.ok(200, "GET", "/v2/apis/" + id, null).path("name").asText());
        boolean listed = false;
        for (JsonNode a : api.ok(200, "GET", "/v2/apis", null).path("items")) listed |= a.path("apiId").asText().equals(id);
        assertTrue(listed);

        ApiGatewayApi.Answer invalid = api.call("POST", "/v2/apis", in("name", "x"));
        assertEquals(400, invalid.status());
        assertEquals("ValidationException", invalid.header("x-amzn-ErrorType"));
        assertTrue(invalid.body().contains("'protocolType' failed to satisfy constraint: Member must not be null"), invalid.body());

        ApiGatewayApi.Answer badKey = api.call("POST", "/v2/apis/" + id + "/routes", in("routeKey", "FETCH users"));
        assertEquals(400, badKey.status());
        assertEquals("BadRequestException", badKey.header("x-amzn-ErrorType"));
        api.ok(201, "POST", "/v2/apis/" + id + "/routes", in("routeKey", "GET /a"));
        assertEquals(409, api.call("POST", "/v2/apis/" + id + "/routes", in("routeKey", "GET /a")).status());

        assertEquals(204, api.call("DELETE", "/v2/apis/" + id, null).status());
        ApiGatewayApi.Answer gone = api.call("GET", "/v2/apis/" + id, null);
        assertEquals(404, gone.status());
        assertEquals("NotFoundException", gone.header("x-amzn-ErrorType"));
        assertEquals("{\"message\":\"Invalid API identifier specified 000000000000:" + id + "\",\"resourceType\":\"Api\"}", gone.body());
    }

    @Test
    void quickCreateServesPayload2EventsExactly() throws Exception {
        JsonNode created = api.ok(201, "POST", "/v2/apis", in("name", "quick", "protocolType", "HTTP", "target", ARN + "echo"));
        String id = created.path("apiId").asText();
        JsonNode stages = api.ok(200, "GET", "/v2/apis/" + id + "/stages", null).path("items");
        assertEquals("$default", stages.get(0).path("stageName").asText());
        assertTrue(stages.get(0).path("autoDeploy").asBoolean());
        JsonNode routes = api.ok(200, "GET", "/v2/apis/" + id + "/routes", null).path("items");
        assertEquals("$default", routes.get(0).path("routeKey").asText());

        ApiGatewayApi.Answer r = api.invoke("POST", "/_aws/execute-api/" + id + "/some/path?a=1&a=2&b=x%20y", "{\"k\":\"v\"}",
                "Content-Type", "application/json", "Cookie", "c1=v1; c2=v2", "X-Custom", "Hi", "User-Agent", "curl/8");
        assertEquals(201, r.status(), r.body());
        assertEquals("yes", r.header("x-echo"));
        assertEquals("a=1,b=2", r.header("set-cookie"));
        assertEquals(r.header("apigw-requestid"), r.json().path("requestContext").path("requestId").asText());
        JsonNode e = r.json();
        assertEquals("2.0", e.path("version").asText());
        assertEquals("$default", e.path("routeKey").asText());
        assertEquals("/some/path", e.path("rawPath").asText());
        assertEquals("a=1&a=2&b=x%20y", e.path("rawQueryString").asText());
        assertEquals("[\"c1=v1\",\"c2=v2\"]", e.path("cookies").toString());
        assertEquals("Hi", e.path("headers").path("x-custom").asText());
        assertTrue(e.path("headers").path("cookie").isMissingNode());
        assertEquals("{\"a\":\"1,2\",\"b\":\"x y\"}", e.path("queryStringParameters").toString());
        JsonNode ctx = e.path("requestContext");
        assertEquals("000000000000", ctx.path("accountId").asText());
        assertEquals(id, ctx.path("apiId").asText());
        assertEquals(id, ctx.path("domainPrefix").asText());
        assertEquals("POST", ctx.path("http").path("method").asText());
        assertEquals("/some/path", ctx.path("http").path("path").asText());
        assertEquals("HTTP/1.1", ctx.path("http").path("protocol").asText());
        assertEquals("127.0.0.1", ctx.path("http").path("sourceIp").asText());
        assertEquals("curl/8", ctx.path("http").path("userAgent").asText());
        assertEquals("$default", ctx.path("stage").asText());
        assertTrue(ctx.path("time").asText().matches("\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000"), ctx.toString());
        assertTrue(ctx.path("timeEpoch").isIntegralNumber());
        assertEquals("{\"k\":\"v\"}", e.path("body").asText());
        assertFalse(e.path("isBase64Encoded").asBoolean());
        assertTrue(e.path("pathParameters").isMissingNode());
        assertTrue(e.path("stageVariables").isMissingNode());

        // The invoke URL's own host form answers the same API.
        ApiGatewayApi.Answer byHost = api.getWithHost(id + ".execute-api.localhost:" + nimbus.port(), "/x?mode=plain");
        assertEquals(200, byHost.status(), byHost.body());
        assertEquals("{\"hello\":\"world\"}", byHost.body().replace(" ", ""));
        assertEquals("application/json", byHost.header("content-type"));

        assertEquals("just text", api.invoke("GET", "/_aws/execute-api/" + id + "/?mode=string", null).body());
        ApiGatewayApi.Answer bad = api.invoke("GET", "/_aws/execute-api/" + id + "/?mode=bad", null);
        assertEquals(500, bad.status());
        assertEquals("{\"message\":\"Internal Server Error\"}", bad.body());
        ApiGatewayApi.Answer raised = api.invoke("GET", "/_aws/execute-api/" + id + "/?mode=raise", null);
        assertEquals(500, raised.status());
        assertEquals("{\"message\":\"Internal Server Error\"}", raised.body());
    }

    @Test
    void routesMatchMostSpecificFirstWithPathParametersAndPayload1() {
        String id = api.ok(201, "POST", "/v2/apis", in("name", "crud", "protocolType", "HTTP")).path("apiId").asText();
        String v2 = api.ok(201, "POST", "/v2/apis/" + id + "/integrations", in("integrationType", "AWS_PROXY",
                "integrationUri", ARN + "echo", "payloadFormatVersion", "2.0")).path("integrationId").asText();
        String v1 = api.ok(201, "POST", "/v2/apis/" + id + "/integrations", in("integrationType", "AWS_PROXY",
                "integrationUri", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + ARN + "echo/invocations",
                "payloadFormatVersion", "1.0")).path("integrationId").asText();
        for (String key : List.of("GET /users/{id}", "GET /users/me", "ANY /{proxy+}", "DELETE /users/{id}")) {
            api.ok(201, "POST", "/v2/apis/" + id + "/routes", in("routeKey", key, "target", "integrations/" + (key.startsWith("DELETE") ? v1 : v2)));
        }
        api.ok(201, "POST", "/v2/apis/" + id + "/stages", in("stageName", "prod", "stageVariables", Map.of("table", "users")));
        String base = "/_aws/execute-api/" + id + "/prod";
        assertEquals(404, api.invoke("GET", base + "/users/7", null).status(), "no deployment yet");
        api.ok(201, "POST", "/v2/apis/" + id + "/deployments", in("stageName", "prod"));

        JsonNode byId = api.invoke("GET", base + "/users/7", null).json();
        assertEquals("GET /users/{id}", byId.path("routeKey").asText());
        assertEquals("{\"id\":\"7\"}", byId.path("pathParameters").toString());
        assertEquals("{\"table\":\"users\"}", byId.path("stageVariables").toString());
        assertEquals("/prod/users/7", byId.path("rawPath").asText());
        assertEquals("prod", byId.path("requestContext").path("stage").asText());
        assertEquals("GET /users/me", api.invoke("GET", base + "/users/me", null).json().path("routeKey").asText());
        JsonNode greedy = api.invoke("POST", base + "/users/7/orders", null).json();
        assertEquals("ANY /{proxy+}", greedy.path("routeKey").asText());
        assertEquals("users/7/orders", greedy.path("pathParameters").path("proxy").asText());

        ApiGatewayApi.Answer deleted = api.invoke("DELETE", base + "/users/9?x=1&x=2", null, "X-Multi", "a");
        assertEquals(201, deleted.status(), deleted.body());
        JsonNode e = deleted.json();
        assertEquals("1.0", e.path("version").asText());
        assertEquals("/users/{id}", e.path("resource").asText());
        assertEquals("/prod/users/9", e.path("path").asText());
        assertEquals("DELETE", e.path("httpMethod").asText());
        assertEquals("a", e.path("headers").path("X-Multi").asText(e.path("headers").path("x-multi").asText()));
        assertEquals("{\"x\":\"2\"}", e.path("queryStringParameters").toString());
        assertEquals("{\"x\":[\"1\",\"2\"]}", e.path("multiValueQueryStringParameters").toString());
        assertEquals("127.0.0.1", e.path("requestContext").path("identity").path("sourceIp").asText());
        assertEquals("{\"id\":\"9\"}", e.path("pathParameters").toString());
        assertTrue(e.path("body").isNull());

        ApiGatewayApi.Answer missing = api.invoke("GET", "/_aws/execute-api/" + id + "/nostage/x", null);
        assertEquals(404, missing.status());
        assertEquals("{\"message\":\"Not Found\"}", missing.body());
    }

    @Test
    void corsPreflightIsAnsweredByTheGatewayAndHttpProxyForwards() {
        String id = api.ok(201, "POST", "/v2/apis", in("name", "web", "protocolType", "HTTP",
                "target", "http://127.0.0.1:" + nimbus.port() + "/_nimbus/health", "routeKey", "GET /health",
                "corsConfiguration", Map.of("allowOrigins", List.of("https://app.example"), "allowMethods", List.of("GET", "POST"),
                        "allowHeaders", List.of("content-type"), "maxAge", 300, "exposeHeaders", List.of("x-trace")))).path("apiId").asText();
        ApiGatewayApi.Answer pre = api.invoke("OPTIONS", "/_aws/execute-api/" + id + "/health", null,
                "Origin", "https://app.example", "Access-Control-Request-Method", "GET");
        assertEquals(204, pre.status());
        assertEquals("https://app.example", pre.header("access-control-allow-origin"));
        assertEquals("GET,POST", pre.header("access-control-allow-methods"));
        assertEquals("content-type", pre.header("access-control-allow-headers"));
        assertEquals("300", pre.header("access-control-max-age"));

        ApiGatewayApi.Answer health = api.invoke("GET", "/_aws/execute-api/" + id + "/health", null, "Origin", "https://app.example");
        assertEquals(200, health.status(), health.body());
        assertEquals("running", health.json().path("status").asText());
        assertEquals("https://app.example", health.header("access-control-allow-origin"));
        assertEquals("x-trace", health.header("access-control-expose-headers"));
        ApiGatewayApi.Answer otherOrigin = api.invoke("GET", "/_aws/execute-api/" + id + "/health", null, "Origin", "https://evil.example");
        assertNull(otherOrigin.header("access-control-allow-origin"));
        assertEquals(404, api.invoke("GET", "/_aws/execute-api/" + id + "/other", null).status());
    }

    @Test
    void preflightOnAnApiHostIsTheApisEvenWhenABucketHasTheRoutesName() {
        try (S3Client s3 = nimbus.client(S3Client.builder())) {
            s3.createBucket(b -> b.bucket("orders"));
        }
        String id = api.ok(201, "POST", "/v2/apis", in("name", "shop", "protocolType", "HTTP",
                "target", "http://127.0.0.1:" + nimbus.port() + "/_nimbus/health", "routeKey", "GET /orders",
                "corsConfiguration", Map.of("allowOrigins", List.of("https://shop.example"), "allowMethods", List.of("GET")))).path("apiId").asText();
        ApiGatewayApi.Answer pre = api.withHost("OPTIONS", id + ".execute-api.localhost:" + nimbus.port(), "/orders",
                "Origin", "https://shop.example", "Access-Control-Request-Method", "GET");
        assertEquals(204, pre.status(), pre.body());
        assertEquals("https://shop.example", pre.header("access-control-allow-origin"));
    }

    @Test
    void unknownApiIsNotFound() {
        ApiGatewayApi.Answer r = api.invoke("GET", "/_aws/execute-api/nosuchapi/x", null);
        assertEquals(404, r.status());
        assertEquals("{\"message\":\"Not Found\"}", Values.NODES.textNode(r.body()).asText());
    }

    @Test
    void stageThrottlingAnswers429() {
        String id = api.ok(201, "POST", "/v2/apis", in("name", "throttled", "protocolType", "HTTP")).path("apiId").asText();
        String integration = api.ok(201, "POST", "/v2/apis/" + id + "/integrations", in("integrationType", "HTTP_PROXY",
                "integrationMethod", "GET", "integrationUri", "http://127.0.0.1:" + nimbus.port() + "/_nimbus/health", "payloadFormatVersion", "1.0"))
                .path("integrationId").asText();
        api.ok(201, "POST", "/v2/apis/" + id + "/routes", in("routeKey", "GET /slow", "target", "integrations/" + integration));
        api.ok(201, "POST", "/v2/apis/" + id + "/routes", in("routeKey", "GET /free", "target", "integrations/" + integration));
        api.ok(201, "POST", "/v2/apis/" + id + "/stages", in("stageName", "$default", "autoDeploy", true,
                "routeSettings", Map.of("GET /slow", Map.of("throttlingRateLimit", 0.001, "throttlingBurstLimit", 1))));
        assertEquals(200, api.invoke("GET", "/_aws/execute-api/" + id + "/slow", null).status());
        ApiGatewayApi.Answer throttled = api.invoke("GET", "/_aws/execute-api/" + id + "/slow", null);
        assertEquals(429, throttled.status());
        assertEquals("{\"message\":\"Too Many Requests\"}", throttled.body());
        assertEquals(200, api.invoke("GET", "/_aws/execute-api/" + id + "/free", null).status());
        assertEquals(200, api.invoke("GET", "/_aws/execute-api/" + id + "/free", null).status());
    }

    @Test
    void parameterMappingRewritesWhatHttpProxySendsAndAnswers() throws Exception {
        com.sun.net.httpserver.HttpServer backend = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", exchange -> {
            var seen = Values.object().put("path", exchange.getRequestURI().getRawPath()).put("query", exchange.getRequestURI().getRawQuery());
            var headers = seen.putObject("headers");
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
            byte[] body = Values.JSON.writeValueAsBytes(seen);
            exchange.getResponseHeaders().add("x-backend", "b1");
            exchange.getResponseHeaders().add("x-drop", "d");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        backend.start();
        try {
            String id = api.ok(201, "POST", "/v2/apis", in("name", "mapped", "protocolType", "HTTP")).path("apiId").asText();
            String integration = api.ok(201, "POST", "/v2/apis/" + id + "/integrations", in("integrationType", "HTTP_PROXY",
                    "integrationMethod", "ANY", "integrationUri", "http://127.0.0.1:" + backend.getAddress().getPort() + "/base/{proxy}",
                    "payloadFormatVersion", "1.0",
                    "requestParameters", Map.of("overwrite:header.x-from-query", "$request.querystring.q",
                            "append:querystring.added", "${stageVariables.color}-static",
                            "remove:header.x-secret", "''",
                            "overwrite:path", "/mapped/$request.path.proxy",
                            "overwrite:header.x-route", "$context.routeKey"),
                    "responseParameters", Map.of("200", Map.of("append:header.x-copied", "$response.header.x-backend",
                            "remove:header.x-drop", "''", "overwrite:statuscode", "202")))).path("integrationId").asText();
            api.ok(201, "POST", "/v2/apis/" + id + "/routes", in("routeKey", "GET /items/{proxy+}", "target", "integrations/" + integration));
            api.ok(201, "POST", "/v2/apis/" + id + "/stages", in("stageName", "$default", "autoDeploy", true, "stageVariables", Map.of("color", "blue")));

            ApiGatewayApi.Answer r = api.invoke("GET", "/_aws/execute-api/" + id + "/items/a/b?q=hello", null, "x-secret", "s", "x-kept", "k");
            assertEquals(202, r.status(), r.body());
            assertEquals("b1", r.header("x-copied"));
            assertNull(r.header("x-drop"));
            JsonNode seen = r.json();
            assertEquals("/mapped/a/b", seen.path("path").asText());
            assertEquals("q=hello&added=blue-static", seen.path("query").asText());
            assertEquals("hello", seen.path("headers").path("x-from-query").asText());
            assertEquals("GET /items/{proxy+}", seen.path("headers").path("x-route").asText());
            assertEquals("k", seen.path("headers").path("x-kept").asText());
            assertTrue(seen.path("headers").path("x-secret").isMissingNode(), seen.toString());
        } finally {
            backend.stop(0);
        }
    }

    @Test
    void parameterMappingAppliesToLambdaProxyEventsAndResponses() {
        String id = api.ok(201, "POST", "/v2/apis", in("name", "mapped-fn", "protocolType", "HTTP")).path("apiId").asText();
        String integration = api.ok(201, "POST", "/v2/apis/" + id + "/integrations", in("integrationType", "AWS_PROXY",
                "integrationUri", ARN + "echo", "payloadFormatVersion", "2.0",
                "requestParameters", Map.of("overwrite:header.x-mapped", "$request.querystring.v", "overwrite:querystring.extra", "static"),
                "responseParameters", Map.of("201", Map.of("overwrite:header.x-echo", "mapped-$context.stage")))).path("integrationId").asText();
        api.ok(201, "POST", "/v2/apis/" + id + "/routes", in("routeKey", "GET /fn", "target", "integrations/" + integration));
        api.ok(201, "POST", "/v2/apis/" + id + "/stages", in("stageName", "$default", "autoDeploy", true));
        ApiGatewayApi.Answer r = api.invoke("GET", "/_aws/execute-api/" + id + "/fn?v=7", null);
        assertEquals(201, r.status(), r.body());
        assertEquals("mapped-$default", r.header("x-echo"));
        JsonNode event = r.json();
        assertEquals("7", event.path("headers").path("x-mapped").asText());
        assertEquals("static", event.path("queryStringParameters").path("extra").asText());
        assertEquals("v=7&extra=static", event.path("rawQueryString").asText());
    }

    @Test
    void parameterMappingsAreCheckedWhenWritten() {
        String id = api.ok(201, "POST", "/v2/apis", in("name", "checked", "protocolType", "HTTP")).path("apiId").asText();
        for (Map<String, Object> bad : List.<Map<String, Object>>of(
                Map.of("requestParameters", Map.of("overwrite:header.host", "x")),
                Map.of("requestParameters", Map.of("rename:header.x", "y")),
                Map.of("requestParameters", Map.of("overwrite:header.x", "$request.cookie.c")),
                Map.of("responseParameters", Map.of("700", Map.of("overwrite:statuscode", "200"))),
                Map.of("responseParameters", Map.of("200", Map.of("overwrite:statuscode", "abc"))))) {
            var body = in("integrationType", "HTTP_PROXY", "integrationMethod", "GET", "integrationUri", "http://127.0.0.1:1/", "payloadFormatVersion", "1.0");
            bad.forEach((k, v) -> body.set(k, Values.JSON.valueToTree(v)));
            ApiGatewayApi.Answer r = api.call("POST", "/v2/apis/" + id + "/integrations", body);
            assertEquals(400, r.status(), bad + " " + r.body());
            assertEquals("BadRequestException", r.header("x-amzn-errortype").split(":")[0], r.body());
        }
    }
}
