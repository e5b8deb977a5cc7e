package dev.nimbus.services.apigateway;

import dev.nimbus.services.WebSocketDoor;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * WebSocket APIs' open connections, by connection id. They live in memory only: a connection is a
 * socket, and a restart ends it as it ends any socket.
 */
final class Connections {
    /** One client connection; {@code peer} is set once the handshake is done. */
    static final class Connection {
        final String id;
        final String apiId;
        final String stage;
        final String domainName;
        final String sourceIp;
        final String userAgent;
        final Instant connectedAt;
        volatile Instant lastActiveAt;
        volatile WebSocketDoor.Peer peer;

        Connection(String id, String apiId, String stage, String domainName, String sourceIp, String userAgent, Instant connectedAt) {
            this.id = id;
            this.apiId = apiId;
            this.stage = stage;
            this.domainName = domainName;
            this.sourceIp = sourceIp;
            this.userAgent = userAgent;
            this.connectedAt = connectedAt;
            this.lastActiveAt = connectedAt;
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private final Map<String, Connection> open = new ConcurrentHashMap<>();

    /** An id shaped like API Gateway's connection, request and message ids: 10 random bytes in URL-safe base64 ("L0SM9cOFvHcCIh_="), so that it is one path segment. */
    static String id() {
        byte[] b = new byte[10];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().encodeToString(b);
    }

    void add(Connection c) {
        open.put(c.id, c);
    }

    /** The open connection of this API and stage with this id, or null (gone, or never was). */
    Connection get(String apiId, String stage, String id) {
        Connection c = open.get(id);
        return c == null || !c.apiId.equals(apiId) || !c.stage.equals(stage) ? null : c;
    }

    void remove(Connection c) {
        open.remove(c.id, c);
    }

    /** Closes every connection (1001, going away): the server is stopping. */
    void closeAll() {
        for (Connection c : open.values()) {
            WebSocketDoor.Peer p = c.peer;
            if (p != null) p.close(1001, "Going away");
        }
    }
}
