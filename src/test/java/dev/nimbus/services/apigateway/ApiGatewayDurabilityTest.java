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
}
