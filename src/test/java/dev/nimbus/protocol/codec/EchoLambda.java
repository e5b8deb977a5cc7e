package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;

/**
 * Test-only Lambda operations that echo or transform their input, so that every rest-json binding
 * (labels, query, headers, status code, blob payload, JSON body with nested shapes, blobs and
 * timestamps, modeled errors) has to survive a round trip through the real SDK.
 */
final class EchoLambda implements AwsService {
    @Override
    public String modelName() {
        return "lambda";
    }

    @Override
    public void register(Operations ops) {
        ops.add("Invoke", this::invoke);
        ops.add("GetFunction", this::getFunction);
        ops.add("ListFunctions", this::listFunctions);
        ops.add("CreateFunction", this::createFunction);
        ops.add("DeleteFunction", (ctx, in) -> Values.object().put("StatusCode", 204));
        ops.add("CreateEventSourceMapping", this::createEventSourceMapping);
    }

    private JsonNode invoke(RequestContext ctx, ObjectNode in) {
        ObjectNode out = Values.object();
        String type = Values.text(in, "InvocationType", "RequestResponse");
        out.put("StatusCode", switch (type) {
            case "Event" -> 202;
            case "DryRun" -> 204;
            default -> 200;
        });
        out.put("ExecutedVersion", Values.text(in, "Qualifier", "$LATEST"));
        if ("Tail".equals(Values.text(in, "LogType", "None"))) {
            String log = "invoked " + Values.text(in, "FunctionName") + " with context " + Values.text(in, "ClientContext", "none");
            out.put("LogResult", Base64.getEncoder().encodeToString(log.getBytes(StandardCharsets.UTF_8)));
        }
        JsonNode payload = in.get("Payload");
        if (type.equals("RequestResponse") && payload != null) {
            String text = new String(bytes(payload), StandardCharsets.UTF_8);
            if (text.contains("\"fail\"")) out.put("FunctionError", "Unhandled");
            out.set("Payload", Values.NODES.binaryNode(("{\"echo\":" + text + "}").getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private JsonNode getFunction(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "FunctionName");
        if (name.startsWith("missing")) {
            throw new AwsException("ResourceNotFoundException", "Function not found: " + ctx.arn("lambda", "function:" + name), 404);
        }
        ObjectNode out = Values.object();
        ObjectNode config = out.putObject("Configuration");
        config.put("FunctionName", name);
        config.put("FunctionArn", ctx.arn("lambda", "function:" + name));
        config.put("Version", Values.text(in, "Qualifier", "$LATEST"));
        config.put("MemorySize", 256);
        config.putArray("Architectures").add("arm64");
        config.putObject("Environment").putObject("Variables").put("STAGE", "test");
        out.putObject("Code").put("RepositoryType", "S3").put("Location", "https://example.invalid/" + name + ".zip");
        out.putObject("Tags").put("team", "nimbus");
        return out;
    }

    private JsonNode listFunctions(RequestContext ctx, ObjectNode in) {
        String marker = Values.text(in, "Marker", "start");
        int max = Values.integer(in, "MaxItems", 2);
        ObjectNode out = Values.object();
        ArrayNode functions = out.putArray("Functions");
        for (int i = 0; i < max; i++) functions.addObject().put("FunctionName", marker + "-" + i);
        out.put("NextMarker", "after-" + marker);
        return out;
    }

    private JsonNode createFunction(RequestContext ctx, ObjectNode in) {
        String name = Values.text(in, "FunctionName");
        JsonNode code = in.get("Code");
        byte[] zip = bytes(code.get("ZipFile"));
        ObjectNode out = Values.object();
        out.put("FunctionName", name);
        out.put("FunctionArn", ctx.arn("lambda", "function:" + name));
        out.put("Role", Values.text(in, "Role"));
        out.put("Runtime", Values.text(in, "Runtime", null));
        out.put("Handler", Values.text(in, "Handler", null));
        out.put("CodeSize", zip.length);
        out.put("CodeSha256", Base64.getEncoder().encodeToString(sha256(zip)));
        out.put("MemorySize", Values.integer(in, "MemorySize", 128));
        if (in.has("Environment")) out.set("Environment", in.get("Environment"));
        if (in.has("Architectures")) out.set("Architectures", in.get("Architectures"));
        if (in.has("Layers")) {
            ArrayNode layers = out.putArray("Layers");
            for (JsonNode arn : in.get("Layers")) layers.addObject().put("Arn", arn.asText()).put("CodeSize", 1);
        }
        out.put("LastModified", "2024-05-01T12:00:00.000+0000");
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
