package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static dev.nimbus.services.lambda.Zips.ended;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.Runtime;

/**
 * A server that stops takes every environment's processes with it, children the function forked
 * included. Alone in its class: the processes it counts are the ones this JVM started meanwhile.
 */
class LambdaCleanupTest {
    @Test
    void closingTheServerLeavesNoProcessBehind() throws Exception {
        Set<Long> before = ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
        List<ProcessHandle> started;
        try (TestServer own = TestServer.start(); LambdaClient client = own.client(LambdaClient.builder())) {
            client.createFunction(b -> b.functionName("forker").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").timeout(10)
                    .code(c -> c.zipFile(Zips.sdk("app.py", """
                            import subprocess
                            def handler(event, context):
                                # A child that outlives the invocation, as a careless function's would.
                                return subprocess.Popen(["sleep", "300"]).pid
                            """))));
            InvokeResponse r = client.invoke(b -> b.functionName("forker"));
            assertNull(r.functionError(), r.payload().asUtf8String());
            started = ProcessHandle.current().descendants().filter(p -> !before.contains(p.pid())).toList();
            assertTrue(started.size() >= 2, "the runtime and its child: " + started);
        }
        for (ProcessHandle p : started) assertTrue(ended(p), "still running after close: " + p.pid() + " " + p.info().commandLine().orElse(""));
    }
}
