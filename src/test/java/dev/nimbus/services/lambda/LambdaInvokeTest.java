package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static dev.nimbus.services.lambda.Zips.ended;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** Python functions invoked synchronously through the SDK: results, context, environment, errors, timeouts, crashes, reuse. */
class LambdaInvokeTest {
    static TestServer nimbus;
    static LambdaClient lambda;

    static final String ECHO = """
            import os
            calls = 0
            def handler(event, context):
                global calls
                calls += 1
                print("handling", event.get("n"))
                return {
                    "event": event,
                    "calls": calls,
                    "requestId": context.aws_request_id,
                    "functionName": context.function_name,
                    "functionVersion": context.function_version,
                    "arn": context.invoked_function_arn,
                    "memory": context.memory_limit_in_mb,
                    "logGroup": context.log_group_name,
                    "logStream": context.log_stream_name,
                    "remaining": context.get_remaining_time_in_millis(),
                    "clientContext": context.client_context,
                    "env": {k: os.environ.get(k) for k in ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME",
                        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME",
                        "AWS_LAMBDA_LOG_STREAM_NAME", "_HANDLER", "LAMBDA_TASK_ROOT", "TZ", "AWS_ENDPOINT_URL", "STAGE",
                        "AWS_ACCESS_KEY_ID", "AWS_LAMBDA_RUNTIME_API"]},
                    "cwdFiles": sorted(os.listdir(os.environ["LAMBDA_TASK_ROOT"])),
                }
            """;

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

    static void python(String name, String handler, int timeout, Map<String, String> env, String... files) {
        lambda.createFunction(b -> b.functionName(name).role(ROLE).runtime(Runtime.PYTHON3_12).handler(handler).timeout(timeout)
                .environment(e -> e.variables(env)).code(c -> c.zipFile(Zips.sdk(files))));
    }

    static InvokeResponse invoke(String name, String payload) {
        return lambda.invoke(b -> b.functionName(name).payload(SdkBytes.fromUtf8String(payload)));
    }

    static JsonNode json(InvokeResponse r) throws Exception {
        return Values.JSON.readTree(r.payload().asByteArray());
    }

    @Test
    void pythonFunctionSeesEventContextAndEnvironmentAndStaysWarm() throws Exception {
        python("echo", "app.handler", 30, Map.of("STAGE", "test"), "app.py", ECHO);
        String clientContext = Base64.getEncoder().encodeToString("{\"custom\":{\"k\":\"v\"}}".getBytes(StandardCharsets.UTF_8));
        InvokeResponse first = lambda.invoke(b -> b.functionName("echo").logType(LogType.TAIL).clientContext(clientContext)
                .payload(SdkBytes.fromUtf8String("{\"n\":1}")));
        assertEquals(200, first.statusCode());
        assertNull(first.functionError());
        assertEquals("$LATEST", first.executedVersion());
        JsonNode out = json(first);
        assertEquals("{\"n\":1}", out.get("event").toString());
        String requestId = first.responseMetadata().requestId();
        assertEquals(requestId, out.get("requestId").asText());
        assertEquals("echo", out.get("functionName").asText());
        assertEquals("$LATEST", out.get("functionVersion").asText());
        assertEquals("arn:aws:lambda:us-east-1:000000000000:function:echo", out.get("arn").asText());
        assertEquals("128", out.get("memory").asText());
        assertEquals("/aws/lambda/echo", out.get("logGroup").asText());
        assertTrue(out.get("logStream").asText().matches("\\d{4}/\\d\\d/\\d\\d/\\[\\$LATEST][0-9a-f]{32}"), out.get("logStream").asText());
        int remaining = out.get("remaining").asInt();
        assertTrue(remaining > 0 && remaining <= 30_000, "remaining " + remaining);
        assertEquals("v", out.get("clientContext").path("custom").path("k").asText());
        JsonNode env = out.get("env");
        assertEquals("us-east-1", env.get("AWS_REGION").asText());
        assertEquals("us-east-1", env.get("AWS_DEFAULT_REGION").asText());
        assertEquals("echo", env.get("AWS_LAMBDA_FUNCTION_NAME").asText());
        assertEquals("$LATEST", env.get("AWS_LAMBDA_FUNCTION_VERSION").asText());
        assertEquals("128", env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").asText());
        assertEquals("/aws/lambda/echo", env.get("AWS_LAMBDA_LOG_GROUP_NAME").asText());
        assertEquals(out.get("logStream").asText(), env.get("AWS_LAMBDA_LOG_STREAM_NAME").asText());
        assertEquals("app.handler", env.get("_HANDLER").asText());
        assertEquals(":UTC", env.get("TZ").asText());
        assertEquals(nimbus.server.url(), env.get("AWS_ENDPOINT_URL").asText());
        assertEquals("test", env.get("STAGE").asText());
        assertEquals("000000000000", env.get("AWS_ACCESS_KEY_ID").asText(), "no such role in IAM: the account's key");
        assertTrue(env.get("AWS_LAMBDA_RUNTIME_API").asText().matches("127\\.0\\.0\\.1:\\d+"));
        assertTrue(out.get("cwdFiles").toString().contains("\"app.py\""), out.get("cwdFiles").toString());

        String log = new String(Base64.getDecoder().decode(first.logResult()), StandardCharsets.UTF_8);
        assertTrue(log.contains("START RequestId: " + requestId + " Version: $LATEST\n"), log);
        assertTrue(log.contains("handling 1\n"), log);
        assertTrue(log.contains("END RequestId: " + requestId + "\n"), log);
        assertTrue(Pattern.compile("REPORT RequestId: " + requestId + "\tDuration: \\d+\\.\\d\\d ms\tBilled Duration: \\d+ ms\tMemory Size: 128 MB\t"
                + "Max Memory Used: [1-9]\\d* MB\tInit Duration: \\d+\\.\\d\\d ms\t\n").matcher(log).find(), log);

        // Warm: the same process serves the next invocation, and reports no Init Duration.
        InvokeResponse second = lambda.invoke(b -> b.functionName("echo").logType(LogType.TAIL).payload(SdkBytes.fromUtf8String("{\"n\":2}")));
        JsonNode out2 = json(second);
        assertEquals(2, out2.get("calls").asInt());
        assertEquals(out.get("env").get("AWS_LAMBDA_LOG_STREAM_NAME"), out2.get("env").get("AWS_LAMBDA_LOG_STREAM_NAME"), "same environment");
        String log2 = new String(Base64.getDecoder().decode(second.logResult()), StandardCharsets.UTF_8);
        assertTrue(log2.startsWith("START RequestId: " + second.responseMetadata().requestId()), log2);
        assertFalse(log2.contains("Init Duration"), log2);
        assertFalse(log2.contains("handling 1"), log2);

        // No payload is an empty event.
        assertEquals("{}", json(lambda.invoke(b -> b.functionName("echo"))).get("event").toString());
    }

    @Test
    void handlerErrorsAreUnhandledInAwsShape() throws Exception {
        python("raises", "app.handler", 3, Map.of(), "app.py", "def handler(event, context):\n    raise ValueError('boom ' + str(event['n']))\n");
        InvokeResponse r = invoke("raises", "{\"n\":7}");
        assertEquals(200, r.statusCode());
        assertEquals("Unhandled", r.functionError());
        JsonNode e = json(r);
        assertEquals("ValueError", e.get("errorType").asText());
        assertEquals("boom 7", e.get("errorMessage").asText());
        assertEquals(r.responseMetadata().requestId(), e.get("requestId").asText());
        assertTrue(e.get("stackTrace").get(0).asText().contains("app.py\", line 2, in handler"), e.toString());
        // The environment survives a handled exception.
        assertEquals("ValueError", json(invoke("raises", "{\"n\":8}")).get("errorType").asText());
    }

    @Test
    void importAndHandlerProblemsAreInitErrors() throws Exception {
        python("no-module", "missing.handler", 3, Map.of(), "app.py", "x = 1\n");
        InvokeResponse r = invoke("no-module", "{}");
        assertEquals("Unhandled", r.functionError());
        JsonNode e = json(r);
        assertEquals("Runtime.ImportModuleError", e.get("errorType").asText());
        assertEquals("Unable to import module 'missing': No module named 'missing'", e.get("errorMessage").asText());

        python("no-handler", "app.nope", 3, Map.of(), "app.py", "x = 1\n");
        JsonNode h = json(invoke("no-handler", "{}"));
        assertEquals("Runtime.HandlerNotFound", h.get("errorType").asText());
        assertEquals("Handler 'nope' missing on module 'app'", h.get("errorMessage").asText());

        python("bad-syntax", "app.handler", 3, Map.of(), "app.py", "def handler(:\n");
        assertEquals("Runtime.UserCodeSyntaxError", json(invoke("bad-syntax", "{}")).get("errorType").asText());
    }

    /** Processes this JVM started since {@code before}: an environment's, when one function ran in between. */
    static List<ProcessHandle> startedSince(Set<Long> before) {
        return ProcessHandle.current().descendants().filter(p -> !before.contains(p.pid())).toList();
    }

    static Set<Long> children() {
        return ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    @Test
    void timeoutKillsTheEnvironmentAndTheNextInvokeStartsAFreshOne() throws Exception {
        // An id per runtime process (process ids say nothing inside a PID namespace).
        python("sleepy", "app.handler", 1, Map.of(), "app.py", """
                import time, uuid
                ENV = str(uuid.uuid4())
                def handler(event, context):
                    if event.get("sleep"):
                        time.sleep(30)
                    return ENV
                """);
        Set<Long> before = children();
        String env = json(invoke("sleepy", "{}")).asText();
        List<ProcessHandle> processes = startedSince(before);
        assertFalse(processes.isEmpty());
        InvokeResponse r = invoke("sleepy", "{\"sleep\":true}");
        assertEquals(200, r.statusCode());
        assertEquals("Unhandled", r.functionError());
        String message = json(r).get("errorMessage").asText();
        assertTrue(message.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z " + Pattern.quote(r.responseMetadata().requestId())
                + " Task timed out after 1\\.00 seconds"), message);
        for (ProcessHandle p : processes) assertTrue(ended(p), "the timed-out environment is killed");
        assertNotEquals(env, json(invoke("sleepy", "{}")).asText());
    }

    @Test
    void crashMidInvokeIsARuntimeExitError() throws Exception {
        python("crash", "app.handler", 3, Map.of(), "app.py", """
                import os
                def handler(event, context):
                    if event.get("crash"):
                        os._exit(3)
                    return "fine"
                """);
        InvokeResponse r = invoke("crash", "{\"crash\":true}");
        assertEquals("Unhandled", r.functionError());
        JsonNode e = json(r);
        assertEquals("Runtime.ExitError", e.get("errorType").asText());
        assertEquals("RequestId: " + r.responseMetadata().requestId() + " Error: Runtime exited with error: exit status 3", e.get("errorMessage").asText());
        assertEquals("\"fine\"", invoke("crash", "{}").payload().asUtf8String());
    }

    @Test
    void updatesReachNewInvocationsInFreshEnvironments() throws Exception {
        Set<Long> before = children();
        python("evolving", "app.handler", 3, Map.of("VV", "one"), "app.py", "import os\ndef handler(e, c):\n    return ['code1', os.environ['VV']]\n");
        assertEquals("[\"code1\",\"one\"]", json(invoke("evolving", "{}")).toString());
        List<ProcessHandle> first = startedSince(before);
        lambda.updateFunctionConfiguration(b -> b.functionName("evolving").environment(e -> e.variables(Map.of("VV", "two"))));
        for (ProcessHandle p : first) assertTrue(ended(p), "the old revision's idle environment is drained");
        assertEquals("[\"code1\",\"two\"]", json(invoke("evolving", "{}")).toString());
        lambda.updateFunctionCode(b -> b.functionName("evolving").zipFile(Zips.sdk("app.py", "import os\ndef handler(e, c):\n    return ['code2', os.environ['VV']]\n")));
        assertEquals("[\"code2\",\"two\"]", json(invoke("evolving", "{}")).toString());
        List<ProcessHandle> last = startedSince(before);
        assertFalse(last.isEmpty());
        lambda.deleteFunction(b -> b.functionName("evolving"));
        for (ProcessHandle p : last) assertTrue(ended(p), "a deleted function's environments end");
    }

    @Test
    void sandboxShowsCodeReadOnlyAtVarTaskAndHidesTheHost() throws Exception {
        assumeTrue(LambdaRuntimesTest.onPath("bwrap"), "bubblewrap is not installed: environments run as plain processes");
        python("sandboxed", "app.handler", 3, Map.of(), "app.py", """
                import os
                def handler(event, context):
                    try:
                        open("/var/task/new", "w")
                        task_writable = True
                    except OSError:
                        task_writable = False
                    with open("/tmp/scratch", "w") as f:
                        f.write("ok")
                    return {"root": os.environ["LAMBDA_TASK_ROOT"], "cwd": os.getcwd(), "taskWritable": task_writable,
                            "hostPaths": [p for p in event["host"] if os.path.exists(p)], "pid": os.getpid()}
                """);
        var event = Values.object();
        // Paths that exist on this host: the Maven repository in the user's home, the project, the temporary directory.
        event.putArray("host").add(System.getProperty("user.home") + "/.m2").add(System.getProperty("user.dir"))
                .add(java.nio.file.Files.createTempFile("nimbus-host", ".txt").toString());
        JsonNode out = json(invoke("sandboxed", event.toString()));
        assertEquals("/var/task", out.get("root").asText());
        assertEquals("/var/task", out.get("cwd").asText());
        assertFalse(out.get("taskWritable").asBoolean(), "code is read-only");
        assertEquals("[]", out.get("hostPaths").toString(), "the host's home, working directory and /tmp are not visible");
        assertTrue(out.get("pid").asInt() < 10, "own PID namespace: " + out.get("pid"));
    }

    @Test
    void concurrentInvocationsGetTheirOwnEnvironments() throws Exception {
        // A barrier over loopback TCP (visible from a sandbox too): each invocation waits until the
        // other one has arrived, so both finish only if they run at once, in two environments.
        python("pair", "app.handler", 20, Map.of(), "app.py", """
                import socket, uuid
                ENV = str(uuid.uuid4())
                def handler(event, context):
                    with socket.create_connection(("127.0.0.1", event["port"])) as s:
                        s.sendall((ENV + "\\n").encode())
                        s.recv(16)
                    return ENV
                """);
        try (java.net.ServerSocket barrier = new java.net.ServerSocket(0, 2, java.net.InetAddress.getLoopbackAddress());
             var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            barrier.setSoTimeout(20_000); // fail rather than hang when the two are served one after the other
            String event = Values.object().put("port", barrier.getLocalPort()).toString();
            var a = pool.submit(() -> json(invoke("pair", event)).asText());
            var b = pool.submit(() -> json(invoke("pair", event)).asText());
            try (java.net.Socket one = barrier.accept(); java.net.Socket two = barrier.accept()) {
                one.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
                two.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
                assertNotEquals(a.get(), b.get());
            }
        }
    }

    @Test
    void reservedConcurrencyThrottlesWhatExceedsIt() throws Exception {
        python("reserved", "app.handler", 20, Map.of(), "app.py", """
                import socket
                def handler(event, context):
                    if "port" in event:
                        with socket.create_connection(("127.0.0.1", event["port"])) as s:
                            s.recv(16)
                    return "done"
                """);
        assertEquals(1, lambda.putFunctionConcurrency(b -> b.functionName("reserved").reservedConcurrentExecutions(1)).reservedConcurrentExecutions());
        assertEquals(1, lambda.getFunctionConcurrency(b -> b.functionName("reserved")).reservedConcurrentExecutions());
        assertEquals(1, lambda.getFunction(b -> b.functionName("reserved")).concurrency().reservedConcurrentExecutions());
        try (java.net.ServerSocket hold = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            hold.setSoTimeout(20_000);
            var first = pool.submit(() -> invoke("reserved", Values.object().put("port", hold.getLocalPort()).toString()).payload().asUtf8String());
            try (java.net.Socket running = hold.accept()) { // the first invocation is running and holds the one reserved slot
                software.amazon.awssdk.services.lambda.model.TooManyRequestsException throttled =
                        assertThrows(software.amazon.awssdk.services.lambda.model.TooManyRequestsException.class, () -> invoke("reserved", "{}"));
                assertEquals(429, throttled.statusCode());
                assertEquals("Rate Exceeded.", throttled.awsErrorDetails().errorMessage());
                assertEquals("ReservedFunctionConcurrentInvocationLimitExceeded", throttled.reasonAsString());
                running.getOutputStream().write("go".getBytes(StandardCharsets.UTF_8));
            }
            assertEquals("\"done\"", first.get());
        }
        assertEquals("\"done\"", invoke("reserved", "{}").payload().asUtf8String());

        lambda.putFunctionConcurrency(b -> b.functionName("reserved").reservedConcurrentExecutions(0));
        assertThrows(software.amazon.awssdk.services.lambda.model.TooManyRequestsException.class, () -> invoke("reserved", "{}"));
        LambdaException tooMuch = assertThrows(LambdaException.class,
                () -> lambda.putFunctionConcurrency(b -> b.functionName("reserved").reservedConcurrentExecutions(901)));
        assertEquals("InvalidParameterValueException", tooMuch.awsErrorDetails().errorCode());
        lambda.deleteFunctionConcurrency(b -> b.functionName("reserved"));
        assertNull(lambda.getFunctionConcurrency(b -> b.functionName("reserved")).reservedConcurrentExecutions());
        assertEquals("\"done\"", invoke("reserved", "{}").payload().asUtf8String());
    }

    @Test
    void dryRunPayloadLimitsAndUnknownFunctions() {
        python("dry", "app.handler", 3, Map.of(), "app.py", "def handler(e, c):\n    return 1\n");
        InvokeResponse dry = lambda.invoke(b -> b.functionName("dry").invocationType(InvocationType.DRY_RUN));
        assertEquals(204, dry.statusCode());
        assertEquals(0, dry.payload().asByteArray().length);

        String big = "\"" + "x".repeat(6 * 1024 * 1024) + "\"";
        LambdaException tooLarge = assertThrows(LambdaException.class, () -> invoke("dry", big));
        assertEquals(413, tooLarge.statusCode());
        assertEquals("RequestTooLargeException", tooLarge.awsErrorDetails().errorCode());
        assertEquals("Request must be smaller than 6291456 bytes for the InvokeFunction operation", tooLarge.awsErrorDetails().errorMessage());

        LambdaException notJson = assertThrows(LambdaException.class, () -> invoke("dry", "{not json"));
        assertEquals("InvalidRequestContentException", notJson.awsErrorDetails().errorCode());

        ResourceNotFoundException missing = assertThrows(ResourceNotFoundException.class, () -> invoke("nope", "{}"));
        assertEquals(404, missing.statusCode());
        assertEquals("Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope", missing.awsErrorDetails().errorMessage());
    }
}
