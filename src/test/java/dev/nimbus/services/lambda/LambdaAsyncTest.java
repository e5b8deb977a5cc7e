package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.logs.LogsApi;
import dev.nimbus.testing.TestServer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.FunctionEventInvokeConfig;
import software.amazon.awssdk.services.lambda.model.InvalidParameterValueException;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.RequestTooLargeException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** InvocationType Event: queued, run in the background, retried, and reported to destinations with Lambda's record. */
class LambdaAsyncTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static LogsApi logs;
    static String destArn;

    @BeforeAll
    static void start() {
        // Minutes between retries in AWS; the behaviour, not the wait, is under test.
        AsyncInvoker.retryDelay = Duration.ofMillis(100);
        AsyncInvoker.throttleDelay = Duration.ofMillis(20);
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        logs = new LogsApi(nimbus.endpoint());
        // The destination prints each record it gets, one line, where the test reads it: its log group.
        destArn = create("dest", "import json\ndef handler(event, context):\n    print('RECORD ' + json.dumps(event))\n");
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
        AsyncInvoker.retryDelay = Duration.ofMinutes(1);
        AsyncInvoker.throttleDelay = Duration.ofSeconds(1);
    }

    static String create(String name, String code) {
        return lambda.createFunction(b -> b.functionName(name).role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .code(c -> c.zipFile(Zips.sdk("app.py", code)))).functionArn();
    }

    /** The messages of a log group once one matches (logs are shipped off the invoke path, events run in the background). */
    static List<String> waitForLog(LogsApi logs, String group, Predicate<String> wanted) throws InterruptedException {
        List<String> found = new ArrayList<>();
        for (int attempt = 0; attempt < 1200; attempt++) {
            if (attempt > 0) Thread.sleep(50);
            found.clear();
            if (logs.ok("DescribeLogGroups", LogsApi.in("logGroupNamePrefix", group)).path("logGroups").isEmpty()) continue;
            for (JsonNode e : logs.ok("FilterLogEvents", LogsApi.in("logGroupName", group)).path("events")) found.add(e.path("message").asText());
            if (found.stream().anyMatch(wanted)) return found;
        }
        throw new AssertionError("nothing wanted in " + group + ": " + found);
    }

    /** The destination record about the event whose payload carries this marker. */
    static JsonNode record(String marker) throws Exception {
        String line = waitForLog(logs, "/aws/lambda/dest", l -> l.startsWith("RECORD ") && l.contains(marker)).stream()
                .filter(l -> l.startsWith("RECORD ") && l.contains(marker)).findFirst().orElseThrow();
        return Values.JSON.readTree(line.substring("RECORD ".length()));
    }

    @Test
    void eventAnswers202AndSuccessReachesTheDestination() throws Exception {
        create("adder", "def handler(event, context):\n    return {'sum': event['a'] + event['b']}\n");
        lambda.putFunctionEventInvokeConfig(b -> b.functionName("adder").destinationConfig(d -> d.onSuccess(s -> s.destination(destArn))));
        InvokeResponse res = lambda.invoke(b -> b.functionName("adder").invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{\"a\": 2, \"b\": 40, \"marker\": \"success-1\"}")));
        assertEquals(202, res.statusCode());
        assertEquals(0, res.payload().asByteArray().length);

        JsonNode record = record("success-1");
        assertEquals("1.0", record.path("version").asText());
        assertTrue(record.path("timestamp").asText().matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z"), record.toString());
        JsonNode request = record.path("requestContext");
        assertEquals(res.responseMetadata().requestId(), request.path("requestId").asText());
        assertEquals("arn:aws:lambda:us-east-1:000000000000:function:adder:$LATEST", request.path("functionArn").asText());
        assertEquals("Success", request.path("condition").asText());
        assertEquals(1, request.path("approximateInvokeCount").asInt());
        assertEquals(2, record.path("requestPayload").path("a").asInt());
        assertEquals(200, record.path("responseContext").path("statusCode").asInt());
        assertEquals("$LATEST", record.path("responseContext").path("executedVersion").asText());
        assertFalse(record.path("responseContext").has("functionError"), record.toString());
        assertEquals(42, record.path("responsePayload").path("sum").asInt());
    }

    @Test
    void failingEventIsRetriedThenGoesToOnFailure() throws Exception {
        create("failing", "def handler(event, context):\n    print('ATTEMPT ' + event['marker'])\n    raise Exception('boom')\n");
        lambda.putFunctionEventInvokeConfig(b -> b.functionName("failing").maximumRetryAttempts(1)
                .destinationConfig(d -> d.onFailure(f -> f.destination(destArn))));
        lambda.invoke(b -> b.functionName("failing").invocationType(InvocationType.EVENT).payload(SdkBytes.fromUtf8String("{\"marker\": \"failure-1\"}")));

        JsonNode record = record("failure-1");
        assertEquals("RetriesExhausted", record.path("requestContext").path("condition").asText());
        assertEquals(2, record.path("requestContext").path("approximateInvokeCount").asInt());
        assertEquals("Unhandled", record.path("responseContext").path("functionError").asText());
        assertEquals("boom", record.path("responsePayload").path("errorMessage").asText());
        assertEquals("failure-1", record.path("requestPayload").path("marker").asText());
        // Logs are shipped in order: the failing function's attempts are written before the destination ran.
        List<String> attempts = waitForLog(logs, "/aws/lambda/failing", l -> l.equals("ATTEMPT failure-1")).stream()
                .filter(l -> l.equals("ATTEMPT failure-1")).toList();
        assertEquals(2, attempts.size());
    }

    @Test
    void eventOlderThanItsMaximumAgeIsDroppedToOnFailure() throws Exception {
        create("stale", "def handler(event, context):\n    return 1\n");
        // Throttled (reserved concurrency 0), the event waits in the queue; it then ages past the minimum, 60 s.
        lambda.putFunctionConcurrency(b -> b.functionName("stale").reservedConcurrentExecutions(0));
        lambda.putFunctionEventInvokeConfig(b -> b.functionName("stale").maximumEventAgeInSeconds(60)
                .destinationConfig(d -> d.onFailure(f -> f.destination(destArn))));
        lambda.invoke(b -> b.functionName("stale").invocationType(InvocationType.EVENT).payload(SdkBytes.fromUtf8String("{\"marker\": \"stale-1\"}")));
        AsyncInvoker.clock = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(61));
        try {
            lambda.deleteFunctionConcurrency(b -> b.functionName("stale"));
            JsonNode record = record("stale-1");
            assertEquals("EventAgeExceeded", record.path("requestContext").path("condition").asText());
            assertEquals(0, record.path("requestContext").path("approximateInvokeCount").asInt());
            assertEquals("stale-1", record.path("requestPayload").path("marker").asText());
        } finally {
            AsyncInvoker.clock = Clock.systemUTC();
        }
    }

    @Test
    void eventsOfVersionsAndAliasesKeepTheirQualifier() throws Exception {
        String code = "def handler(event, context):\n    return {'v': '%s', 'arn': context.invoked_function_arn}\n";
        String arn = create("versioned", code.formatted("ONE"));
        lambda.publishVersion(b -> b.functionName("versioned"));
        lambda.updateFunctionCode(b -> b.functionName("versioned").zipFile(Zips.sdk("app.py", code.formatted("TWO"))));
        lambda.publishVersion(b -> b.functionName("versioned"));
        lambda.updateFunctionCode(b -> b.functionName("versioned").zipFile(Zips.sdk("app.py", code.formatted("LATEST"))));
        lambda.createAlias(b -> b.functionName("versioned").name("prod").functionVersion("1"));
        // The destination itself reached through an alias: a qualified target ARN.
        lambda.publishVersion(b -> b.functionName("dest"));
        lambda.createAlias(b -> b.functionName("dest").name("live").functionVersion("1"));

        var prod = lambda.putFunctionEventInvokeConfig(b -> b.functionName("versioned").qualifier("prod")
                .destinationConfig(d -> d.onSuccess(s -> s.destination(destArn + ":live"))));
        assertEquals(arn + ":prod", prod.functionArn());
        lambda.putFunctionEventInvokeConfig(b -> b.functionName(arn + ":2").destinationConfig(d -> d.onSuccess(s -> s.destination(destArn))));
        assertEquals(List.of(arn + ":2", arn + ":prod"), lambda.listFunctionEventInvokeConfigs(b -> b.functionName("versioned"))
                .functionEventInvokeConfigs().stream().map(FunctionEventInvokeConfig::functionArn).toList());
        ResourceNotFoundException none = assertThrows(ResourceNotFoundException.class,
                () -> lambda.getFunctionEventInvokeConfig(b -> b.functionName("versioned").qualifier("1")));
        assertEquals("The function " + arn + ":1 doesn't have an EventInvokeConfig", none.awsErrorDetails().errorMessage());
        assertThrows(ResourceNotFoundException.class, () -> lambda.putFunctionEventInvokeConfig(b -> b.functionName("versioned").qualifier("9")
                .maximumRetryAttempts(0)));
        assertThrows(ResourceNotFoundException.class, () -> lambda.invoke(b -> b.functionName("versioned").qualifier("nosuch")
                .invocationType(InvocationType.EVENT)));

        assertEquals(202, lambda.invoke(b -> b.functionName("versioned").qualifier("prod").invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{\"marker\": \"alias-1\"}"))).statusCode());
        JsonNode record = record("alias-1");
        assertEquals(arn + ":prod", record.path("requestContext").path("functionArn").asText());
        assertEquals("1", record.path("responseContext").path("executedVersion").asText());
        assertEquals("ONE", record.path("responsePayload").path("v").asText());
        assertEquals(arn + ":prod", record.path("responsePayload").path("arn").asText(), "the context names the alias it was invoked by");

        lambda.invoke(b -> b.functionName(arn + ":2").invocationType(InvocationType.EVENT).payload(SdkBytes.fromUtf8String("{\"marker\": \"version-2\"}")));
        record = record("version-2");
        assertEquals(arn + ":2", record.path("requestContext").path("functionArn").asText());
        assertEquals("2", record.path("responseContext").path("executedVersion").asText());
        assertEquals("TWO", record.path("responsePayload").path("v").asText());

        // A deleted alias takes its configuration along.
        lambda.deleteAlias(b -> b.functionName("versioned").name("prod"));
        assertEquals(List.of(arn + ":2"), lambda.listFunctionEventInvokeConfigs(b -> b.functionName("versioned"))
                .functionEventInvokeConfigs().stream().map(FunctionEventInvokeConfig::functionArn).toList());
    }

    @Test
    void eventInvokeConfigCrudAndErrors() {
        create("configured", "def handler(event, context):\n    return 1\n");
        ResourceNotFoundException none = assertThrows(ResourceNotFoundException.class,
                () -> lambda.getFunctionEventInvokeConfig(b -> b.functionName("configured")));
        assertEquals("The function arn:aws:lambda:us-east-1:000000000000:function:configured:$LATEST doesn't have an EventInvokeConfig",
                none.awsErrorDetails().errorMessage());

        var put = lambda.putFunctionEventInvokeConfig(b -> b.functionName("configured").maximumRetryAttempts(0).maximumEventAgeInSeconds(60)
                .destinationConfig(d -> d.onFailure(f -> f.destination("arn:aws:sqs:us-east-1:000000000000:failures"))));
        assertEquals("arn:aws:lambda:us-east-1:000000000000:function:configured:$LATEST", put.functionArn());
        assertEquals(0, put.maximumRetryAttempts());
        assertEquals(60, put.maximumEventAgeInSeconds());
        assertTrue(put.lastModified() != null);

        var updated = lambda.updateFunctionEventInvokeConfig(b -> b.functionName("configured").maximumEventAgeInSeconds(3600)
                .destinationConfig(d -> d.onSuccess(s -> s.destination(destArn))));
        assertEquals(0, updated.maximumRetryAttempts());
        assertEquals(3600, updated.maximumEventAgeInSeconds());
        assertEquals("arn:aws:sqs:us-east-1:000000000000:failures", updated.destinationConfig().onFailure().destination());
        assertEquals(destArn, updated.destinationConfig().onSuccess().destination());

        var got = lambda.getFunctionEventInvokeConfig(b -> b.functionName("configured").qualifier("$LATEST"));
        assertEquals(3600, got.maximumEventAgeInSeconds());
        List<FunctionEventInvokeConfig> listed = lambda.listFunctionEventInvokeConfigs(b -> b.functionName("configured")).functionEventInvokeConfigs();
        assertEquals(1, listed.size());
        assertEquals(got.functionArn(), listed.get(0).functionArn());

        LambdaException range = assertThrows(LambdaException.class,
                () -> lambda.putFunctionEventInvokeConfig(b -> b.functionName("configured").maximumRetryAttempts(3)));
        assertEquals(400, range.statusCode());
        assertTrue(range.getMessage().contains("maximumRetryAttempts") || range.getMessage().contains("MaximumRetryAttempts"), range.getMessage());
        assertThrows(LambdaException.class, () -> lambda.putFunctionEventInvokeConfig(b -> b.functionName("configured").maximumEventAgeInSeconds(59)));
        InvalidParameterValueException badDestination = assertThrows(InvalidParameterValueException.class,
                () -> lambda.putFunctionEventInvokeConfig(b -> b.functionName("configured")
                        .destinationConfig(d -> d.onSuccess(s -> s.destination("arn:aws:dynamodb:us-east-1:000000000000:table/t")))));
        assertEquals("The provided destination config DestinationConfig(onSuccess=OnSuccess(destination=arn:aws:dynamodb:us-east-1:000000000000:table/t), "
                + "onFailure=null) is invalid.", badDestination.awsErrorDetails().errorMessage());
        // S3 buckets take failures only.
        assertThrows(InvalidParameterValueException.class, () -> lambda.putFunctionEventInvokeConfig(b -> b.functionName("configured")
                .destinationConfig(d -> d.onSuccess(s -> s.destination("arn:aws:s3:::bucket")))));
        assertThrows(ResourceNotFoundException.class, () -> lambda.putFunctionEventInvokeConfig(b -> b.functionName("nosuch").maximumRetryAttempts(1)));
        assertThrows(ResourceNotFoundException.class, () -> lambda.updateFunctionEventInvokeConfig(b -> b.functionName("dest").maximumRetryAttempts(1)));

        lambda.deleteFunctionEventInvokeConfig(b -> b.functionName("configured"));
        assertThrows(ResourceNotFoundException.class, () -> lambda.getFunctionEventInvokeConfig(b -> b.functionName("configured")));
        assertThrows(ResourceNotFoundException.class, () -> lambda.deleteFunctionEventInvokeConfig(b -> b.functionName("configured")));
        assertTrue(lambda.listFunctionEventInvokeConfigs(b -> b.functionName("configured")).functionEventInvokeConfigs().isEmpty());
    }

    @Test
    void recordsForServicesNimbusLacksAreLoggedNotLost() throws Exception {
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel() == Level.WARNING) warnings.add(r.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger logger = Logger.getLogger(Destinations.class.getName());
        logger.addHandler(handler);
        try {
            // SQS and SNS are served (LambdaSqsTest, SnsLambdaTest); EventBridge is not yet.
            String bus = "arn:aws:events:us-east-1:000000000000:event-bus/default";
            lambda.createFunction(b -> b.functionName("unsent").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                    .code(c -> c.zipFile(Zips.sdk("app.py", "def handler(event, context):\n    raise Exception('no')\n"))));
            lambda.putFunctionEventInvokeConfig(b -> b.functionName("unsent").maximumRetryAttempts(0)
                    .destinationConfig(d -> d.onFailure(f -> f.destination(bus))));
            lambda.invoke(b -> b.functionName("unsent").invocationType(InvocationType.EVENT).payload(SdkBytes.fromUtf8String("{}")));
            for (int attempt = 0; attempt < 1200 && warnings.isEmpty(); attempt++) Thread.sleep(50);
            assertTrue(warnings.stream().anyMatch(w -> w.contains(bus) && w.contains("does not deliver to events")), warnings.toString());
        } finally {
            logger.removeHandler(handler);
        }
    }

    @Test
    void asyncPayloadLimitIsOneMegabyte() throws Exception {
        create("big", "def handler(event, context):\n    print('BIG ' + str(len(event['data'])))\n");
        // Over the old 256 KB limit, under the current 1 MB one.
        String data = "x".repeat(600_000);
        assertEquals(202, lambda.invoke(b -> b.functionName("big").invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{\"data\": \"" + data + "\"}"))).statusCode());
        waitForLog(logs, "/aws/lambda/big", l -> l.equals("BIG 600000"));

        String tooBig = "{\"data\": \"" + "x".repeat(1024 * 1024) + "\"}";
        RequestTooLargeException e = assertThrows(RequestTooLargeException.class,
                () -> lambda.invoke(b -> b.functionName("big").invocationType(InvocationType.EVENT).payload(SdkBytes.fromUtf8String(tooBig))));
        assertEquals(413, e.statusCode());
        assertEquals("Request must be smaller than 1048576 bytes for the InvokeFunction operation", e.awsErrorDetails().errorMessage());
    }
}
