package dev.nimbus.services.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The AWS managed policies tutorials attach by ARN (arn:aws:iam::aws:policy/...): every account
 * sees them without creating them. Read from resources/iam/aws-managed-policies.json.
 */
final class AwsManagedPolicies {
    static final String ACCOUNT = "aws";

    /** by ARN, in ARN order; values have the same layout as customer managed policy records */
    private final Map<String, ObjectNode> byArn;

    AwsManagedPolicies() {
        Map<String, ObjectNode> policies = new TreeMap<>();
        try (InputStream in = AwsManagedPolicies.class.getResourceAsStream("/iam/aws-managed-policies.json")) {
            for (JsonNode p : Values.JSON.readTree(in).path("policies")) {
                ObjectNode record = record(p);
                policies.put(record.get("Arn").asText(), record);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the AWS managed policy catalog", e);
        }
        this.byArn = Collections.unmodifiableMap(policies);
    }

    private static ObjectNode record(JsonNode p) {
        String name = p.path("name").asText();
        String path = p.path("path").asText();
        String arn = Iam.arn(ACCOUNT, "policy", path, name);
        String version = p.path("version").asText();
        ObjectNode r = Values.object()
                .put("PolicyName", name)
                .put("PolicyId", Ids.stableId(Ids.POLICY, arn))
                .put("Arn", arn)
                .put("Path", path)
                .put("DefaultVersionId", version)
                .put("Description", p.path("description").asText())
                .put("IsAttachable", true);
        r.set("CreateDate", Values.timestamp(Instant.parse(p.path("created").asText())));
        r.set("UpdateDate", Values.timestamp(Instant.parse(p.path("updated").asText())));
        ObjectNode v = r.putArray("Versions").addObject()
                .put("VersionId", version)
                .put("Document", p.path("document").toString())
                .put("IsDefaultVersion", true);
        v.set("CreateDate", r.get("UpdateDate"));
        return r;
    }

    ObjectNode get(String arn) {
        return byArn.get(arn);
    }

    Collection<ObjectNode> all() {
        return byArn.values();
    }
}
