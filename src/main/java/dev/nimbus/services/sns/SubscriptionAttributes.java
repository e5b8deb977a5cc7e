package dev.nimbus.services.sns;

import static dev.nimbus.services.sns.SnsErrors.invalid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import java.util.Iterator;
import java.util.Map;

/** Validation of a subscription's settable attributes, with AWS's messages. */
final class SubscriptionAttributes {
    private SubscriptionAttributes() {}

    /**
     * The attributes as stored, or InvalidParameter.
     *
     * @param prefix what AWS puts before the reason: "Attributes Reason: " in Subscribe, nothing in SetSubscriptionAttributes
     */
    static ObjectNode validate(ObjectNode attrs, String protocol, String prefix) {
        ObjectNode out = Values.object();
        for (Iterator<Map.Entry<String, JsonNode>> it = attrs.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey(), value = e.getValue().asText();
            if (!SnsService.SUBSCRIPTION_ATTRIBUTES.contains(name)) throw invalid(prefix.isEmpty() ? "AttributeName" : prefix + "Unknown attribute " + name);
            switch (name) {
                case "RawMessageDelivery" -> {
                    if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                        throw invalid(prefix + "RawMessageDelivery: Invalid value [" + value + "]. Must be true or false.");
                    }
                    if (value.equalsIgnoreCase("true") && !Deliveries.supportsRaw(protocol)) {
                        throw invalid(prefix + "Delivery protocol [" + protocol + "] does not support raw message delivery.");
                    }
                    out.put(name, value.toLowerCase());
                }
                case "FilterPolicyScope" -> {
                    if (!value.equals("MessageAttributes") && !value.equals("MessageBody")) {
                        throw invalid(prefix + "FilterPolicyScope: Invalid value [" + value + "]. Please use either MessageBody or MessageAttributes");
                    }
                    out.put(name, value);
                }
                case "RedrivePolicy" -> {
                    JsonNode p = json(value, prefix, name);
                    String target = p.path("deadLetterTargetArn").asText("");
                    if (!target.startsWith("arn:aws:sqs:")) throw invalid(prefix + "RedrivePolicy: deadLetterTargetArn is missing or is not an SQS queue ARN");
                    out.put(name, value);
                }
                case "DeliveryPolicy", "ReplayPolicy" -> {
                    json(value, prefix, name);
                    out.put(name, value);
                }
                default -> out.put(name, value);
            }
        }
        if (out.has("FilterPolicy")) {
            boolean body = "MessageBody".equals(out.path("FilterPolicyScope").asText());
            try {
                FilterPolicy.parse(out.get("FilterPolicy").asText(), body);
            } catch (FilterPolicy.InvalidException e) {
                if (e.getMessage().startsWith("Filter policy scope")) throw invalid(e.getMessage());
                throw invalid(prefix + "FilterPolicy: " + e.getMessage());
            }
            if (!out.has("FilterPolicyScope")) out.put("FilterPolicyScope", "MessageAttributes");
        }
        return out;
    }

    private static JsonNode json(String value, String prefix, String name) {
        try {
            JsonNode n = Values.JSON.readTree(value);
            if (n != null && n.isObject()) return n;
        } catch (Exception e) {
            // answered below
        }
        throw invalid(prefix + name + ": failed to parse JSON.");
    }

    /** The subscription's compiled filter policy, or null when it has none. */
    static FilterPolicy filter(JsonNode attrs) {
        String policy = attrs.path("FilterPolicy").asText("");
        if (policy.isEmpty()) return null;
        return FilterPolicy.parse(policy, "MessageBody".equals(attrs.path("FilterPolicyScope").asText()));
    }
}
