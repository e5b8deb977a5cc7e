package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nimbus.services.logs.LogsApi;
import dev.nimbus.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** Queued events are in the store: a restart loses none. */
class LambdaAsyncDurabilityTest {
    @TempDir
    Path data;

    @BeforeEach
    void fastBackOff() {
        AsyncInvoker.throttleDelay = Duration.ofMillis(20);
    }

    @AfterEach
    void awsBackOff() {
        AsyncInvoker.throttleDelay = Duration.ofSeconds(1);
    }

    @Test
    void eventQueuedBeforeARestartRunsAfterIt() throws Exception {
        try (TestServer first = TestServer.startDurable(data); LambdaClient lambda = first.client(LambdaClient.builder())) {
            lambda.createFunction(b -> b.functionName("later").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                    .code(c -> c.zipFile(Zips.sdk("app.py", "def handler(event, context):\n    print('RAN ' + event['marker'])\n"))));
            // Reserved concurrency 0 throttles every invocation: the event stays queued until the restart.
            // No retries for function errors: a throttle must not use up attempts, as in AWS.
            lambda.putFunctionConcurrency(b -> b.functionName("later").reservedConcurrentExecutions(0));
            lambda.putFunctionEventInvokeConfig(b -> b.functionName("later").maximumRetryAttempts(0));
            assertEquals(202, lambda.invoke(b -> b.functionName("later").invocationType(InvocationType.EVENT)
                    .payload(SdkBytes.fromUtf8String("{\"marker\": \"across-restart\"}"))).statusCode());
        }
        try (TestServer second = TestServer.startDurable(data); LambdaClient lambda = second.client(LambdaClient.builder())) {
            lambda.deleteFunctionConcurrency(b -> b.functionName("later"));
            LambdaAsyncTest.waitForLog(new LogsApi(second.endpoint()), "/aws/lambda/later", l -> l.equals("RAN across-restart"));
        }
    }
}
