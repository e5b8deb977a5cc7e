package dev.nimbus.services;

import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;

/**
 * A service's WebSocket entrance (API Gateway WebSocket APIs), beside its {@link FrontDoor}: the
 * server asks it about every WebSocket upgrade request before the handshake is answered, so that the
 * service can refuse the connection with a plain HTTP response (a $connect route saying no).
 * Framing stays in the server; the service sees whole messages.
 */
public interface WebSocketDoor {
    /** The client end of an accepted connection; safe to use from any thread. */
    interface Peer {
        /** Sends one text message; false when the connection is already closed. */
        boolean sendText(String text);

        /** Starts the closing handshake with this status code and reason. */
        void close(int code, String reason);
    }

    /** One accepted connection, as the service handles it. */
    interface Session {
        /** The handshake is done: the peer may be written to from now on. */
        void opened(Peer peer);

        /** A whole message from the client: text, or binary (then {@code text} is null and {@code binary} is set). */
        void message(String text, byte[] binary);

        /** The connection has ended, with the close frame's status code and reason (1006 when it just dropped). */
        void closed(int code, String reason);
    }

    /** Either a session (the connection is accepted) or the HTTP response that refuses it. */
    record Answer(Session session, HttpResponse refusal) {}

    /**
     * The answer to an upgrade request (its body is empty), or null when the request is not for this
     * door: the server then serves it as plain HTTP.
     */
    Answer open(HttpRequest request);
}
