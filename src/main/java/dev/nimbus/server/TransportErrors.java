package dev.nimbus.server;

import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.HttpResponse;
import dev.nimbus.protocol.Values;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;

/**
 * Requests that fail below the protocol layer (not HTTP at all, a header without a colon, a request
 * line or header section over the limits, an unsupported HTTP version) are answered by Helidon
 * before any route runs. This gives those answers the shape of every other Nimbus error: an AWS
 * error body, in the family the client most likely speaks, with a request id. Helidon closes the
 * connection after them.
 */
final class TransportErrors implements DirectHandler {
    private TransportErrors() {}

    static DirectHandlers handlers() {
        DirectHandlers.Builder b = DirectHandlers.builder();
        TransportErrors handler = new TransportErrors();
        for (EventType type : EventType.values()) b.addHandler(type, handler);
        return b.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status status, ServerResponseHeaders headers,
                                    String message) {
        String requestId = Values.uuid();
        HttpResponse error = Dispatcher.unrouted(describe(status.code()), name -> request.headers().first(HeaderNames.create(name)).orElse(null),
                requestId);
        TransportResponse.Builder res = TransportResponse.builder().status(status).headers(headers).keepAlive(false);
        res.header(NimbusServer.REQUEST_ID, requestId);
        res.header(NimbusServer.S3_REQUEST_ID, requestId);
        for (String[] h : error.headers) res.header(HeaderNames.create(h[0]), h[1]);
        return res.entity(error.body).build();
    }

    /** AWS's common errors for HTTP-level problems (MalformedHttpRequestException, RequestEntityTooLargeException, ...). */
    private static AwsException describe(int status) {
        return switch (status) {
            case 408 -> new AwsException("RequestTimeoutException", "The request was not received in time", 408);
            case 413 -> new AwsException("RequestEntityTooLargeException", "The request is larger than this server accepts", 413);
            case 414 -> new AwsException("MalformedHttpRequestException", "The request line is longer than this server accepts", 414);
            case 431 -> new AwsException("MalformedHttpRequestException", "The request headers are larger than this server accepts", 431);
            case 505 -> new AwsException("MalformedHttpRequestException", "Only HTTP/1.1 is supported", 505, true);
            default -> status >= 500 ? AwsException.internal("Internal error")
                    : new AwsException("MalformedHttpRequestException", "The request is not valid HTTP/1.1 (request line or headers malformed or too large)",
                    status);
        };
    }
}
