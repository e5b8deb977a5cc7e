package dev.nimbus.services.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nimbus.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** Accounts (from the access key) and regions (from the signature) are separate worlds, as in AWS. */
class PartitionTest {
    static TestServer nimbus;
    static final SdkBytes APP = Zips.sdk("app.py", "def handler(e, c):\n    return e\n");

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    @Test
    void aFunctionExistsOnlyInItsAccountAndRegion() {
        try (LambdaClient home = nimbus.client(LambdaClient.builder(), "111111111111", "us-east-1");
             LambdaClient otherRegion = nimbus.client(LambdaClient.builder(), "111111111111", "eu-west-1");
             LambdaClient otherAccount = nimbus.client(LambdaClient.builder(), "222222222222", "us-east-1")) {
            String arn = home.createFunction(b -> b.functionName("mine").role("arn:aws:iam::111111111111:role/r").runtime(Runtime.PYTHON3_12)
                    .handler("app.handler").code(c -> c.zipFile(APP))).functionArn();
            assertEquals("arn:aws:lambda:us-east-1:111111111111:function:mine", arn);
            assertEquals(1, home.listFunctions().functions().size());
            assertEquals(0, otherRegion.listFunctions().functions().size());
            assertEquals(0, otherAccount.listFunctions().functions().size());
            assertThrows(ResourceNotFoundException.class, () -> otherRegion.getFunction(b -> b.functionName("mine")));
            assertThrows(ResourceNotFoundException.class, () -> otherAccount.getFunction(b -> b.functionName("mine")));
            // The same name is free in another partition.
            otherRegion.createFunction(b -> b.functionName("mine").role("arn:aws:iam::111111111111:role/r").runtime(Runtime.PYTHON3_12)
                    .handler("app.handler").code(c -> c.zipFile(APP)));
            assertEquals(1, otherRegion.listFunctions().functions().size());
        }
    }
}
