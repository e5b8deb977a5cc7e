package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.Runtime;

/**
 * java17/java21 functions: handlers compiled here with javac, zipped as users package them (classes
 * at the root, dependencies in lib/*.jar), run on the host JDK by Nimbus's bootstrap.
 */
class LambdaJavaTest {
    /** The parts of aws-lambda-java-core a handler uses, declared as the library declares them; bundled in lib/ like the real jar. */
    private static final Map<String, String> CORE = Map.of(
            "com/amazonaws/services/lambda/runtime/Context.java", """
                    package com.amazonaws.services.lambda.runtime;
                    public interface Context {
                        String getAwsRequestId(); String getLogGroupName(); String getLogStreamName(); String getFunctionName();
                        String getFunctionVersion(); String getInvokedFunctionArn(); int getRemainingTimeInMillis();
                        int getMemoryLimitInMB(); LambdaLogger getLogger();
                    }""",
            "com/amazonaws/services/lambda/runtime/LambdaLogger.java", """
                    package com.amazonaws.services.lambda.runtime;
                    public interface LambdaLogger { void log(String message); void log(byte[] message); }""",
            "com/amazonaws/services/lambda/runtime/RequestHandler.java", """
                    package com.amazonaws.services.lambda.runtime;
                    public interface RequestHandler<I, O> { O handleRequest(I input, Context context); }""",
            "com/amazonaws/services/lambda/runtime/RequestStreamHandler.java", """
                    package com.amazonaws.services.lambda.runtime;
                    import java.io.*;
                    public interface RequestStreamHandler { void handleRequest(InputStream in, OutputStream out, Context context) throws IOException; }""");

    static TestServer nimbus;
    static LambdaClient lambda;
    @TempDir
    static Path work;

    @BeforeAll
    static void start() throws IOException {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        byte[] withCore = zip(Map.of(
                "example/Hello.java", """
                        package example;
                        import com.amazonaws.services.lambda.runtime.*;
                        import java.util.*;
                        public class Hello implements RequestHandler<Map<String, Object>, Map<String, Object>> {
                            private int calls;
                            public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
                                context.getLogger().log("hello from java\\n");
                                Map<String, Object> out = new LinkedHashMap<>();
                                out.put("event", event);
                                out.put("calls", ++calls);
                                out.put("requestId", context.getAwsRequestId());
                                out.put("name", context.getFunctionName());
                                out.put("arn", context.getInvokedFunctionArn());
                                out.put("memory", context.getMemoryLimitInMB());
                                out.put("group", context.getLogGroupName());
                                out.put("remaining", context.getRemainingTimeInMillis());
                                out.put("version", System.getProperty("java.specification.version"));
                                return out;
                            }
                        }""",
                "example/Greeter.java", """
                        package example;
                        import com.amazonaws.services.lambda.runtime.*;
                        public class Greeter implements RequestHandler<Greeter.Person, Greeter.Greeting> {
                            public static class Person { private String name; private int age;
                                public void setName(String n) { name = n; } public void setAge(int a) { age = a; }
                                public String getName() { return name; } public int getAge() { return age; } }
                            public static class Greeting { public String message; public boolean adult; }
                            public Greeting handleRequest(Person p, Context context) {
                                Greeting g = new Greeting();
                                g.message = "Hello, " + p.getName();
                                g.adult = p.getAge() >= 18;
                                return g;
                            }
                        }""",
                "example/Upper.java", """
                        package example;
                        import com.amazonaws.services.lambda.runtime.*;
                        import java.io.*;
                        public class Upper implements RequestStreamHandler {
                            public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
                                out.write(new String(in.readAllBytes()).toUpperCase().getBytes());
                            }
                        }""",
                "example/Broken.java", """
                        package example;
                        import com.amazonaws.services.lambda.runtime.*;
                        public class Broken implements RequestHandler<String, String> {
                            public String handleRequest(String input, Context context) { return check(input); }
                            private String check(String input) { throw new IllegalStateException("bad input: " + input); }
                        }"""), true);
        Files.write(work.resolve("core.zip"), withCore);
        Files.write(work.resolve("plain.zip"), zip(Map.of("example/Plain.java", """
                package example;
                import java.util.Map;
                public class Plain {
                    public String greet(Map<String, Object> event) { return "Hi " + event.get("who"); }
                }"""), false));
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    /** Compiles the sources and zips the classes; the core interfaces, if asked for, go into lib/aws-lambda-java-core.jar. */
    private static byte[] zip(Map<String, String> sources, boolean withCore) throws IOException {
        Path src = Files.createTempDirectory(work, "src");
        Path classes = Files.createTempDirectory(work, "classes");
        List<String> args = new ArrayList<>(List.of("--release", "17", "-d", classes.toString()));
        Map<String, String> all = new java.util.HashMap<>(sources);
        if (withCore) all.putAll(CORE);
        for (Map.Entry<String, String> e : all.entrySet()) {
            Path f = src.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
            args.add(f.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, null, null, args.toArray(new String[0])), "test handlers compile");
        ByteArrayOutputStream core = new ByteArrayOutputStream();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes); ZipOutputStream jar = new ZipOutputStream(core); var walk = Files.walk(classes)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                String name = classes.relativize(p).toString();
                ZipOutputStream to = name.startsWith("com/amazonaws/") ? jar : zip;
                to.putNextEntry(new ZipEntry(name));
                to.write(Files.readAllBytes(p));
                to.closeEntry();
            }
            jar.finish();
            if (withCore) {
                zip.putNextEntry(new ZipEntry("lib/aws-lambda-java-core.jar"));
                zip.write(core.toByteArray());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static void create(String name, Runtime runtime, String handler, String zip) throws IOException {
        SdkBytes code = SdkBytes.fromByteArray(Files.readAllBytes(work.resolve(zip)));
        lambda.createFunction(b -> b.functionName(name).role(ROLE).runtime(runtime).handler(handler).timeout(30).memorySize(256).code(c -> c.zipFile(code)));
    }

    private static InvokeResponse call(String name, String payload) {
        InvokeResponse r = lambda.invoke(b -> b.functionName(name).logType("Tail").payload(SdkBytes.fromUtf8String(payload)));
        assertEquals(200, r.statusCode());
        return r;
    }

    private static JsonNode json(InvokeResponse r) throws IOException {
        return Values.JSON.readTree(r.payload().asByteArray());
    }

    @Test
    void requestHandlerGetsMapEventAndContextAndStaysWarm() throws Exception {
        create("java-hello", Runtime.JAVA21, "example.Hello::handleRequest", "core.zip");
        InvokeResponse first = call("java-hello", "{\"a\":[1,2.5,\"x\",true,null],\"b\":{\"c\":\"d\"}}");
        assertEquals(null, first.functionError(), first.payload().asUtf8String());
        JsonNode out = json(first);
        assertEquals("{\"a\":[1,2.5,\"x\",true,null],\"b\":{\"c\":\"d\"}}", out.get("event").toString());
        assertEquals("java-hello", out.get("name").asText());
        assertEquals("arn:aws:lambda:us-east-1:000000000000:function:java-hello", out.get("arn").asText());
        assertEquals(256, out.get("memory").asInt());
        assertEquals("/aws/lambda/java-hello", out.get("group").asText());
        assertTrue(out.get("remaining").asInt() > 0);
        assertTrue(Integer.parseInt(out.get("version").asText()) >= 21, "a JDK of at least the runtime's version runs it");
        String log = new String(java.util.Base64.getDecoder().decode(first.logResult()));
        assertTrue(log.contains("hello from java"), log);
        assertTrue(log.contains("Init Duration: "), log);
        assertEquals(2, json(call("java-hello", "{}")).get("calls").asInt(), "the warm environment keeps the handler instance");
    }

    @Test
    void lambdaLoggerWritesJsonWithLogFormatJson() throws Exception {
        SdkBytes code = SdkBytes.fromByteArray(Files.readAllBytes(work.resolve("core.zip")));
        lambda.createFunction(b -> b.functionName("java-json").role(ROLE).runtime(Runtime.JAVA21).handler("example.Hello::handleRequest").timeout(30)
                .memorySize(256).loggingConfig(l -> l.logFormat(software.amazon.awssdk.services.lambda.model.LogFormat.JSON)).code(c -> c.zipFile(code)));
        InvokeResponse r = lambda.invoke(b -> b.functionName("java-json").logType(software.amazon.awssdk.services.lambda.model.LogType.TAIL)
                .payload(SdkBytes.fromUtf8String("{}")));
        assertEquals(null, r.functionError(), r.payload().asUtf8String());
        String requestId = json(r).get("requestId").asText();
        List<String> lines = new String(java.util.Base64.getDecoder().decode(r.logResult()), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        JsonNode logged = null;
        for (String line : lines) if (line.contains("hello from java")) logged = Values.JSON.readTree(line);
        assertTrue(logged != null, lines.toString());
        assertEquals("hello from java", logged.get("message").asText());
        assertEquals(requestId, logged.get("AWSRequestId").asText());
        assertTrue(logged.get("timestamp").asText().endsWith("Z"), logged.toString());
    }

    @Test
    void pojoInAndOut() throws Exception {
        create("java-pojo", Runtime.JAVA17, "example.Greeter", "core.zip");
        JsonNode out = json(call("java-pojo", "{\"name\":\"Ada\",\"age\":36,\"unknown\":1}"));
        assertEquals("Hello, Ada", out.get("message").asText());
        assertTrue(out.get("adult").asBoolean());
    }

    @Test
    void streamHandler() throws Exception {
        create("java-stream", Runtime.JAVA21, "example.Upper::handleRequest", "core.zip");
        assertEquals("\"SHOUT\"", call("java-stream", "\"shout\"").payload().asUtf8String());
    }

    @Test
    void handlerExceptionInAwsJavaShape() throws Exception {
        create("java-broken", Runtime.JAVA21, "example.Broken::handleRequest", "core.zip");
        InvokeResponse r = call("java-broken", "\"x\"");
        assertEquals("Unhandled", r.functionError());
        JsonNode err = json(r);
        assertEquals("java.lang.IllegalStateException", err.get("errorType").asText());
        assertEquals("bad input: x", err.get("errorMessage").asText());
        assertTrue(err.get("stackTrace").get(0).asText().startsWith("example.Broken.check(Broken.java:"), err.toString());
    }

    @Test
    void plainMethodWithoutTheCoreLibrary() throws Exception {
        create("java-plain", Runtime.JAVA21, "example.Plain::greet", "plain.zip");
        assertEquals("\"Hi Bob\"", call("java-plain", "{\"who\":\"Bob\"}").payload().asUtf8String());
    }

    @Test
    void missingClassFailsInit() throws Exception {
        create("java-missing", Runtime.JAVA21, "example.Nope::handleRequest", "plain.zip");
        InvokeResponse r = call("java-missing", "{}");
        assertEquals("Unhandled", r.functionError());
        JsonNode err = json(r);
        assertEquals("java.lang.ClassNotFoundException", err.get("errorType").asText());
        assertEquals("Class not found: example.Nope", err.get("errorMessage").asText());
        assertNotNull(err.get("stackTrace"));
    }
}
