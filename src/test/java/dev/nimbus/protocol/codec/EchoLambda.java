package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import java.time.Instant;

/**
 * A test-only Lambda operation that transforms its input, so that rest-json timestamps have to
 * survive a round trip through the real SDK. Only operations the built-in Lambda service does not
 * implement are echoed here; the built-in ones are exercised for real (labels, query, nested JSON
 * and blobs by ListVersionsByFunction and PublishLayerVersion in RestJsonCodecTest; Invoke's
 * headers and blob payload in dev.nimbus.services.lambda).
 */
final class EchoLambda implements AwsService {
    @Override
    public String modelName() {
        return "lambda";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateEventSourceMapping", this::createEventSourceMapping);
    }

    private JsonNode createEventSourceMapping(RequestContext ctx, ObjectNode in) {
        Instant start = Values.instant(in.get("StartingPositionTimestamp"));
        return Values.object()
                .put("UUID", "2d3c0a7e-0000-4000-8000-000000000001")
                .put("BatchSize", Values.integer(in, "BatchSize", 10))
                .put("FunctionArn", ctx.arn("lambda", "function:" + Values.text(in, "FunctionName")))
                .set("LastModified", Values.timestamp(start.plusSeconds(86_400)));
    }
}
