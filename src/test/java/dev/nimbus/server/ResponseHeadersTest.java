package dev.nimbus.server;

import static dev.nimbus.server.Wire.assertAwsError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.testing.TestServer;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Headers a service sets reach the wire only when they are valid HTTP: a value with CR or LF (a
 * function URL's response headers, S3 metadata are text from users) must never start a header of
 * its own. The server checks them itself; Helidon's check of every response header is off.
 */
class ResponseHeadersTest {
    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start();
        // A front door answering /headers/NAME with one header, to put any header on a response.
        nimbus.server.services().addFrontDoor(req -> {
            if (!req.rawPath.startsWith("/headers/")) return null;
            HttpResponse r = new HttpResponse();
            switch (req.rawPath.substring("/headers/".length())) {
                case "crlf" -> r.header("X-Test", "a\r\nInjected: yes");
                case "control" -> r.header("X-Test", "a\u0001b");
                case "leading-space" -> r.header("X-Test", " a");
                case "bad-name" -> r.header("X Test", "a");
                case "latin1" -> r.header("X-Test", "caf\u00e9");
                case "empty" -> r.header("X-Test", "");
                default -> r.header("X-Test", "a \tb!~");
            }
            return r.body("text/plain", "hello".getBytes());
        });
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    private static RawHttp.Response get(String name) throws IOException {
        try (RawHttp c = new RawHttp(nimbus.port())) {
            return c.send("GET /headers/" + name + " HTTP/1.1\r\nHost: localhost\r\n\r\n").read();
        }
    }

    @Test
    void plainHeadersAreSentAsSet() throws IOException {
        RawHttp.Response r = get("plain");
        assertEquals(200, r.status());
        assertEquals("a \tb!~", r.header("X-Test"));
        assertEquals("hello", r.text());
        assertEquals("", get("empty").header("X-Test"));
    }

    @Test
    void nonAsciiValuesAreSentAsHelidonWritesThem() throws IOException {
        RawHttp.Response r = get("latin1");
        assertEquals(200, r.status());
        assertEquals("caf?", r.header("X-Test")); // Helidon writes header values as US-ASCII
    }

    @Test
    void invalidHeadersAreAnInternalErrorAndNeverReachTheWire() throws IOException {
        for (String bad : new String[] {"crlf", "control", "leading-space", "bad-name"}) {
            RawHttp.Response r = get(bad);
            assertAwsError(r, 500, "InternalFailure");
            assertNull(r.header("X-Test"), bad);
            assertNull(r.header("Injected"), bad);
        }
    }
}
