package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.compute.Compute;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** MemorySize is a cap (a cgroup per environment): a function over it is killed and the invoke says so, as AWS's does. */
class LambdaMemoryTest {
    private static final Pattern MAX_USED = Pattern.compile("Memory Size: (\\d+) MB\tMax Memory Used: (\\d+) MB");
    static TestServer nimbus;
    static LambdaClient lambda;

    @BeforeAll
    static void start() {
        assumeTrue(Compute.memoryLimits(), "no writable cgroup memory controller on this host");
        assumeTrue(LambdaRuntimesTest.onPath("python3"), "python3 is not installed");
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
    }

    @AfterAll
    static void stop() {
        if (lambda != null) lambda.close();
        if (nimbus != null) nimbus.close();
    }

    private static InvokeResponse invoke(String name, String payload) {
        return lambda.invoke(b -> b.functionName(name).logType("Tail").payload(SdkBytes.fromUtf8String(payload)));
    }

    @Test
    void overTheLimitIsKilledAndReportedAsOutOfMemory() throws Exception {
        lambda.createFunction(b -> b.functionName("hog").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").memorySize(128).timeout(60)
                .code(c -> c.zipFile(Zips.sdk("app.py", """
                        def handler(event, context):
                            chunks = []
                            for _ in range(event.get("mb", 0)):
                                chunks.append(b"x" * (1024 * 1024))  # written, so resident: counted by the cgroup
                            return {"held": len(chunks)}
                        """))));
        InvokeResponse small = invoke("hog", "{\"mb\":10}");
        assertEquals(null, small.functionError(), small.payload().asUtf8String());
        Matcher m = MAX_USED.matcher(new String(Base64.getDecoder().decode(small.logResult())));
        assertTrue(m.find());
        long used = Long.parseLong(m.group(2));
        assertTrue(used >= 10 && used <= 128, "Max Memory Used " + used + " MB is the environment's measured peak");

        InvokeResponse killed = invoke("hog", "{\"mb\":300}");
        assertEquals("Unhandled", killed.functionError());
        JsonNode err = Values.JSON.readTree(killed.payload().asByteArray());
        assertEquals("Runtime.OutOfMemory", err.get("errorType").asText(), err.toString());
        assertTrue(err.get("errorMessage").asText().endsWith("Error: Runtime exited with error: signal: killed"), err.toString());
        Matcher report = MAX_USED.matcher(new String(Base64.getDecoder().decode(killed.logResult())));
        assertTrue(report.find());
        assertEquals("128", report.group(1));
        assertTrue(Long.parseLong(report.group(2)) >= 120, "the killed environment had reached its limit: " + report.group());

        InvokeResponse again = invoke("hog", "{\"mb\":1}");
        assertEquals(null, again.functionError(), "a new environment serves the next invocation");
        assertEquals(1, Values.JSON.readTree(again.payload().asByteArray()).get("held").asInt());
    }
}
