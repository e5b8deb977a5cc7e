package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.FunctionUrlAuthType;
import software.amazon.awssdk.services.lambda.model.GetPolicyResponse;
import software.amazon.awssdk.services.lambda.model.PreconditionFailedException;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** AddPermission, RemovePermission and GetPolicy on functions, versions and aliases. */
class LambdaPolicyTest {
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

    static void create(String name) {
        lambda.createFunction(b -> b.functionName(name).role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .code(c -> c.zipFile(Zips.sdk("app.py", "def handler(e, c):\n    return 1\n"))));
    }

    static JsonNode json(String text) throws Exception {
        return Values.JSON.readTree(text);
    }

    @Test
    void statementsAreWrittenAsAwsWritesThem() throws Exception {
        create("guarded");
        String s3 = lambda.addPermission(b -> b.functionName("guarded").statementId("s3").action("lambda:InvokeFunction")
                .principal("s3.amazonaws.com").sourceArn("arn:aws:s3:::bucket").sourceAccount("111122223333")).statement();
        assertEquals(json("""
                {"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction",
                 "Resource":"arn:aws:lambda:us-east-1:000000000000:function:guarded",
                 "Condition":{"StringEquals":{"AWS:SourceAccount":"111122223333"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"}}}"""), json(s3));
        String account = lambda.addPermission(b -> b.functionName("guarded").statementId("acct").action("lambda:GetFunction")
                .principal("444455556666")).statement();
        assertEquals(json("{\"AWS\":\"arn:aws:iam::444455556666:root\"}"), json(account).get("Principal"));
        String url = lambda.addPermission(b -> b.functionName("guarded").statementId("url").action("lambda:InvokeFunctionUrl")
                .principal("*").functionUrlAuthType(FunctionUrlAuthType.NONE)).statement();
        assertEquals("*", json(url).get("Principal").asText());
        assertEquals(json("{\"StringEquals\":{\"lambda:FunctionUrlAuthType\":\"NONE\"}}"), json(url).get("Condition"));

        GetPolicyResponse policy = lambda.getPolicy(b -> b.functionName("guarded"));
        JsonNode doc = json(policy.policy());
        assertEquals("2012-10-17", doc.get("Version").asText());
        assertEquals("default", doc.get("Id").asText());
        assertEquals(3, doc.get("Statement").size());
        assertEquals(json(s3), doc.get("Statement").get(0));

        ResourceConflictException dup = assertThrows(ResourceConflictException.class, () -> lambda.addPermission(b -> b.functionName("guarded")
                .statementId("s3").action("lambda:InvokeFunction").principal("sns.amazonaws.com")));
        assertEquals("The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement.",
                dup.awsErrorDetails().errorMessage());

        assertThrows(PreconditionFailedException.class, () -> lambda.removePermission(b -> b.functionName("guarded").statementId("s3").revisionId("old")));
        lambda.removePermission(b -> b.functionName("guarded").statementId("s3").revisionId(policy.revisionId()));
        GetPolicyResponse after = lambda.getPolicy(b -> b.functionName("guarded"));
        assertNotEquals(policy.revisionId(), after.revisionId());
        assertEquals(2, json(after.policy()).get("Statement").size());
        ResourceNotFoundException missing = assertThrows(ResourceNotFoundException.class,
                () -> lambda.removePermission(b -> b.functionName("guarded").statementId("s3")));
        assertEquals("Statement s3 is not found in resource policy.", missing.awsErrorDetails().errorMessage());

        lambda.removePermission(b -> b.functionName("guarded").statementId("acct"));
        lambda.removePermission(b -> b.functionName("guarded").statementId("url"));
        ResourceNotFoundException none = assertThrows(ResourceNotFoundException.class, () -> lambda.getPolicy(b -> b.functionName("guarded")));
        assertEquals("The resource you requested does not exist.", none.awsErrorDetails().errorMessage());
    }

    @Test
    void versionsAndAliasesHaveTheirOwnPolicies() throws Exception {
        create("layered");
        lambda.publishVersion(b -> b.functionName("layered"));
        lambda.createAlias(b -> b.functionName("layered").name("live").functionVersion("1"));
        String onAlias = lambda.addPermission(b -> b.functionName("layered").qualifier("live").statementId("a")
                .action("lambda:InvokeFunction").principal("events.amazonaws.com")).statement();
        assertEquals(ARN + "layered:live", json(onAlias).get("Resource").asText());
        lambda.addPermission(b -> b.functionName(ARN + "layered:1").statementId("v").action("lambda:InvokeFunction").principal("sns.amazonaws.com"));
        assertEquals("v", json(lambda.getPolicy(b -> b.functionName("layered").qualifier("1")).policy()).get("Statement").get(0).get("Sid").asText());
        assertEquals("a", json(lambda.getPolicy(b -> b.functionName("layered:live")).policy()).get("Statement").get(0).get("Sid").asText());
        assertThrows(ResourceNotFoundException.class, () -> lambda.getPolicy(b -> b.functionName("layered")));

        assertThrows(ResourceNotFoundException.class, () -> lambda.addPermission(b -> b.functionName("layered").qualifier("9")
                .statementId("x").action("lambda:InvokeFunction").principal("sns.amazonaws.com")));
        ResourceNotFoundException nobody = assertThrows(ResourceNotFoundException.class, () -> lambda.addPermission(b -> b.functionName("nobody")
                .statementId("x").action("lambda:InvokeFunction").principal("sns.amazonaws.com")));
        assertEquals("Function not found: " + ARN + "nobody", nobody.awsErrorDetails().errorMessage());

        // An alias deleted and made again starts without the old policy; so does a function.
        lambda.deleteAlias(b -> b.functionName("layered").name("live"));
        lambda.createAlias(b -> b.functionName("layered").name("live").functionVersion("1"));
        assertThrows(ResourceNotFoundException.class, () -> lambda.getPolicy(b -> b.functionName("layered").qualifier("live")));
        lambda.addPermission(b -> b.functionName("layered").statementId("f").action("lambda:InvokeFunction").principal("sns.amazonaws.com"));
        lambda.deleteFunction(b -> b.functionName("layered"));
        create("layered");
        assertThrows(ResourceNotFoundException.class, () -> lambda.getPolicy(b -> b.functionName("layered")));
    }

    @Test
    void policiesSurviveARestart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (TestServer first = TestServer.startDurable(dir); LambdaClient client = first.client(LambdaClient.builder())) {
            client.createFunction(b -> b.functionName("kept").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                    .code(c -> c.zipFile(Zips.sdk("app.py", "def handler(e, c):\n    return 1\n"))));
            client.addPermission(b -> b.functionName("kept").statementId("s").action("lambda:InvokeFunction").principal("sns.amazonaws.com"));
        }
        try (TestServer second = TestServer.startDurable(dir); LambdaClient client = second.client(LambdaClient.builder())) {
            assertEquals("s", json(client.getPolicy(b -> b.functionName("kept")).policy()).get("Statement").get(0).get("Sid").asText());
        }
    }
}
