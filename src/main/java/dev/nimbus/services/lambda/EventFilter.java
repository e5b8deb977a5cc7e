package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Lambda event filtering (FilterCriteria): a record passes when any filter's pattern matches it.
 * A pattern is an object of field names to nested patterns or to arrays of allowed values: a
 * literal, {"prefix"}, {"suffix"}, {"equals-ignore-case"}, {"anything-but"}, {"numeric": [op, n, ...]},
 * {"exists"}; "$or" takes a list of patterns. An array field matches when one element does.
 */
final class EventFilter {
    private final List<JsonNode> patterns;

    private EventFilter(List<JsonNode> patterns) {
        this.patterns = patterns;
    }

    /** From FilterCriteria ({"Filters": [{"Pattern": "..."}]}); refuses a pattern that is not valid as Lambda does. */
    static EventFilter of(JsonNode criteria) {
        List<JsonNode> patterns = new ArrayList<>();
        if (criteria != null) {
            for (JsonNode f : criteria.path("Filters")) {
                String text = f.path("Pattern").asText("");
                JsonNode p;
                try {
                    p = Values.JSON.readTree(text);
                } catch (IOException e) {
                    p = null;
                }
                if (p == null || !p.isObject() || !valid(p)) {
                    throw new AwsException("InvalidParameterValueException", "Invalid filter pattern definition.", 400);
                }
                patterns.add(p);
            }
        }
        return new EventFilter(patterns);
    }

    boolean isEmpty() {
        return patterns.isEmpty();
    }

    boolean matches(JsonNode event) {
        if (patterns.isEmpty()) return true;
        for (JsonNode p : patterns) if (object(p, event)) return true;
        return false;
    }

    private static boolean valid(JsonNode pattern) {
        for (Iterator<Map.Entry<String, JsonNode>> it = pattern.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (e.getKey().equals("$or")) {
                if (!v.isArray() || v.size() < 2) return false;
                for (JsonNode alt : v) if (!alt.isObject() || !valid(alt)) return false;
            } else if (v.isObject()) {
                if (!valid(v)) return false;
            } else if (!v.isArray() || v.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static boolean object(JsonNode pattern, JsonNode event) {
        for (Iterator<Map.Entry<String, JsonNode>> it = pattern.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("$or")) {
                boolean any = false;
                for (JsonNode alt : e.getValue()) any |= object(alt, event);
                if (!any) return false;
                continue;
            }
            JsonNode value = event == null || !event.isObject() ? null : event.get(e.getKey());
            if (e.getValue().isObject()) {
                if (!object(e.getValue(), value)) return false;
            } else if (!field(e.getValue(), value)) {
                return false;
            }
        }
        return true;
    }

    /** One field against its array of allowed values. */
    private static boolean field(JsonNode rules, JsonNode value) {
        for (JsonNode rule : rules) {
            if (rule.isObject() && rule.has("exists")) {
                if (rule.get("exists").asBoolean() == (value != null)) return true;
                continue;
            }
            if (value == null) continue;
            if (value.isArray()) {
                for (JsonNode v : value) if (rule(rule, v)) return true;
            } else if (rule(rule, value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean rule(JsonNode rule, JsonNode v) {
        if (!rule.isObject()) return literal(rule, v);
        if (rule.has("prefix")) return v.isTextual() && v.asText().startsWith(rule.get("prefix").asText());
        if (rule.has("suffix")) return v.isTextual() && v.asText().endsWith(rule.get("suffix").asText());
        if (rule.has("equals-ignore-case")) return v.isTextual() && v.asText().equalsIgnoreCase(rule.get("equals-ignore-case").asText());
        if (rule.has("anything-but")) {
            JsonNode but = rule.get("anything-but");
            if (but.isArray()) {
                for (JsonNode b : but) if (literal(b, v)) return false;
                return true;
            }
            if (but.isObject() && but.has("prefix")) return !(v.isTextual() && v.asText().startsWith(but.get("prefix").asText()));
            return !literal(but, v);
        }
        if (rule.has("numeric")) {
            if (!v.isNumber()) return false;
            double x = v.asDouble();
            JsonNode n = rule.get("numeric");
            for (int i = 0; i + 1 < n.size(); i += 2) {
                double bound = n.get(i + 1).asDouble();
                boolean ok = switch (n.get(i).asText()) {
                    case "=" -> x == bound;
                    case "<" -> x < bound;
                    case "<=" -> x <= bound;
                    case ">" -> x > bound;
                    case ">=" -> x >= bound;
                    default -> false;
                };
                if (!ok) return false;
            }
            return true;
        }
        return false;
    }

    private static boolean literal(JsonNode rule, JsonNode v) {
        if (rule.isNumber() && v.isNumber()) return rule.asDouble() == v.asDouble();
        if (rule.isNull()) return v.isNull();
        return rule.getNodeType() == v.getNodeType() && rule.asText().equals(v.asText());
    }
}
