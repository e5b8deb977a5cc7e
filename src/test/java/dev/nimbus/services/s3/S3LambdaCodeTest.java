package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nimbus.services.lambda.Zips;
import dev.nimbus.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.s3.S3Client;

/** Lambda deployment packages read from S3 (CreateFunction and UpdateFunctionCode with S3Bucket/S3Key). */
class S3LambdaCodeTest {
    static final String ROLE = "arn:aws:iam::000000000000:role/lambda-role";
    static TestServer t;
    static S3Client s3;
    static LambdaClient lambda;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        lambda = t.client(LambdaClient.builder());
        s3.createBucket(b -> b.bucket("deploy"));
    }

    @AfterAll
    static void stop() {
        s3.close();
        lambda.close();
        t.close();
    }

    static String invoke(String name) {
        return lambda.invoke(b -> b.functionName(name).payload(SdkBytes.fromUtf8String("{}"))).payload().asUtf8String();
    }

    @Test
    void functionCodeComesFromAnObject() {
        s3.putObject(b -> b.bucket("deploy").key("v1/app.zip"), RequestBody.fromBytes(Zips.zip("app.py", "def handler(e, c):\n    return 'one'\n")));
        s3.putObject(b -> b.bucket("deploy").key("v2/app.zip"), RequestBody.fromBytes(Zips.zip("app.py", "def handler(e, c):\n    return 'two'\n")));
        lambda.createFunction(b -> b.functionName("from-s3").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .code(c -> c.s3Bucket("deploy").s3Key("v1/app.zip")));
        assertEquals("\"one\"", invoke("from-s3"));
        lambda.updateFunctionCode(b -> b.functionName("from-s3").s3Bucket("deploy").s3Key("v2/app.zip"));
        lambda.waiter().waitUntilFunctionUpdatedV2(b -> b.functionName("from-s3"));
        assertEquals("\"two\"", invoke("from-s3"));

        InvalidParameterValueException e = assertThrows(InvalidParameterValueException.class, () -> lambda.createFunction(b -> b.functionName("missing")
                .role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").code(c -> c.s3Bucket("deploy").s3Key("nope.zip"))));
        assertEquals("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.",
                e.awsErrorDetails().errorMessage());
    }
}
