package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The JSON Schema (draft 4) checks request validators apply to a body: type, enum, required,
 * properties, additionalProperties, items, lengths, bounds, pattern, and $ref to the schema's own
 * definitions or to another model of the API.
 */
final class JsonSchema {
    private JsonSchema() {}

    /** The first violation found ("instance.name: ..."), or null when the value conforms. */
    static String check(JsonNode schema, JsonNode value, Function<String, JsonNode> models) {
        return check(schema, schema, value, "instance", models, 0);
    }

    private static String check(JsonNode root, JsonNode schema, JsonNode v, String at, Function<String, JsonNode> models, int depth) {
        if (depth > 64) return at + ": schema nesting too deep";
        if (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            JsonNode target;
            JsonNode targetRoot = root;
            if (ref.startsWith("#/definitions/")) {
                target = root.path("definitions").get(ref.substring("#/definitions/".length()));
            } else {
                target = models.apply(ref.substring(ref.lastIndexOf('/') + 1));
                targetRoot = target;
            }
            if (target == null) return at + ": unresolvable $ref " + ref;
            return check(targetRoot, target, v, at, models, depth + 1);
        }
        JsonNode type = schema.get("type");
        if (type != null) {
            boolean ok = false;
            for (JsonNode t : type.isArray() ? type : java.util.List.of(type)) ok |= is(t.asText(), v);
            if (!ok) return at + ": instance type (" + kind(v) + ") does not match any allowed primitive type (allowed: " + type + ")";
        }
        JsonNode en = schema.get("enum");
        if (en != null) {
            boolean ok = false;
            for (JsonNode e : en) ok |= e.equals(v);
            if (!ok) return at + ": instance value (" + v + ") not found in enum";
        }
        if (v.isObject()) {
            for (JsonNode r : schema.path("required")) if (!v.has(r.asText())) return at + ": object has missing required properties ([\"" + r.asText() + "\"])";
            JsonNode props = schema.path("properties");
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                JsonNode p = props.get(f.getKey());
                JsonNode additional = schema.get("additionalProperties");
                if (p == null && additional != null) {
                    if (additional.isBoolean() && !additional.asBoolean()) return at + ": object instance has properties which are not allowed by the schema: [\"" + f.getKey() + "\"]";
                    if (additional.isObject()) p = additional;
                }
                if (p != null) {
                    String e = check(root, p, f.getValue(), at + "." + f.getKey(), models, depth + 1);
                    if (e != null) return e;
                }
            }
        }
        if (v.isArray()) {
            if (schema.has("minItems") && v.size() < schema.get("minItems").asInt()) return at + ": array is too short";
            if (schema.has("maxItems") && v.size() > schema.get("maxItems").asInt()) return at + ": array is too long";
            JsonNode items = schema.get("items");
            if (items != null && items.isObject()) {
                for (int i = 0; i < v.size(); i++) {
                    String e = check(root, items, v.get(i), at + "[" + i + "]", models, depth + 1);
                    if (e != null) return e;
                }
            }
        }
        if (v.isTextual()) {
            int len = v.asText().codePointCount(0, v.asText().length());
            if (schema.has("minLength") && len < schema.get("minLength").asInt()) return at + ": string is too short";
            if (schema.has("maxLength") && len > schema.get("maxLength").asInt()) return at + ": string is too long";
            if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(v.asText()).find()) {
                return at + ": string does not match pattern " + schema.get("pattern").asText();
            }
        }
        if (v.isNumber()) {
            double d = v.asDouble();
            if (schema.has("minimum")) {
                double min = schema.get("minimum").asDouble();
                if (schema.path("exclusiveMinimum").asBoolean() ? d <= min : d < min) return at + ": numeric instance is lower than the required minimum";
            }
            if (schema.has("maximum")) {
                double max = schema.get("maximum").asDouble();
                if (schema.path("exclusiveMaximum").asBoolean() ? d >= max : d > max) return at + ": numeric instance is greater than the required maximum";
            }
        }
        return null;
    }

    private static boolean is(String type, JsonNode v) {
        return switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber() || v.isNumber() && v.asDouble() == Math.rint(v.asDouble());
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            default -> true;
        };
    }

    private static String kind(JsonNode v) {
        if (v.isObject()) return "object";
        if (v.isArray()) return "array";
        if (v.isTextual()) return "string";
        if (v.isIntegralNumber()) return "integer";
        if (v.isNumber()) return "number";
        if (v.isBoolean()) return "boolean";
        return "null";
    }
}
