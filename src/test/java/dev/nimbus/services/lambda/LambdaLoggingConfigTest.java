package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.logs.LogsApi;
import dev.nimbus.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.ApplicationLogLevel;
import software.amazon.awssdk.services.lambda.model.LogFormat;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.model.SystemLogLevel;

/** LoggingConfig: JSON platform records and application logs, log levels, and a log group of the function's choosing. */
class LambdaLoggingConfigTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static LogsApi logs;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        logs = new LogsApi(nimbus.endpoint());
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    /** The invocation's log lines, from the Tail the invocation answers with. */
    static List<String> tail(String function) {
        String log = new String(Base64.getDecoder().decode(lambda.invoke(b -> b.functionName(function).logType(LogType.TAIL)).logResult()),
                StandardCharsets.UTF_8);
        return log.lines().filter(l -> !l.isEmpty()).toList();
    }

    static List<JsonNode> json(List<String> lines) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : lines) out.add(Values.JSON.readTree(l));
        return out;
    }

    @Test
    void pythonJsonLogs() throws Exception {
        String code = """
                import logging
                logger = logging.getLogger()
                def handler(event, context):
                    logger.debug('hidden')
                    logger.info('visible %s', 1)
                    return 1
                """;
        var created = lambda.createFunction(b -> b.functionName("pyjson").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .loggingConfig(l -> l.logFormat(LogFormat.JSON).logGroup("/custom/pyjson")).code(c -> c.zipFile(Zips.sdk("app.py", code))));
        assertEquals(LogFormat.JSON, created.loggingConfig().logFormat());
        assertEquals(ApplicationLogLevel.INFO, created.loggingConfig().applicationLogLevel());
        assertEquals(SystemLogLevel.INFO, created.loggingConfig().systemLogLevel());
        assertEquals("/custom/pyjson", created.loggingConfig().logGroup());

        List<JsonNode> records = json(tail("pyjson"));
        JsonNode start = records.getFirst(), report = records.getLast();
        assertEquals("platform.start", start.get("type").asText(), records.toString());
        assertEquals("$LATEST", start.get("record").get("version").asText());
        String requestId = start.get("record").get("requestId").asText();
        assertEquals("platform.report", report.get("type").asText());
        assertEquals(requestId, report.get("record").get("requestId").asText());
        assertEquals(128, report.get("record").get("metrics").get("memorySizeMB").asInt());
        assertTrue(report.get("record").get("metrics").has("durationMs"));
        assertTrue(report.get("record").get("metrics").has("initDurationMs"), "the first invocation after init reports it");
        assertEquals("success", report.get("record").get("status").asText());
        JsonNode app = records.get(1);
        assertEquals("INFO", app.get("level").asText(), records.toString());
        assertEquals("visible 1", app.get("message").asText());
        assertEquals(requestId, app.get("requestId").asText());
        assertEquals(3, records.size(), "the DEBUG record is below the level: " + records);

        // The logs go to the group configured; the function sees it too.
        LambdaAsyncTest.waitForLog(logs, "/custom/pyjson", l -> l.contains("visible 1"));

        lambda.updateFunctionConfiguration(b -> b.functionName("pyjson").loggingConfig(l -> l.applicationLogLevel(ApplicationLogLevel.DEBUG)
                .systemLogLevel(SystemLogLevel.WARN)));
        var updated = lambda.getFunctionConfiguration(b -> b.functionName("pyjson"));
        assertEquals(LogFormat.JSON, updated.loggingConfig().logFormat(), "what an update does not name is kept");
        assertEquals("/custom/pyjson", updated.loggingConfig().logGroup());
        List<String> debug = tail("pyjson");
        assertTrue(debug.stream().anyMatch(l -> l.contains("\"hidden\"")), debug.toString());
        assertTrue(debug.stream().noneMatch(l -> l.contains("\"platform.")), "no platform records under WARN: " + debug);
        // With the system level at WARN, the platform's records are not written to the group.
        List<String> shipped = LambdaAsyncTest.waitForLog(logs, "/custom/pyjson", l -> l.contains("\"hidden\""));
        long starts = shipped.stream().filter(l -> l.contains("\"platform.start\"")).count();
        assertEquals(1, starts, "only the first invocation's platform.start: " + shipped);

        lambda.updateFunctionConfiguration(b -> b.functionName("pyjson").loggingConfig(l -> l.logFormat(LogFormat.TEXT)));
        var text = lambda.getFunctionConfiguration(b -> b.functionName("pyjson"));
        assertEquals(LogFormat.TEXT, text.loggingConfig().logFormat());
        assertNull(text.loggingConfig().applicationLogLevel(), "levels belong to JSON logs");
        assertTrue(tail("pyjson").getFirst().startsWith("START RequestId: "));
    }

    @Test
    void textLinesAsLambdaWritesThem() {
        String py = """
                import logging
                logger = logging.getLogger()
                def handler(event, context):
                    logger.info('before setLevel')
                    logger.setLevel(logging.INFO)
                    logger.info('python %s', 'text')
                    return 1
                """;
        lambda.createFunction(b -> b.functionName("pytext").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                .code(c -> c.zipFile(Zips.sdk("app.py", py))));
        List<String> lines = tail("pytext");
        String requestId = lines.getFirst().split(" ")[2];
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\[INFO]\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\t" + requestId + "\tpython text")), lines.toString());
        assertTrue(lines.stream().noneMatch(l -> l.contains("before setLevel")), "the root logger starts at WARNING, as in AWS: " + lines);

        assumeTrue(LambdaRuntimesTest.onPath("node"), "node is not on the PATH");
        lambda.createFunction(b -> b.functionName("nodetext").role(ROLE).runtime(Runtime.NODEJS20_X).handler("index.handler")
                .code(c -> c.zipFile(Zips.sdk("index.js", "exports.handler = async () => { console.warn('node %d', 42); return 1; };\n"))));
        List<String> node = tail("nodetext");
        String nodeRequest = node.getFirst().split(" ")[2];
        assertTrue(node.stream().anyMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\t" + nodeRequest + "\tWARN\tnode 42")), node.toString());
    }

    @Test
    void nodeJsonLogs() throws Exception {
        assumeTrue(LambdaRuntimesTest.onPath("node"), "node is not on the PATH");
        String code = "exports.handler = async () => { console.debug('hidden'); console.log('hello %s', 'node'); console.warn('careful'); return 1; };\n";
        lambda.createFunction(b -> b.functionName("nodejson").role(ROLE).runtime(Runtime.NODEJS20_X).handler("index.handler")
                .loggingConfig(l -> l.logFormat(LogFormat.JSON)).code(c -> c.zipFile(Zips.sdk("index.js", code))));
        List<JsonNode> records = json(tail("nodejson"));
        String requestId = records.getFirst().get("record").get("requestId").asText();
        JsonNode hello = records.get(1), careful = records.get(2);
        assertEquals("INFO", hello.get("level").asText(), records.toString());
        assertEquals("hello node", hello.get("message").asText());
        assertEquals(requestId, hello.get("requestId").asText());
        assertEquals("WARN", careful.get("level").asText());
        assertFalse(records.toString().contains("hidden"));
        assertEquals("/aws/lambda/nodejson", lambda.getFunctionConfiguration(b -> b.functionName("nodejson")).loggingConfig().logGroup());
    }
}
