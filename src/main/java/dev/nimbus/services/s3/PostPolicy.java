package dev.nimbus.services.s3;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The policy of a browser POST upload: a base64 JSON document with an expiration and conditions
 * that every form field must meet ({"bucket": ...}, ["eq", "$key", ...], ["starts-with", "$key", ...],
 * ["content-length-range", min, max]). Signatures are not verified, as elsewhere in Nimbus.
 */
final class PostPolicy {
    /** Fields a policy need not mention. */
    private static final Set<String> EXEMPT = Set.of("policy", "x-amz-signature", "signature", "awsaccesskeyid", "file", "x-amz-credential",
            "x-amz-algorithm", "x-amz-date", "x-amz-security-token");

    private PostPolicy() {}

    /** Checks the policy (null: none given); returns the content-length-range [min, max], or null. */
    static long[] check(String policy, String bucket, String key, Map<String, String> fields, Instant now) {
        if (policy == null) return null;
        JsonNode doc;
        try {
            doc = Values.JSON.readTree(Base64.getDecoder().decode(policy.trim()));
        } catch (IOException | IllegalArgumentException e) {
            throw new AwsException("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.", 400);
        }
        if (!doc.has("expiration")) throw new AwsException("InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.", 400);
        if (now.isAfter(Values.parseTimestamp(doc.get("expiration").asText()))) throw denied("Policy expired.");
        long[] range = null;
        Set<String> covered = new HashSet<>();
        for (JsonNode c : doc.path("conditions")) {
            if (c.isObject()) {
                var e = c.fields().next();
                String name = e.getKey().toLowerCase(Locale.ROOT);
                covered.add(name);
                if (!e.getValue().asText().equals(value(name, bucket, key, fields))) throw failed(c);
            } else if (c.isArray() && c.size() == 3) {
                String op = c.get(0).asText().toLowerCase(Locale.ROOT);
                if (op.equals("content-length-range")) {
                    range = new long[] {c.get(1).asLong(), c.get(2).asLong()};
                    continue;
                }
                String name = c.get(1).asText().replaceFirst("^\\$", "").toLowerCase(Locale.ROOT);
                covered.add(name);
                String actual = value(name, bucket, key, fields);
                String want = c.get(2).asText();
                boolean ok = switch (op) {
                    case "eq" -> want.equals(actual);
                    case "starts-with" -> actual != null && actual.startsWith(want);
                    default -> throw new AwsException("InvalidPolicyDocument", "Invalid Policy: Invalid Condition: " + c, 400);
                };
                if (!ok) throw failed(c);
            } else {
                throw new AwsException("InvalidPolicyDocument", "Invalid Policy: Invalid Condition: " + c, 400);
            }
        }
        for (String name : fields.keySet()) {
            if (!EXEMPT.contains(name) && !name.startsWith("x-ignore-") && !covered.contains(name)) {
                throw denied("Extra input fields: " + name);
            }
        }
        return range;
    }

    private static String value(String name, String bucket, String key, Map<String, String> fields) {
        if (name.equals("bucket")) return bucket;
        if (name.equals("key")) return key;
        return fields.get(name);
    }

    private static AwsException failed(JsonNode condition) {
        return denied("Policy Condition failed: " + condition);
    }

    private static AwsException denied(String why) {
        return new AwsException("AccessDenied", "Invalid according to Policy: " + why, 403);
    }
}
