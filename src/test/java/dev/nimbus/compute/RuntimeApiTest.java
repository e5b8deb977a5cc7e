package dev.nimbus.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Runtime API listener's HTTP/1.1, as runtime clients speak it (curl, http.client, node, the JDK). */
class RuntimeApiTest {
    private RuntimeApi api;
    /** A "GET /later" request, answered by the test from its own thread, as an invocation answers a "next". */
    private final CompletableFuture<RuntimeApi.Connection> later = new CompletableFuture<>();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    @BeforeEach
    void start() throws IOException {
        api = new RuntimeApi(100);
        api.start(new RuntimeApi.Handler() {
            @Override
            public void handle(RuntimeApi.Request r, RuntimeApi.Connection c) {
                if (r.path().equals("/later")) {
                    later.complete(c);
                    return;
                }
                String answer = r.method() + " " + r.path() + " " + r.body().length + " " + new String(r.body(), StandardCharsets.UTF_8)
                        + " " + r.header("x-test");
                c.respond(202, answer.getBytes(StandardCharsets.UTF_8), "Content-Type", "text/plain");
            }

            @Override
            public void ended(RuntimeApi.Connection c) {
                ended.complete(null);
            }
        }, "test");
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), api.port());
        s.setSoTimeout(30_000);
        return s;
    }

    /** One response: head and Content-Length body. */
    private static String response(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) throw new IOException("ended after " + head);
            head.write(b);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int length = 0;
        for (String line : h.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).strip());
        }
        return h + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    private static void send(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Test
    void keptAliveConnectionServesRequestsInTurn() throws Exception {
        try (Socket s = connect()) {
            send(s.getOutputStream(), "POST /a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-Test: one\r\n\r\nhello");
            String first = response(s.getInputStream());
            assertTrue(first.startsWith("HTTP/1.1 202 Accepted\r\n"), first);
            assertTrue(first.endsWith("\r\n\r\nPOST /a 5 hello one"), first);
            send(s.getOutputStream(), "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
            assertTrue(response(s.getInputStream()).endsWith("GET /b 0  null"));
        }
    }

    @Test
    void chunkedBodyAndExpectContinue() throws Exception {
        try (Socket s = connect()) {
            send(s.getOutputStream(), "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
            String interim = response(s.getInputStream());
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", interim);
            send(s.getOutputStream(), "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n");
            assertTrue(response(s.getInputStream()).endsWith("POST /c 5 abcde null"));
        }
    }

    @Test
    void bodyOverTheLimitIsCutAndTheConnectionStaysUsable() throws Exception {
        try (Socket s = connect()) {
            String big = "x".repeat(150);
            send(s.getOutputStream(), "POST /big HTTP/1.1\r\nContent-Length: 150\r\n\r\n" + big);
            assertTrue(response(s.getInputStream()).contains("POST /big 101 "), "the limit plus one byte is kept");
            send(s.getOutputStream(), "GET /after HTTP/1.1\r\n\r\n");
            assertTrue(response(s.getInputStream()).endsWith("GET /after 0  null"));
        }
    }

    @Test
    void answerFromAnotherThreadGoesOutBeforeConnectionClose() throws Exception {
        try (Socket s = connect()) {
            send(s.getOutputStream(), "GET /later HTTP/1.1\r\nConnection: close\r\n\r\n");
            RuntimeApi.Connection c = later.get(30, TimeUnit.SECONDS);
            c.respond(200, "event".getBytes(StandardCharsets.UTF_8), "Lambda-Runtime-Aws-Request-Id", "id-1");
            String r = response(s.getInputStream());
            assertTrue(r.contains("\r\nLambda-Runtime-Aws-Request-Id: id-1\r\n") && r.contains("\r\nConnection: close\r\n") && r.endsWith("event"), r);
            assertEquals(-1, s.getInputStream().read(), "closed after the answer");
            ended.get(30, TimeUnit.SECONDS);
        }
    }
}
