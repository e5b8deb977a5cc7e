package dev.nimbus.services.apigateway;

import static dev.nimbus.services.apigateway.ApiGatewayApi.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * WebSocket APIs (apigatewayv2 ProtocolType=WEBSOCKET) with the JDK's WebSocket client: $connect,
 * route selection, two-way routes, the @connections API, and a real Python function that answers
 * through boto3's apigatewaymanagementapi, as a chat application does.
 */
class WebSocketApiTest {
    static TestServer nimbus;
    static LambdaClient lambda;
    static SqsClient sqs;
    static ApiGatewayApi api;
    static String apiId;
    static String strictApiId;
    static String queueUrl;
    static final String ARN = "arn:aws:lambda:us-east-1:000000000000:function:";

    /** Every route of the test API: refuses $connect when asked, echoes events, chats back through @connections, reports $disconnect to a queue. */
    static final String FUNCTION = """
            import json, os, boto3
            def handler(event, context):
                rc = event["requestContext"]
                if rc["eventType"] == "CONNECT":
                    q = event.get("queryStringParameters") or {}
                    if q.get("deny"):
                        return {"statusCode": 401, "body": json.dumps(event)}
                    return {"statusCode": 200}
                if rc["eventType"] == "DISCONNECT":
                    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE"], MessageBody=json.dumps(event))
                    return {"statusCode": 200}
                if rc["routeKey"] == "boom":
                    raise ValueError("boom")
                if rc["routeKey"] == "chat":
                    endpoint = os.environ["AWS_ENDPOINT_URL"] + "/_aws/execute-api/" + rc["apiId"] + "/" + rc["stage"]
                    gw = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
                    me = gw.get_connection(ConnectionId=rc["connectionId"])
                    text = json.loads(event["body"])["text"]
                    gw.post_to_connection(ConnectionId=rc["connectionId"], Data=(text + " from " + me["Identity"]["SourceIp"]).encode())
                    try:
                        gw.post_to_connection(ConnectionId="gone0000000000A=", Data=b"x")
                        gone = "no"
                    except gw.exceptions.GoneException:
                        gone = "yes"
                    gw.post_to_connection(ConnectionId=rc["connectionId"], Data=("gone:" + gone).encode())
                    return {"statusCode": 200}
                if rc["routeKey"] == "$default":
                    return {"statusCode": 200, "body": "default:" + event["body"]}
                return {"statusCode": 200, "body": json.dumps(event)}
            """;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        lambda = nimbus.client(LambdaClient.builder());
        sqs = nimbus.client(SqsClient.builder());
        api = new ApiGatewayApi(nimbus.endpoint());
        queueUrl = sqs.createQueue(b -> b.queueName("disconnects")).queueUrl();
        lambda.createFunction(b -> b.functionName("ws").role("arn:aws:iam::000000000000:role/r").runtime(Runtime.PYTHON3_12)
                .handler("app.handler").timeout(10).environment(e -> e.variables(java.util.Map.of("QUEUE", queueUrl)))
                .code(c -> c.zipFile(ApiGatewayApi.zip("app.py", FUNCTION))));

        JsonNode created = api.ok(201, "POST", "/v2/apis", in("name", "chat", "protocolType", "WEBSOCKET",
                "routeSelectionExpression", "$request.body.action"));
        apiId = created.path("apiId").asText();
        assertTrue(created.path("apiEndpoint").asText().equals("ws://" + apiId + ".execute-api.localhost:" + nimbus.port()), created.toString());
        String integration = api.ok(201, "POST", "/v2/apis/" + apiId + "/integrations",
                in("integrationType", "AWS_PROXY", "integrationUri", ARN + "ws")).path("integrationId").asText();
        for (String key : new String[] {"$connect", "$disconnect", "boom", "chat"}) {
            api.ok(201, "POST", "/v2/apis/" + apiId + "/routes", in("routeKey", key, "target", "integrations/" + integration));
        }
        for (String key : new String[] {"$default", "echo"}) {
            String routeId = api.ok(201, "POST", "/v2/apis/" + apiId + "/routes", in("routeKey", key, "target", "integrations/" + integration,
                    "routeResponseSelectionExpression", "$default")).path("routeId").asText();
            JsonNode response = api.ok(201, "POST", "/v2/apis/" + apiId + "/routes/" + routeId + "/routeresponses", in("routeResponseKey", "$default"));
            assertEquals("$default", response.path("routeResponseKey").asText());
            assertEquals(1, api.ok(200, "GET", "/v2/apis/" + apiId + "/routes/" + routeId + "/routeresponses", null).path("items").size());
        }
        api.ok(201, "POST", "/v2/apis/" + apiId + "/stages", in("stageName", "prod"));
        api.ok(201, "POST", "/v2/apis/" + apiId + "/deployments", in("stageName", "prod"));

        // An API with one custom route and no $default: other messages get API Gateway's error frame.
        strictApiId = api.ok(201, "POST", "/v2/apis", in("name", "strict", "protocolType", "WEBSOCKET",
                "routeSelectionExpression", "$request.body.action")).path("apiId").asText();
        String strictIntegration = api.ok(201, "POST", "/v2/apis/" + strictApiId + "/integrations",
                in("integrationType", "AWS_PROXY", "integrationUri", ARN + "ws")).path("integrationId").asText();
        api.ok(201, "POST", "/v2/apis/" + strictApiId + "/routes", in("routeKey", "echo", "target", "integrations/" + strictIntegration));
        api.ok(201, "POST", "/v2/apis/" + strictApiId + "/stages", in("stageName", "dev", "autoDeploy", true));
        // MOCK integrations: one accepting connections, one answering a two-way route from its integration response's template.
        String accept = api.ok(201, "POST", "/v2/apis/" + strictApiId + "/integrations", in("integrationType", "MOCK")).path("integrationId").asText();
        api.ok(201, "POST", "/v2/apis/" + strictApiId + "/routes", in("routeKey", "$connect", "target", "integrations/" + accept));
        String mock = api.ok(201, "POST", "/v2/apis/" + strictApiId + "/integrations", in("integrationType", "MOCK",
                "templateSelectionExpression", "\\$default", "requestTemplates", java.util.Map.of("$default", "{\"statusCode\": 201}"))).path("integrationId").asText();
        JsonNode integrationResponse = api.ok(201, "POST", "/v2/apis/" + strictApiId + "/integrations/" + mock + "/integrationresponses",
                in("integrationResponseKey", "/20\\d/", "responseTemplates", java.util.Map.of("$default", "{\"route\": \"$context.routeKey\", \"stage\": \"$context.stage\"}")));
        assertEquals("/20\\d/", integrationResponse.path("integrationResponseKey").asText());
        String mockRoute = api.ok(201, "POST", "/v2/apis/" + strictApiId + "/routes", in("routeKey", "mock", "target", "integrations/" + mock,
                "routeResponseSelectionExpression", "$default")).path("routeId").asText();
        api.ok(201, "POST", "/v2/apis/" + strictApiId + "/routes/" + mockRoute + "/routeresponses", in("routeResponseKey", "$default"));
    }

    @AfterAll
    static void stop() {
        lambda.close();
        sqs.close();
        nimbus.close();
    }

    /** A client connection: the messages it got, in order, and how it was closed. */
    static final class Client implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();
        WebSocket socket;

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }

        String next() throws InterruptedException {
            String m = messages.poll(60, TimeUnit.SECONDS);
            assertNotNull(m, "no message within a minute");
            return m;
        }

        JsonNode nextJson() throws Exception {
            return Values.JSON.readTree(next());
        }

        void send(String text) {
            socket.sendText(text, true).join();
        }
    }

    static Client connect(String api, String stageAndQuery) {
        Client c = new Client();
        c.socket = HttpClient.newHttpClient().newWebSocketBuilder().header("User-Agent", "ws-test")
                .buildAsync(URI.create("ws://localhost:" + nimbus.port() + "/_aws/execute-api/" + api + "/" + stageAndQuery), c).join();
        return c;
    }

    @Test
    void messagesAreRoutedByTheSelectionExpressionAndTwoWayRoutesReply() throws Exception {
        Client c = connect(apiId, "prod");
        c.send("{\"action\":\"echo\",\"n\":1}");
        JsonNode event = c.nextJson();
        JsonNode rc = event.path("requestContext");
        assertEquals("echo", rc.path("routeKey").asText());
        assertEquals("MESSAGE", rc.path("eventType").asText());
        assertEquals("IN", rc.path("messageDirection").asText());
        assertEquals("prod", rc.path("stage").asText());
        assertEquals(apiId, rc.path("apiId").asText());
        assertEquals(apiId + ".execute-api.localhost", rc.path("domainName").asText());
        assertEquals(16, rc.path("connectionId").asText().length(), rc.toString());
        assertFalse(rc.path("messageId").asText().isEmpty());
        assertFalse(rc.path("requestId").asText().isEmpty());
        assertFalse(rc.path("extendedRequestId").asText().isEmpty());
        assertTrue(rc.path("requestTime").asText().matches("\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000"), rc.toString());
        assertTrue(rc.path("requestTimeEpoch").asLong() >= rc.path("connectedAt").asLong(), rc.toString());
        assertEquals("127.0.0.1", rc.path("identity").path("sourceIp").asText());
        assertEquals("ws-test", rc.path("identity").path("userAgent").asText());
        assertEquals("{\"action\":\"echo\",\"n\":1}", event.path("body").asText());
        assertFalse(event.path("isBase64Encoded").asBoolean(true));

        // Not JSON, or JSON without a known action: the $default route.
        c.send("plain words");
        assertEquals("default:plain words", c.next());
        c.send("{\"action\":\"dance\"}");
        assertEquals("default:{\"action\":\"dance\"}", c.next());

        // A function that fails: API Gateway's error frame.
        c.send("{\"action\":\"boom\"}");
        JsonNode error = c.nextJson();
        assertEquals("Internal server error", error.path("message").asText());
        assertEquals(rc.path("connectionId").asText(), error.path("connectionId").asText());
        assertFalse(error.path("requestId").asText().isEmpty());
        c.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    }

    @Test
    void connectRouteThatAnswersNon2xxRefusesTheConnection() throws Exception {
        CompletionException e = assertThrows(CompletionException.class, () -> connect(apiId, "prod?deny=yes"));
        WebSocketHandshakeException refused = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
        assertEquals(401, refused.getResponse().statusCode());
        // Unknown stage: refused too.
        e = assertThrows(CompletionException.class, () -> connect(apiId, "nostage"));
        assertEquals(403, assertInstanceOf(WebSocketHandshakeException.class, e.getCause()).getResponse().statusCode());
    }

    @Test
    void connectEventCarriesHeadersAndQueryAndHostStyleUrlsUpgrade() throws Exception {
        // The refusal's body is the $connect event the function got (the function sends it back).
        String key = Base64.getEncoder().encodeToString("0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        String[] refused = handshake(apiId + ".execute-api.localhost:" + nimbus.port(), "/prod?deny=1&room=a&room=b", key);
        assertTrue(refused[0].startsWith("HTTP/1.1 401"), refused[0]);
        JsonNode event = Values.JSON.readTree(refused[1]);
        JsonNode rc = event.path("requestContext");
        assertEquals("$connect", rc.path("routeKey").asText());
        assertEquals("CONNECT", rc.path("eventType").asText());
        assertEquals("IN", rc.path("messageDirection").asText());
        assertEquals(apiId + ".execute-api.localhost", rc.path("domainName").asText());
        assertEquals("b", event.path("queryStringParameters").path("room").asText());
        assertEquals(2, event.path("multiValueQueryStringParameters").path("room").size());
        assertEquals(key, event.path("headers").path("Sec-WebSocket-Key").asText(), event.path("headers").toString());
        assertEquals("13", event.path("multiValueHeaders").path("Sec-WebSocket-Version").path(0).asText());
        assertFalse(event.has("body"));

        String[] accepted = handshake(apiId + ".execute-api.localhost:" + nimbus.port(), "/prod", key);
        assertTrue(accepted[0].startsWith("HTTP/1.1 101"), accepted[0]);
        String expected = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
        assertTrue(accepted[0].contains("Sec-WebSocket-Accept: " + expected), accepted[0]);
    }

    @Test
    void unmaskedClientFrameIsAProtocolError() throws Exception {
        try (Socket s = new Socket("localhost", nimbus.port())) {
            String[] accepted = handshake(s, strictApiId + ".execute-api.localhost", "/dev", "AAAAAAAAAAAAAAAAAAAAAA==");
            assertTrue(accepted[0].startsWith("HTTP/1.1 101"), accepted[0]);
            s.getOutputStream().write(new byte[] {(byte) 0x81, 2, 'h', 'i'});
            byte[] close = s.getInputStream().readNBytes(4);
            assertEquals((byte) 0x88, close[0]);
            assertEquals(1002, ((close[2] & 0xFF) << 8) | (close[3] & 0xFF));
        }
    }

    /** A handshake by hand (the JDK client cannot set Host): the response head, and the body when there is one. */
    private static String[] handshake(String host, String path, String key) throws IOException {
        try (Socket s = new Socket("localhost", nimbus.port())) {
            return handshake(s, host, path, key);
        }
    }

    private static String[] handshake(Socket s, String host, String path, String key) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) break;
            head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        int length = 0;
        for (String line : text.split("\r\n")) if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
        return new String[] {text, new String(in.readNBytes(length), StandardCharsets.UTF_8)};
    }

    @Test
    void connectionsApiPostsGetsAndDeletes() throws Exception {
        Client c = connect(apiId, "prod");
        c.send("{\"action\":\"echo\"}");
        String id = c.nextJson().path("requestContext").path("connectionId").asText();
        String base = "/_aws/execute-api/" + apiId + "/prod/@connections/" + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8);

        assertEquals(200, api.invoke("POST", base, "pushed").status());
        assertEquals("pushed", c.next());
        ApiGatewayApi.Answer got = api.invoke("GET", base, null);
        assertEquals(200, got.status(), got.body());
        JsonNode connection = got.json();
        assertTrue(connection.path("connectedAt").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), got.body());
        assertTrue(connection.path("lastActiveAt").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), got.body());
        assertEquals("127.0.0.1", connection.path("identity").path("sourceIp").asText());
        assertEquals("ws-test", connection.path("identity").path("userAgent").asText());
        // The host-style URL a function would build from the event's domainName and stage.
        ApiGatewayApi.Answer hostStyle = api.withHost("GET", apiId + ".execute-api.localhost", "/prod/@connections/" + id);
        assertEquals(200, hostStyle.status(), hostStyle.body());

        ApiGatewayApi.Answer tooLarge = api.invoke("POST", base, "x".repeat(128 * 1024 + 1));
        assertEquals(413, tooLarge.status());
        assertEquals("PayloadTooLargeException", tooLarge.header("x-amzn-ErrorType"));

        assertEquals(204, api.invoke("DELETE", base, null).status());
        assertEquals(1000, c.closed.get(60, TimeUnit.SECONDS));
        ApiGatewayApi.Answer gone = api.invoke("POST", base, "late");
        assertEquals(410, gone.status());
        assertEquals("GoneException", gone.header("x-amzn-ErrorType"));
        assertEquals(410, api.invoke("GET", base, null).status());
        assertEquals(410, api.invoke("DELETE", "/_aws/execute-api/" + apiId + "/prod/@connections/unknown", null).status());
        // The same connection id under another API is not that API's.
        assertEquals(410, api.invoke("POST", "/_aws/execute-api/" + strictApiId + "/dev/@connections/" + id, "x").status());
    }

    @Test
    void disconnectRouteRunsWhenTheClientCloses() throws Exception {
        Client c = connect(apiId, "prod");
        c.send("{\"action\":\"echo\"}");
        String id = c.nextJson().path("requestContext").path("connectionId").asText();
        c.socket.sendClose(4000, "bye").join();
        assertEquals(4000, c.closed.get(60, TimeUnit.SECONDS));
        JsonNode event = null;
        for (int i = 0; i < 30 && event == null; i++) {
            for (Message m : sqs.receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(2).maxNumberOfMessages(10)).messages()) {
                JsonNode e = Values.JSON.readTree(m.body());
                if (e.path("requestContext").path("connectionId").asText().equals(id)) event = e;
            }
        }
        assertNotNull(event, "no $disconnect event");
        JsonNode rc = event.path("requestContext");
        assertEquals("$disconnect", rc.path("routeKey").asText());
        assertEquals("DISCONNECT", rc.path("eventType").asText());
        assertEquals(4000, rc.path("disconnectStatusCode").asInt());
        assertEquals("bye", rc.path("disconnectReason").asText());
        assertEquals(apiId + ".execute-api.localhost", event.path("headers").path("Host").asText());
    }

    @Test
    void functionChatsBackThroughTheConnectionsApiWithBoto3() throws Exception {
        Client c = connect(apiId, "prod");
        c.send("{\"action\":\"chat\",\"text\":\"hello\"}");
        assertEquals("hello from 127.0.0.1", c.next());
        assertEquals("gone:yes", c.next());
        c.socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
    }

    @Test
    void stoppingTheServerClosesItsConnections() throws Exception {
        TestServer other = TestServer.start();
        Client c = new Client();
        try {
            ApiGatewayApi otherApi = new ApiGatewayApi(other.endpoint());
            String id = otherApi.ok(201, "POST", "/v2/apis", in("name", "bare", "protocolType", "WEBSOCKET",
                    "routeSelectionExpression", "$request.body.action")).path("apiId").asText();
            otherApi.ok(201, "POST", "/v2/apis/" + id + "/stages", in("stageName", "live", "autoDeploy", true));
            c.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://localhost:" + other.port() + "/_aws/execute-api/" + id + "/live"), c).join();
        } finally {
            other.close();
        }
        assertEquals(1001, c.closed.get(60, TimeUnit.SECONDS));
    }

    @Test
    void messageWithoutRouteOrDefaultGetsForbiddenFrameAndMockRoutesReply() throws Exception {
        Client c = connect(strictApiId, "dev");
        c.send("{\"action\":\"nothing\"}");
        JsonNode error = c.nextJson();
        assertEquals("Forbidden", error.path("message").asText());
        assertFalse(error.path("connectionId").asText().isEmpty());
        assertFalse(error.path("requestId").asText().isEmpty());
        c.send("{\"action\":\"mock\"}");
        JsonNode mocked = c.nextJson();
        assertEquals("mock", mocked.path("route").asText());
        assertEquals("dev", mocked.path("stage").asText());
        c.socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
    }
}
