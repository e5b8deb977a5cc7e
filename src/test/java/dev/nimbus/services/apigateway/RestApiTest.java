package dev.nimbus.services.apigateway;

import static dev.nimbus.services.apigateway.ApiGatewayApi.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/** REST APIs (apigateway): management over rest-json, and stages served in front of real Python functions, MOCK and HTTP. */
class RestApiTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static ApiGatewayApi api;
    static final String FN = "arn:aws:lambda:us-east-1:000000000000:function:";

    static final String CODE = """
            import json, time
            def proxy(event, context):
                q = event.get("queryStringParameters") or {}
                mode = q.get("mode")
                if mode == "bad":
                    return {"statusCode": 200, "body": {"not": "a string"}}
                if mode == "raise":
                    raise ValueError("boom")
                if mode == "sleep":
                    time.sleep(8)
                return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                        "multiValueHeaders": {"X-Multi": ["a", "b"]}, "body": json.dumps(event)}
            def plain(event, context):
                if event.get("fail"):
                    raise Exception("NotFound: no item " + str(event.get("id")))
                return {"greeting": "hello " + event.get("name", ""), "seen": event}
            """;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        api = new ApiGatewayApi(nimbus.endpoint());
        for (String handler : List.of("proxy", "plain")) {
            lambda.createFunction(b -> b.functionName(handler).role("arn:aws:iam::000000000000:role/r").runtime(Runtime.PYTHON3_12)
                    .handler("app." + handler).timeout(10).code(c -> c.zipFile(ApiGatewayApi.zip("app.py", CODE))));
        }
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    static String uri(String function) {
        return "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" + FN + function + "/invocations";
    }

    /** A new REST API; returns its id and root resource id. */
    static String[] newApi(String name) {
        JsonNode created = api.ok(201, "POST", "/restapis", in("name", name, "description", "d"));
        return new String[] {created.path("id").asText(), created.path("rootResourceId").asText()};
    }

    static String resource(String apiId, String parent, String part) {
        return api.ok(201, "POST", "/restapis/" + apiId + "/resources/" + parent, in("pathPart", part)).path("id").asText();
    }

    @Test
    void managementOfApisResourcesMethodsAndStages() {
        String[] a = newApi("pets");
        String id = a[0];
        JsonNode got = api.ok(200, "GET", "/restapis/" + id, null);
        assertEquals("pets", got.path("name").asText());
        assertEquals("EDGE", got.path("endpointConfiguration").path("types").get(0).asText());
        assertTrue(got.path("createdDate").isNumber(), got.toString());
        String pets = resource(id, a[1], "pets");
        String pet = resource(id, pets, "{petId}");
        JsonNode r = api.ok(200, "GET", "/restapis/" + id + "/resources/" + pet, null);
        assertEquals("/pets/{petId}", r.path("path").asText());
        assertEquals(pets, r.path("parentId").asText());
        ApiGatewayApi.Answer dup = api.call("POST", "/restapis/" + id + "/resources/" + a[1], in("pathPart", "pets"));
        assertEquals(409, dup.status());
        assertEquals("ConflictException", dup.header("x-amzn-ErrorType"));
        assertEquals("{\"message\":\"Another resource with the same parent already has this name: pets\"}", dup.body());
        assertEquals(400, api.call("POST", "/restapis/" + id + "/resources/" + pets, in("pathPart", "{other}")).status());
        assertEquals(3, api.ok(200, "GET", "/restapis/" + id + "/resources", null).path("item").size());

        ApiGatewayApi.Answer noMethods = api.call("POST", "/restapis/" + id + "/deployments", in("stageName", "v1"));
        assertEquals(400, noMethods.status());
        assertEquals("{\"message\":\"The REST API doesn't contain any methods\"}", noMethods.body());

        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + pet + "/methods/GET", in("authorizationType", "NONE",
                "requestParameters", Map.of("method.request.path.petId", true)));
        ApiGatewayApi.Answer noMethod = api.call("GET", "/restapis/" + id + "/resources/" + pet + "/methods/POST", null);
        assertEquals(404, noMethod.status());
        assertEquals("{\"message\":\"Invalid Method identifier specified\"}", noMethod.body());
        JsonNode integration = api.ok(201, "PUT", "/restapis/" + id + "/resources/" + pet + "/methods/GET/integration",
                in("type", "MOCK", "requestTemplates", Map.of("application/json", "{\"statusCode\": 200}")));
        assertEquals("WHEN_NO_MATCH", integration.path("passthroughBehavior").asText());
        assertEquals(29000, integration.path("timeoutInMillis").asInt());
        ApiGatewayApi.Answer badTemplate = api.call("PUT", "/restapis/" + id + "/resources/" + pet + "/methods/GET/integration/responses/200",
                in("responseTemplates", Map.of("application/json", "#if($x")));
        assertEquals(400, badTemplate.status());
        assertEquals("BadRequestException", badTemplate.header("x-amzn-ErrorType"));
        JsonNode method = api.ok(200, "GET", "/restapis/" + id + "/resources/" + pet + "/methods/GET", null);
        assertEquals("MOCK", method.path("methodIntegration").path("type").asText());

        JsonNode d = api.ok(201, "POST", "/restapis/" + id + "/deployments", in("stageName", "v1", "variables", Map.of("a", "1")));
        JsonNode stage = api.ok(200, "GET", "/restapis/" + id + "/stages/v1", null);
        assertEquals(d.path("id").asText(), stage.path("deploymentId").asText());
        assertEquals("1", stage.path("variables").path("a").asText());
        JsonNode patched = api.ok(200, "PATCH", "/restapis/" + id + "/stages/v1", in("patchOperations",
                List.of(Map.of("op", "replace", "path", "/variables/b", "value", "2"), Map.of("op", "remove", "path", "/variables/a"))));
        assertEquals("{\"b\":\"2\"}", patched.path("variables").toString());
        assertEquals("renamed", api.ok(200, "PATCH", "/restapis/" + id, in("patchOperations",
                List.of(Map.of("op", "replace", "path", "/name", "value", "renamed")))).path("name").asText());
        JsonNode binary = api.ok(200, "PATCH", "/restapis/" + id, in("patchOperations",
                List.of(Map.of("op", "add", "path", "/binaryMediaTypes/image~1png"))));
        assertEquals("[\"image/png\"]", binary.path("binaryMediaTypes").toString());
        assertEquals(1, api.ok(200, "GET", "/restapis/" + id + "/stages", null).path("item").size());

        assertEquals(202, api.call("DELETE", "/restapis/" + id, null).status());
        ApiGatewayApi.Answer gone = api.call("GET", "/restapis/" + id, null);
        assertEquals(404, gone.status());
        assertEquals("{\"message\":\"Invalid API identifier specified 000000000000:" + id + "\"}", gone.body());
    }

    @Test
    void tutorialLambdaProxyFlowSendsTheV1EventExactly() {
        lambda.addPermission(b -> b.functionName("proxy").statementId("apigw").action("lambda:InvokeFunction").principal("apigateway.amazonaws.com"));
        String[] a = newApi("hello");
        String id = a[0];
        String hello = resource(id, a[1], "helloworld");
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + hello + "/methods/ANY", in("authorizationType", "NONE"));
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + hello + "/methods/ANY/integration",
                in("type", "AWS_PROXY", "httpMethod", "POST", "uri", uri("proxy")));
        api.ok(201, "POST", "/restapis/" + id + "/deployments", in("stageName", "test", "variables", Map.of("env", "t")));

        ApiGatewayApi.Answer r = api.invoke("POST", "/_aws/execute-api/" + id + "/test/helloworld?name=John&city=Seattle&city=Paris",
                "{\"time\":\"evening\"}", "Content-Type", "application/json", "day", "Thursday", "User-Agent", "curl/8");
        assertEquals(200, r.status(), r.body());
        assertEquals("a,b", r.header("x-multi"));
        JsonNode e = r.json();
        assertTrue(e.path("version").isMissingNode());
        assertEquals("/helloworld", e.path("resource").asText());
        assertEquals("/helloworld", e.path("path").asText());
        assertEquals("POST", e.path("httpMethod").asText());
        assertEquals("Thursday", e.path("headers").path("day").asText(e.path("headers").path("Day").asText()));
        assertTrue(e.path("multiValueHeaders").size() >= 2);
        assertEquals("{\"name\":\"John\",\"city\":\"Paris\"}", e.path("queryStringParameters").toString());
        assertEquals("{\"name\":[\"John\"],\"city\":[\"Seattle\",\"Paris\"]}", e.path("multiValueQueryStringParameters").toString());
        assertTrue(e.path("pathParameters").isNull());
        assertEquals("{\"env\":\"t\"}", e.path("stageVariables").toString());
        JsonNode ctx = e.path("requestContext");
        assertEquals("/helloworld", ctx.path("resourcePath").asText());
        assertEquals(hello, ctx.path("resourceId").asText());
        assertEquals("test", ctx.path("stage").asText());
        assertEquals("/test/helloworld", ctx.path("path").asText());
        assertEquals("POST", ctx.path("httpMethod").asText());
        assertEquals("127.0.0.1", ctx.path("identity").path("sourceIp").asText());
        assertEquals("curl/8", ctx.path("identity").path("userAgent").asText());
        assertEquals(id, ctx.path("apiId").asText());
        assertEquals("000000000000", ctx.path("accountId").asText());
        assertEquals("{\"time\":\"evening\"}", e.path("body").asText());
        assertFalse(e.path("isBase64Encoded").asBoolean());

        // LocalStack's URL form and the host form reach the same stage.
        assertEquals(200, api.invoke("GET", "/restapis/" + id + "/test/_user_request_/helloworld", null).status());
        assertEquals(200, api.getWithHost(id + ".execute-api.localhost", "/test/helloworld").status());

        ApiGatewayApi.Answer missing = api.invoke("GET", "/_aws/execute-api/" + id + "/test/nothing", null);
        assertEquals(403, missing.status());
        assertEquals("{\"message\":\"Missing Authentication Token\"}", missing.body());
        assertEquals("MissingAuthenticationTokenException", missing.header("x-amzn-ErrorType"));
        ApiGatewayApi.Answer bad = api.invoke("GET", "/_aws/execute-api/" + id + "/test/helloworld?mode=bad", null);
        assertEquals(502, bad.status());
        assertEquals("{\"message\": \"Internal server error\"}", bad.body());
        assertEquals(502, api.invoke("GET", "/_aws/execute-api/" + id + "/test/helloworld?mode=raise", null).status());
        ApiGatewayApi.Answer large = api.invoke("POST", "/_aws/execute-api/" + id + "/test/helloworld", "x".repeat(10 * 1024 * 1024 + 1));
        assertEquals(413, large.status());
    }

    @Test
    void greedyAndParameterResourcesAndIntegrationTimeout() {
        String[] a = newApi("greedy");
        String id = a[0];
        String proxy = resource(id, a[1], "{proxy+}");
        String items = resource(id, a[1], "items");
        String item = resource(id, items, "{itemId}");
        for (String r : List.of(proxy, item)) {
            api.ok(201, "PUT", "/restapis/" + id + "/resources/" + r + "/methods/ANY", in("authorizationType", "NONE"));
            // A short timeout on one resource only, once the function is warm: a cold start may take seconds here.
            api.ok(201, "PUT", "/restapis/" + id + "/resources/" + r + "/methods/ANY/integration",
                    in("type", "AWS_PROXY", "httpMethod", "POST", "uri", uri("proxy"), "timeoutInMillis", r.equals(item) ? 3000 : 29000));
        }
        api.ok(201, "POST", "/restapis/" + id + "/deployments", in("stageName", "prod"));
        JsonNode greedy = api.invoke("GET", "/_aws/execute-api/" + id + "/prod/a/b/c", null).json();
        assertEquals("/{proxy+}", greedy.path("resource").asText());
        assertEquals("a/b/c", greedy.path("pathParameters").path("proxy").asText());
        assertEquals("/a/b/c", greedy.path("path").asText());
        ApiGatewayApi.Answer itemAnswer = api.invoke("GET", "/_aws/execute-api/" + id + "/prod/items/42", null);
        assertEquals(200, itemAnswer.status(), itemAnswer.body());
        JsonNode byItem = itemAnswer.json();
        assertEquals("/items/{itemId}", byItem.path("resource").asText());
        assertEquals("{\"itemId\":\"42\"}", byItem.path("pathParameters").toString());
        ApiGatewayApi.Answer slow = api.invoke("GET", "/_aws/execute-api/" + id + "/prod/items/1?mode=sleep", null);
        assertEquals(504, slow.status());
        assertEquals("{\"message\": \"Endpoint request timed out\"}", slow.body());
        assertEquals(403, api.invoke("GET", "/_aws/execute-api/" + id + "/nostage/items/1", null).status());
    }

    @Test
    void mockAndLambdaIntegrationsMapThroughVelocityTemplates() {
        String[] a = newApi("mapped");
        String id = a[0];
        String status = resource(id, a[1], "status");
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + status + "/methods/GET", in("authorizationType", "NONE"));
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + status + "/methods/GET/integration", in("type", "MOCK",
                "requestTemplates", Map.of("application/json", "#if($input.params('code') == 'teapot'){\"statusCode\": 418}#else{\"statusCode\": 200}#end")));
        String base = "/restapis/" + id + "/resources/" + status + "/methods/GET";
        api.ok(201, "PUT", base + "/responses/200", in("responseParameters", Map.of("method.response.header.X-Stage", false)));
        api.ok(201, "PUT", base + "/responses/418", in());
        api.ok(201, "PUT", base + "/integration/responses/200", in("responseTemplates", Map.of("application/json",
                "{\"stage\":\"$context.stage\",\"var\":\"$stageVariables.color\",\"q\":\"$util.escapeJavaScript($input.params('q'))\",\"b64\":\"$util.base64Encode('hi')\"}"),
                "responseParameters", Map.of("method.response.header.X-Stage", "'fixed'")));
        api.ok(201, "PUT", base + "/integration/responses/418", in("selectionPattern", "418",
                "responseTemplates", Map.of("application/json", "{\"teapot\":true}")));

        String greet = resource(id, a[1], "greet");
        String g = "/restapis/" + id + "/resources/" + greet + "/methods/POST";
        api.ok(201, "PUT", g, in("authorizationType", "NONE"));
        api.ok(201, "PUT", g + "/integration", in("type", "AWS", "httpMethod", "POST", "uri", uri("plain"),
                "requestTemplates", Map.of("application/json", "{\"name\": $input.json('$.who'), \"fail\": $input.path('$.fail'), \"id\": \"$input.params('id')\"}")));
        api.ok(201, "PUT", g + "/responses/200", in());
        api.ok(201, "PUT", g + "/responses/404", in());
        api.ok(201, "PUT", g + "/integration/responses/200", in("responseTemplates", Map.of("application/json",
                "#set($r = $input.path('$'))$r.greeting!")));
        api.ok(201, "PUT", g + "/integration/responses/404", in("selectionPattern", "NotFound:.*",
                "responseTemplates", Map.of("application/json", "{\"error\": $input.json('$.errorMessage')}")));
        api.ok(201, "POST", "/restapis/" + id + "/deployments", in("stageName", "dev", "variables", Map.of("color", "blue")));

        ApiGatewayApi.Answer ok = api.invoke("GET", "/_aws/execute-api/" + id + "/dev/status?q=a%22b", null);
        assertEquals(200, ok.status(), ok.body());
        assertEquals("{\"stage\":\"dev\",\"var\":\"blue\",\"q\":\"a\\\"b\",\"b64\":\"aGk=\"}", ok.body());
        assertEquals("fixed", ok.header("X-Stage"));
        assertEquals("application/json", ok.header("Content-Type"));
        ApiGatewayApi.Answer teapot = api.invoke("GET", "/_aws/execute-api/" + id + "/dev/status?code=teapot", null);
        assertEquals(418, teapot.status());
        assertEquals("{\"teapot\":true}", teapot.body());

        ApiGatewayApi.Answer hello = api.invoke("POST", "/_aws/execute-api/" + id + "/dev/greet", "{\"who\":\"Ana\",\"fail\":false}", "Content-Type", "application/json");
        assertEquals(200, hello.status(), hello.body());
        assertEquals("hello Ana!", hello.body());
        ApiGatewayApi.Answer notFound = api.invoke("POST", "/_aws/execute-api/" + id + "/dev/greet?id=7", "{\"who\":\"Ana\",\"fail\":true}", "Content-Type", "application/json");
        assertEquals(404, notFound.status(), notFound.body());
        assertEquals("{\"error\": \"NotFound: no item 7\"}", notFound.body());
    }

    @Test
    void gatewayResponsesAreCustomizable() {
        String[] a = newApi("custom-errors");
        String id = a[0];
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + a[1] + "/methods/GET", in("authorizationType", "NONE", "apiKeyRequired", true));
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + a[1] + "/methods/GET/integration", in("type", "MOCK"));
        api.ok(201, "POST", "/restapis/" + id + "/deployments", in("stageName", "prod"));
        JsonNode standard = api.ok(200, "GET", "/restapis/" + id + "/gatewayresponses/MISSING_AUTHENTICATION_TOKEN", null);
        assertTrue(standard.path("defaultResponse").asBoolean());
        assertEquals("403", standard.path("statusCode").asText());
        api.ok(201, "PUT", "/restapis/" + id + "/gatewayresponses/MISSING_AUTHENTICATION_TOKEN", in("statusCode", "404",
                "responseParameters", Map.of("gatewayresponse.header.Access-Control-Allow-Origin", "'*'"),
                "responseTemplates", Map.of("application/json", "{\"error\": $context.error.messageString, \"type\": \"$context.error.responseType\"}")));
        api.ok(201, "PUT", "/restapis/" + id + "/gatewayresponses/DEFAULT_4XX", in(
                "responseParameters", Map.of("gatewayresponse.header.X-Default", "'4xx'")));

        ApiGatewayApi.Answer missing = api.invoke("GET", "/_aws/execute-api/" + id + "/prod/nothing", null);
        assertEquals(404, missing.status());
        assertEquals("*", missing.header("Access-Control-Allow-Origin"));
        assertEquals("{\"error\": \"Missing Authentication Token\", \"type\": \"MISSING_AUTHENTICATION_TOKEN\"}", missing.body());
        ApiGatewayApi.Answer noKey = api.invoke("GET", "/_aws/execute-api/" + id + "/prod/", null);
        assertEquals(403, noKey.status());
        assertEquals("4xx", noKey.header("X-Default"));
        assertEquals("{\"message\":\"Forbidden\"}", noKey.body());
        assertEquals(400, api.call("PUT", "/restapis/" + id + "/gatewayresponses/NOT_A_TYPE", in("statusCode", "400")).status());
    }

    @Test
    void requestValidatorsCheckParametersAndBodyAgainstTheModel() {
        String[] a = newApi("validated");
        String id = a[0];
        assertEquals(2, api.ok(200, "GET", "/restapis/" + id + "/models", null).path("item").size(), "Empty and Error");
        api.ok(201, "POST", "/restapis/" + id + "/models", in("name", "Pet", "contentType", "application/json", "schema",
                "{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":1},"
                        + "\"age\":{\"type\":\"integer\",\"minimum\":0}},\"additionalProperties\":false}"));
        String validator = api.ok(201, "POST", "/restapis/" + id + "/requestvalidators", in("name", "all", "validateRequestBody", true,
                "validateRequestParameters", true)).path("id").asText();
        String pets = resource(id, a[1], "pets");
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + pets + "/methods/POST", in("authorizationType", "NONE", "requestValidatorId", validator,
                "requestParameters", Map.of("method.request.querystring.owner", true, "method.request.header.X-Trace", false),
                "requestModels", Map.of("application/json", "Pet")));
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + pets + "/methods/POST/integration", in("type", "MOCK",
                "requestTemplates", Map.of("application/json", "{\"statusCode\": 200}")));
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + pets + "/methods/POST/integration/responses/200", in("responseTemplates",
                Map.of("application/json", "{\"created\": true}")));
        api.ok(201, "POST", "/restapis/" + id + "/deployments", in("stageName", "v"));
        String url = "/_aws/execute-api/" + id + "/v/pets";

        ApiGatewayApi.Answer noOwner = api.invoke("POST", url, "{\"name\":\"rex\"}", "Content-Type", "application/json");
        assertEquals(400, noOwner.status());
        assertEquals("{\"message\": \"Missing required request parameters: [owner]\"}", noOwner.body());
        ApiGatewayApi.Answer badBody = api.invoke("POST", url + "?owner=ana", "{\"name\":\"rex\",\"age\":-1}", "Content-Type", "application/json");
        assertEquals(400, badBody.status());
        assertEquals("{\"message\": \"Invalid request body\"}", badBody.body());
        assertEquals(400, api.invoke("POST", url + "?owner=ana", "{\"age\":1}", "Content-Type", "application/json").status());
        assertEquals(400, api.invoke("POST", url + "?owner=ana", "{\"name\":\"rex\",\"color\":\"red\"}", "Content-Type", "application/json").status());
        ApiGatewayApi.Answer ok = api.invoke("POST", url + "?owner=ana", "{\"name\":\"rex\",\"age\":3}", "Content-Type", "application/json");
        assertEquals(200, ok.status(), ok.body());
        assertEquals("{\"created\": true}", ok.body());
    }

    @Test
    void binaryMediaTypesReachLambdaProxyBase64Encoded() {
        String[] a = newApi("binary");
        String id = a[0];
        api.ok(200, "PATCH", "/restapis/" + id, in("patchOperations", List.of(Map.of("op", "add", "path", "/binaryMediaTypes/image~1*"))));
        String res = resource(id, a[1], "upload");
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + res + "/methods/POST", in("authorizationType", "NONE"));
        api.ok(201, "PUT", "/restapis/" + id + "/resources/" + res + "/methods/POST/integration", in("type", "AWS_PROXY", "httpMethod", "POST",
                "uri", uri("proxy")));
        api.ok(201, "POST", "/restapis/" + id + "/deployments", in("stageName", "v"));
        JsonNode png = api.invoke("POST", "/_aws/execute-api/" + id + "/v/upload", "PNGDATA", "Content-Type", "image/png").json();
        assertTrue(png.path("isBase64Encoded").asBoolean());
        assertEquals(java.util.Base64.getEncoder().encodeToString("PNGDATA".getBytes()), png.path("body").asText());
        JsonNode text = api.invoke("POST", "/_aws/execute-api/" + id + "/v/upload", "plain", "Content-Type", "text/plain").json();
        assertFalse(text.path("isBase64Encoded").asBoolean());
        assertEquals("plain", text.path("body").asText());
    }
}
