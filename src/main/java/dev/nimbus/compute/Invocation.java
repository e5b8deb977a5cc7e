package dev.nimbus.compute;

import java.util.concurrent.CompletableFuture;

/**
 * One request to a function, handed to an environment through the runtime API. {@link #delivered}
 * completes when the runtime has taken the event (init is over, the timeout clock runs);
 * {@link #result} when it answered, failed, or the environment died.
 */
public final class Invocation {
    final String requestId;
    final byte[] event;
    final String clientContext;
    final String traceId;
    /** The ARN the caller named (an alias's, say), which the function's context reports; null: the environment's function ARN. */
    final String invokedArn;
    volatile long deadlineMillis;
    final CompletableFuture<Void> delivered = new CompletableFuture<>();
    final CompletableFuture<Result> result = new CompletableFuture<>();

    public Invocation(String requestId, byte[] event, String clientContext, String traceId) {
        this(requestId, event, clientContext, traceId, null);
    }

    public Invocation(String requestId, byte[] event, String clientContext, String traceId, String invokedArn) {
        this.requestId = requestId;
        this.event = event;
        this.clientContext = clientContext;
        this.traceId = traceId;
        this.invokedArn = invokedArn;
    }

    /** Ends the invocation with an error (first outcome wins) and releases anyone waiting for delivery. */
    void fail(Result r) {
        result.complete(r);
        delivered.complete(null);
    }

    /**
     * How an invocation ended. {@code functionError} is null on success, else "Unhandled" as the
     * X-Amz-Function-Error header says; {@code log} is the invocation's log (START to REPORT).
     */
    /** {@code logStream}: the environment's CloudWatch Logs stream, where {@code log} belongs. */
    public record Result(byte[] payload, String functionError, String log, String logStream) {
        Result(byte[] payload, String functionError) {
            this(payload, functionError, null, null);
        }

        Result withLog(String l, String stream) {
            return new Result(payload, functionError, l, stream);
        }
    }
}
