package dev.nimbus.services.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
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
 * AWS's own Java runtime interface client (aws-lambda-java-runtime-interface-client, with its JNI
 * Runtime API client) as a provided.al2023 function's bootstrap, unchanged: what an official
 * client expects of the Runtime API, Nimbus serves.
 */
class LambdaOfficialRuntimeClientTest {
    static final String ROLE = "arn:aws:iam::000000000000:role/lambda-role";
    static TestServer nimbus;
    static LambdaClient lambda;
    @TempDir
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        Path src = work.resolve("example/Hello.java"), classes = work.resolve("classes");
        Files.createDirectories(src.getParent());
        Files.writeString(src, """
                package example;
                import com.amazonaws.services.lambda.runtime.Context;
                import com.amazonaws.services.lambda.runtime.RequestHandler;
                import java.util.Map;
                public class Hello implements RequestHandler<Map<String, Object>, String> {
                    public String handleRequest(Map<String, Object> event, Context context) {
                        if (event.containsKey("fail")) throw new IllegalStateException("asked to fail");
                        context.getLogger().log("hello from the official client");
                        return "hello " + event.get("name") + " from " + context.getFunctionName() + " " + context.getAwsRequestId().length();
                    }
                }
                """);
        List<Path> jars = classpathJars("aws-lambda-java-runtime-interface-client", "aws-lambda-java-core", "aws-lambda-java-serialization");
        String cp = String.join(File.pathSeparator, jars.stream().map(Path::toString).toList());
        assertEquals(0, ToolProvider.getSystemJavaCompiler().run(null, null, null, "--release", "17", "-cp", cp, "-d", classes.toString(), src.toString()));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            put(zip, "bootstrap", ("#!/bin/sh\nexec " + java + " -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp \"$LAMBDA_TASK_ROOT:$LAMBDA_TASK_ROOT/lib/*\""
                    + " com.amazonaws.services.lambda.runtime.api.client.AWSLambda \"$_HANDLER\"\n").getBytes());
            put(zip, "example/Hello.class", Files.readAllBytes(classes.resolve("example/Hello.class")));
            for (Path jar : jars) put(zip, "lib/" + jar.getFileName(), Files.readAllBytes(jar));
        }
        lambda.createFunction(b -> b.functionName("ric").role(ROLE).runtime(Runtime.PROVIDED_AL2023).handler("example.Hello::handleRequest")
                .timeout(60).memorySize(512).code(c -> c.zipFile(SdkBytes.fromByteArray(bytes.toByteArray()))));
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    private static void put(ZipOutputStream zip, String name, byte[] content) throws Exception {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(content);
        zip.closeEntry();
    }

    /** The jars of these artifacts on the test classpath (Maven resolved them as test dependencies). */
    private static List<Path> classpathJars(String... artifacts) {
        List<Path> out = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String file = Path.of(entry).getFileName().toString();
            for (String a : artifacts) if (file.matches(a + "-\\d.*\\.jar")) out.add(Path.of(entry));
        }
        assertEquals(artifacts.length, out.size(), "the runtime interface client and its dependencies are on the test classpath: " + out);
        return out;
    }

    @Test
    void handlerRunsUnderTheOfficialClient() throws Exception {
        InvokeResponse r = lambda.invoke(b -> b.functionName("ric").logType("Tail").payload(SdkBytes.fromUtf8String("{\"name\":\"nimbus\"}")));
        assertEquals(null, r.functionError(), r.payload().asUtf8String());
        assertEquals("\"hello nimbus from ric 36\"", r.payload().asUtf8String());
        String log = new String(java.util.Base64.getDecoder().decode(r.logResult()));
        assertTrue(log.contains("hello from the official client"), log);
        assertTrue(log.contains("REPORT RequestId: "), log);
    }

    @Test
    void handlerErrorsComeBackInAwsShape() throws Exception {
        InvokeResponse r = lambda.invoke(b -> b.functionName("ric").payload(SdkBytes.fromUtf8String("{\"fail\":true}")));
        assertEquals("Unhandled", r.functionError());
        JsonNode error = Values.JSON.readTree(r.payload().asByteArray());
        assertEquals("java.lang.IllegalStateException", error.get("errorType").asText(), error.toString());
        assertEquals("asked to fail", error.get("errorMessage").asText());
        assertTrue(error.get("stackTrace").isArray());
    }
}
