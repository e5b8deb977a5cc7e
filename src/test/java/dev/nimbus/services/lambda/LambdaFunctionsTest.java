package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.CreateFunctionRequest;
import software.amazon.awssdk.services.lambda.model.CreateFunctionResponse;
import software.amazon.awssdk.services.lambda.model.GetFunctionResponse;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.LastUpdateStatus;
import software.amazon.awssdk.services.lambda.model.ListFunctionsResponse;
import software.amazon.awssdk.services.lambda.model.PreconditionFailedException;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.model.State;
import software.amazon.awssdk.services.lambda.model.UpdateFunctionConfigurationResponse;

/** The Lambda control plane through the SDK: create, read, list, update, delete, and AWS's errors. */
class LambdaFunctionsTest {
    static final String APP = "def handler(event, context):\n    return event\n";
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

    static CreateFunctionRequest.Builder python(String name) {
        return CreateFunctionRequest.builder().functionName(name).role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .code(c -> c.zipFile(Zips.sdk("app.py", APP)));
    }

    @Test
    void createdFunctionBecomesActiveAndItsCodeDownloads() throws Exception {
        byte[] zip = Zips.zip("app.py", APP);
        CreateFunctionResponse created = lambda.createFunction(python("made").memorySize(256).timeout(30).description("d")
                .environment(e -> e.variables(Map.of("STAGE", "test")))
                .code(c -> c.zipFile(SdkBytes.fromByteArray(zip))).build());
        assertEquals(201, created.sdkHttpResponse().statusCode());
        assertEquals("arn:aws:lambda:us-east-1:000000000000:function:made", created.functionArn());
        assertEquals(State.PENDING, created.state());
        assertEquals("Creating", created.stateReasonCodeAsString());
        assertEquals(zip.length, created.codeSize());
        assertEquals(Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(zip)), created.codeSha256());
        assertEquals("$LATEST", created.version());
        assertEquals(256, created.memorySize());
        assertEquals(30, created.timeout());
        assertEquals("d", created.description());
        assertEquals(Map.of("STAGE", "test"), created.environment().variables());
        assertTrue(created.lastModified().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\+0000"), created.lastModified());
        assertEquals("/aws/lambda/made", created.loggingConfig().logGroup());

        lambda.waiter().waitUntilFunctionActiveV2(b -> b.functionName("made"));
        GetFunctionResponse got = lambda.getFunction(b -> b.functionName("made"));
        assertEquals(State.ACTIVE, got.configuration().state());
        assertEquals(LastUpdateStatus.SUCCESSFUL, got.configuration().lastUpdateStatus());
        assertEquals(created.revisionId(), got.configuration().revisionId());
        assertEquals("S3", got.code().repositoryType());
        HttpResponse<byte[]> download = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(got.code().location())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, download.statusCode());
        assertArrayEquals(zip, download.body());

        // By ARN and by partial ARN, as AWS accepts them.
        assertEquals("made", lambda.getFunctionConfiguration(b -> b.functionName(created.functionArn())).functionName());
        assertEquals("made", lambda.getFunctionConfiguration(b -> b.functionName("000000000000:function:made")).functionName());
        assertEquals("made", lambda.getFunctionConfiguration(b -> b.functionName("made").qualifier("$LATEST")).functionName());
    }

    @Test
    void duplicateAndUnknownFunctionsAreRefusedAsAwsDoes() {
        lambda.createFunction(python("twice").build());
        ResourceConflictException dup = assertThrows(ResourceConflictException.class, () -> lambda.createFunction(python("twice").build()));
        assertEquals("Function already exist: twice", dup.awsErrorDetails().errorMessage());
        assertEquals(409, dup.statusCode());

        ResourceNotFoundException missing = assertThrows(ResourceNotFoundException.class, () -> lambda.getFunction(b -> b.functionName("nobody")));
        assertEquals("Function not found: arn:aws:lambda:us-east-1:000000000000:function:nobody", missing.awsErrorDetails().errorMessage());
        ResourceNotFoundException version = assertThrows(ResourceNotFoundException.class,
                () -> lambda.getFunctionConfiguration(b -> b.functionName("twice").qualifier("7")));
        assertEquals("Function not found: arn:aws:lambda:us-east-1:000000000000:function:twice:7", version.awsErrorDetails().errorMessage());
        assertThrows(ResourceNotFoundException.class, () -> lambda.deleteFunction(b -> b.functionName("nobody")));
    }

    @Test
    void badPackagesAndSettingsGetAwsErrors() {
        InvalidParameterValueException corrupt = assertThrows(InvalidParameterValueException.class,
                () -> lambda.createFunction(python("corrupt").code(c -> c.zipFile(SdkBytes.fromUtf8String("PK\u0003\u0004 not a zip at all"))).build()));
        assertEquals("Could not unzip uploaded file. Please check your file, then try to upload again.", corrupt.awsErrorDetails().errorMessage());

        LambdaException memory = assertThrows(LambdaException.class, () -> lambda.createFunction(python("m").memorySize(10241).build()));
        assertEquals("ValidationException", memory.awsErrorDetails().errorCode());
        assertEquals("1 validation error detected: Value '10241' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240",
                memory.awsErrorDetails().errorMessage());
        LambdaException small = assertThrows(LambdaException.class, () -> lambda.createFunction(python("m").memorySize(64).build()));
        assertEquals("ValidationException", small.awsErrorDetails().errorCode());
        LambdaException timeout = assertThrows(LambdaException.class, () -> lambda.createFunction(python("t").timeout(901).build()));
        assertEquals("1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900",
                timeout.awsErrorDetails().errorMessage());

        InvalidParameterValueException big = assertThrows(InvalidParameterValueException.class,
                () -> lambda.createFunction(python("e").environment(e -> e.variables(Map.of("BIG", "x".repeat(4100)))).build()));
        assertTrue(big.awsErrorDetails().errorMessage().startsWith("Lambda was unable to configure your environment variables because the environment "
                + "variables you have provided exceeded the 4KB limit. String measured: {\"BIG\":\"xxx"), big.awsErrorDetails().errorMessage());
        InvalidParameterValueException reserved = assertThrows(InvalidParameterValueException.class,
                () -> lambda.createFunction(python("r").environment(e -> e.variables(Map.of("AWS_REGION", "x"))).build()));
        assertTrue(reserved.awsErrorDetails().errorMessage().endsWith("Reserved keys used in this request: AWS_REGION"));

        InvalidParameterValueException noHandler = assertThrows(InvalidParameterValueException.class,
                () -> lambda.createFunction(python("h").handler(null).build()));
        assertEquals("Runtime and Handler are mandatory parameters for functions created with deployment packages.", noHandler.awsErrorDetails().errorMessage());

        LambdaException role = assertThrows(LambdaException.class, () -> lambda.createFunction(python("role").role("not-a-role").build()));
        assertEquals("ValidationException", role.awsErrorDetails().errorCode());

        // Nothing of the refused functions exists afterwards.
        assertTrue(lambda.listFunctions().functions().stream().noneMatch(f -> List.of("corrupt", "m", "t", "e", "r", "h", "role").contains(f.functionName())));
    }

    @Test
    void zipOverFiftyMegabytesIsTooLarge() {
        byte[] noise = new byte[50 * 1024 * 1024 + 1];
        new Random(1).nextBytes(noise);
        LambdaException e = assertThrows(LambdaException.class, () -> lambda.createFunction(python("huge").code(c -> c.zipFile(SdkBytes.fromByteArray(noise))).build()));
        assertEquals(413, e.statusCode(), e.getMessage());
        assertEquals("RequestEntityTooLargeException", e.awsErrorDetails().errorCode());
    }

    @Test
    void listFunctionsPages() {
        for (String n : List.of("page-a", "page-b", "page-c")) lambda.createFunction(python(n).build());
        List<String> seen = new ArrayList<>();
        String marker = null;
        int pages = 0;
        do {
            String m = marker;
            ListFunctionsResponse r = lambda.listFunctions(b -> b.maxItems(2).marker(m));
            assertTrue(r.functions().size() <= 2);
            r.functions().forEach(f -> seen.add(f.functionName()));
            marker = r.nextMarker();
            pages++;
        } while (marker != null);
        assertTrue(pages >= 2);
        assertTrue(seen.containsAll(List.of("page-a", "page-b", "page-c")), seen.toString());
        assertEquals(seen.size(), seen.stream().distinct().count());
    }

    @Test
    void updatesChangeTheRevisionAndWaitersSeeThemFinish() {
        CreateFunctionResponse created = lambda.createFunction(python("upd").build());
        UpdateFunctionConfigurationResponse conf = lambda.updateFunctionConfiguration(b -> b.functionName("upd").timeout(10).memorySize(512)
                .environment(e -> e.variables(Map.of("AA", "1"))).revisionId(created.revisionId()));
        assertEquals(LastUpdateStatus.IN_PROGRESS, conf.lastUpdateStatus());
        assertEquals(10, conf.timeout());
        assertEquals(512, conf.memorySize());
        assertNotEquals(created.revisionId(), conf.revisionId());
        lambda.waiter().waitUntilFunctionUpdatedV2(b -> b.functionName("upd"));
        var now = lambda.getFunctionConfiguration(b -> b.functionName("upd"));
        assertEquals(LastUpdateStatus.SUCCESSFUL, now.lastUpdateStatus());
        assertEquals(Map.of("AA", "1"), now.environment().variables());
        assertEquals(created.codeSha256(), now.codeSha256());

        assertThrows(PreconditionFailedException.class,
                () -> lambda.updateFunctionConfiguration(b -> b.functionName("upd").timeout(5).revisionId(created.revisionId())));

        byte[] zip = Zips.zip("app.py", "def handler(e, c):\n    return 2\n");
        var code = lambda.updateFunctionCode(b -> b.functionName("upd").zipFile(SdkBytes.fromByteArray(zip)));
        assertEquals(zip.length, code.codeSize());
        assertNotEquals(created.codeSha256(), code.codeSha256());
        assertEquals(10, code.timeout());
        InvalidParameterValueException corrupt = assertThrows(InvalidParameterValueException.class,
                () -> lambda.updateFunctionCode(b -> b.functionName("upd").zipFile(SdkBytes.fromUtf8String("garbage"))));
        assertEquals("Could not unzip uploaded file. Please check your file, then try to upload again.", corrupt.awsErrorDetails().errorMessage());
        assertEquals(code.codeSha256(), lambda.getFunctionConfiguration(b -> b.functionName("upd")).codeSha256());
    }

    @Test
    void tagsOfAFunction() {
        String arn = lambda.createFunction(python("tagged").tags(Map.of("team", "nimbus")).build()).functionArn();
        assertEquals(Map.of("team", "nimbus"), lambda.getFunction(b -> b.functionName("tagged")).tags());
        lambda.tagResource(b -> b.resource(arn).tags(Map.of("env", "dev", "team", "core")));
        assertEquals(Map.of("team", "core", "env", "dev"), lambda.listTags(b -> b.resource(arn)).tags());
        lambda.untagResource(b -> b.resource(arn).tagKeys("team", "absent"));
        assertEquals(Map.of("env", "dev"), lambda.listTags(b -> b.resource(arn)).tags());
        assertThrows(ResourceNotFoundException.class, () -> lambda.listTags(b -> b.resource(arn.replace("tagged", "untagged"))));
        assertThrows(InvalidParameterValueException.class, () -> lambda.tagResource(b -> b.resource(arn + ":1").tags(Map.of("a", "b"))));
    }

    @Test
    void deletedFunctionIsGone() {
        lambda.createFunction(python("doomed").build());
        String location = lambda.getFunction(b -> b.functionName("doomed")).code().location();
        assertEquals(204, lambda.deleteFunction(b -> b.functionName("doomed")).sdkHttpResponse().statusCode());
        ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class, () -> lambda.getFunction(b -> b.functionName("doomed")));
        assertEquals("Function not found: arn:aws:lambda:us-east-1:000000000000:function:doomed", e.awsErrorDetails().errorMessage());
        assertNull(lambda.listFunctions().functions().stream().filter(f -> f.functionName().equals("doomed")).findAny().orElse(null));
        assertThrows(ResourceNotFoundException.class, () -> lambda.invoke(b -> b.functionName("doomed")));
        assertEquals(404, HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(URI.create(location)).build(), HttpResponse.BodyHandlers.discarding())
                .join().statusCode());
        // The name is free again.
        assertEquals("doomed", lambda.createFunction(python("doomed").build()).functionName());
    }
}
