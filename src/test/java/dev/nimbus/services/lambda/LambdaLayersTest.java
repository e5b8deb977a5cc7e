package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Architecture;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.Layer;
import software.amazon.awssdk.services.lambda.model.LayerVersionsListItem;
import software.amazon.awssdk.services.lambda.model.LayersListItem;
import software.amazon.awssdk.services.lambda.model.ListLayerVersionsResponse;
import software.amazon.awssdk.services.lambda.model.PublishLayerVersionResponse;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** Layer versions through the SDK, and functions that use them from /opt. */
class LambdaLayersTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static final String LAYER = "arn:aws:lambda:us-east-1:000000000000:layer:";

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

    static PublishLayerVersionResponse publish(String name, String... files) {
        return lambda.publishLayerVersion(b -> b.layerName(name).description("d").content(c -> c.zipFile(Zips.sdk(files)))
                .compatibleRuntimesWithStrings("python3.12", "nodejs20.x").compatibleArchitectures(Architecture.X86_64).licenseInfo("MIT"));
    }

    static JsonNode run(String function) throws Exception {
        InvokeResponse r = lambda.invoke(b -> b.functionName(function).payload(SdkBytes.fromUtf8String("{}")));
        assertNull(r.functionError(), r.payload().asUtf8String());
        return Values.JSON.readTree(r.payload().asByteArray());
    }

    @Test
    void layerVersionsArePublishedListedAndDeleted() throws Exception {
        byte[] zip = Zips.zip("python/a.py", "A = 1\n");
        PublishLayerVersionResponse v1 = lambda.publishLayerVersion(b -> b.layerName("tools").description("first")
                .content(c -> c.zipFile(SdkBytes.fromByteArray(zip))).compatibleRuntimesWithStrings("python3.12")
                .compatibleArchitectures(Architecture.ARM64).licenseInfo("MIT"));
        assertEquals(1L, v1.version());
        assertEquals(LAYER + "tools", v1.layerArn());
        assertEquals(LAYER + "tools:1", v1.layerVersionArn());
        assertEquals("first", v1.description());
        assertEquals("MIT", v1.licenseInfo());
        assertEquals(List.of("python3.12"), v1.compatibleRuntimesAsStrings());
        assertEquals(List.of(Architecture.ARM64), v1.compatibleArchitectures());
        assertEquals(zip.length, v1.content().codeSize());
        assertEquals(FunctionCode.sha256(zip), v1.content().codeSha256());
        try (InputStream in = URI.create(v1.content().location()).toURL().openStream()) {
            assertTrue(java.util.Arrays.equals(zip, in.readAllBytes()));
        }
        PublishLayerVersionResponse v2 = lambda.publishLayerVersion(b -> b.layerName("tools").content(c -> c.zipFile(Zips.sdk("python/a.py", "A = 2\n")))
                .compatibleRuntimesWithStrings("nodejs20.x"));
        assertEquals(2L, v2.version());
        assertEquals("", v2.description());

        var got = lambda.getLayerVersion(b -> b.layerName("tools").versionNumber(1L));
        assertEquals(v1.layerVersionArn(), got.layerVersionArn());
        assertEquals(v1.createdDate(), got.createdDate());
        assertEquals(v1.content().codeSha256(), got.content().codeSha256());
        assertEquals(2L, lambda.getLayerVersionByArn(b -> b.arn(LAYER + "tools:2")).version());
        assertEquals(1L, lambda.getLayerVersion(b -> b.layerName(LAYER + "tools").versionNumber(1L)).version());

        ListLayerVersionsResponse versions = lambda.listLayerVersions(b -> b.layerName("tools"));
        assertEquals(List.of(2L, 1L), versions.layerVersions().stream().map(LayerVersionsListItem::version).toList());
        assertEquals(List.of(1L), lambda.listLayerVersions(b -> b.layerName("tools").compatibleRuntime("python3.12"))
                .layerVersions().stream().map(LayerVersionsListItem::version).toList());
        ListLayerVersionsResponse first = lambda.listLayerVersions(b -> b.layerName("tools").maxItems(1));
        assertEquals(List.of(2L), first.layerVersions().stream().map(LayerVersionsListItem::version).toList());
        assertEquals(List.of(1L), lambda.listLayerVersions(b -> b.layerName("tools").maxItems(1).marker(first.nextMarker()))
                .layerVersions().stream().map(LayerVersionsListItem::version).toList());

        lambda.publishLayerVersion(b -> b.layerName("other").content(c -> c.zipFile(Zips.sdk("x", "y"))));
        List<LayersListItem> listed = lambda.listLayers(b -> b.maxItems(50)).layers();
        assertTrue(listed.stream().anyMatch(l -> l.layerName().equals("tools") && l.latestMatchingVersion().version() == 2L
                && l.layerArn().equals(LAYER + "tools")), listed.toString());
        assertEquals(1L, lambda.listLayers(b -> b.compatibleRuntime("python3.12")).layers().stream()
                .filter(l -> l.layerName().equals("tools")).findFirst().orElseThrow().latestMatchingVersion().version());
        assertTrue(lambda.listLayers(b -> b.compatibleArchitecture(Architecture.ARM64)).layers().stream().noneMatch(l -> l.layerName().equals("other")));

        lambda.deleteLayerVersion(b -> b.layerName("tools").versionNumber(2L));
        lambda.deleteLayerVersion(b -> b.layerName("tools").versionNumber(2L)); // again: nothing to do, no error
        ResourceNotFoundException gone = assertThrows(ResourceNotFoundException.class, () -> lambda.getLayerVersion(b -> b.layerName("tools").versionNumber(2L)));
        assertEquals("The resource you requested does not exist.", gone.awsErrorDetails().errorMessage());
        assertThrows(ResourceNotFoundException.class, () -> lambda.getLayerVersionByArn(b -> b.arn(LAYER + "tools:2")));
        LambdaException badArn = assertThrows(LambdaException.class, () -> lambda.getLayerVersionByArn(b -> b.arn(LAYER + "tools")));
        assertEquals(400, badArn.statusCode());
        // Numbers are not reused.
        assertEquals(3L, lambda.publishLayerVersion(b -> b.layerName("tools").content(c -> c.zipFile(Zips.sdk("x", "y")))).version());
    }

    @Test
    void pythonFunctionImportsFromItsLayersAtOpt() throws Exception {
        String lib = publish("pylib", "python/greet.py", "def hello():\n    return 'hello from layer one'\n",
                "python/lib/python3.12/site-packages/deep.py", "WHERE = 'site-packages'\n", "bin/tool", "echo tool\n").layerVersionArn();
        String over = publish("pyover", "python/greet.py", "def hello():\n    return 'hello from layer two'\n").layerVersionArn();
        String code = """
                import os, greet, deep
                def handler(event, context):
                    return {"greet": greet.hello(), "deep": deep.WHERE, "file": greet.__file__,
                            "tool": os.path.isfile(os.path.join(os.environ["PATH"].split(":")[-1], "tool"))}
                """;
        var created = lambda.createFunction(b -> b.functionName("layered").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").timeout(30)
                .layers(lib).code(c -> c.zipFile(Zips.sdk("app.py", code))));
        assertEquals(List.of(lib), created.layers().stream().map(Layer::arn).toList());
        assertEquals(publishSize("pylib", 1L), created.layers().getFirst().codeSize());
        JsonNode out = run("layered");
        assertEquals("hello from layer one", out.get("greet").asText());
        assertEquals("site-packages", out.get("deep").asText());
        assertTrue(out.get("tool").asBoolean());
        if (onPath("bwrap")) assertEquals("/opt/python/greet.py", out.get("file").asText());

        // A later layer's files win over an earlier one's.
        lambda.updateFunctionConfiguration(b -> b.functionName("layered").layers(lib, over));
        assertEquals("hello from layer two", run("layered").get("greet").asText());
        assertEquals(List.of(lib, over), lambda.getFunctionConfiguration(b -> b.functionName("layered")).layers().stream().map(Layer::arn).toList());

        // Published versions keep their layers; removing them from $LATEST leaves the import failing there.
        lambda.publishVersion(b -> b.functionName("layered"));
        lambda.updateFunctionConfiguration(b -> b.functionName("layered").layers(List.of()));
        assertTrue(lambda.getFunctionConfiguration(b -> b.functionName("layered")).layers().isEmpty());
        InvokeResponse broken = lambda.invoke(b -> b.functionName("layered"));
        assertEquals("Unhandled", broken.functionError());
        assertEquals("hello from layer two", Values.JSON.readTree(lambda.invoke(b -> b.functionName("layered").qualifier("1")).payload().asByteArray())
                .get("greet").asText());
    }

    @Test
    void nodeFunctionRequiresFromItsLayer() throws Exception {
        assumeTrue(onPath("node"), "node is not on the PATH");
        String lib = publish("nodelib", "nodejs/node_modules/shout/index.js", "module.exports = s => s.toUpperCase() + '!';\n").layerVersionArn();
        lambda.createFunction(b -> b.functionName("nodelayered").role(ROLE).runtime(Runtime.NODEJS20_X).handler("index.handler").timeout(30)
                .layers(lib).code(c -> c.zipFile(Zips.sdk("index.js", "const shout = require('shout');\nexports.handler = async () => shout('hi');\n"))));
        assertEquals("HI!", run("nodelayered").asText());
    }

    @Test
    void functionLayersMustExistAndBeFew() {
        String lib = publish("few", "python/x.py", "X = 1\n").layerVersionArn();
        InvalidParameterValueException missing = assertThrows(InvalidParameterValueException.class, () -> lambda.createFunction(b -> b.functionName("nolayer")
                .role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").layers(LAYER + "few:9").code(c -> c.zipFile(Zips.sdk("app.py", "")))));
        assertEquals("Layer version " + LAYER + "few:9 does not exist.", missing.awsErrorDetails().errorMessage());
        assertThrows(ResourceNotFoundException.class, () -> lambda.getFunction(b -> b.functionName("nolayer")));
        InvalidParameterValueException many = assertThrows(InvalidParameterValueException.class, () -> lambda.createFunction(b -> b.functionName("nolayer")
                .role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").layers(lib, lib, lib, lib, lib, lib).code(c -> c.zipFile(Zips.sdk("app.py", "")))));
        assertEquals("Cannot reference more than 5 layers.", many.awsErrorDetails().errorMessage());
        lambda.createFunction(b -> b.functionName("fewlayers").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .code(c -> c.zipFile(Zips.sdk("app.py", ""))));
        assertThrows(InvalidParameterValueException.class, () -> lambda.updateFunctionConfiguration(b -> b.functionName("fewlayers").layers(LAYER + "few:7")));
        // A layer ARN without its version fails the model's pattern.
        assertEquals(400, assertThrows(LambdaException.class, () -> lambda.updateFunctionConfiguration(b -> b.functionName("fewlayers").layers(LAYER + "few")))
                .statusCode());
        assertTrue(lambda.getFunctionConfiguration(b -> b.functionName("fewlayers")).layers().isEmpty());
    }

    @Test
    void layerVersionPolicies() throws Exception {
        publish("shared", "python/s.py", "S = 1\n");
        var added = lambda.addLayerVersionPermission(b -> b.layerName("shared").versionNumber(1L).statementId("xaccount")
                .action("lambda:GetLayerVersion").principal("210987654321"));
        assertEquals(Values.JSON.readTree("""
                {"Sid":"xaccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"lambda:GetLayerVersion",
                 "Resource":"arn:aws:lambda:us-east-1:000000000000:layer:shared:1"}"""), Values.JSON.readTree(added.statement()));
        var org = lambda.addLayerVersionPermission(b -> b.layerName("shared").versionNumber(1L).statementId("org")
                .action("lambda:GetLayerVersion").principal("*").organizationId("o-abcdefghij").revisionId(added.revisionId()));
        assertEquals("o-abcdefghij", Values.JSON.readTree(org.statement()).get("Condition").get("StringEquals").get("aws:PrincipalOrgID").asText());
        assertThrows(software.amazon.awssdk.services.lambda.model.PreconditionFailedException.class, () -> lambda.addLayerVersionPermission(b -> b
                .layerName("shared").versionNumber(1L).statementId("late").action("lambda:GetLayerVersion").principal("*").revisionId(added.revisionId())));
        assertThrows(software.amazon.awssdk.services.lambda.model.ResourceConflictException.class, () -> lambda.addLayerVersionPermission(b -> b
                .layerName("shared").versionNumber(1L).statementId("org").action("lambda:GetLayerVersion").principal("*")));

        var policy = lambda.getLayerVersionPolicy(b -> b.layerName("shared").versionNumber(1L));
        assertEquals(org.revisionId(), policy.revisionId());
        JsonNode doc = Values.JSON.readTree(policy.policy());
        assertEquals("2012-10-17", doc.get("Version").asText());
        assertEquals(2, doc.get("Statement").size());
        // The policy is not part of the version's description.
        assertEquals(1L, lambda.getLayerVersion(b -> b.layerName("shared").versionNumber(1L)).version());

        lambda.removeLayerVersionPermission(b -> b.layerName("shared").versionNumber(1L).statementId("xaccount"));
        assertThrows(ResourceNotFoundException.class, () -> lambda.removeLayerVersionPermission(b -> b.layerName("shared").versionNumber(1L).statementId("xaccount")));
        lambda.removeLayerVersionPermission(b -> b.layerName("shared").versionNumber(1L).statementId("org"));
        assertThrows(ResourceNotFoundException.class, () -> lambda.getLayerVersionPolicy(b -> b.layerName("shared").versionNumber(1L)));
        assertThrows(ResourceNotFoundException.class, () -> lambda.addLayerVersionPermission(b -> b.layerName("shared").versionNumber(5L)
                .statementId("s").action("lambda:GetLayerVersion").principal("*")));
    }

    @Test
    void layersSurviveARestart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String arn;
        try (TestServer first = TestServer.startDurable(dir); LambdaClient client = first.client(LambdaClient.builder())) {
            arn = client.publishLayerVersion(b -> b.layerName("kept").content(c -> c.zipFile(Zips.sdk("python/kept.py", "V = 'kept'\n")))).layerVersionArn();
            client.createFunction(b -> b.functionName("usesKept").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").timeout(30).layers(arn)
                    .code(c -> c.zipFile(Zips.sdk("app.py", "import kept\ndef handler(e, c):\n    return kept.V\n"))));
        }
        try (TestServer second = TestServer.startDurable(dir); LambdaClient client = second.client(LambdaClient.builder())) {
            assertEquals(arn, client.getLayerVersionByArn(b -> b.arn(arn)).layerVersionArn());
            InvokeResponse r = client.invoke(b -> b.functionName("usesKept"));
            assertNull(r.functionError(), r.payload().asUtf8String());
            assertEquals("\"kept\"", r.payload().asUtf8String());
        }
    }

    static long publishSize(String layer, long version) {
        return lambda.getLayerVersion(b -> b.layerName(layer).versionNumber(version)).content().codeSize();
    }

    static boolean onPath(String name) {
        for (String dir : System.getenv("PATH").split(":")) {
            if (!dir.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, name))) return true;
        }
        return false;
    }
}
