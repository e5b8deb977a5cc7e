package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;

/**
 * Test-only Lambda operations that echo or transform their input, so that rest-json bindings
 * (labels, query, status code, JSON body with nested shapes, blobs and timestamps) have to survive
 * a round trip through the real SDK. Only operations the built-in Lambda service does not
 * implement are echoed here; the built-in ones are exercised for real (Invoke's headers and blob
 * payload in dev.nimbus.services.lambda).
 */
final class EchoLambda implements AwsService {
    @Override
    public String modelName() {
        return "lambda";
    }

    @Override
    public void register(Operations ops) {
        ops.add("ListVersionsByFunction", this::listVersions);
        ops.add("PublishLayerVersion", this::publishLayerVersion);
        ops.add("CreateEventSourceMapping", this::createEventSourceMapping);
    }

    private JsonNode listVersions(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "FunctionName");
        String marker = Values.text(in, "Marker", "start");
        int max = Values.integer(in, "MaxItems", 2);
        ObjectNode out = Values.object();
        ArrayNode versions = out.putArray("Versions");
        for (int i = 0; i < max; i++) {
            ObjectNode config = versions.addObject();
            config.put("FunctionName", name);
            config.put("FunctionArn", ctx.arn("lambda", "function:" + name + ":" + marker + "-" + i));
            config.put("Version", marker + "-" + i);
            config.put("MemorySize", 256);
            config.putArray("Architectures").add("arm64");
            config.putObject("Environment").putObject("Variables").put("STAGE", "test");
        }
        out.put("NextMarker", "after-" + marker);
        return out;
    }

    private JsonNode publishLayerVersion(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "LayerName");
        byte[] zip = bytes(in.get("Content").get("ZipFile"));
        ObjectNode out = Values.object();
        out.putObject("Content").put("Location", "https://example.invalid/" + name + ".zip")
                .put("CodeSha256", Base64.getEncoder().encodeToString(sha256(zip))).put("CodeSize", zip.length);
        out.put("LayerArn", ctx.arn("lambda", "layer:" + name));
        out.put("LayerVersionArn", ctx.arn("lambda", "layer:" + name + ":1"));
        out.put("Description", Values.text(in, "Description", ""));
        out.put("CreatedDate", "2024-05-01T12:00:00.000+0000");
        out.put("Version", 1);
        if (in.has("CompatibleRuntimes")) out.set("CompatibleRuntimes", in.get("CompatibleRuntimes"));
        if (in.has("CompatibleArchitectures")) out.set("CompatibleArchitectures", in.get("CompatibleArchitectures"));
        return out;
    }

    private JsonNode createEventSourceMapping(RequestContext ctx, ObjectNode in) {
        Instant start = Values.instant(in.get("StartingPositionTimestamp"));
        return Values.object()
                .put("UUID", "2d3c0a7e-0000-4000-8000-000000000001")
                .put("BatchSize", Values.integer(in, "BatchSize", 10))
                .put("FunctionArn", ctx.arn("lambda", "function:" + Values.text(in, "FunctionName")))
                .set("LastModified", Values.timestamp(start.plusSeconds(86_400)));
    }

    private static byte[] bytes(JsonNode blob) {
        try {
            return blob.binaryValue();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
