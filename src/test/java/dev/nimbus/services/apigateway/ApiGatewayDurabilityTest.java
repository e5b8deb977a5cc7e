package dev.nimbus.services.apigateway;

import static dev.nimbus.services.apigateway.ApiGatewayApi.in;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.testing.TestServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** APIs, their stages and deployments survive a restart on the same data dir and keep serving. */
class ApiGatewayDurabilityTest {
    @TempDir
    Path data;

    @Test
    void apisSurviveARestart() {
        String rest;
        String http;
        try (TestServer first = TestServer.startDurable(data)) {
            ApiGatewayApi api = new ApiGatewayApi(first.endpoint());
            JsonNode created = api.ok(201, "POST", "/restapis", in("name", "durable"));
            rest = created.path("id").asText();
            String root = created.path("rootResourceId").asText();
            api.ok(201, "PUT", "/restapis/" + rest + "/resources/" + root + "/methods/GET", in("authorizationType", "NONE"));
            api.ok(201, "PUT", "/restapis/" + rest + "/resources/" + root + "/methods/GET/integration", in("type", "MOCK",
                    "requestTemplates", Map.of("application/json", "{\"statusCode\": 200}")));
            api.ok(201, "PUT", "/restapis/" + rest + "/resources/" + root + "/methods/GET/integration/responses/200",
                    in("responseTemplates", Map.of("application/json", "{\"stage\": \"$context.stage\"}")));
            api.ok(201, "POST", "/restapis/" + rest + "/deployments", in("stageName", "live"));
            http = api.ok(201, "POST", "/v2/apis", in("name", "durable-http", "protocolType", "HTTP",
                    "corsConfiguration", Map.of("allowOrigins", java.util.List.of("*")))).path("apiId").asText();
        }
        try (TestServer second = TestServer.startDurable(data)) {
            ApiGatewayApi api = new ApiGatewayApi(second.endpoint());
            assertEquals("durable", api.ok(200, "GET", "/restapis/" + rest, null).path("name").asText());
            assertEquals("{\"stage\": \"live\"}", api.invoke("GET", "/_aws/execute-api/" + rest + "/live/", null).body());
            assertEquals("*", api.ok(200, "GET", "/v2/apis/" + http, null).path("corsConfiguration").path("allowOrigins").get(0).asText());
        }
    }

    @Test
    void usedQuotaSurvivesARestart() {
        String rest;
        String plan;
        JsonNode key;
        try (TestServer first = TestServer.startDurable(data)) {
            ApiGatewayApi api = new ApiGatewayApi(first.endpoint());
            JsonNode created = api.ok(201, "POST", "/restapis", in("name", "metered"));
            rest = created.path("id").asText();
            String root = created.path("rootResourceId").asText();
            api.ok(201, "PUT", "/restapis/" + rest + "/resources/" + root + "/methods/GET", in("authorizationType", "NONE", "apiKeyRequired", true));
            api.ok(201, "PUT", "/restapis/" + rest + "/resources/" + root + "/methods/GET/integration", in("type", "MOCK",
                    "requestTemplates", Map.of("application/json", "{\"statusCode\": 200}")));
            api.ok(201, "PUT", "/restapis/" + rest + "/resources/" + root + "/methods/GET/integration/responses/200", in());
            api.ok(201, "POST", "/restapis/" + rest + "/deployments", in("stageName", "live"));
            key = api.ok(201, "POST", "/apikeys", in("name", "k", "enabled", true));
            plan = api.ok(201, "POST", "/usageplans", in("name", "p", "apiStages", java.util.List.of(Map.of("apiId", rest, "stage", "live")),
                    "quota", Map.of("limit", 3, "period", "MONTH"))).path("id").asText();
            api.ok(201, "POST", "/usageplans/" + plan + "/keys", in("keyId", key.path("id").asText(), "keyType", "API_KEY"));
            for (int i = 0; i < 2; i++) assertEquals(200, api.invoke("GET", "/_aws/execute-api/" + rest + "/live/", null, "x-api-key", key.path("value").asText()).status());
        }
        try (TestServer second = TestServer.startDurable(data)) {
            ApiGatewayApi api = new ApiGatewayApi(second.endpoint());
            String url = "/_aws/execute-api/" + rest + "/live/";
            assertEquals(200, api.invoke("GET", url, null, "x-api-key", key.path("value").asText()).status(), "the third of three");
            assertEquals(429, api.invoke("GET", url, null, "x-api-key", key.path("value").asText()).status(), "the quota counted before the restart");
            String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
            JsonNode usage = api.ok(200, "GET", "/usageplans/" + plan + "/usage?startDate=" + today + "&endDate=" + today, null);
            assertEquals("[[3,0]]", usage.path("values").path(key.path("id").asText()).toString(), usage.toString());
        }
    }
}
