package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.GetFunctionResponse;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.ListVersionsByFunctionResponse;
import software.amazon.awssdk.services.lambda.model.PreconditionFailedException;
import software.amazon.awssdk.services.lambda.model.PublishVersionResponse;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** PublishVersion, ListVersionsByFunction, qualified Get/Invoke/Delete through the SDK. */
class LambdaVersionsTest {
    static TestServer nimbus;
    static LambdaClient lambda;

    static String code(String tag) {
        return "import os\ndef handler(event, context):\n    return {'tag': '" + tag + "', 'version': context.function_version,"
                + " 'env': os.environ['AWS_LAMBDA_FUNCTION_VERSION'], 'stage': os.environ.get('STAGE')}\n";
    }

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

    static void create(String name, String tag) {
        lambda.createFunction(b -> b.functionName(name).role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").timeout(30)
                .environment(e -> e.variables(Zips.env("STAGE", "one"))).code(c -> c.zipFile(Zips.sdk("app.py", code(tag)))));
    }

    @Test
    void listFunctionsWithEveryVersion() {
        // An account of its own, so that only these functions are listed.
        try (LambdaClient other = nimbus.client(LambdaClient.builder(), "222222222222", "us-east-1")) {
            for (String name : List.of("fa", "fb")) {
                other.createFunction(b -> b.functionName(name).role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                        .code(c -> c.zipFile(Zips.sdk("app.py", code(name)))));
            }
            other.publishVersion(b -> b.functionName("fa"));
            other.updateFunctionConfiguration(b -> b.functionName("fa").description("second"));
            other.publishVersion(b -> b.functionName("fa"));

            assertEquals(List.of("fa:$LATEST", "fb:$LATEST"), other.listFunctions(b -> {}).functions().stream()
                    .map(f -> f.functionName() + ":" + f.version()).toList());
            var all = other.listFunctions(b -> b.functionVersion(software.amazon.awssdk.services.lambda.model.FunctionVersion.ALL));
            assertEquals(List.of("fa:$LATEST", "fa:1", "fa:2", "fb:$LATEST"), all.functions().stream().map(f -> f.functionName() + ":" + f.version()).toList());
            assertEquals("arn:aws:lambda:us-east-1:222222222222:function:fa:2", all.functions().get(2).functionArn());
            assertNull(all.nextMarker());

            List<String> paged = new java.util.ArrayList<>();
            String marker = null;
            do {
                String m = marker;
                var page = other.listFunctions(b -> b.functionVersion(software.amazon.awssdk.services.lambda.model.FunctionVersion.ALL).maxItems(1).marker(m));
                assertEquals(1, page.functions().size());
                page.functions().forEach(f -> paged.add(f.functionName() + ":" + f.version()));
                marker = page.nextMarker();
            } while (marker != null);
            assertEquals(List.of("fa:$LATEST", "fa:1", "fa:2", "fb:$LATEST"), paged);
        }
    }

    static JsonNode invoke(String function, String qualifier, InvokeResponse[] response) throws Exception {
        InvokeResponse r = lambda.invoke(b -> b.functionName(function).qualifier(qualifier).payload(SdkBytes.fromUtf8String("{}")));
        if (response != null) response[0] = r;
        assertNull(r.functionError(), r.payload().asUtf8String());
        return Values.JSON.readTree(r.payload().asByteArray());
    }

    @Test
    void publishedVersionsAreSnapshotsThatRunOnTheirOwn() throws Exception {
        create("snap", "first");
        var latest = lambda.getFunctionConfiguration(b -> b.functionName("snap"));
        PublishVersionResponse v1 = lambda.publishVersion(b -> b.functionName("snap").description("first cut"));
        assertEquals("1", v1.version());
        assertEquals("arn:aws:lambda:us-east-1:000000000000:function:snap:1", v1.functionArn());
        assertEquals("first cut", v1.description());
        assertEquals(latest.codeSha256(), v1.codeSha256());

        // Nothing changed: the same version again, nothing new.
        assertEquals("1", lambda.publishVersion(b -> b.functionName("snap")).version());

        lambda.updateFunctionCode(b -> b.functionName("snap").zipFile(Zips.sdk("app.py", code("second"))));
        lambda.updateFunctionConfiguration(b -> b.functionName("snap").environment(e -> e.variables(Zips.env("STAGE", "two"))));
        String sha = lambda.getFunctionConfiguration(b -> b.functionName("snap")).codeSha256();
        PublishVersionResponse v2 = lambda.publishVersion(b -> b.functionName("snap").codeSha256(sha));
        assertEquals("2", v2.version());

        InvokeResponse[] r = new InvokeResponse[1];
        JsonNode out = invoke("snap", "1", r);
        assertEquals("first", out.get("tag").asText());
        assertEquals("one", out.get("stage").asText());
        assertEquals("1", out.get("version").asText());
        assertEquals("1", out.get("env").asText());
        assertEquals("1", r[0].executedVersion());
        out = invoke("snap", "2", r);
        assertEquals("second", out.get("tag").asText());
        assertEquals("two", out.get("stage").asText());
        assertEquals("2", r[0].executedVersion());
        out = invoke("arn:aws:lambda:us-east-1:000000000000:function:snap:1", null, r);
        assertEquals("first", out.get("tag").asText());
        assertEquals("1", r[0].executedVersion());

        // $LATEST moves on; the versions stay.
        lambda.updateFunctionCode(b -> b.functionName("snap").zipFile(Zips.sdk("app.py", code("third"))));
        assertEquals("third", invoke("snap", "$LATEST", r).get("tag").asText());
        assertEquals("$LATEST", r[0].executedVersion());
        assertEquals("first", invoke("snap", "1", null).get("tag").asText());

        GetFunctionResponse got = lambda.getFunction(b -> b.functionName("snap").qualifier("1"));
        assertEquals("1", got.configuration().version());
        assertEquals("first cut", got.configuration().description());
        assertEquals(v1.codeSha256(), got.configuration().codeSha256());
        assertEquals("1", lambda.getFunctionConfiguration(b -> b.functionName("snap:1")).version());
        assertEquals("$LATEST", lambda.getFunctionConfiguration(b -> b.functionName("snap").qualifier("$LATEST")).version());
    }

    @Test
    void listingStartsWithLatestAndPages() {
        create("listed", "a");
        lambda.publishVersion(b -> b.functionName("listed"));
        for (String tag : List.of("b", "c")) {
            lambda.updateFunctionCode(b -> b.functionName("listed").zipFile(Zips.sdk("app.py", code(tag))));
            lambda.publishVersion(b -> b.functionName("listed"));
        }
        assertEquals(List.of("$LATEST", "1", "2", "3"),
                lambda.listVersionsByFunction(b -> b.functionName("listed")).versions().stream().map(FunctionConfiguration::version).toList());
        ListVersionsByFunctionResponse first = lambda.listVersionsByFunction(b -> b.functionName("listed").maxItems(3));
        assertEquals(List.of("$LATEST", "1", "2"), first.versions().stream().map(FunctionConfiguration::version).toList());
        ListVersionsByFunctionResponse second = lambda.listVersionsByFunction(b -> b.functionName("listed").maxItems(3).marker(first.nextMarker()));
        assertEquals(List.of("3"), second.versions().stream().map(FunctionConfiguration::version).toList());
        assertNull(second.nextMarker());
        assertEquals(List.of("$LATEST", "1", "2", "3"),
                lambda.listVersionsByFunctionPaginator(b -> b.functionName("listed").maxItems(1)).versions().stream().map(FunctionConfiguration::version).toList());
    }

    @Test
    void publishPreconditions() {
        create("guarded", "a");
        InvalidParameterValueException sha = assertThrows(InvalidParameterValueException.class,
                () -> lambda.publishVersion(b -> b.functionName("guarded").codeSha256("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")));
        assertTrue(sha.awsErrorDetails().errorMessage().startsWith("CodeSHA256 (AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=) is different from current CodeSHA256 in $LATEST"),
                sha.awsErrorDetails().errorMessage());
        assertThrows(PreconditionFailedException.class, () -> lambda.publishVersion(b -> b.functionName("guarded").revisionId("not-the-revision")));
        assertEquals(List.of("$LATEST"),
                lambda.listVersionsByFunction(b -> b.functionName("guarded")).versions().stream().map(FunctionConfiguration::version).toList());
        String revision = lambda.getFunctionConfiguration(b -> b.functionName("guarded")).revisionId();
        assertEquals("1", lambda.publishVersion(b -> b.functionName("guarded").revisionId(revision)).version());
        ResourceNotFoundException missing = assertThrows(ResourceNotFoundException.class, () -> lambda.publishVersion(b -> b.functionName("nobody")));
        assertEquals("Function not found: arn:aws:lambda:us-east-1:000000000000:function:nobody", missing.awsErrorDetails().errorMessage());
    }

    @Test
    void unknownVersionsAreNotFound() {
        create("few", "a");
        ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class, () -> lambda.getFunction(b -> b.functionName("few").qualifier("7")));
        assertEquals("Function not found: arn:aws:lambda:us-east-1:000000000000:function:few:7", e.awsErrorDetails().errorMessage());
        assertThrows(ResourceNotFoundException.class, () -> lambda.invoke(b -> b.functionName("few").qualifier("7")));
        assertThrows(ResourceNotFoundException.class, () -> lambda.getFunctionConfiguration(b -> b.functionName("few:nope")));
    }

    @Test
    void deletingVersionsAndFunctions() throws Exception {
        create("doomed", "a");
        lambda.publishVersion(b -> b.functionName("doomed"));
        lambda.updateFunctionCode(b -> b.functionName("doomed").zipFile(Zips.sdk("app.py", code("b"))));
        lambda.publishVersion(b -> b.functionName("doomed"));
        lambda.createAlias(b -> b.functionName("doomed").name("live").functionVersion("2"));

        ResourceConflictException used = assertThrows(ResourceConflictException.class, () -> lambda.deleteFunction(b -> b.functionName("doomed").qualifier("2")));
        assertTrue(used.awsErrorDetails().errorMessage().contains("live"), used.awsErrorDetails().errorMessage());
        InvalidParameterValueException latest = assertThrows(InvalidParameterValueException.class,
                () -> lambda.deleteFunction(b -> b.functionName("doomed").qualifier("$LATEST")));
        assertEquals("$LATEST version cannot be deleted without deleting the function.", latest.awsErrorDetails().errorMessage());

        assertEquals("a", invoke("doomed", "1", null).get("tag").asText());
        lambda.deleteFunction(b -> b.functionName("doomed").qualifier("1"));
        assertThrows(ResourceNotFoundException.class, () -> lambda.invoke(b -> b.functionName("doomed").qualifier("1")));
        assertThrows(ResourceNotFoundException.class, () -> lambda.deleteFunction(b -> b.functionName("doomed").qualifier("1")));
        assertEquals(List.of("$LATEST", "2"),
                lambda.listVersionsByFunction(b -> b.functionName("doomed")).versions().stream().map(FunctionConfiguration::version).toList());

        // Numbers are not reused while the function lives.
        lambda.updateFunctionCode(b -> b.functionName("doomed").zipFile(Zips.sdk("app.py", code("c"))));
        assertEquals("3", lambda.publishVersion(b -> b.functionName("doomed")).version());

        // Deleting the function takes its versions and aliases along; a new one starts again at 1.
        lambda.deleteFunction(b -> b.functionName("doomed"));
        create("doomed", "d");
        assertEquals(List.of("$LATEST"),
                lambda.listVersionsByFunction(b -> b.functionName("doomed")).versions().stream().map(FunctionConfiguration::version).toList());
        assertTrue(lambda.listAliases(b -> b.functionName("doomed")).aliases().isEmpty());
        assertEquals("1", lambda.publishVersion(b -> b.functionName("doomed")).version());
    }

    @Test
    void versionsSurviveARestart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (TestServer first = TestServer.startDurable(dir); LambdaClient client = first.client(LambdaClient.builder())) {
            client.createFunction(b -> b.functionName("kept").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                    .code(c -> c.zipFile(Zips.sdk("app.py", code("old")))));
            client.publishVersion(b -> b.functionName("kept"));
            client.createAlias(b -> b.functionName("kept").name("prod").functionVersion("1"));
            client.updateFunctionCode(b -> b.functionName("kept").zipFile(Zips.sdk("app.py", code("new"))));
        }
        try (TestServer second = TestServer.startDurable(dir); LambdaClient client = second.client(LambdaClient.builder())) {
            InvokeResponse r = client.invoke(b -> b.functionName("kept").qualifier("prod"));
            assertEquals("old", Values.JSON.readTree(r.payload().asByteArray()).get("tag").asText());
            assertEquals("1", r.executedVersion());
            assertEquals("2", client.publishVersion(b -> b.functionName("kept")).version());
        }
    }
}
