package dev.nimbus.server;

import static dev.nimbus.server.Wire.assertAwsError;
import static dev.nimbus.server.Wire.auth;
import static dev.nimbus.server.Wire.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests that are well-formed HTTP but wrong for the AWS protocol layer: each gets an AWS-shaped
 * 4xx in the protocol its client speaks, with a request id, and the server keeps serving.
 */
class BadInputTest {
    private static final String JSON10 = "application/x-amz-json-1.0";
    private static final String FORM = "application/x-www-form-urlencoded; charset=utf-8";
    private static final String CALLER_IDENTITY = "Action=GetCallerIdentity&Version=2011-06-15";

    /** Operations no built-in service implements, failing the way a bug would. */
    static final class Faulty implements AwsService {
        private final String model;
        private final String operation;

        Faulty(String model, String operation) {
            this.model = model;
            this.operation = operation;
        }

        @Override
        public String modelName() {
            return model;
        }

        @Override
        public void register(Operations ops) {
            ops.add(operation, (ctx, input) -> {
                throw new IllegalStateException("secret internal detail of " + ctx.requestId());
            });
        }
    }

    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start(new Faulty("dynamodb", "DescribeContributorInsights"), new Faulty("sns", "GetSMSSandboxAccountStatus"));
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    @AfterEach
    void stillServes() {
        Wire.assertStillServes(nimbus);
    }

    private static RawHttp.Response exchange(String request) throws IOException {
        try (RawHttp c = new RawHttp(nimbus.port())) {
            return c.send(request).read();
        }
    }

    @Test
    void malformedJsonIsSerializationExceptionAndKeepsTheConnection() throws IOException {
        try (RawHttp c = new RawHttp(nimbus.port())) {
            c.send(post(JSON10, "{\"Table", "X-Amz-Target: DynamoDB_20120810.ListTables"));
            assertAwsError(c.read(), 400, "SerializationException");
            // The body was read to its end, so the same connection serves the next request.
            c.send(post(FORM, CALLER_IDENTITY));
            RawHttp.Response next = c.read();
            assertEquals(200, next.status());
            assertTrue(next.text().contains("<Account>000000000000</Account>"), next.text());
        }
    }

    @Test
    void jsonOfTheWrongShapeIsSerializationException() throws IOException {
        assertAwsError(exchange(post(JSON10, "[1, 2]", "X-Amz-Target: DynamoDB_20120810.ListTables")), 400, "SerializationException");
        assertAwsError(exchange(post(JSON10, "{\"Limit\": \"ten\"}", "X-Amz-Target: DynamoDB_20120810.ListTables")), 400, "SerializationException");
    }

    @Test
    void malformedPercentEncodingInAFormBody() throws IOException {
        assertAwsError(exchange(post(FORM, "Action=GetCallerIdentity&x=%zz")), 404, "MalformedQueryString");
        assertAwsError(exchange(post(FORM, "Action=GetCallerIdentity&x=%4")), 404, "MalformedQueryString");
    }

    @Test
    void malformedPercentEncodingInTheUrl() throws IOException {
        assertAwsError(exchange("GET /?Action=GetCallerIdentity&x=%zz HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404, "MalformedQueryString");
    }

    @Test
    void formBodySentToAJsonServiceIsSerializationException() throws IOException {
        assertAwsError(exchange(post(FORM, "Action=ListTables", "X-Amz-Target: DynamoDB_20120810.ListTables")), 400, "SerializationException");
    }

    @Test
    void jsonContentTypeToAQueryServiceIsMissingAction() throws IOException {
        // Signed for STS, but the body is not a form: the Action inside it does not count.
        assertAwsError(exchange(post("application/json", CALLER_IDENTITY, "Authorization: " + auth("sts"))), 400, "MissingAction");
    }

    @Test
    void unknownTargetPrefix() throws IOException {
        assertAwsError(exchange(post(JSON10, "{}", "X-Amz-Target: NoSuchService_20200101.ListThings")), 400, "UnknownOperationException");
        assertAwsError(exchange(post(JSON10, "{}", "X-Amz-Target: NoDotAtAll")), 400, "UnknownOperationException");
    }

    @Test
    void unknownOperationOfAKnownPrefix() throws IOException {
        assertAwsError(exchange(post(JSON10, "{}", "X-Amz-Target: DynamoDB_20120810.DropEverything")), 400, "UnknownOperationException");
    }

    @Test
    void unknownActionForSts() throws IOException {
        RawHttp.Response signed = exchange(post(FORM, "Action=DropEverything&Version=2011-06-15", "Authorization: " + auth("sts")));
        assertAwsError(signed, 400, "InvalidAction");
        assertTrue(signed.text().contains("Could not find operation DropEverything for version 2011-06-15"), signed.text());
        assertAwsError(exchange(post(FORM, "Action=DropEverything")), 400, "InvalidAction");
    }

    @Test
    void handlerBugIsInternalFailureWithTheTraceOnlyInTheLog() throws IOException {
        List<LogRecord> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger log = Logger.getLogger(Dispatcher.class.getName());
        log.addHandler(capture);
        try {
            RawHttp.Response json = exchange(post(JSON10, "{\"TableName\":\"t\"}", "X-Amz-Target: DynamoDB_20120810.DescribeContributorInsights"));
            assertAwsError(json, 500, "InternalFailure");
            RawHttp.Response query = exchange(post(FORM, "Action=GetSMSSandboxAccountStatus&Version=2010-03-31", "Authorization: " + auth("sns")));
            assertAwsError(query, 500, "InternalFailure");
            assertTrue(query.text().contains("<Type>Receiver</Type>"), query.text());

            for (RawHttp.Response r : List.of(json, query)) {
                String id = r.header("x-amzn-RequestId");
                assertFalse(r.text().contains("secret internal detail"), r.text());
                assertTrue(r.text().contains(id), "the message names the request id to look up in the log: " + r.text());
                LogRecord rec = logged.stream().filter(l -> l.getMessage().contains(id)).findFirst().orElse(null);
                assertNotNull(rec, "the failure is logged under its request id");
                assertNotNull(rec.getThrown(), "with its stack trace");
                assertTrue(rec.getThrown().getMessage().contains("secret internal detail"));
            }
        } finally {
            log.removeHandler(capture);
        }
    }

    @Test
    void requestIdOnSuccessAndOnEveryKindOfError() throws IOException {
        RawHttp.Response ok = exchange(post(FORM, CALLER_IDENTITY));
        assertEquals(200, ok.status());
        Wire.assertRequestId(ok);
        assertTrue(ok.text().contains("<RequestId>" + ok.header("x-amzn-RequestId") + "</RequestId>"), ok.text());

        RawHttp.Response notImplemented = exchange(post(JSON10, "{}", "X-Amz-Target: DynamoDB_20120810.ListBackups"));
        assertAwsError(notImplemented, 501, "NotImplemented");
        assertTrue(notImplemented.text().contains("dynamodb.ListBackups"), notImplemented.text());

        RawHttp.Response health = exchange("GET /_nimbus/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals(200, health.status());
        Wire.assertRequestId(health);

        RawHttp.Response unknownAdmin = exchange("GET /_nimbus/nothing HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals(404, unknownAdmin.status());
        Wire.assertRequestId(unknownAdmin);
    }
}
