package dev.nimbus.services.lambda;

import static dev.nimbus.services.lambda.Zips.ROLE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.CreateFunctionUrlConfigResponse;
import software.amazon.awssdk.services.lambda.model.FunctionUrlAuthType;
import software.amazon.awssdk.services.lambda.model.FunctionUrlConfig;
import software.amazon.awssdk.services.lambda.model.GetFunctionUrlConfigResponse;
import software.amazon.awssdk.services.lambda.model.InvokeMode;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.ResourceConflictException;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.lambda.model.UpdateFunctionUrlConfigResponse;

/**
 * Function URLs: the configuration API, and the URL itself served over plain HTTP with the
 * payload 2.0 event, response inference, CORS and AWS_IAM auth. The host names are *.localhost,
 * which this machine's resolver may not know: the HTTP client reaches them through Nimbus as its
 * proxy, so the request carries the URL's host name as a browser's would.
 */
class LambdaFunctionUrlTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static HttpClient http;
    static final String ARN = "arn:aws:lambda:us-east-1:000000000000:function:";
    static final String CODE = """
            import json
            def handler(event, context):
                path = event['rawPath']
                if path == '/string':
                    return 'hello'
                if path == '/custom':
                    return {'statusCode': 201, 'headers': {'content-type': 'text/plain', 'x-custom': 'yes', 'access-control-allow-origin': 'https://evil'},
                            'cookies': ['a=1', 'b=2; Path=/'], 'body': 'created'}
                if path == '/binary':
                    return {'statusCode': 200, 'headers': {'content-type': 'application/octet-stream'}, 'body': 'AAEC', 'isBase64Encoded': True}
                if path == '/fail':
                    raise Exception('boom')
                if path == '/arn':
                    return {'arn': context.invoked_function_arn, 'version': context.function_version}
                return event
            """;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        http = HttpClient.newBuilder().proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", nimbus.port()))).build();
    }

    @AfterAll
    static void stop() {
        lambda.close();
        nimbus.close();
    }

    static void function(String name) {
        lambda.createFunction(b -> b.functionName(name).role(ROLE).runtime(Runtime.PYTHON3_12).handler("app.handler").timeout(30)
                .code(c -> c.zipFile(Zips.sdk("app.py", CODE))));
    }

    static HttpResponse<byte[]> send(String url, String path, String method, byte[] body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url).resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) b.headers(headers);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode json(HttpResponse<byte[]> r) throws IOException {
        return Values.JSON.readTree(r.body());
    }

    @Test
    void configurationLifecycle() {
        function("urlcfg");
        CreateFunctionUrlConfigResponse created = lambda.createFunctionUrlConfig(b -> b.functionName("urlcfg").authType(FunctionUrlAuthType.NONE)
                .cors(c -> c.allowOrigins("https://example.com").allowMethods("GET", "POST").maxAge(300)));
        assertTrue(created.functionUrl().matches("http://[a-z0-9]{32}\\.lambda-url\\.us-east-1\\.localhost:" + nimbus.port() + "/"), created.functionUrl());
        assertEquals(ARN + "urlcfg", created.functionArn());
        assertEquals(FunctionUrlAuthType.NONE, created.authType());
        assertEquals(InvokeMode.BUFFERED, created.invokeMode());
        assertEquals(List.of("https://example.com"), created.cors().allowOrigins());
        assertTrue(created.creationTime().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"), created.creationTime());

        ResourceConflictException dup = assertThrows(ResourceConflictException.class,
                () -> lambda.createFunctionUrlConfig(b -> b.functionName("urlcfg").authType(FunctionUrlAuthType.NONE)));
        assertTrue(dup.awsErrorDetails().errorMessage().endsWith("FunctionUrlConfig exists for this Lambda function"), dup.getMessage());

        GetFunctionUrlConfigResponse got = lambda.getFunctionUrlConfig(b -> b.functionName(ARN + "urlcfg"));
        assertEquals(created.functionUrl(), got.functionUrl());
        assertEquals(300, got.cors().maxAge());
        assertEquals(created.creationTime(), got.creationTime());

        UpdateFunctionUrlConfigResponse updated = lambda.updateFunctionUrlConfig(b -> b.functionName("urlcfg").authType(FunctionUrlAuthType.AWS_IAM));
        assertEquals(FunctionUrlAuthType.AWS_IAM, updated.authType());
        assertEquals(List.of("GET", "POST"), updated.cors().allowMethods(), "a Cors not given is kept");
        assertEquals(created.functionUrl(), updated.functionUrl(), "the URL never changes");
        updated = lambda.updateFunctionUrlConfig(b -> b.functionName("urlcfg").cors(c -> c.allowOrigins("*")));
        assertEquals(List.of("*"), updated.cors().allowOrigins());
        assertTrue(updated.cors().allowMethods().isEmpty(), "a Cors given replaces the old one");
        updated = lambda.updateFunctionUrlConfig(b -> b.functionName("urlcfg").cors(c -> {}));
        assertNull(updated.cors());

        // An alias has its own URL; a version cannot have one; a missing alias has none.
        lambda.publishVersion(b -> b.functionName("urlcfg"));
        lambda.createAlias(b -> b.functionName("urlcfg").name("live").functionVersion("1"));
        String aliasUrl = lambda.createFunctionUrlConfig(b -> b.functionName("urlcfg").qualifier("live").authType(FunctionUrlAuthType.NONE)).functionUrl();
        assertFalse(aliasUrl.equals(created.functionUrl()));
        assertEquals(ARN + "urlcfg:live", lambda.getFunctionUrlConfig(b -> b.functionName("urlcfg:live")).functionArn());
        assertEquals(400, assertThrows(LambdaException.class,
                () -> lambda.createFunctionUrlConfig(b -> b.functionName("urlcfg:1").authType(FunctionUrlAuthType.NONE))).statusCode());
        assertThrows(ResourceNotFoundException.class,
                () -> lambda.createFunctionUrlConfig(b -> b.functionName("urlcfg").qualifier("nosuch").authType(FunctionUrlAuthType.NONE)));

        List<FunctionUrlConfig> all = lambda.listFunctionUrlConfigs(b -> b.functionName("urlcfg")).functionUrlConfigs();
        assertEquals(List.of(ARN + "urlcfg", ARN + "urlcfg:live"), all.stream().map(FunctionUrlConfig::functionArn).toList());
        var page = lambda.listFunctionUrlConfigs(b -> b.functionName("urlcfg").maxItems(1));
        assertEquals(1, page.functionUrlConfigs().size());
        var rest = lambda.listFunctionUrlConfigs(b -> b.functionName("urlcfg").marker(page.nextMarker()));
        assertEquals(List.of(ARN + "urlcfg:live"), rest.functionUrlConfigs().stream().map(FunctionUrlConfig::functionArn).toList());
        assertNull(rest.nextMarker());

        lambda.deleteFunctionUrlConfig(b -> b.functionName("urlcfg"));
        ResourceNotFoundException gone = assertThrows(ResourceNotFoundException.class, () -> lambda.getFunctionUrlConfig(b -> b.functionName("urlcfg")));
        assertEquals("The resource you requested does not exist.", gone.awsErrorDetails().errorMessage());
        assertThrows(ResourceNotFoundException.class, () -> lambda.deleteFunctionUrlConfig(b -> b.functionName("urlcfg")));
        assertThrows(ResourceNotFoundException.class, () -> lambda.getFunctionUrlConfig(b -> b.functionName("nosuchfunction")));
        assertThrows(ResourceNotFoundException.class, () -> lambda.listFunctionUrlConfigs(b -> b.functionName("nosuchfunction")));
    }

    @Test
    void requestBecomesThePayload20Event() throws Exception {
        function("urlevent");
        String url = lambda.createFunctionUrlConfig(b -> b.functionName("urlevent").authType(FunctionUrlAuthType.NONE)).functionUrl();
        String urlId = URI.create(url).getHost().split("\\.")[0];
        HttpResponse<byte[]> r = send(url, "/some/path?a=1&a=2&b=x%20y", "POST", "{\"k\":\"v\"}".getBytes(),
                "Content-Type", "application/json", "Cookie", "c1=v1; c2=v2", "User-Agent", "nimbus-test", "X-Multi", "one");
        assertEquals(200, r.statusCode(), new String(r.body()));
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
        JsonNode e = json(r);
        assertEquals("2.0", e.get("version").asText());
        assertEquals("$default", e.get("routeKey").asText());
        assertEquals("/some/path", e.get("rawPath").asText());
        assertEquals("a=1&a=2&b=x%20y", e.get("rawQueryString").asText());
        assertEquals("[\"c1=v1\",\"c2=v2\"]", e.get("cookies").toString());
        assertEquals("1,2", e.get("queryStringParameters").get("a").asText());
        assertEquals("x y", e.get("queryStringParameters").get("b").asText());
        assertEquals("nimbus-test", e.get("headers").get("user-agent").asText());
        assertEquals("one", e.get("headers").get("x-multi").asText());
        assertFalse(e.get("headers").has("cookie"));
        assertEquals("{\"k\":\"v\"}", e.get("body").asText());
        assertFalse(e.get("isBase64Encoded").asBoolean());
        JsonNode ctx = e.get("requestContext");
        assertEquals("anonymous", ctx.get("accountId").asText());
        assertEquals(urlId, ctx.get("apiId").asText());
        assertEquals(urlId, ctx.get("domainPrefix").asText());
        assertEquals(urlId + ".lambda-url.us-east-1.localhost", ctx.get("domainName").asText());
        assertEquals("POST", ctx.get("http").get("method").asText());
        assertEquals("/some/path", ctx.get("http").get("path").asText());
        assertEquals("HTTP/1.1", ctx.get("http").get("protocol").asText());
        assertEquals("nimbus-test", ctx.get("http").get("userAgent").asText());
        assertFalse(ctx.get("http").get("sourceIp").asText().isEmpty());
        assertEquals("$default", ctx.get("stage").asText());
        assertEquals("$default", ctx.get("routeKey").asText());
        assertTrue(ctx.get("time").asText().matches("\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000"), ctx.get("time").asText());
        assertTrue(ctx.get("timeEpoch").asLong() > 0);
        assertTrue(ctx.get("requestId").asText().matches("[0-9a-f-]{36}"), ctx.get("requestId").asText());

        // A GET has no body and no query parameters; a binary body arrives base64.
        e = json(send(url, "/", "GET", null));
        assertFalse(e.has("body"));
        assertFalse(e.has("queryStringParameters"));
        assertFalse(e.has("cookies"));
        e = json(send(url, "/bin", "PUT", new byte[] {0, 1, 2}, "Content-Type", "application/octet-stream"));
        assertEquals("AAEC", e.get("body").asText());
        assertTrue(e.get("isBase64Encoded").asBoolean());
    }

    @Test
    void responseInference() throws Exception {
        function("urlresp");
        lambda.publishVersion(b -> b.functionName("urlresp"));
        lambda.createAlias(b -> b.functionName("urlresp").name("prod").functionVersion("1"));
        String url = lambda.createFunctionUrlConfig(b -> b.functionName("urlresp").authType(FunctionUrlAuthType.NONE)).functionUrl();

        HttpResponse<byte[]> r = send(url, "/string", "GET", null);
        assertEquals(200, r.statusCode());
        assertEquals("hello", new String(r.body()));
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));

        r = send(url, "/custom", "GET", null);
        assertEquals(201, r.statusCode());
        assertEquals("created", new String(r.body()));
        assertEquals("text/plain", r.headers().firstValue("Content-Type").orElse(null));
        assertEquals("yes", r.headers().firstValue("x-custom").orElse(null));
        assertEquals(List.of("a=1", "b=2; Path=/"), r.headers().allValues("Set-Cookie"));
        assertEquals("https://evil", r.headers().firstValue("access-control-allow-origin").orElse(null), "without Cors, the function's own headers pass");

        r = send(url, "/binary", "GET", null);
        assertArrayEquals(new byte[] {0, 1, 2}, r.body());

        r = send(url, "/fail", "GET", null);
        assertEquals(502, r.statusCode());
        assertEquals("Internal Server Error", json(r).get("Message").asText());

        // The alias's URL runs the alias's version, and the context names the alias.
        String aliasUrl = lambda.createFunctionUrlConfig(b -> b.functionName("urlresp").qualifier("prod").authType(FunctionUrlAuthType.NONE)).functionUrl();
        JsonNode arn = json(send(aliasUrl, "/arn", "GET", null));
        assertEquals("1", arn.get("version").asText());
        assertEquals(ARN + "urlresp:prod", arn.get("arn").asText());

        // A URL that names nothing (deleted, or never created) is forbidden, as in AWS.
        lambda.deleteFunction(b -> b.functionName("urlresp"));
        assertEquals(403, send(url, "/", "GET", null).statusCode());
        assertEquals(403, send(aliasUrl, "/", "GET", null).statusCode());
        assertEquals(403, send("http://" + "a".repeat(32) + ".lambda-url.us-east-1.localhost:" + nimbus.port() + "/", "/", "GET", null).statusCode());
    }

    @Test
    void corsIsAnsweredByTheUrl() throws Exception {
        function("urlcors");
        String url = lambda.createFunctionUrlConfig(b -> b.functionName("urlcors").authType(FunctionUrlAuthType.NONE)
                .cors(c -> c.allowOrigins("https://app.example").allowMethods("GET", "POST").allowHeaders("x-token")
                        .exposeHeaders("x-custom").allowCredentials(true).maxAge(600))).functionUrl();
        HttpResponse<byte[]> pre = send(url, "/custom", "OPTIONS", null, "Origin", "https://app.example", "Access-Control-Request-Method", "POST");
        assertEquals(200, pre.statusCode());
        assertEquals("https://app.example", pre.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        assertEquals("GET,POST", pre.headers().firstValue("Access-Control-Allow-Methods").orElse(null));
        assertEquals("x-token", pre.headers().firstValue("Access-Control-Allow-Headers").orElse(null));
        assertEquals("true", pre.headers().firstValue("Access-Control-Allow-Credentials").orElse(null));
        assertEquals("600", pre.headers().firstValue("Access-Control-Max-Age").orElse(null));

        HttpResponse<byte[]> r = send(url, "/custom", "GET", null, "Origin", "https://app.example");
        assertEquals(201, r.statusCode());
        assertEquals("https://app.example", r.headers().firstValue("Access-Control-Allow-Origin").orElse(null), "the URL's CORS replaces the function's");
        assertEquals("x-custom", r.headers().firstValue("Access-Control-Expose-Headers").orElse(null));

        r = send(url, "/custom", "GET", null, "Origin", "https://other.example");
        assertTrue(r.headers().firstValue("Access-Control-Allow-Origin").isEmpty(), "an origin not allowed gets no CORS headers");
        pre = send(url, "/custom", "OPTIONS", null, "Origin", "https://other.example", "Access-Control-Request-Method", "POST");
        assertTrue(pre.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
    }

    @Test
    void awsIamUrlsNeedASignature() throws Exception {
        function("urliam");
        String url = lambda.createFunctionUrlConfig(b -> b.functionName("urliam").authType(FunctionUrlAuthType.AWS_IAM)).functionUrl();
        HttpResponse<byte[]> r = send(url, "/", "GET", null);
        assertEquals(403, r.statusCode());
        assertEquals("Forbidden", json(r).get("Message").asText());
        r = send(url, "/", "GET", null, "Authorization",
                "AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "X-Amz-Date", "20260101T000000Z");
        assertEquals(200, r.statusCode(), new String(r.body()));
        JsonNode ctx = json(r).get("requestContext");
        assertEquals("123456789012", ctx.get("accountId").asText());
        JsonNode iam = ctx.get("authorizer").get("iam");
        assertEquals("123456789012", iam.get("accessKey").asText());
        assertEquals("arn:aws:iam::123456789012:root", iam.get("userArn").asText());
    }
}
