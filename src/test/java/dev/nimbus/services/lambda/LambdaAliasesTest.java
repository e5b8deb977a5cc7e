package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.AliasConfiguration;
import software.amazon.awssdk.services.lambda.model.CreateAliasResponse;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.ListAliasesResponse;
import software.amazon.awssdk.services.lambda.model.PreconditionFailedException;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.model.UpdateAliasResponse;

/** Create/Get/Update/Delete/ListAliases and invocations through aliases, weighted ones included. */
class LambdaAliasesTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static final String ARN = "arn:aws:lambda:us-east-1:000000000000:function:";

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

    /** A function with versions 1..n, version i answering "v" + i. */
    static void withVersions(String name, int n) {
        for (int i = 1; i <= n; i++) {
            String code = "def handler(event, context):\n    return 'v" + i + "'\n";
            if (i == 1) {
                lambda.createFunction(b -> b.functionName(name).role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").timeout(30)
                        .code(c -> c.zipFile(Zips.sdk("app.py", code))));
            } else {
                lambda.updateFunctionCode(b -> b.functionName(name).zipFile(Zips.sdk("app.py", code)));
            }
            assertEquals(Integer.toString(i), lambda.publishVersion(b -> b.functionName(name)).version());
        }
    }

    static String run(String function, String qualifier, InvokeResponse[] response) throws Exception {
        InvokeResponse r = lambda.invoke(b -> b.functionName(function).qualifier(qualifier));
        assertNull(r.functionError(), r.payload().asUtf8String());
        if (response != null) response[0] = r;
        return Values.JSON.readTree(r.payload().asByteArray()).asText();
    }

    @Test
    void aliasLifecycle() throws Exception {
        withVersions("aliased", 2);
        CreateAliasResponse created = lambda.createAlias(b -> b.functionName("aliased").name("prod").functionVersion("1").description("production"));
        assertEquals(ARN + "aliased:prod", created.aliasArn());
        assertEquals("prod", created.name());
        assertEquals("1", created.functionVersion());
        assertEquals("production", created.description());

        InvokeResponse[] r = new InvokeResponse[1];
        assertEquals("v1", run("aliased", "prod", r));
        assertEquals("1", r[0].executedVersion());
        assertEquals("v1", run(ARN + "aliased:prod", null, r));

        var config = lambda.getFunctionConfiguration(b -> b.functionName("aliased").qualifier("prod"));
        assertEquals("1", config.version());
        assertEquals(ARN + "aliased:prod", config.functionArn());

        var fetched = lambda.getAlias(b -> b.functionName("aliased").name("prod"));
        assertEquals(created.revisionId(), fetched.revisionId());

        PreconditionFailedException stale = assertThrows(PreconditionFailedException.class,
                () -> lambda.updateAlias(b -> b.functionName("aliased").name("prod").functionVersion("2").revisionId("stale")));
        assertEquals(412, stale.statusCode());
        UpdateAliasResponse updated = lambda.updateAlias(b -> b.functionName("aliased").name("prod").functionVersion("2").revisionId(created.revisionId()));
        assertEquals("2", updated.functionVersion());
        assertEquals("production", updated.description());
        assertNotEquals(created.revisionId(), updated.revisionId());
        assertEquals("v2", run("aliased", "prod", r));
        assertEquals("2", r[0].executedVersion());

        lambda.createAlias(b -> b.functionName("aliased").name("dev").functionVersion("$LATEST"));
        assertEquals("v2", run("aliased", "dev", r));
        assertEquals("$LATEST", r[0].executedVersion());

        ResourceConflictException dup = assertThrows(ResourceConflictException.class,
                () -> lambda.createAlias(b -> b.functionName("aliased").name("prod").functionVersion("1")));
        assertEquals("Alias already exists: " + ARN + "aliased:prod", dup.awsErrorDetails().errorMessage());

        lambda.deleteAlias(b -> b.functionName("aliased").name("prod"));
        ResourceNotFoundException gone = assertThrows(ResourceNotFoundException.class, () -> lambda.getAlias(b -> b.functionName("aliased").name("prod")));
        assertEquals("Cannot find alias arn: " + ARN + "aliased:prod", gone.awsErrorDetails().errorMessage());
        assertThrows(ResourceNotFoundException.class, () -> lambda.updateAlias(b -> b.functionName("aliased").name("prod").functionVersion("1")));
        ResourceNotFoundException invoke = assertThrows(ResourceNotFoundException.class, () -> lambda.invoke(b -> b.functionName("aliased").qualifier("prod")));
        assertEquals("Function not found: " + ARN + "aliased:prod", invoke.awsErrorDetails().errorMessage());
    }

    @Test
    void aliasErrors() {
        withVersions("strict", 1);
        ResourceNotFoundException version = assertThrows(ResourceNotFoundException.class,
                () -> lambda.createAlias(b -> b.functionName("strict").name("x").functionVersion("9")));
        assertEquals("Function not found: " + ARN + "strict:9", version.awsErrorDetails().errorMessage());
        assertThrows(ResourceNotFoundException.class, () -> lambda.createAlias(b -> b.functionName("nobody").name("x").functionVersion("1")));
        LambdaException numeric = assertThrows(LambdaException.class, () -> lambda.createAlias(b -> b.functionName("strict").name("12").functionVersion("1")));
        assertEquals(400, numeric.statusCode());
        assertThrows(InvalidParameterValueException.class, () -> lambda.createAlias(b -> b.functionName("strict").name("w").functionVersion("1")
                .routingConfig(rc -> rc.additionalVersionWeights(Map.of("1", 0.5)))));
        assertThrows(InvalidParameterValueException.class, () -> lambda.createAlias(b -> b.functionName("strict").name("w").functionVersion("$LATEST")
                .routingConfig(rc -> rc.additionalVersionWeights(Map.of("1", 0.5)))));
        assertThrows(ResourceNotFoundException.class, () -> lambda.createAlias(b -> b.functionName("strict").name("w").functionVersion("1")
                .routingConfig(rc -> rc.additionalVersionWeights(Map.of("5", 0.5)))));
    }

    @Test
    void weightedAliasRoutesByWeight() throws Exception {
        withVersions("weighted", 2);
        lambda.createAlias(b -> b.functionName("weighted").name("canary").functionVersion("1")
                .routingConfig(rc -> rc.additionalVersionWeights(Map.of("2", 1.0))));
        assertEquals(Map.of("2", 1.0), lambda.getAlias(b -> b.functionName("weighted").name("canary")).routingConfig().additionalVersionWeights());
        InvokeResponse[] r = new InvokeResponse[1];
        for (int i = 0; i < 3; i++) {
            assertEquals("v2", run("weighted", "canary", r));
            assertEquals("2", r[0].executedVersion());
        }
        // GetFunction through the alias shows its primary version.
        assertEquals("1", lambda.getFunction(b -> b.functionName("weighted").qualifier("canary")).configuration().version());

        lambda.updateAlias(b -> b.functionName("weighted").name("canary").routingConfig(rc -> rc.additionalVersionWeights(Map.of("2", 0.0))));
        for (int i = 0; i < 3; i++) {
            assertEquals("v1", run("weighted", "canary", r));
            assertEquals("1", r[0].executedVersion());
        }
        // An empty routing configuration removes the weights.
        UpdateAliasResponse cleared = lambda.updateAlias(b -> b.functionName("weighted").name("canary").routingConfig(rc -> rc.additionalVersionWeights(Map.of())));
        assertEquals(Map.of(), cleared.routingConfig() == null ? Map.of() : cleared.routingConfig().additionalVersionWeights());
        // A version in a routing configuration cannot be deleted either.
        lambda.updateAlias(b -> b.functionName("weighted").name("canary").routingConfig(rc -> rc.additionalVersionWeights(Map.of("2", 0.3))));
        assertThrows(ResourceConflictException.class, () -> lambda.deleteFunction(b -> b.functionName("weighted").qualifier("2")));
    }

    @Test
    void listingFiltersAndPages() {
        withVersions("many", 2);
        for (String name : List.of("a", "b", "c")) lambda.createAlias(b -> b.functionName("many").name(name).functionVersion(name.equals("b") ? "2" : "1"));
        assertEquals(List.of("a", "b", "c"), lambda.listAliases(b -> b.functionName("many")).aliases().stream().map(AliasConfiguration::name).toList());
        assertEquals(List.of("a", "c"), lambda.listAliases(b -> b.functionName("many").functionVersion("1")).aliases().stream().map(AliasConfiguration::name).toList());
        ListAliasesResponse first = lambda.listAliases(b -> b.functionName("many").maxItems(2));
        assertEquals(List.of("a", "b"), first.aliases().stream().map(AliasConfiguration::name).toList());
        ListAliasesResponse rest = lambda.listAliases(b -> b.functionName("many").maxItems(2).marker(first.nextMarker()));
        assertEquals(List.of("c"), rest.aliases().stream().map(AliasConfiguration::name).toList());
        assertNull(rest.nextMarker());
        assertThrows(ResourceNotFoundException.class, () -> lambda.listAliases(b -> b.functionName("nobody")));
    }
}
