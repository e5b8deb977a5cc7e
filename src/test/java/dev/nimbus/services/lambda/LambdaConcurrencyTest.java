package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.server.ServerConfig;
import dev.nimbus.testing.TestServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.GetAccountSettingsResponse;
import software.amazon.awssdk.services.lambda.model.GetProvisionedConcurrencyConfigResponse;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.ProvisionedConcurrencyConfigListItem;
import software.amazon.awssdk.services.lambda.model.ProvisionedConcurrencyConfigNotFoundException;
import software.amazon.awssdk.services.lambda.model.ProvisionedConcurrencyStatusEnum;
import software.amazon.awssdk.services.lambda.model.PutProvisionedConcurrencyConfigResponse;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.model.TooManyRequestsException;

/** Provisioned concurrency, GetAccountSettings, and the regional concurrency limit with its memory budget. */
class LambdaConcurrencyTest {
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

    static String create(LambdaClient client, String name, String code, int memory) {
        return client.createFunction(b -> b.functionName(name).role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").timeout(30).memorySize(memory)
                .code(c -> c.zipFile(Zips.sdk("app.py", code)))).functionArn();
    }

    /** Get until the status leaves IN_PROGRESS (environments start in the background). */
    static GetProvisionedConcurrencyConfigResponse settled(String function, String qualifier) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            var got = lambda.getProvisionedConcurrencyConfig(b -> b.functionName(function).qualifier(qualifier));
            if (got.status() != ProvisionedConcurrencyStatusEnum.IN_PROGRESS) return got;
            Thread.sleep(50);
        }
        throw new AssertionError("provisioned concurrency of " + function + ":" + qualifier + " still IN_PROGRESS");
    }

    @Test
    void provisionedConcurrencyLifecycle() throws Exception {
        create(lambda, "warm", "import os\ndef handler(event, context):\n    return os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n", 128);
        lambda.publishVersion(b -> b.functionName("warm"));
        lambda.createAlias(b -> b.functionName("warm").name("live").functionVersion("1"));

        InvalidParameterValueException latest = assertThrows(InvalidParameterValueException.class,
                () -> lambda.putProvisionedConcurrencyConfig(b -> b.functionName("warm").qualifier("$LATEST").provisionedConcurrentExecutions(1)));
        assertEquals("Provisioned Concurrency Configs cannot be applied to unpublished function versions.", latest.awsErrorDetails().errorMessage());
        assertThrows(ResourceNotFoundException.class,
                () -> lambda.putProvisionedConcurrencyConfig(b -> b.functionName("warm").qualifier("7").provisionedConcurrentExecutions(1)));
        assertThrows(ResourceNotFoundException.class,
                () -> lambda.putProvisionedConcurrencyConfig(b -> b.functionName("nosuch").qualifier("1").provisionedConcurrentExecutions(1)));

        PutProvisionedConcurrencyConfigResponse put = lambda.putProvisionedConcurrencyConfig(b -> b.functionName("warm").qualifier("1")
                .provisionedConcurrentExecutions(2));
        assertEquals(202, put.sdkHttpResponse().statusCode());
        assertEquals(ProvisionedConcurrencyStatusEnum.IN_PROGRESS, put.status());
        assertEquals(2, put.requestedProvisionedConcurrentExecutions());
        assertEquals(0, put.allocatedProvisionedConcurrentExecutions());
        assertTrue(put.lastModified().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+0000"), put.lastModified());

        GetProvisionedConcurrencyConfigResponse ready = settled("warm", "1");
        assertEquals(ProvisionedConcurrencyStatusEnum.READY, ready.status());
        assertEquals(2, ready.allocatedProvisionedConcurrentExecutions());
        assertEquals(2, ready.availableProvisionedConcurrentExecutions());
        InvokeResponse r = lambda.invoke(b -> b.functionName("warm").qualifier("1"));
        assertEquals("\"provisioned-concurrency\"", r.payload().asUtf8String(), "the invocation ran in a provisioned environment");

        lambda.putProvisionedConcurrencyConfig(b -> b.functionName(ARN + "warm").qualifier("live").provisionedConcurrentExecutions(1));
        assertEquals(ProvisionedConcurrencyStatusEnum.READY, settled("warm", "live").status());
        List<ProvisionedConcurrencyConfigListItem> all = lambda.listProvisionedConcurrencyConfigs(b -> b.functionName("warm")).provisionedConcurrencyConfigs();
        assertEquals(List.of(ARN + "warm:1", ARN + "warm:live"), all.stream().map(ProvisionedConcurrencyConfigListItem::functionArn).toList());
        assertEquals(List.of(2, 1), all.stream().map(ProvisionedConcurrencyConfigListItem::requestedProvisionedConcurrentExecutions).toList());

        // Pointed at another version, the alias's provisioned environments move there.
        lambda.updateFunctionConfiguration(b -> b.functionName("warm").description("second"));
        lambda.publishVersion(b -> b.functionName("warm"));
        lambda.updateAlias(b -> b.functionName("warm").name("live").functionVersion("2"));
        assertEquals(ProvisionedConcurrencyStatusEnum.READY, settled("warm", "live").status());
        InvokeResponse moved = lambda.invoke(b -> b.functionName("warm").qualifier("live"));
        assertEquals("2", moved.executedVersion());
        assertEquals("\"provisioned-concurrency\"", moved.payload().asUtf8String());

        // Provisioned concurrency comes out of the function's reservation.
        lambda.putFunctionConcurrency(b -> b.functionName("warm").reservedConcurrentExecutions(3));
        assertThrows(InvalidParameterValueException.class,
                () -> lambda.putProvisionedConcurrencyConfig(b -> b.functionName("warm").qualifier("live").provisionedConcurrentExecutions(2)));

        lambda.deleteProvisionedConcurrencyConfig(b -> b.functionName("warm").qualifier("1"));
        ProvisionedConcurrencyConfigNotFoundException gone = assertThrows(ProvisionedConcurrencyConfigNotFoundException.class,
                () -> lambda.getProvisionedConcurrencyConfig(b -> b.functionName("warm").qualifier("1")));
        assertEquals("No Provisioned Concurrency Config found for this function", gone.awsErrorDetails().errorMessage());
        assertThrows(ProvisionedConcurrencyConfigNotFoundException.class,
                () -> lambda.deleteProvisionedConcurrencyConfig(b -> b.functionName("warm").qualifier("1")));
        // A deleted alias takes its configuration along.
        lambda.deleteAlias(b -> b.functionName("warm").name("live"));
        assertTrue(lambda.listProvisionedConcurrencyConfigs(b -> b.functionName("warm")).provisionedConcurrencyConfigs().isEmpty());
    }

    @Test
    void provisionedEnvironmentsThatCannotInitialiseFail() throws Exception {
        create(lambda, "brokeninit", "raise Exception('no init')\ndef handler(event, context):\n    return 1\n", 128);
        lambda.publishVersion(b -> b.functionName("brokeninit"));
        lambda.putProvisionedConcurrencyConfig(b -> b.functionName("brokeninit").qualifier("1").provisionedConcurrentExecutions(1));
        GetProvisionedConcurrencyConfigResponse failed = settled("brokeninit", "1");
        assertEquals(ProvisionedConcurrencyStatusEnum.FAILED, failed.status());
        assertEquals("FUNCTION_ERROR_INIT_FAILURE", failed.statusReason());
    }

    @Test
    void accountSettingsCountWhatTheAccountHas() {
        // An account of its own: nothing else in this server counts towards it.
        try (LambdaClient other = nimbus.client(LambdaClient.builder(), "111111111111", "us-east-1")) {
            GetAccountSettingsResponse empty = other.getAccountSettings(b -> {});
            assertEquals(1000, empty.accountLimit().concurrentExecutions());
            assertEquals(1000, empty.accountLimit().unreservedConcurrentExecutions());
            assertEquals(80_530_636_800L, empty.accountLimit().totalCodeSize());
            assertEquals(262_144_000L, empty.accountLimit().codeSizeUnzipped());
            assertEquals(52_428_800L, empty.accountLimit().codeSizeZipped());
            assertEquals(0, empty.accountUsage().functionCount());
            assertEquals(0, empty.accountUsage().totalCodeSize());

            String code = "def handler(event, context):\n    return 1\n";
            other.createFunction(b -> b.functionName("one").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                    .code(c -> c.zipFile(Zips.sdk("app.py", code))));
            other.createFunction(b -> b.functionName("two").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                    .code(c -> c.zipFile(Zips.sdk("app.py", code))));
            other.publishVersion(b -> b.functionName("one"));
            other.putFunctionConcurrency(b -> b.functionName("two").reservedConcurrentExecutions(50));
            long size = Zips.zip("app.py", code).length;
            GetAccountSettingsResponse used = other.getAccountSettings(b -> {});
            assertEquals(2, used.accountUsage().functionCount());
            assertEquals(3 * size, used.accountUsage().totalCodeSize(), "two functions and one version");
            assertEquals(950, used.accountLimit().unreservedConcurrentExecutions());
        }
    }

    /** A function that invokes another through Nimbus's Invoke API, with the endpoint it was given, and answers what it got. */
    static final String CALLER = """
            import json, os, urllib.request, urllib.error
            def handler(event, context):
                url = os.environ['AWS_ENDPOINT_URL'] + '/2015-03-31/functions/' + event['target'] + '/invocations'
                auth = 'AWS4-HMAC-SHA256 Credential=000000000000/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00'
                req = urllib.request.Request(url, data=b'{}', method='POST', headers={'Authorization': auth, 'Content-Type': 'application/json'})
                try:
                    with urllib.request.urlopen(req) as r:
                        return {'status': r.status}
                except urllib.error.HTTPError as e:
                    return {'status': e.code, 'type': e.headers.get('X-Amzn-ErrorType'), 'body': json.loads(e.read())}
            """;

    @Test
    void regionalLimitThrottlesAsAws() throws Exception {
        // A limit of one: while a function runs, the function it invokes is throttled.
        try (TestServer limited = TestServer.start(ServerConfig.defaults().withPort(0).asEphemeral()
                .withLambda(LambdaLimits.defaults().withConcurrency(1)));
             LambdaClient client = limited.client(LambdaClient.builder())) {
            create(client, "caller", CALLER, 128);
            create(client, "callee", "def handler(event, context):\n    return 1\n", 128);
            assertEquals("1", client.invoke(b -> b.functionName("callee")).payload().asUtf8String(), "one at a time runs");
            JsonNode got = Values.JSON.readTree(client.invoke(b -> b.functionName("caller").payload(SdkBytes.fromUtf8String("{\"target\":\"callee\"}")))
                    .payload().asByteArray());
            assertEquals(429, got.get("status").asInt(), got.toString());
            assertTrue(got.get("type").asText().startsWith("TooManyRequestsException"), got.toString());
            assertEquals("Rate Exceeded.", got.get("body").get("message").asText(), got.toString());
            assertEquals("ConcurrentInvocationLimitExceeded", got.get("body").get("Reason").asText(), got.toString());
            assertEquals(1, client.getAccountSettings(b -> {}).accountLimit().concurrentExecutions());
        }
        // A memory budget smaller than the function: every invocation is throttled.
        try (TestServer small = TestServer.start(ServerConfig.defaults().withPort(0).asEphemeral()
                .withLambda(LambdaLimits.defaults().withMemoryBudgetMb(256)));
             LambdaClient client = small.client(LambdaClient.builder())) {
            create(client, "big", "def handler(event, context):\n    return 1\n", 512);
            TooManyRequestsException e = assertThrows(TooManyRequestsException.class, () -> client.invoke(b -> b.functionName("big")));
            assertEquals("Rate Exceeded.", e.awsErrorDetails().errorMessage());
            assertEquals("ConcurrentInvocationLimitExceeded", e.reasonAsString());
            create(client, "small", "def handler(event, context):\n    return 1\n", 128);
            assertNull(client.invoke(b -> b.functionName("small")).functionError());
        }
    }
}
