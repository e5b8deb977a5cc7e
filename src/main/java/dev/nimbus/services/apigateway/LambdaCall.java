package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Identity;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.Operations;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Lambda integrations: the registered lambda.Invoke operation, called as the API's owner, bounded by
 * the integration's timeout (the function may run on after API Gateway has given up, as in AWS).
 */
final class LambdaCall {
    /** The function's answer: its payload, and the error kind when it failed (Unhandled). */
    record Result(byte[] payload, String functionError) {}

    private final Operations ops;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    LambdaCall(Operations ops) {
        this.ops = ops;
    }

    /**
     * Invokes the function an integration URI names: a function ARN, or API Gateway's
     * {@code arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations}.
     * Lambda's own errors (no such function) are thrown as they are.
     */
    Result invoke(String account, String region, String uri, byte[] event, int timeoutMillis) throws TimeoutException {
        String function = functionOf(uri);
        String[] arn = function.split(":");
        String fnRegion = arn.length > 3 && function.startsWith("arn:") ? arn[3] : region;
        ObjectNode in = Values.object().put("FunctionName", function);
        in.set("Payload", Values.NODES.binaryNode(event));
        RequestContext ctx = new RequestContext(Values.uuid(),
                new Identity(account, "arn:aws:iam::" + account + ":root", account, null), fnRegion, null);
        Operations.Handler handler = ops.handler("lambda", "Invoke");
        Future<JsonNode> call = threads.submit(() -> handler.handle(ctx, in));
        JsonNode out;
        try {
            out = call.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
        byte[] payload;
        try {
            payload = out.path("Payload").binaryValue();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new Result(payload == null ? new byte[0] : payload, out.hasNonNull("FunctionError") ? out.get("FunctionError").asText() : null);
    }

    static String functionOf(String uri) {
        int start = uri.indexOf("/functions/");
        if (start < 0) return uri;
        String rest = uri.substring(start + "/functions/".length());
        int end = rest.indexOf("/invocations");
        return end < 0 ? rest : rest.substring(0, end);
    }
}
