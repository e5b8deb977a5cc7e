package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.Values;
import java.util.List;
import java.util.Map;

/** Object tags: from the x-amz-tagging header (URL query form) or a Tagging document, kept as a key -> value object. */
final class Tagging {
    private Tagging() {}

    static ObjectNode parseHeader(String header) {
        ObjectNode tags = Values.object();
        for (Map.Entry<String, List<String>> e : HttpRequest.parseForm(header).entrySet()) tags.put(e.getKey(), e.getValue().get(0));
        check(tags);
        return tags;
    }

    static ObjectNode fromTagSet(JsonNode tagging) {
        ObjectNode tags = Values.object();
        for (JsonNode t : tagging.path("TagSet")) {
            String key = t.path("Key").asText();
            if (tags.has(key)) throw S3Errors.invalidArgument("Cannot provide multiple Tags with the same key", "x-amz-tagging", key);
            tags.put(key, t.path("Value").asText());
        }
        check(tags);
        return tags;
    }

    static ObjectNode toTagSet(JsonNode tags) {
        ObjectNode out = Values.object();
        var set = out.putArray("TagSet");
        if (tags != null) tags.fields().forEachRemaining(e -> set.addObject().put("Key", e.getKey()).put("Value", e.getValue().asText()));
        return out;
    }

    private static void check(ObjectNode tags) {
        if (tags.size() > 10) throw new dev.nimbus.protocol.AwsException("BadRequest", "Object tags cannot be greater than 10", 400);
        tags.fields().forEachRemaining(e -> {
            if (e.getKey().length() > 128 || e.getKey().isEmpty()) throw S3Errors.invalidArgument("The TagKey you have provided is invalid", "TagKey", e.getKey());
            if (e.getValue().asText().length() > 256) throw S3Errors.invalidArgument("The TagValue you have provided is invalid", "TagValue", e.getValue().asText());
        });
    }
}
