package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Architecture;
import software.amazon.awssdk.services.lambda.model.CreateEventSourceMappingResponse;
import software.amazon.awssdk.services.lambda.model.CreateFunctionResponse;
import software.amazon.awssdk.services.lambda.model.EventSourcePosition;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.GetFunctionResponse;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.ListFunctionsResponse;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;

/**
 * rest-json through the real Lambda SDK against test-only operations ({@link EchoLambda}), and
 * API Gateway's wire format over raw HTTP (no API Gateway SDK is among the test dependencies).
 */
class RestJsonCodecTest {
    static final String SIGNED_APIGW = "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=00";
    static final String SIGNED_LAMBDA = "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00";
    static TestServer nimbus;
    static LambdaClient lambda;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start(new EchoLambda(), new EchoApiGateway.V1(), new EchoApiGateway.V2());
        lambda = nimbus.client(LambdaClient.builder());
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    @Test
    void invokeCarriesBlobPayloadHeadersAndStatusCode() {
        InvokeResponse r = lambda.invoke(b -> b.functionName("echo").qualifier("7").logType(LogType.TAIL)
                .clientContext("Y2xpZW50").payload(SdkBytes.fromUtf8String("{\"n\":1}")));
        assertEquals(200, r.statusCode());
        assertEquals("{\"echo\":{\"n\":1}}", r.payload().asUtf8String());
        assertEquals("7", r.executedVersion());
        assertNull(r.functionError());
        assertEquals("invoked echo with context Y2xpZW50", new String(Base64.getDecoder().decode(r.logResult()), StandardCharsets.UTF_8));

        InvokeResponse failed = lambda.invoke(b -> b.functionName("echo").payload(SdkBytes.fromUtf8String("\"fail\"")));
        assertEquals("Unhandled", failed.functionError());
        assertEquals("$LATEST", failed.executedVersion());

        InvokeResponse async = lambda.invoke(b -> b.functionName("echo").invocationType(InvocationType.EVENT).payload(SdkBytes.fromUtf8String("{}")));
        assertEquals(202, async.statusCode());
        assertEquals(0, async.payload().asByteArray().length);
    }

    @Test
    void getFunctionReadsTheLabelAndQueryAndWritesNestedJson() {
        GetFunctionResponse r = lambda.getFunction(b -> b.functionName("my-func").qualifier("prod"));
        FunctionConfiguration c = r.configuration();
        assertEquals("my-func", c.functionName());
        assertEquals("arn:aws:lambda:us-east-1:000000000000:function:my-func", c.functionArn());
        assertEquals("prod", c.version());
        assertEquals(256, c.memorySize());
        assertEquals(List.of(Architecture.ARM64), c.architectures());
        assertEquals(Map.of("STAGE", "test"), c.environment().variables());
        assertEquals("S3", r.code().repositoryType());
        assertEquals(Map.of("team", "nimbus"), r.tags());
    }

    @Test
    void listFunctionsReadsQueryParameters() {
        ListFunctionsResponse r = lambda.listFunctions(b -> b.marker("m1").maxItems(3));
        assertEquals(List.of("m1-0", "m1-1", "m1-2"), r.functions().stream().map(FunctionConfiguration::functionName).toList());
        assertEquals("after-m1", r.nextMarker());
    }

    @Test
    void createFunctionReadsJsonBodyWithBase64BlobAndAnswers201() {
        byte[] zip = "PK\u0003\u0004 not really a zip".getBytes(StandardCharsets.ISO_8859_1);
        CreateFunctionResponse r = lambda.createFunction(b -> b.functionName("made").role("arn:aws:iam::000000000000:role/r")
                .runtime(Runtime.PYTHON3_12).handler("app.handler").memorySize(512)
                .architectures(Architecture.X86_64)
                .environment(e -> e.variables(Map.of("AA", "1", "BB", "two")))
                .layers("arn:aws:lambda:us-east-1:000000000000:layer:l:1")
                .code(c -> c.zipFile(SdkBytes.fromByteArray(zip))));
        assertEquals(201, r.sdkHttpResponse().statusCode());
        assertEquals("made", r.functionName());
        assertEquals(zip.length, r.codeSize());
        assertEquals(Base64.getEncoder().encodeToString(EchoLambda.sha256(zip)), r.codeSha256());
        assertEquals(Runtime.PYTHON3_12, r.runtime());
        assertEquals(512, r.memorySize());
        assertEquals(Map.of("AA", "1", "BB", "two"), r.environment().variables());
        assertEquals("arn:aws:lambda:us-east-1:000000000000:layer:l:1", r.layers().get(0).arn());
        assertEquals(List.of(Architecture.X86_64), r.architectures());
    }

    @Test
    void timestampsRoundTripAsEpochSeconds() {
        Instant start = Instant.parse("2024-03-01T10:15:30.500Z");
        CreateEventSourceMappingResponse r = lambda.createEventSourceMapping(b -> b.functionName("f")
                .eventSourceArn("arn:aws:kinesis:us-east-1:000000000000:stream/s").startingPosition(EventSourcePosition.AT_TIMESTAMP)
                .startingPositionTimestamp(start).batchSize(7));
        assertEquals(start.plusSeconds(86_400), r.lastModified());
        assertEquals(7, r.batchSize());
        assertEquals(202, r.sdkHttpResponse().statusCode());
    }

    @Test
    void statusCodeMemberWithoutBodyMembersSendsNoBody() {
        assertEquals(204, lambda.deleteFunction(b -> b.functionName("gone")).sdkHttpResponse().statusCode());
        RawHttp.Response raw = RawHttp.exchange(nimbus.port(), "DELETE", "/2015-03-31/functions/gone", "localhost", null, SIGNED_LAMBDA);
        assertEquals(204, raw.status());
        assertEquals("", raw.body());
    }

    @Test
    void modeledErrorIsParsedAsItsExceptionType() {
        ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class, () -> lambda.getFunction(b -> b.functionName("missing-fn")));
        assertEquals(404, e.statusCode());
        assertEquals("Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing-fn", e.awsErrorDetails().errorMessage());
        assertEquals("User", e.type());

        RawHttp.Response raw = RawHttp.exchange(nimbus.port(), "GET", "/2015-03-31/functions/missing-x", "localhost", null, SIGNED_LAMBDA);
        assertEquals(404, raw.status());
        assertEquals("ResourceNotFoundException", raw.header("x-amzn-ErrorType"));
        assertEquals("application/json", raw.header("Content-Type"));
        // Members in model order, as Lambda itself writes them: Type first.
        assertEquals("{\"Type\":\"User\",\"Message\":\"Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing-x\"}", raw.body());
    }

    @Test
    void validationAndUnregisteredOperationsAnswerInRestJson() {
        LambdaException invalid = assertThrows(LambdaException.class, () -> lambda.listFunctions(b -> b.maxItems(100_000)));
        assertEquals(400, invalid.statusCode());
        assertEquals("ValidationException", invalid.awsErrorDetails().errorCode());
        assertEquals("1 validation error detected: Value '100000' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 10000",
                invalid.awsErrorDetails().errorMessage());

        LambdaException missing = assertThrows(LambdaException.class, () -> lambda.getAccountSettings());
        assertEquals(501, missing.statusCode());
        assertEquals("NotImplemented", missing.awsErrorDetails().errorCode());
        assertTrue(missing.awsErrorDetails().errorMessage().contains("lambda.GetAccountSettings"));
    }

    @Test
    void wrongJsonTypesInTheBodyAreSerializationErrors() {
        RawHttp.Response raw = RawHttp.exchange(nimbus.port(), "POST", "/2015-03-31/functions", "localhost",
                "{\"FunctionName\":\"f\",\"Role\":\"r\",\"Code\":{},\"MemorySize\":\"big\"}", SIGNED_LAMBDA, "Content-Type: application/json");
        assertEquals(400, raw.status());
        assertEquals("SerializationException", raw.header("x-amzn-ErrorType"));
        assertTrue(raw.body().contains("MemorySize"), raw.body());

        RawHttp.Response notJson = RawHttp.exchange(nimbus.port(), "POST", "/2015-03-31/functions", "localhost", "{\"FunctionName\":", SIGNED_LAMBDA);
        assertEquals(400, notJson.status());
        assertEquals("SerializationException", notJson.header("x-amzn-ErrorType"));

        RawHttp.Response badBlob = RawHttp.exchange(nimbus.port(), "POST", "/2015-03-31/functions", "localhost",
                "{\"FunctionName\":\"f\",\"Role\":\"r\",\"Code\":{\"ZipFile\":\"a\"}}", SIGNED_LAMBDA);
        assertEquals(400, badBlob.status());
        assertEquals("SerializationException", badBlob.header("x-amzn-ErrorType"));

        RawHttp.Response badQuery = RawHttp.exchange(nimbus.port(), "GET", "/2015-03-31/functions?MaxItems=ten", "localhost", null, SIGNED_LAMBDA);
        assertEquals(400, badQuery.status());
        assertEquals("SerializationException", badQuery.header("x-amzn-ErrorType"));
    }

    @Test
    void apiGatewayV2UsesCamelCaseWireNamesAndIso8601() throws Exception {
        RawHttp.Response raw = RawHttp.exchange(nimbus.port(), "POST", "/v2/apis", "localhost",
                "{\"name\":\"shop\",\"protocolType\":\"HTTP\",\"tags\":{\"env\":\"dev\"},\"corsConfiguration\":{\"allowOrigins\":[\"*\"],\"maxAge\":60},\"Name\":\"ignored\"}",
                SIGNED_APIGW, "Content-Type: application/json");
        assertEquals(201, raw.status(), raw.body());
        JsonNode body = Values.JSON.readTree(raw.body());
        assertEquals("shop", body.path("name").asText());
        assertEquals("HTTP", body.path("protocolType").asText());
        assertEquals("a1b2c3", body.path("apiId").asText());
        assertEquals("dev", body.path("tags").path("env").asText());
        assertEquals(60, body.path("corsConfiguration").path("maxAge").asInt());
        assertEquals("*", body.path("corsConfiguration").path("allowOrigins").get(0).asText());
        assertEquals("2024-05-01T12:30:45.250Z", body.path("createdDate").asText());
        assertTrue(body.path("Name").isMissingNode(), raw.body());

        RawHttp.Response invalid = RawHttp.exchange(nimbus.port(), "POST", "/v2/apis", "localhost", "{\"name\":\"x\"}", SIGNED_APIGW);
        assertEquals(400, invalid.status());
        assertEquals("ValidationException", invalid.header("x-amzn-ErrorType"));
        assertTrue(invalid.body().contains("'protocolType' failed to satisfy constraint: Member must not be null"), invalid.body());
    }

    @Test
    void apiGatewayV2ErrorUsesTheShapesWireNames() {
        RawHttp.Response raw = RawHttp.exchange(nimbus.port(), "GET", "/v2/apis/nope", "localhost", null, SIGNED_APIGW);
        assertEquals(404, raw.status());
        assertEquals("NotFoundException", raw.header("x-amzn-ErrorType"));
        assertEquals("{\"message\":\"Invalid API identifier specified 000000000000:nope\",\"resourceType\":\"Api\"}", raw.body());
    }

    @Test
    void apiGatewayV1QueryMapsListsAndBlobPayload() throws Exception {
        RawHttp.Response export = RawHttp.exchange(nimbus.port(), "GET", "/restapis/r1/stages/prod/exports/oas30?extensions=postman&version=2",
                "localhost", null, SIGNED_APIGW, "Accept: application/yaml");
        assertEquals(200, export.status(), export.body());
        assertEquals("application/yaml", export.header("Content-Type"));
        assertEquals("attachment; filename=\"export.json\"", export.header("Content-Disposition"));
        JsonNode body = Values.JSON.readTree(export.body());
        assertEquals("r1", body.path("api").asText());
        assertEquals("oas30", body.path("type").asText());
        assertEquals("{\"extensions\":\"postman\",\"version\":\"2\"}", body.path("parameters").toString());

        RawHttp.Response deployment = RawHttp.exchange(nimbus.port(), "GET", "/restapis/r1/deployments/d9?embed=apisummary&embed=other",
                "localhost", null, SIGNED_APIGW);
        JsonNode d = Values.JSON.readTree(deployment.body());
        assertEquals("d9", d.path("id").asText());
        assertEquals("[\"apisummary\",\"other\"]", d.path("description").asText());
        assertEquals(1714566645.25, d.path("createdDate").asDouble());

        // The list member "items" is "item" on the wire.
        RawHttp.Response apis = RawHttp.exchange(nimbus.port(), "GET", "/restapis?limit=2", "localhost", null, SIGNED_APIGW);
        JsonNode list = Values.JSON.readTree(apis.body());
        assertEquals(2, list.path("item").size(), apis.body());
        assertEquals("next", list.path("position").asText());
    }
}
