package dev.nimbus.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slow clients (slowloris) hold a connection open by sending their request a byte at a time. The
 * server keeps serving everyone else meanwhile, and drops such connections once they overrun the
 * timeouts, here shortened to seconds. Waiting for the close is bounded by the socket timeout.
 */
class SlowClientTest {
    private static final Duration IDLE = Duration.ofSeconds(2);
    private static final Duration HEADERS = Duration.ofSeconds(1);
    private static final long DRIP_MILLIS = 250;

    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start(ServerConfig.defaults().withPort(0).asEphemeral().withTimeouts(IDLE, HEADERS));
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    /** Sends {@code head}, then {@code drip} one byte at a time until the server stops taking them. */
    private static Thread dripper(RawHttp c, String head, String drip, AtomicBoolean stop) {
        return Thread.ofVirtual().start(() -> {
            try {
                c.send(head);
                for (int i = 0; i < drip.length() && !stop.get(); i++) {
                    c.send(drip.substring(i, i + 1));
                    Thread.sleep(DRIP_MILLIS);
                }
            } catch (IOException | InterruptedException e) {
                // the server closed the connection: what we wait for
            }
        });
    }

    private void slowClients(String head, String drip) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<RawHttp> slow = new ArrayList<>();
        List<Thread> drippers = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                RawHttp c = new RawHttp(nimbus.port());
                slow.add(c);
                drippers.add(dripper(c, head, drip, stop));
            }
            // Everyone else is served while the slow ones trickle.
            for (int i = 0; i < 10; i++) Wire.assertStillServes(nimbus);
            for (RawHttp c : slow) assertTrue(c.closedByServer(), "a slow client is dropped");
            Wire.assertStillServes(nimbus);
        } finally {
            stop.set(true);
            for (Thread t : drippers) t.join();
            for (RawHttp c : slow) c.close();
        }
    }

    @Test
    void headersSentOneByteAtATimeAreDropped() throws Exception {
        slowClients("GET /_nimbus/health HTTP/1.1\r\nHost: localhost\r\n", "X-Slow: " + "a".repeat(10_000) + "\r\n\r\n");
    }

    @Test
    void requestLineSentOneByteAtATimeIsDropped() throws Exception {
        slowClients("", "GET /_nimbus/health?" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    }

    @Test
    void idleKeepAliveConnectionIsClosed() throws IOException {
        try (RawHttp c = new RawHttp(nimbus.port())) {
            c.send("GET /_nimbus/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertEquals(200, c.read().status());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void busyConnectionOutlivesTheIdleTimeout() throws Exception {
        try (RawHttp c = new RawHttp(nimbus.port())) {
            long end = System.nanoTime() + IDLE.multipliedBy(2).toNanos();
            while (System.nanoTime() < end) {
                c.send("GET /_nimbus/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
                assertEquals(200, c.read().status());
                Thread.sleep(DRIP_MILLIS);
            }
        }
    }
}
