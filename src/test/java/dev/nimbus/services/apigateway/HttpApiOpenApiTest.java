package dev.nimbus.services.apigateway;

import static dev.nimbus.services.apigateway.ApiGatewayApi.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HTTP APIs from and to OpenAPI 3: ImportApi, ReimportApi, ExportApi. */
class HttpApiOpenApiTest {
    static TestServer nimbus;
    static ApiGatewayApi api;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        api = new ApiGatewayApi(nimbus.endpoint());
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    static String definition(String path) {
        return """
                openapi: 3.0.1
                info:
                  title: imported-http
                  version: "2"
                x-amazon-apigateway-cors:
                  allowOrigins: ["*"]
                  maxAge: 60
                paths:
                  %s:
                    get:
                      x-amazon-apigateway-integration:
                        type: http_proxy
                        httpMethod: GET
                        uri: http://127.0.0.1:%d/_nimbus/health
                        payloadFormatVersion: "1.0"
                """.formatted(path, nimbus.port());
    }

    @Test
    void importServesReimportReplacesAndExportGivesTheRoutesBack() {
        JsonNode created = api.ok(201, "PUT", "/v2/apis", in("body", definition("/health/{check}")));
        String id = created.path("apiId").asText();
        assertEquals("imported-http", created.path("name").asText());
        assertEquals(60, created.path("corsConfiguration").path("maxAge").asInt());
        JsonNode routes = api.ok(200, "GET", "/v2/apis/" + id + "/routes", null).path("items");
        assertEquals("GET /health/{check}", routes.get(0).path("routeKey").asText());
        api.ok(201, "POST", "/v2/apis/" + id + "/stages", in("stageName", "$default", "autoDeploy", true));
        assertEquals("running", api.invoke("GET", "/_aws/execute-api/" + id + "/health/db", null).json().path("status").asText());

        api.ok(201, "PUT", "/v2/apis/" + id, in("body", definition("/status")));
        assertEquals(404, api.invoke("GET", "/_aws/execute-api/" + id + "/health/db", null).status(), "reimport replaced the routes");
        assertEquals(200, api.invoke("GET", "/_aws/execute-api/" + id + "/status", null).status());

        JsonNode exported = api.ok(200, "GET", "/v2/apis/" + id + "/exports/OAS30?outputType=JSON", null);
        assertEquals("3.0.1", exported.path("openapi").asText());
        assertEquals("http_proxy", exported.path("paths").path("/status").path("get").path("x-amazon-apigateway-integration").path("type").asText());
        assertEquals("*", exported.path("x-amazon-apigateway-cors").path("allowOrigins").get(0).asText());
        ApiGatewayApi.Answer yaml = api.call("GET", "/v2/apis/" + id + "/exports/OAS30?outputType=YAML&includeExtensions=false", null);
        assertTrue(yaml.body().contains("/status:") && !yaml.body().contains("x-amazon-apigateway-integration"), yaml.body());

        ApiGatewayApi.Answer swagger = api.call("PUT", "/v2/apis", in("body", "{\"swagger\":\"2.0\",\"info\":{\"title\":\"x\"},\"paths\":{}}"));
        assertEquals(400, swagger.status());
        assertEquals("BadRequestException", swagger.header("x-amzn-ErrorType"));
    }
}
