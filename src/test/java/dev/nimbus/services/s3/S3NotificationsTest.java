package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.lambda.Zips;
import dev.nimbus.testing.TestServer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Event;
import software.amazon.awssdk.services.s3.model.FilterRuleName;
import software.amazon.awssdk.services.s3.model.LambdaFunctionConfiguration;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.QueueConfiguration;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The tutorial flow: an upload triggers a Python function that reads the object with boto3 and
 * writes an analysis object back; the event it got is S3's record, field for field.
 */
class S3NotificationsTest {
    static TestServer t;
    static S3Client s3;
    static LambdaClient lambda;

    @BeforeAll
    static void start() {
        t = TestServer.start();
        s3 = t.client(S3Client.builder().forcePathStyle(true));
        lambda = t.client(LambdaClient.builder());
    }

    @AfterAll
    static void stop() {
        s3.close();
        lambda.close();
        t.close();
    }

    static final String ANALYZE = """
            import json, urllib.parse, boto3
            s3 = boto3.client("s3")
            def handler(event, context):
                for record in event["Records"]:
                    bucket = record["s3"]["bucket"]["name"]
                    key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
                    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
                    analysis = {"key": key, "words": len(text.split()), "chars": len(text), "event": record}
                    s3.put_object(Bucket=bucket, Key="analysis/" + key + ".json", Body=json.dumps(analysis).encode("utf-8"))
            """;

    @Test
    void uploadTriggersAPythonFunctionThatWritesAnAnalysisBack() throws Exception {
        assumeTrue(pythonHasBoto3(), "boto3 is not importable by the python3 on the PATH");
        try (IamClient iam = t.client(IamClient.builder())) {
            iam.createRole(b -> b.roleName("analyzer-role").assumeRolePolicyDocument("""
                    {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"""));
        }
        String arn = lambda.createFunction(b -> b.functionName("analyzer").role("arn:aws:iam::000000000000:role/analyzer-role").runtime(Runtime.PYTHON3_12)
                .handler("app.handler").timeout(60).code(c -> c.zipFile(Zips.sdk("app.py", ANALYZE)))).functionArn();
        lambda.addPermission(b -> b.functionName("analyzer").statementId("s3").action("lambda:InvokeFunction").principal("s3.amazonaws.com")
                .sourceArn("arn:aws:s3:::tutorial"));
        s3.createBucket(b -> b.bucket("tutorial"));
        s3.putBucketNotificationConfiguration(b -> b.bucket("tutorial").notificationConfiguration(n -> n.lambdaFunctionConfigurations(
                LambdaFunctionConfiguration.builder().id("analyze-uploads").lambdaFunctionArn(arn).events(Event.S3_OBJECT_CREATED)
                        .filter(f -> f.key(k -> k.filterRules(r -> r.name(FilterRuleName.PREFIX).value("uploads/"), r -> r.name(FilterRuleName.SUFFIX).value(".txt"))))
                        .build())));
        var conf = s3.getBucketNotificationConfiguration(b -> b.bucket("tutorial"));
        assertEquals(1, conf.lambdaFunctionConfigurations().size());
        assertEquals("analyze-uploads", conf.lambdaFunctionConfigurations().get(0).id());
        assertEquals(arn, conf.lambdaFunctionConfigurations().get(0).lambdaFunctionArn());

        String etag = s3.putObject(b -> b.bucket("tutorial").key("uploads/hello world.txt"), RequestBody.fromString("the quick brown fox")).eTag();
        JsonNode analysis = waitForObject("tutorial", "analysis/uploads/hello world.txt.json");
        assertEquals(4, analysis.path("words").asInt());
        JsonNode record = analysis.path("event");
        assertEquals("2.1", record.path("eventVersion").asText());
        assertEquals("aws:s3", record.path("eventSource").asText());
        assertEquals("us-east-1", record.path("awsRegion").asText());
        assertEquals("ObjectCreated:Put", record.path("eventName").asText());
        assertTrue(record.path("eventTime").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"), record.toString());
        assertEquals("1.0", record.path("s3").path("s3SchemaVersion").asText());
        assertEquals("analyze-uploads", record.path("s3").path("configurationId").asText());
        assertEquals("tutorial", record.path("s3").path("bucket").path("name").asText());
        assertEquals("arn:aws:s3:::tutorial", record.path("s3").path("bucket").path("arn").asText());
        assertEquals("uploads/hello+world.txt", record.path("s3").path("object").path("key").asText());
        assertEquals(19, record.path("s3").path("object").path("size").asLong());
        assertEquals(etag.replace("\"", ""), record.path("s3").path("object").path("eTag").asText());
        assertFalse(record.path("s3").path("object").path("sequencer").asText().isEmpty());
        // the analysis object itself is not under uploads/: no loop; a key outside the filter triggers nothing
        assertThrows(NoSuchKeyException.class, () -> s3.headObject(b -> b.bucket("tutorial").key("analysis/analysis/uploads/hello world.txt.json.json")));
    }

    static JsonNode waitForObject(String bucket, String key) throws InterruptedException {
        for (int attempt = 0; attempt < 1200; attempt++) {
            try {
                return Values.JSON.readTree(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray());
            } catch (NoSuchKeyException e) {
                Thread.sleep(50);
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no " + key + " in " + bucket);
    }

    @Test
    void destinationsOfServicesNotServedAreRefusedAsS3Validates() {
        s3.createBucket(b -> b.bucket("queued"));
        S3Exception e = assertThrows(S3Exception.class, () -> s3.putBucketNotificationConfiguration(b -> b.bucket("queued").notificationConfiguration(n -> n
                .queueConfigurations(QueueConfiguration.builder().queueArn("arn:aws:sqs:us-east-1:000000000000:nowhere").events(Event.S3_OBJECT_CREATED).build()))));
        assertEquals("InvalidArgument", e.awsErrorDetails().errorCode());
        assertEquals("Unable to validate the following destination configurations", e.awsErrorDetails().errorMessage());
        assertTrue(s3.getBucketNotificationConfiguration(b -> b.bucket("queued")).queueConfigurations().isEmpty());
    }

    /** EventBridge is not served yet: its configuration is kept and returned as S3 does (S3 validates no destination for it), and uploads go on. */
    @Test
    void anEventBridgeConfigurationIsKeptAndUploadsGoOn() {
        s3.createBucket(b -> b.bucket("bridged"));
        s3.putBucketNotificationConfiguration(b -> b.bucket("bridged").notificationConfiguration(n -> n.eventBridgeConfiguration(e -> {})));
        assertTrue(s3.getBucketNotificationConfiguration(b -> b.bucket("bridged")).eventBridgeConfiguration() != null);
        s3.putObject(b -> b.bucket("bridged").key("k"), RequestBody.fromString("v"));
        assertEquals("v", s3.getObjectAsBytes(b -> b.bucket("bridged").key("k")).asUtf8String());
    }

    @Test
    void eventTypesAndFiltersMatch() throws Exception {
        JsonNode c = Values.JSON.readTree("""
                {"Events":["s3:ObjectCreated:*","s3:ObjectRemoved:Delete"],
                 "Filter":{"Key":{"FilterRules":[{"Name":"Prefix","Value":"in/"},{"Name":"Suffix","Value":".jpg"}]}}}""");
        assertTrue(Notifications.matches(c, "ObjectCreated:Put", "in/a.jpg"));
        assertTrue(Notifications.matches(c, "ObjectCreated:CompleteMultipartUpload", "in/b.jpg"));
        assertTrue(Notifications.matches(c, "ObjectRemoved:Delete", "in/a.jpg"));
        assertFalse(Notifications.matches(c, "ObjectRemoved:DeleteMarkerCreated", "in/a.jpg"));
        assertFalse(Notifications.matches(c, "ObjectCreated:Put", "out/a.jpg"));
        assertFalse(Notifications.matches(c, "ObjectCreated:Put", "in/a.png"));
    }

    static boolean pythonHasBoto3() throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("python3", "-c", "import boto3").redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            return false;
        }
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
