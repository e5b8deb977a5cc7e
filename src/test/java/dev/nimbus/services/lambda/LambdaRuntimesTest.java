package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** Node.js (CommonJS, ES modules, async, callback), custom runtimes, and boto3 reaching Nimbus. */
class LambdaRuntimesTest {
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

    static boolean onPath(String name) {
        for (String dir : System.getenv("PATH").split(":")) if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) return true;
        return false;
    }

    static void create(LambdaClient client, String name, Runtime runtime, String handler, String... files) {
        client.createFunction(b -> b.functionName(name).role(ROLE).runtime(runtime).handler(handler).timeout(10).code(c -> c.zipFile(Zips.sdk(files))));
    }

    static JsonNode invoke(String name, String payload) throws Exception {
        InvokeResponse r = lambda.invoke(b -> b.functionName(name).payload(SdkBytes.fromUtf8String(payload)));
        assertEquals(200, r.statusCode());
        JsonNode out = Values.JSON.readTree(r.payload().asByteArray());
        if (r.functionError() != null) ((com.fasterxml.jackson.databind.node.ObjectNode) out).put("functionError", r.functionError());
        return out;
    }

    @Test
    void nodeHandlersInEveryStyle() throws Exception {
        assumeTrue(onPath("node"), "node is not installed");
        create(lambda, "node-esm", Runtime.NODEJS22_X, "index.handler", "index.mjs", """
                let calls = 0;
                export const handler = async (event, context) => {
                  calls++;
                  return { event, calls, requestId: context.awsRequestId, name: context.functionName, version: context.functionVersion,
                           arn: context.invokedFunctionArn, memory: context.memoryLimitInMB, group: context.logGroupName,
                           remaining: context.getRemainingTimeInMillis(), region: process.env.AWS_REGION };
                };
                """);
        JsonNode esm = invoke("node-esm", "{\"a\":1}");
        assertEquals("{\"a\":1}", esm.get("event").toString());
        assertEquals("node-esm", esm.get("name").asText());
        assertEquals("$LATEST", esm.get("version").asText());
        assertEquals("arn:aws:lambda:us-east-1:000000000000:function:node-esm", esm.get("arn").asText());
        assertEquals("128", esm.get("memory").asText());
        assertEquals("/aws/lambda/node-esm", esm.get("group").asText());
        assertEquals("us-east-1", esm.get("region").asText());
        assertTrue(esm.get("remaining").asInt() > 0);
        assertEquals(2, invoke("node-esm", "{}").get("calls").asInt(), "warm reuse keeps module state");

        create(lambda, "node-cjs-callback", Runtime.NODEJS20_X, "lib/app.handler", "lib/app.js", """
                exports.handler = function (event, context, callback) {
                  setTimeout(() => callback(null, { doubled: event.n * 2, id: context.awsRequestId }), 5);
                };
                """);
        assertEquals(42, invoke("node-cjs-callback", "{\"n\":21}").get("doubled").asInt());

        create(lambda, "node-cjs-promise", Runtime.NODEJS18_X, "app.handler", "app.js", """
                module.exports.handler = (event) => Promise.resolve('plain ' + event.word);
                """);
        assertEquals("plain hi", invoke("node-cjs-promise", "{\"word\":\"hi\"}").asText());

        create(lambda, "node-throws", Runtime.NODEJS22_X, "index.handler", "index.mjs", """
                export async function handler() { throw new TypeError('bad input'); }
                """);
        JsonNode err = invoke("node-throws", "{}");
        assertEquals("Unhandled", err.get("functionError").asText());
        assertEquals("TypeError", err.get("errorType").asText());
        assertEquals("bad input", err.get("errorMessage").asText());
        assertTrue(err.get("trace").get(0).asText().startsWith("TypeError: bad input"), err.toString());

        create(lambda, "node-callback-error", Runtime.NODEJS22_X, "index.handler", "index.js", """
                exports.handler = (event, context, callback) => callback(new Error('nope'));
                """);
        assertEquals("nope", invoke("node-callback-error", "{}").get("errorMessage").asText());

        create(lambda, "node-missing", Runtime.NODEJS22_X, "absent.handler", "index.mjs", "export const handler = async () => 1;\n");
        assertEquals("Runtime.ImportModuleError", invoke("node-missing", "{}").get("errorType").asText());
        create(lambda, "node-no-export", Runtime.NODEJS22_X, "index.other", "index.mjs", "export const handler = async () => 1;\n");
        JsonNode notFound = invoke("node-no-export", "{}");
        assertEquals("Runtime.HandlerNotFound", notFound.get("errorType").asText());
        assertEquals("index.other is undefined or not exported", notFound.get("errorMessage").asText());
    }

    @Test
    void customRuntimeBootstrapTalksToTheRuntimeApiWithCurl() throws Exception {
        assumeTrue(onPath("curl") && onPath("bash"), "bash and curl are needed by this custom runtime");
        create(lambda, "custom", Runtime.PROVIDED_AL2023, "function.handler", "bootstrap", """
                #!/bin/bash
                set -euo pipefail
                API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
                while true; do
                  HEADERS="$(mktemp)"
                  EVENT=$(curl -sS -D "$HEADERS" "$API/next")
                  ID=$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
                  curl -sS -X POST "$API/$ID/response" -d "{\\"got\\":$EVENT,\\"handler\\":\\"$_HANDLER\\",\\"root\\":\\"$LAMBDA_TASK_ROOT\\"}" >/dev/null
                done
                """);
        JsonNode out = invoke("custom", "{\"x\":[1,2]}");
        assertEquals("{\"x\":[1,2]}", out.get("got").toString());
        assertEquals("function.handler", out.get("handler").asText());
        assertFalse(out.get("root").asText().isEmpty());
        assertEquals("{}", invoke("custom", "{}").get("got").toString());
    }

    @Test
    void customRuntimeWithoutBootstrapFailsAsAnUnhandledRuntimeError() throws Exception {
        create(lambda, "no-bootstrap", Runtime.PROVIDED_AL2, "x.handler", "readme.txt", "no bootstrap here\n");
        JsonNode out = invoke("no-bootstrap", "{}");
        assertEquals("Unhandled", out.get("functionError").asText());
        // Without a sandbox the exec fails in Nimbus; inside bubblewrap, bwrap's exec fails and it exits.
        assertTrue(java.util.Set.of("Runtime.InvalidEntrypoint", "Runtime.ExitError").contains(out.get("errorType").asText()), out.toString());
    }

    @Test
    void boto3InAFunctionReachesNimbusWithTheRolesCredentials() throws Exception {
        assumeTrue(pythonHasBoto3(), "boto3 is not importable by the python3 on the PATH");
        try (IamClient iam = nimbus.client(IamClient.builder())) {
            iam.createRole(b -> b.roleName("fn-role").assumeRolePolicyDocument("""
                    {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"""));
        }
        lambda.createFunction(b -> b.functionName("whoami").role("arn:aws:iam::000000000000:role/fn-role").runtime(Runtime.PYTHON3_12)
                .handler("app.handler").timeout(30).code(c -> c.zipFile(Zips.sdk("app.py", """
                        import boto3
                        def handler(event, context):
                            return boto3.client("sts").get_caller_identity()["Arn"]
                        """))));
        JsonNode out = invoke("whoami", "{}");
        assertEquals("arn:aws:sts::000000000000:assumed-role/fn-role/whoami", out.asText(), out.toString());
    }

    static boolean pythonHasBoto3() throws Exception {
        if (!onPath("python3")) return false;
        Process p = new ProcessBuilder("python3", "-c", "import boto3").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
