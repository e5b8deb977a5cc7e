package dev.nimbus.server;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1ConnectionListener;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Drops connections whose request headers trickle in (slowloris). Helidon's idle timeout covers a
 * connection that has not finished its request line, but once the request line is in, it waits for
 * the headers without limit. This listener notes when each request line arrives and when its
 * headers are complete; a sweeper closes the socket of any connection still reading headers after
 * the timeout, which ends the blocked read and frees the connection.
 */
final class SlowHeaderGuard implements Http1ConnectionListener, AutoCloseable {
    private static final Logger LOG = Logger.getLogger("nimbus.server");

    /** Marks a connection not reading a request's headers. */
    private static final long IDLE = Long.MIN_VALUE;

    private final long limitNanos;
    /**
     * Each connection -> System.nanoTime() at its current request line, or IDLE once the headers are in. One
     * entry per connection, updated in place, rather than one put and one remove per request (a map node
     * and two count updates each time); entries of closed connections go at the next sweep.
     */
    private final Map<ConnectionContext, AtomicLong> reading = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;

    SlowHeaderGuard(Duration limit) {
        this.limitNanos = limit.toNanos();
        this.sweeper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("nimbus-slow-headers").factory());
        // A few sweeps per timeout: a slow client is dropped between 1 and 1.25 timeouts after its request line.
        long period = Math.max(limit.toMillis() / 4, 10);
        sweeper.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
        long now = System.nanoTime();
        AtomicLong since = reading.get(ctx);
        if (since == null) reading.put(ctx, new AtomicLong(now)); // a connection's own thread: no other put for this key
        else since.set(now);
    }

    @Override
    public void headers(ConnectionContext ctx, Headers headers) {
        AtomicLong since = reading.get(ctx);
        if (since != null) since.set(IDLE);
    }

    private void sweep() {
        long now = System.nanoTime();
        reading.forEach((ctx, state) -> {
            if (!ctx.serverSocket().isConnected()) {
                reading.remove(ctx);
                return;
            }
            long since = state.get();
            // compareAndSet loses to a concurrent headers() or a next request line, so only a stalled head is closed.
            if (since != IDLE && now - since > limitNanos && state.compareAndSet(since, IDLE)) {
                LOG.fine(() -> "closing " + ctx.remotePeer().address() + ": request headers incomplete after the header timeout");
                // Also reached for heads Helidon rejected (it closed those already): closing twice is harmless.
                ctx.serverSocket().close();
            }
        });
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
