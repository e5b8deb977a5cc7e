package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nimbus.server.ServerConfig;
import dev.nimbus.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** What an execution environment is given: its /tmp sized by EphemeralStorage, and an end after the configured idle time. */
class LambdaEnvironmentTest {
    static TestServer nimbus;
    static LambdaClient lambda;

    @BeforeAll
    static void start() {
        // Environments end a fifth of a second after their last use.
        nimbus = TestServer.start(ServerConfig.defaults().withPort(0).asEphemeral()
                .withLambda(LambdaLimits.defaults().withEnvironmentIdle(Duration.ofMillis(200))));
        lambda = nimbus.client(LambdaClient.builder());
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    static String invoke(String function) {
        return lambda.invoke(b -> b.functionName(function)).payload().asUtf8String();
    }

    @Test
    void ephemeralStorageSizesTmp() {
        assumeTrue(LambdaRuntimesTest.onPath("bwrap"), "bubblewrap is not installed: /tmp is the host's");
        String code = "import os\ndef handler(event, context):\n    s = os.statvfs('/tmp')\n    return s.f_blocks * s.f_frsize // (1024 * 1024)\n";
        var created = lambda.createFunction(b -> b.functionName("tmpsize").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .ephemeralStorage(e -> e.size(1024)).code(c -> c.zipFile(Zips.sdk("app.py", code))));
        assertEquals(1024, created.ephemeralStorage().size());
        assertEquals("1024", invoke("tmpsize"));
        lambda.updateFunctionConfiguration(b -> b.functionName("tmpsize").ephemeralStorage(e -> e.size(2048)));
        assertEquals(2048, lambda.getFunctionConfiguration(b -> b.functionName("tmpsize")).ephemeralStorage().size());
        assertEquals("2048", invoke("tmpsize"));
        // Lambda's range: 512 MB to 10 GB.
        assertEquals(400, assertThrows(LambdaException.class,
                () -> lambda.updateFunctionConfiguration(b -> b.functionName("tmpsize").ephemeralStorage(e -> e.size(10241)))).statusCode());
        assertEquals(400, assertThrows(LambdaException.class,
                () -> lambda.updateFunctionConfiguration(b -> b.functionName("tmpsize").ephemeralStorage(e -> e.size(511)))).statusCode());
    }

    @Test
    void idleEnvironmentsEnd() throws Exception {
        String code = "import uuid\nENVIRONMENT = str(uuid.uuid4())\ndef handler(event, context):\n    return ENVIRONMENT\n";
        lambda.createFunction(b -> b.functionName("idler").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .code(c -> c.zipFile(Zips.sdk("app.py", code))));
        String first = invoke("idler");
        // Left unused, the environment ends; the next invocation gets a new one (an init of its own).
        for (int i = 0; i < 100; i++) {
            Thread.sleep(300); // longer than the idle limit each time: the reaper's next round ends it
            if (!invoke("idler").equals(first)) return;
        }
        throw new AssertionError("the environment of idler was never ended for idleness");
    }
}
