package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.ListVersionsByFunctionResponse;
import software.amazon.awssdk.services.lambda.model.PublishLayerVersionResponse;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * rest-json through the real Lambda SDK against the built-in operations (API Gateway's wire format
 * is exercised by its own tests in services/apigateway).
 */
class RestJsonCodecTest {
    static final String SIGNED_LAMBDA = "Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00";
    static TestServer nimbus;
    static LambdaClient lambda;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    @Test
    void listVersionsReadsTheLabelAndQueryAndWritesNestedJson() {
        lambda.createFunction(b -> b.functionName("my-func").role("arn:aws:iam::000000000000:role/r").runtime(Runtime.PYTHON3_12).handler("app.handler")
                .memorySize(256).architectures(Architecture.ARM64).environment(e -> e.variables(Map.of("STAGE", "test")))
                .code(c -> c.zipFile(SdkBytes.fromByteArray(zip("app.py", "v = 1")))));
        for (int i = 1; i <= 3; i++) {
            String code = "v = " + i;
            lambda.updateFunctionCode(b -> b.functionName("my-func").zipFile(SdkBytes.fromByteArray(zip("app.py", code))));
            lambda.publishVersion(b -> b.functionName("my-func"));
        }
        ListVersionsByFunctionResponse r = lambda.listVersionsByFunction(b -> b.functionName("my-func").marker("1").maxItems(1));
        assertEquals(List.of("2"), r.versions().stream().map(FunctionConfiguration::version).toList());
        assertEquals("2", r.nextMarker());
        FunctionConfiguration c = r.versions().get(0);
        assertEquals("my-func", c.functionName());
        assertEquals("arn:aws:lambda:us-east-1:000000000000:function:my-func:2", c.functionArn());
        assertEquals(256, c.memorySize());
        assertEquals(List.of(Architecture.ARM64), c.architectures());
        assertEquals(Map.of("STAGE", "test"), c.environment().variables());
    }

    @Test
    void publishLayerVersionReadsJsonBodyWithBase64BlobAndAnswers201() throws Exception {
        byte[] zip = zip("python/lib.py", "X = 1");
        PublishLayerVersionResponse r = lambda.publishLayerVersion(b -> b.layerName("libs").description("shared")
                .compatibleRuntimes(Runtime.PYTHON3_12, Runtime.NODEJS22_X).compatibleArchitectures(Architecture.X86_64)
                .content(c -> c.zipFile(SdkBytes.fromByteArray(zip))));
        assertEquals(201, r.sdkHttpResponse().statusCode());
        assertEquals("arn:aws:lambda:us-east-1:000000000000:layer:libs:1", r.layerVersionArn());
        assertEquals(zip.length, r.content().codeSize());
        assertEquals(Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-256").digest(zip)), r.content().codeSha256());
        assertEquals(List.of(Runtime.PYTHON3_12, Runtime.NODEJS22_X), r.compatibleRuntimes());
        assertEquals(List.of(Architecture.X86_64), r.compatibleArchitectures());
        assertEquals("shared", r.description());
    }

    @Test
    void timestampsRoundTripAsEpochSeconds() {
        // The real CreateEventSourceMapping: its 202 answer carries LastModified, epoch seconds in the JSON body.
        lambda.createFunction(b -> b.functionName("mapped").role("arn:aws:iam::000000000000:role/r").runtime(Runtime.PYTHON3_12).handler("app.handler")
                .code(c -> c.zipFile(SdkBytes.fromByteArray(zip("app.py", "v = 1")))));
        String queueArn;
        try (SqsClient sqs = nimbus.client(SqsClient.builder())) {
            String url = sqs.createQueue(b -> b.queueName("mapped")).queueUrl();
            queueArn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes().get(QueueAttributeName.QUEUE_ARN);
        }
        Instant before = Instant.now().minusSeconds(1);
        CreateEventSourceMappingResponse r = lambda.createEventSourceMapping(b -> b.functionName("mapped").eventSourceArn(queueArn).batchSize(7).enabled(false));
        assertTrue(!r.lastModified().isBefore(before) && !r.lastModified().isAfter(Instant.now().plusSeconds(1)), r.lastModified().toString());
        assertEquals(7, r.batchSize());
        assertEquals(202, r.sdkHttpResponse().statusCode());
    }

    @Test
    void statusCodeMemberWithoutBodyMembersSendsNoBody() {
        for (String name : List.of("gone", "gone-raw")) {
            lambda.createFunction(b -> b.functionName(name).role("arn:aws:iam::000000000000:role/r").runtime(Runtime.PYTHON3_12).handler("app.handler")
                    .code(c -> c.zipFile(SdkBytes.fromByteArray(zip("app.py", "def handler(e, c):\n    return e\n")))));
        }
        assertEquals(204, lambda.deleteFunction(b -> b.functionName("gone")).sdkHttpResponse().statusCode());
        RawHttp.Response raw = RawHttp.exchange(nimbus.port(), "DELETE", "/2015-03-31/functions/gone-raw", "localhost", null, SIGNED_LAMBDA);
        assertEquals(204, raw.status());
        assertEquals("", raw.body());
    }

    static byte[] zip(String name, String content) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(bytes)) {
            zip.putNextEntry(new java.util.zip.ZipEntry(name));
            zip.write(content.getBytes(StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
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

        LambdaException missing = assertThrows(LambdaException.class, () -> lambda.listCodeSigningConfigs(b -> {}));
        assertEquals(501, missing.statusCode());
        assertEquals("NotImplemented", missing.awsErrorDetails().errorCode());
        assertTrue(missing.awsErrorDetails().errorMessage().contains("lambda.ListCodeSigningConfigs"));
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
}
