package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.FunctionUrlAuthType;
import software.amazon.awssdk.services.lambda.model.ProvisionedConcurrencyStatusEnum;
import software.amazon.awssdk.services.lambda.model.Runtime;

/** Functions live in the data dir: a restarted server still has them, and runs them. */
class LambdaDurabilityTest {
    @TempDir
    Path data;

    @Test
    void functionSurvivesARestartEvenWithoutItsUnpackedCode() throws Exception {
        String sha;
        try (TestServer first = TestServer.startDurable(data); LambdaClient lambda = first.client(LambdaClient.builder())) {
            sha = lambda.createFunction(b -> b.functionName("kept").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                    .code(c -> c.zipFile(Zips.sdk("app.py", "def handler(e, c):\n    return 'still here'\n")))).codeSha256();
        }
        // The unpacked copy is a cache of the stored zip: without it, the code is unpacked again.
        Path code = data.resolve("lambda/code");
        assertTrue(Files.list(code).findAny().isPresent());
        try (Stream<Path> files = Files.walk(code)) {
            // Unpacked code is read-only: directories are made writable before anything in them is deleted.
            List<Path> all = files.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) if (Files.isDirectory(p)) p.toFile().setWritable(true, true);
            for (Path p : all) if (!p.equals(code)) Files.delete(p);
        }
        try (TestServer second = TestServer.startDurable(data); LambdaClient lambda = second.client(LambdaClient.builder())) {
            assertEquals(sha, lambda.getFunctionConfiguration(b -> b.functionName("kept")).codeSha256());
            assertEquals("\"still here\"", lambda.invoke(b -> b.functionName("kept")).payload().asUtf8String());
        }
    }

    @Test
    void functionUrlsAndProvisionedConcurrencySurviveARestart() throws Exception {
        String urlId;
        try (TestServer first = TestServer.startDurable(data); LambdaClient lambda = first.client(LambdaClient.builder())) {
            lambda.createFunction(b -> b.functionName("served").role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler")
                    .code(c -> c.zipFile(Zips.sdk("app.py", "import os\ndef handler(e, c):\n    return os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n"))));
            lambda.publishVersion(b -> b.functionName("served"));
            lambda.createAlias(b -> b.functionName("served").name("live").functionVersion("1"));
            String url = lambda.createFunctionUrlConfig(b -> b.functionName("served").qualifier("live").authType(FunctionUrlAuthType.NONE)).functionUrl();
            urlId = java.net.URI.create(url).getHost().split("\\.")[0];
            lambda.putProvisionedConcurrencyConfig(b -> b.functionName("served").qualifier("live").provisionedConcurrentExecutions(1));
        }
        try (TestServer second = TestServer.startDurable(data); LambdaClient lambda = second.client(LambdaClient.builder())) {
            // The same URL, on the new server's port, still runs the alias.
            String url = lambda.getFunctionUrlConfig(b -> b.functionName("served").qualifier("live")).functionUrl();
            assertEquals(urlId, java.net.URI.create(url).getHost().split("\\.")[0]);
            var http = java.net.http.HttpClient.newBuilder().proxy(java.net.ProxySelector.of(new java.net.InetSocketAddress("127.0.0.1", second.port()))).build();
            var response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertEquals("provisioned-concurrency", response.body(), "the provisioned environment was started again and serves the alias");
            for (int i = 0; i < 600 && lambda.getProvisionedConcurrencyConfig(b -> b.functionName("served").qualifier("live")).status()
                    != ProvisionedConcurrencyStatusEnum.READY; i++) {
                Thread.sleep(50);
            }
            assertEquals(ProvisionedConcurrencyStatusEnum.READY, lambda.getProvisionedConcurrencyConfig(b -> b.functionName("served").qualifier("live")).status());
        }
    }
}
