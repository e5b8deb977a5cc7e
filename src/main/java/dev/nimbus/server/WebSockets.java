package dev.nimbus.server;

import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.services.WebSocketDoor;
import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpPrologue;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.spi.Http1Upgrader;
import io.helidon.webserver.spi.ServerConnection;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * WebSocket (RFC 6455) on the HTTP/1.1 listener: the handshake and the framing, over Helidon's own
 * upgrade SPI. helidon-webserver-websocket is not on Maven Central for 4.5 (its last release is 4.3.1,
 * built against that webserver's internals), so the little of the protocol a gateway needs is here:
 * whole messages in, unfragmented frames out, ping/pong, the closing handshake.
 * What the messages mean is the {@link WebSocketDoor}'s business.
 */
final class WebSockets implements Http1Upgrader {
    private static final Logger LOG = Logger.getLogger(WebSockets.class.getName());
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    /** API Gateway's limit on one message (frames are reassembled first); larger ones close the connection with 1009. */
    static final int MAX_MESSAGE = 128 * 1024;
    /** API Gateway closes a WebSocket connection idle for 10 minutes; until then the server's idle timeout does not apply. */
    private static final Duration IDLE_LIMIT = Duration.ofMinutes(10);

    private final WebSocketDoor door;

    WebSockets(WebSocketDoor door) {
        this.door = door;
    }

    @Override
    public String supportedProtocol() {
        return "websocket";
    }

    /** The connection after the handshake, or null to serve the request as plain HTTP (not a WebSocket door's, or not a valid handshake). */
    @Override
    public ServerConnection upgrade(ConnectionContext ctx, HttpPrologue prologue, WritableHeaders<?> headers) {
        String key = headers.first(HeaderNames.create("Sec-WebSocket-Key")).orElse(null);
        if (!prologue.method().text().equals("GET") || key == null
                || !"13".equals(headers.first(HeaderNames.create("Sec-WebSocket-Version")).orElse(null))) {
            return null;
        }
        List<Map.Entry<String, String>> all = new ArrayList<>();
        headers.forEach(h -> all.add(new AbstractMap.SimpleImmutableEntry<>(h.name(), h.values())));
        HttpRequest request = new HttpRequest("GET", prologue.uriPath().rawPath(), prologue.query().rawValue(),
                name -> headers.first(HeaderNames.create(name)).orElse(null), all, new ByteArrayInputStream(new byte[0]), 0, 0);
        request.sourceIp(ctx.remotePeer()::host);
        WebSocketDoor.Answer answer = door.open(request);
        if (answer == null) return null;
        if (answer.session() == null) {
            write(ctx, response(answer.refusal()));
            return new Refused();
        }
        String accept;
        try {
            accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        write(ctx, ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        return new Connection(ctx, answer.session());
    }

    /** A refusal as HTTP/1.1 bytes; the connection closes after it. */
    private static byte[] response(HttpResponse res) {
        byte[] body = res.body == null ? new byte[0] : res.body;
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(res.status).append(' ').append(reason(res.status)).append("\r\n");
        for (String[] h : res.headers) head.append(h[0]).append(": ").append(h[1]).append("\r\n");
        head.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 504 -> "Gateway Timeout";
            default -> "Status";
        };
    }

    private static void write(ConnectionContext ctx, byte[] bytes) {
        ctx.dataWriter().writeNow(BufferData.create(bytes));
    }

    /** A refused upgrade: its response is written, and the connection ends. */
    private static final class Refused implements ServerConnection {
        @Override
        public void handle(Semaphore requestSemaphore) {
        }

        @Override
        public Duration idleTime() {
            return Duration.ZERO;
        }

        @Override
        public void close(boolean interrupt) {
        }
    }

    /** One open WebSocket: reads frames on Helidon's connection thread, writes from any thread. */
    private static final class Connection implements ServerConnection, WebSocketDoor.Peer {
        private final ConnectionContext ctx;
        private final WebSocketDoor.Session session;
        private volatile long lastActive = System.nanoTime();
        private boolean closeSent;
        private volatile boolean closed;

        Connection(ConnectionContext ctx, WebSocketDoor.Session session) {
            this.ctx = ctx;
            this.session = session;
        }

        @Override
        public void handle(Semaphore requestSemaphore) {
            int code = 1006;
            String reason = "Going away";
            try {
                session.opened(this);
                CloseReason end = read();
                code = end.code;
                reason = end.getMessage();
            } catch (CloseReason c) {
                code = c.code;
                reason = c.getMessage();
                close(code, reason);
            } catch (RuntimeException e) {
                // The socket went away (DataReader reports it unchecked), or the server is stopping.
                if (!(e instanceof DataReader.InsufficientDataAvailableException)) LOG.log(Level.FINE, "WebSocket connection ended", e);
            } finally {
                closed = true;
                session.closed(code, reason);
            }
        }

        /** Reads messages until the client's close frame; returns its status code (1005 when it had none) and reason. */
        private CloseReason read() {
            DataReader in = ctx.dataReader();
            ByteArrayOutputStream message = new ByteArrayOutputStream();
            int messageOpcode = -1;
            while (true) {
                int b0 = in.read() & 0xFF;
                int b1 = in.read() & 0xFF;
                lastActive = System.nanoTime();
                boolean fin = (b0 & 0x80) != 0;
                int opcode = b0 & 0x0F;
                if ((b1 & 0x80) == 0) throw new CloseReason(1002, "Client frames must be masked");
                // No extension is negotiated, so no reserved bit may be set; control frames are short and whole.
                if ((b0 & 0x70) != 0) throw new CloseReason(1002, "Reserved bits set");
                if (opcode >= 0x8 && (!fin || (b1 & 0x7F) > 125)) throw new CloseReason(1002, "Control frames must be whole and short");
                long length = b1 & 0x7F;
                if (length == 126) length = ((in.read() & 0xFF) << 8) | (in.read() & 0xFF);
                else if (length == 127) length = BufferData.create(in.readBytes(8)).readLong();
                if (length > MAX_MESSAGE || message.size() + length > MAX_MESSAGE) throw new CloseReason(1009, "Message too big");
                byte[] mask = in.readBytes(4);
                byte[] payload = in.readBytes((int) length);
                for (int i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
                switch (opcode) {
                    case 0x8 -> {
                        int code = payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
                        synchronized (this) {
                            if (!closeSent) send(0x8, code == 1005 ? new byte[0] : java.util.Arrays.copyOf(payload, 2));
                        }
                        // API Gateway's words for a close frame without a status
                        return new CloseReason(code, code == 1005 ? "Client-side close frame status not set"
                                : new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8));
                    }
                    case 0x9 -> send(0xA, payload);
                    case 0xA -> { }
                    case 0x0, 0x1, 0x2 -> {
                        if (opcode != 0) {
                            if (messageOpcode >= 0) throw new CloseReason(1002, "Expected a continuation frame");
                            messageOpcode = opcode;
                        } else if (messageOpcode < 0) {
                            throw new CloseReason(1002, "Unexpected continuation frame");
                        }
                        message.writeBytes(payload);
                        if (fin) {
                            byte[] whole = message.toByteArray();
                            message.reset();
                            String text = messageOpcode == 0x1 ? utf8(whole) : null;
                            try {
                                session.message(text, text == null ? whole : null);
                            } catch (RuntimeException e) {
                                // A bug behind the door: the client sees the connection end as a server error would end it.
                                LOG.log(Level.WARNING, "WebSocket message handling failed", e);
                                throw new CloseReason(1011, "Internal server error");
                            }
                            messageOpcode = -1;
                        }
                    }
                    default -> throw new CloseReason(1002, "Unknown opcode " + opcode);
                }
            }
        }

        private static String utf8(byte[] bytes) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new CloseReason(1007, "Invalid UTF-8 in a text message");
            }
        }

        @Override
        public boolean sendText(String text) {
            synchronized (this) {
                if (closed || closeSent) return false;
                try {
                    send(0x1, text.getBytes(StandardCharsets.UTF_8));
                    return true;
                } catch (RuntimeException e) {
                    closed = true; // the socket is gone
                    return false;
                }
            }
        }

        @Override
        public void close(int code, String reason) {
            synchronized (this) {
                if (closed || closeSent) return;
                byte[] text = reason.getBytes(StandardCharsets.UTF_8);
                byte[] payload = new byte[2 + Math.min(text.length, 123)];
                payload[0] = (byte) (code >> 8);
                payload[1] = (byte) code;
                System.arraycopy(text, 0, payload, 2, payload.length - 2);
                try {
                    send(0x8, payload);
                } catch (RuntimeException e) {
                    closed = true;
                }
                closeSent = true;
            }
        }

        /** One unfragmented, unmasked frame (servers never mask). Callers hold the lock: frames must not interleave. */
        private void send(int opcode, byte[] payload) {
            ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 10);
            frame.write(0x80 | opcode);
            if (payload.length < 126) {
                frame.write(payload.length);
            } else if (payload.length <= 0xFFFF) {
                frame.write(126);
                frame.write(payload.length >> 8);
                frame.write(payload.length);
            } else {
                frame.write(127);
                for (int shift = 56; shift >= 0; shift -= 8) frame.write((int) ((long) payload.length >> shift));
            }
            frame.writeBytes(payload);
            synchronized (this) {
                ctx.dataWriter().writeNow(BufferData.create(frame.toByteArray()));
            }
        }

        @Override
        public Duration idleTime() {
            Duration idle = Duration.ofNanos(System.nanoTime() - lastActive);
            return idle.compareTo(IDLE_LIMIT) < 0 ? Duration.ZERO : idle;
        }

        /** The server is stopping: say so (1001 going away); Helidon then closes the socket, which ends the read loop. */
        @Override
        public void close(boolean interrupt) {
            close(1001, "Going away");
        }
    }

    /** A protocol violation by the client: the connection closes with this status. */
    private static final class CloseReason extends RuntimeException {
        final int code;

        CloseReason(int code, String reason) {
            super(reason, null, false, false);
            this.code = code;
        }
    }
}
