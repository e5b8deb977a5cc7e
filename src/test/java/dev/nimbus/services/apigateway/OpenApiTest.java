package dev.nimbus.services.apigateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** ImportRestApi / PutRestApi from OpenAPI 3 and Swagger 2 (YAML and JSON), and GetExport's document payload. */
class OpenApiTest {
    static TestServer nimbus;
    static ApiGatewayApi api;

    static final String PETS = """
            openapi: 3.0.1
            info:
              title: pets
              version: "1"
            x-amazon-apigateway-binary-media-types: ["image/png"]
            paths:
              /pets/{petId}:
                get:
                  parameters:
                    - name: petId
                      in: path
                      required: true
                  responses:
                    "200":
                      description: ok
                  x-amazon-apigateway-integration:
                    type: mock
                    requestTemplates:
                      application/json: '{"statusCode": 200}'
                    responses:
                      default:
                        statusCode: "200"
                        responseTemplates:
                          application/json: '{"id": "$input.params(''petId'')", "stage": "$context.stage"}'
            """;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        api = new ApiGatewayApi(nimbus.endpoint());
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    /** A raw-body call (the definition is the request's payload), as the CLI sends --body fileb://... */
    static ApiGatewayApi.Answer raw(String method, String path, String body, String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(nimbus.endpoint() + path))
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=00")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (accept != null) b.header("Accept", accept);
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
            java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
            r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
            return new ApiGatewayApi.Answer(r.statusCode(), headers, r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void importedYamlDefinitionServesAndExportsBack() {
        ApiGatewayApi.Answer imported = raw("POST", "/restapis?mode=import", PETS, null);
        assertEquals(201, imported.status(), imported.body());
        JsonNode created = imported.json();
        String id = created.path("id").asText();
        assertEquals("pets", created.path("name").asText());
        assertEquals("[\"image/png\"]", created.path("binaryMediaTypes").toString());
        JsonNode deployment = api.ok(201, "POST", "/restapis/" + id + "/deployments", ApiGatewayApi.in("stageName", "v1"));
        // Timestamps are epoch seconds in API Gateway v1's JSON.
        assertTrue(deployment.path("createdDate").isNumber(), deployment.toString());

        ApiGatewayApi.Answer pet = api.invoke("GET", "/_aws/execute-api/" + id + "/v1/pets/42", null);
        assertEquals(200, pet.status(), pet.body());
        assertEquals("{\"id\": \"42\", \"stage\": \"v1\"}", pet.body());

        // GetExport: query map (parameters), the Accept header as a member, a document payload with its own Content-Type.
        ApiGatewayApi.Answer json = raw("GET", "/restapis/" + id + "/stages/v1/exports/oas30?extensions=integrations", null, "application/json");
        assertEquals(200, json.status(), json.body());
        assertEquals("application/json", json.header("Content-Type"));
        assertTrue(json.header("Content-Disposition").startsWith("attachment; filename=\"" + id + "-v1-oas30_"), json.header("Content-Disposition"));
        JsonNode doc = json.json();
        assertEquals("3.0.1", doc.path("openapi").asText());
        assertEquals("mock", doc.path("paths").path("/pets/{petId}").path("get").path("x-amazon-apigateway-integration").path("type").asText());
        ApiGatewayApi.Answer plain = raw("GET", "/restapis/" + id + "/stages/v1/exports/swagger", null, "application/json");
        assertEquals("2.0", plain.json().path("swagger").asText());
        assertTrue(plain.json().path("paths").path("/pets/{petId}").path("get").path("x-amazon-apigateway-integration").isMissingNode());
        ApiGatewayApi.Answer yaml = raw("GET", "/restapis/" + id + "/stages/v1/exports/oas30?extensions=apigateway", null, "application/yaml");
        assertEquals("application/yaml", yaml.header("Content-Type"));
        assertTrue(yaml.body().contains("openapi: 3.0.1"), yaml.body());

        // The exported definition imports again into an equivalent API (JSON this time, PutRestApi overwrite).
        String other = api.ok(201, "POST", "/restapis", ApiGatewayApi.in("name", "copy")).path("id").asText();
        ApiGatewayApi.Answer put = raw("PUT", "/restapis/" + other + "?mode=overwrite", json.body(), null);
        assertEquals(200, put.status(), put.body());
        api.ok(201, "POST", "/restapis/" + other + "/deployments", ApiGatewayApi.in("stageName", "s"));
        assertEquals("{\"id\": \"7\", \"stage\": \"s\"}", api.invoke("GET", "/_aws/execute-api/" + other + "/s/pets/7", null).body());

        // GetRestApis: the list member "items" is "item" on the wire.
        assertTrue(api.ok(200, "GET", "/restapis?limit=50", null).path("item").size() >= 2);
    }

    @Test
    void malformedDefinitionsAreBadRequestsNamingTheProblem() {
        ApiGatewayApi.Answer noVersion = raw("POST", "/restapis?mode=import", "{\"info\":{\"title\":\"x\"},\"paths\":{}}", null);
        assertEquals(400, noVersion.status());
        assertEquals("BadRequestException", noVersion.header("x-amzn-ErrorType"));
        assertTrue(noVersion.json().path("message").asText().contains("openapi: 3.x or swagger"), noVersion.body());

        String noType = """
                swagger: "2.0"
                info: {title: broken}
                paths:
                  /a:
                    post:
                      x-amazon-apigateway-integration:
                        uri: http://example.com
                """;
        ApiGatewayApi.Answer r = raw("POST", "/restapis?mode=import", noType, null);
        assertEquals(400, r.status());
        assertEquals("Errors found during import:\n\tUnable to put integration on 'POST /a': x-amazon-apigateway-integration has no type",
                r.json().path("message").asText());

        ApiGatewayApi.Answer notYaml = raw("POST", "/restapis?mode=import", "openapi: [unclosed", null);
        assertEquals(400, notYaml.status());
        assertTrue(notYaml.json().path("message").asText().startsWith("Errors found during import:\n\tUnable to parse the API definition"), notYaml.body());
        int before = api.ok(200, "GET", "/restapis", null).path("item").size();
        raw("POST", "/restapis?mode=import", noType, null);
        assertEquals(before, api.ok(200, "GET", "/restapis", null).path("item").size(), "a failed import creates no API");
    }
}
