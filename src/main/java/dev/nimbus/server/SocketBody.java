package dev.nimbus.server;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.socket.NioSocket;
import io.helidon.webserver.http.ServerRequest;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.channels.SocketChannel;

/**
 * The socket a large request body can be read from directly, past Helidon.
 *
 * <p>Why: Helidon 4.5 reads a connection 8 KiB at a time into a buffer of its own and hands out each
 * read as a new array, which its entity stream copies once more, with no option for larger reads.
 * For a 1 GiB PUT that cost ~0.4 s of the server's ~3.5 s of CPU (the copies and the reads' kernel
 * work, the client's sending among it): read here into the caller's buffer, 3.05-3.22 s a GiB against
 * 3.51-3.58, 555 MB/s on average against 521 (bench/README.md, s3.sh).
 *
 * <p>Helidon's connection is reached through private fields, looked up once; where any is missing
 * (another Helidon version), {@link #take} always answers null and bodies are read through Helidon
 * as before (SocketBodyTest fails then, so an upgrade sees it). The socket is handed out only when
 * Helidon holds none of the body (its entity stream and its connection reader are both empty), on a
 * plain connection (no TLS). Helidon still expects the bytes read past it, so the connection must be
 * closed after the response.
 */
final class SocketBody {
    /** Bodies from this size on (a declared Content-Length, not chunked) are read from the socket. */
    static final long FROM = 64L << 20;

    private static final Field CURRENT_BUFFER = field("io.helidon.http.media.ReadableEntityBase$RequestingInputStream", "currentBuffer");
    private static final Field CONTEXT = field("io.helidon.webserver.http1.Http1ServerRequest", "ctx");
    private static final Field READER = field("io.helidon.webserver.ConnectionHandler", "reader");
    private static final Field SOCKET = field("io.helidon.webserver.ConnectionHandler", "socket");
    private static final Field HELIDON_SOCKET = field("io.helidon.webserver.ConnectionHandler", "helidonSocket");
    static final boolean AVAILABLE = CURRENT_BUFFER != null && CONTEXT != null && READER != null && SOCKET != null && HELIDON_SOCKET != null;

    private SocketBody() {}

    private static Field field(String className, String name) {
        try {
            Field f = Class.forName(className, false, SocketBody.class.getClassLoader()).getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The request's socket, if the rest of its body can be read from it now: nothing of it is buffered in
     * {@code entity} (the stream Helidon gave for it) or in the connection's reader; else null.
     */
    static SocketChannel take(ServerRequest req, InputStream entity) {
        if (!AVAILABLE || !CURRENT_BUFFER.getDeclaringClass().isInstance(entity) || !CONTEXT.getDeclaringClass().isInstance(req)) return null;
        try {
            Object connection = CONTEXT.get(req);
            if (!READER.getDeclaringClass().isInstance(connection) || HELIDON_SOCKET.get(connection).getClass() != NioSocket.class) return null;
            BufferData current = (BufferData) CURRENT_BUFFER.get(entity);
            if (current != null && current.available() > 0 || ((DataReader) READER.get(connection)).available() > 0) return null;
            SocketChannel socket = (SocketChannel) SOCKET.get(connection);
            return socket.isBlocking() ? socket : null;
        } catch (IllegalAccessException | RuntimeException e) {
            return null;
        }
    }
}
