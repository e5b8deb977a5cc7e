package dev.nimbus.services.apigateway;

import static dev.nimbus.services.apigateway.ApiGatewayApi.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** REST APIs' Lambda authorizers (TOKEN, REQUEST, cached by TTL) and API keys with usage plans. */
class RestApiSecurityTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static ApiGatewayApi api;

    static final String CODE = """
            import json
            calls = {"n": 0}
            def token(event, context):
                calls["n"] += 1
                t = event["authorizationToken"]
                if t == "unauthorized":
                    raise Exception("Unauthorized")
                effect = "Allow" if t.startswith("allow") else "Deny"
                arn = event["methodArn"].split("/")[0] + "/*"
                return {"principalId": "user-" + t, "context": {"calls": calls["n"], "tier": "gold"},
                        "policyDocument": {"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": arn}]}}
            def request(event, context):
                ok = event["headers"].get("X-Team") == "core" and event["queryStringParameters"].get("v") == "1"
                return {"principalId": "team", "policyDocument": {"Version": "2012-10-17",
                        "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow" if ok else "Deny", "Resource": event["methodArn"]}]}}
            def echo(event, context):
                return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
            """;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        api = new ApiGatewayApi(nimbus.endpoint());
        for (String handler : List.of("token", "request", "echo")) {
            lambda.createFunction(b -> b.functionName("sec-" + handler).role("arn:aws:iam::000000000000:role/r").runtime(Runtime.PYTHON3_12)
                    .handler("app." + handler).code(c -> c.zipFile(ApiGatewayApi.zip("app.py", CODE))));
        }
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    /** An API with one GET resource per entry: path part -> method settings; Lambda proxy to the echo function. */
    static String apiWith(Map<String, Map<String, Object>> methods) {
        JsonNode created = api.ok(201, "POST", "/restapis", in("name", "secured"));
        String id = created.path("id").asText();
        for (Map.Entry<String, Map<String, Object>> m : methods.entrySet()) {
            String res = api.ok(201, "POST", "/restapis/" + id + "/resources/" + created.path("rootResourceId").asText(), in("pathPart", m.getKey()))
                    .path("id").asText();
            com.fasterxml.jackson.databind.node.ObjectNode put = in("authorizationType", "NONE");
            m.getValue().forEach((k, v) -> put.set(k, dev.nimbus.protocol.Values.JSON.valueToTree(v)));
            if (put.has("authorizerName")) {
                String name = put.remove("authorizerName").asText();
                for (JsonNode a : api.ok(200, "GET", "/restapis/" + id + "/authorizers", null).path("item")) {
                    if (a.path("name").asText().equals(name)) put.put("authorizerId", a.path("id").asText());
                }
            }
            api.ok(201, "PUT", "/restapis/" + id + "/resources/" + res + "/methods/GET", put);
            api.ok(201, "PUT", "/restapis/" + id + "/resources/" + res + "/methods/GET/integration", in("type", "AWS_PROXY", "httpMethod", "POST",
                    "uri", RestApiTest.uri("sec-echo")));
        }
        return id;
    }

    @Test
    void lambdaAuthorizersAllowDenyAndCache() {
        JsonNode placeholder = api.ok(201, "POST", "/restapis", in("name", "auth"));
        String id = placeholder.path("id").asText();
        String root = placeholder.path("rootResourceId").asText();
        String tokenAuth = api.ok(201, "POST", "/restapis/" + id + "/authorizers", in("name", "tok", "type", "TOKEN",
                "authorizerUri", RestApiTest.uri("sec-token"), "identitySource", "method.request.header.Authorization",
                "authorizerResultTtlInSeconds", 300)).path("id").asText();
        String requestAuth = api.ok(201, "POST", "/restapis/" + id + "/authorizers", in("name", "req", "type", "REQUEST",
                "authorizerUri", RestApiTest.uri("sec-request"), "identitySource", "method.request.header.X-Team, method.request.querystring.v",
                "authorizerResultTtlInSeconds", 0)).path("id").asText();
        assertEquals(2, api.ok(200, "GET", "/restapis/" + id + "/authorizers", null).path("item").size());
        for (String[] m : new String[][] {{"tok", tokenAuth}, {"req", requestAuth}}) {
            String res = api.ok(201, "POST", "/restapis/" + id + "/resources/" + root, in("pathPart", m[0])).path("id").asText();
            api.ok(201, "PUT", "/restapis/" + id + "/resources/" + res + "/methods/GET", in("authorizationType", "CUSTOM", "authorizerId", m[1]));
            api.ok(201, "PUT", "/restapis/" + id + "/resources/" + res + "/methods/GET/integration", in("type", "AWS_PROXY", "httpMethod", "POST",
                    "uri", RestApiTest.uri("sec-echo")));
        }
        api.ok(201, "POST", "/restapis/" + id + "/deployments", in("stageName", "prod"));
        String base = "/_aws/execute-api/" + id + "/prod";

        ApiGatewayApi.Answer none = api.invoke("GET", base + "/tok", null);
        assertEquals(401, none.status());
        assertEquals("{\"message\":\"Unauthorized\"}", none.body());
        ApiGatewayApi.Answer allowed = api.invoke("GET", base + "/tok", null, "Authorization", "allow-1");
        assertEquals(200, allowed.status(), allowed.body());
        JsonNode context = allowed.json();
        assertEquals("user-allow-1", context.path("principalId").asText());
        assertEquals("gold", context.path("tier").asText());
        // Cached for the TTL: the authorizer is not called again for the same token.
        assertEquals(context.path("calls").asInt(), api.invoke("GET", base + "/tok", null, "Authorization", "allow-1").json().path("calls").asInt());
        ApiGatewayApi.Answer denied = api.invoke("GET", base + "/tok", null, "Authorization", "deny-me");
        assertEquals(403, denied.status());
        assertEquals("{\"message\":\"User is not authorized to access this resource\"}", denied.body());
        assertEquals(401, api.invoke("GET", base + "/tok", null, "Authorization", "unauthorized").status());

        assertEquals(401, api.invoke("GET", base + "/req?v=1", null).status(), "an identity source is missing");
        assertEquals(403, api.invoke("GET", base + "/req?v=2", null, "X-Team", "core").status());
        ApiGatewayApi.Answer team = api.invoke("GET", base + "/req?v=1", null, "X-Team", "core");
        assertEquals(200, team.status(), team.body());
        assertEquals("team", team.json().path("principalId").asText());
    }

    @Test
    void apiKeysAndUsagePlansThrottleAndQuota() {
        String id = apiWith(Map.of("free", Map.of(), "paid", Map.of("apiKeyRequired", true)));
        api.ok(201, "POST", "/restapis/" + id + "/deployments", in("stageName", "prod"));
        String base = "/_aws/execute-api/" + id + "/prod";
        assertEquals(200, api.invoke("GET", base + "/free", null).status());
        ApiGatewayApi.Answer noKey = api.invoke("GET", base + "/paid", null);
        assertEquals(403, noKey.status());
        assertEquals("{\"message\":\"Forbidden\"}", noKey.body());

        JsonNode quotaKey = api.ok(201, "POST", "/apikeys", in("name", "quota-key", "enabled", true));
        JsonNode burstKey = api.ok(201, "POST", "/apikeys", in("name", "burst-key", "enabled", true, "value", "burst-key-value-0123456789"));
        JsonNode disabled = api.ok(201, "POST", "/apikeys", in("name", "off"));
        assertTrue(api.ok(200, "GET", "/apikeys/" + quotaKey.path("id").asText(), null).path("value").isMissingNode());
        assertEquals(quotaKey.path("value").asText(), api.ok(200, "GET", "/apikeys/" + quotaKey.path("id").asText() + "?includeValue=true", null)
                .path("value").asText());
        String quotaPlan = api.ok(201, "POST", "/usageplans", in("name", "quota", "apiStages", List.of(Map.of("apiId", id, "stage", "prod")),
                "quota", Map.of("limit", 2, "period", "DAY"))).path("id").asText();
        String burstPlan = api.ok(201, "POST", "/usageplans", in("name", "burst", "apiStages", List.of(Map.of("apiId", id, "stage", "prod")),
                "throttle", Map.of("rateLimit", 0.001, "burstLimit", 1))).path("id").asText();
        api.ok(201, "POST", "/usageplans/" + quotaPlan + "/keys", in("keyId", quotaKey.path("id").asText(), "keyType", "API_KEY"));
        api.ok(201, "POST", "/usageplans/" + burstPlan + "/keys", in("keyId", burstKey.path("id").asText(), "keyType", "API_KEY"));
        api.ok(201, "POST", "/usageplans/" + burstPlan + "/keys", in("keyId", disabled.path("id").asText(), "keyType", "API_KEY"));
        assertEquals(2, api.ok(200, "GET", "/usageplans/" + burstPlan + "/keys", null).path("item").size());

        String q = quotaKey.path("value").asText();
        assertEquals(200, api.invoke("GET", base + "/paid", null, "x-api-key", q).status());
        assertEquals(200, api.invoke("GET", base + "/paid", null, "x-api-key", q).status());
        ApiGatewayApi.Answer over = api.invoke("GET", base + "/paid", null, "x-api-key", q);
        assertEquals(429, over.status());
        assertEquals("{\"message\":\"Limit Exceeded\"}", over.body());

        assertEquals(200, api.invoke("GET", base + "/paid", null, "x-api-key", "burst-key-value-0123456789").status());
        ApiGatewayApi.Answer throttled = api.invoke("GET", base + "/paid", null, "x-api-key", "burst-key-value-0123456789");
        assertEquals(429, throttled.status());
        assertEquals("{\"message\":\"Too Many Requests\"}", throttled.body());

        assertEquals(403, api.invoke("GET", base + "/paid", null, "x-api-key", disabled.path("value").asText()).status(), "a disabled key");
        assertEquals(403, api.invoke("GET", base + "/paid", null, "x-api-key", "no-such-key").status());

        String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
        String quotaKeyId = quotaKey.path("id").asText();
        JsonNode usage = api.ok(200, "GET", "/usageplans/" + quotaPlan + "/usage?startDate=" + today + "&endDate=" + today, null);
        assertEquals(quotaPlan, usage.path("usagePlanId").asText());
        assertEquals("[[2,0]]", usage.path("values").path(quotaKeyId).toString(), usage.toString());
        JsonNode granted = api.ok(200, "PATCH", "/usageplans/" + quotaPlan + "/keys/" + quotaKeyId + "/usage",
                in("patchOperations", List.of(Map.of("op", "replace", "path", "/remaining", "value", "1"))));
        assertEquals("[[2,1]]", granted.path("values").path(quotaKeyId).toString(), granted.toString());
        assertEquals(200, api.invoke("GET", base + "/paid", null, "x-api-key", q).status(), "the granted request");
        assertEquals(429, api.invoke("GET", base + "/paid", null, "x-api-key", q).status());
        assertEquals(400, api.call("GET", "/usageplans/" + quotaPlan + "/usage?startDate=yesterday&endDate=" + today, null).status());
        assertEquals(404, api.call("GET", "/usageplans/" + quotaPlan + "/usage?startDate=" + today + "&endDate=" + today + "&keyId=nokey", null).status());
        assertEquals(202, api.call("DELETE", "/usageplans/" + quotaPlan + "/keys/" + quotaKey.path("id").asText(), null).status());
        assertEquals(403, api.invoke("GET", base + "/paid", null, "x-api-key", q).status(), "the key left its plan");
    }

    @Test
    void apiKeysImportFromCsvIntoUsagePlans() {
        String id = apiWith(Map.of("keyed", Map.of("apiKeyRequired", true)));
        api.ok(201, "POST", "/restapis/" + id + "/deployments", in("stageName", "prod"));
        String plan = api.ok(201, "POST", "/usageplans", in("name", "imported", "apiStages", List.of(Map.of("apiId", id, "stage", "prod"))))
                .path("id").asText();
        String csv = "Key,name,Enabled,UsagePlanIds,description\n"
                + "imported-key-value-000000001,first,true,\"" + plan + "\",from a file\n"
                + "short,bad,true,,\n"
                + "imported-key-value-000000002,second,false,'" + plan + ",nosuchplan',\n";
        String auth = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=00";
        ApiGatewayApi.Answer strict = api.invoke("POST", "/apikeys?mode=import&format=csv&failonwarnings=true", csv, "Authorization", auth, "Content-Type", "text/csv");
        assertEquals(400, strict.status(), strict.body());
        ApiGatewayApi.Answer imported = api.invoke("POST", "/apikeys?mode=import&format=csv", csv, "Authorization", auth, "Content-Type", "text/csv");
        assertEquals(201, imported.status(), imported.body());
        assertEquals(2, imported.json().path("ids").size(), imported.body());
        assertEquals(2, imported.json().path("warnings").size(), imported.body());
        JsonNode first = api.ok(200, "GET", "/apikeys/" + imported.json().path("ids").get(0).asText(), null);
        assertEquals("first", first.path("name").asText());
        assertEquals("from a file", first.path("description").asText());
        assertEquals(2, api.ok(200, "GET", "/usageplans/" + plan + "/keys", null).path("item").size());
        String base = "/_aws/execute-api/" + id + "/prod/keyed";
        assertEquals(200, api.invoke("GET", base, null, "x-api-key", "imported-key-value-000000001").status());
        assertEquals(403, api.invoke("GET", base, null, "x-api-key", "imported-key-value-000000002").status(), "imported disabled");

        ApiGatewayApi.Answer again = api.invoke("POST", "/apikeys?mode=import&format=csv", "name,key\nrenamed,imported-key-value-000000001\n",
                "Authorization", auth, "Content-Type", "text/csv");
        assertEquals(imported.json().path("ids").get(0).asText(), again.json().path("ids").get(0).asText(), "the same value is the same key");
        assertEquals("renamed", api.ok(200, "GET", "/apikeys/" + again.json().path("ids").get(0).asText(), null).path("name").asText());
    }
}
