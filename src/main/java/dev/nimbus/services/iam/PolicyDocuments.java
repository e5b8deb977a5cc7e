package dev.nimbus.services.iam;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.nio.charset.StandardCharsets;

/**
 * Policy documents: the structural checks IAM makes before it stores one (with IAM's messages),
 * and the URL encoding IAM applies when it returns one. Evaluation is not done here.
 */
public final class PolicyDocuments {
    /** Which rules apply: identity (permissions) policies name resources, trust policies name principals. */
    public enum Kind { IDENTITY, TRUST }

    private static final ObjectReader STRICT = Values.JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private PolicyDocuments() {}

    /** Throws MalformedPolicyDocument when the document is not a policy IAM would accept. */
    public static JsonNode validate(String document, Kind kind) {
        JsonNode doc;
        try {
            doc = STRICT.readTree(document);
        } catch (JsonProcessingException e) {
            throw malformed("This policy contains invalid Json");
        }
        if (doc == null || !doc.isObject()) throw malformed("This policy contains invalid Json");
        JsonNode version = doc.get("Version");
        if (version != null && !(version.isTextual() && (version.asText().equals("2012-10-17") || version.asText().equals("2008-10-17")))) {
            throw malformed("The policy failed legacy parsing");
        }
        JsonNode statements = doc.get("Statement");
        if (statements == null || !(statements.isObject() || statements.isArray() && !statements.isEmpty())) {
            throw malformed("Syntax errors in policy.");
        }
        for (JsonNode st : statements.isArray() ? statements : Values.array().add(statements)) statement(st, kind);
        return doc;
    }

    private static void statement(JsonNode st, Kind kind) {
        if (!st.isObject()) throw malformed("Syntax errors in policy.");
        JsonNode effect = st.get("Effect");
        if (effect == null) throw malformed("Missing required field Effect");
        if (!effect.isTextual() || !(effect.asText().equals("Allow") || effect.asText().equals("Deny"))) {
            throw malformed("Syntax errors in policy.");
        }
        JsonNode actions = st.has("Action") ? st.get("Action") : st.get("NotAction");
        if (actions == null) throw malformed("Policy statement must contain actions.");
        for (JsonNode a : actions.isArray() ? actions : Values.array().add(actions)) {
            String text = a.asText();
            if (!a.isTextual() || !text.equals("*") && text.indexOf(':') <= 0) {
                throw malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
            }
        }
        boolean principal = st.has("Principal") || st.has("NotPrincipal");
        boolean resource = st.has("Resource") || st.has("NotResource");
        if (kind == Kind.TRUST) {
            if (resource) throw malformed("Has prohibited field Resource");
            if (!principal) throw malformed("Missing required field Principal");
        } else {
            if (principal) throw malformed("Policy document should not specify a principal.");
            if (!resource) throw malformed("Policy statement must contain resources.");
        }
    }

    public static AwsException malformed(String message) {
        return new AwsException("MalformedPolicyDocument", message, 400);
    }

    /** RFC 3986 percent-encoding, as IAM returns documents (the AWS CLI decodes it; SDKs leave it to the caller). */
    public static String urlEncode(String document) {
        byte[] bytes = document.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }
}
