package dev.nimbus.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.model.Member;
import dev.nimbus.protocol.model.Shape;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks an operation's input against its model shape the way AWS's front ends do: required
 * members, enums, lengths, ranges and patterns, reported together as
 * "N validation errors detected: Value X at 'path' failed to satisfy constraint: ...".
 * Types were already checked by the codec that parsed the input.
 */
public final class Validator {
    private static final int MAX_REPORTED = 10;

    private Validator() {}

    /** Returns the AWS message, or null when the input is valid. */
    public static String check(JsonNode input, Shape shape) {
        if (shape == null) return null;
        List<String> errors = new ArrayList<>(0);
        structure(input, shape, "", errors);
        if (errors.isEmpty()) return null;
        StringBuilder sb = new StringBuilder().append(errors.size()).append(errors.size() == 1 ? " validation error" : " validation errors")
                .append(" detected: ");
        for (int i = 0; i < Math.min(errors.size(), MAX_REPORTED); i++) {
            if (i > 0) sb.append("; ");
            sb.append(errors.get(i));
        }
        return sb.toString();
    }

    private static void structure(JsonNode node, Shape shape, String path, List<String> errors) {
        for (String req : shape.required) {
            JsonNode v = node == null ? null : node.get(req);
            Member m = shape.members.get(req);
            // Labels and payload streams are checked by the codec (they cannot be absent from a routed request).
            if ((v == null || v.isNull()) && m != null) {
                errors.add("Value null at '" + join(path, Values.lowerFirst(req)) + "' failed to satisfy constraint: Member must not be null");
            }
        }
        if (node == null || !node.isObject()) return;
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Member m = shape.members.get(e.getKey());
            if (m != null && !e.getValue().isNull()) value(e.getValue(), m.shape, join(path, Values.lowerFirst(e.getKey())), errors);
        }
    }

    private static void value(JsonNode v, Shape s, String path, List<String> errors) {
        switch (s.type) {
            case "structure" -> structure(v, s, path, errors);
            case "list" -> {
                length(v.size(), v, s, path, errors);
                for (int i = 0; i < v.size(); i++) value(v.get(i), s.member.shape, path + "." + (i + 1) + ".member", errors);
            }
            case "map" -> {
                length(v.size(), v, s, path, errors);
                Iterator<Map.Entry<String, JsonNode>> it = v.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    value(Values.NODES.textNode(e.getKey()), s.key.shape, path + ".key", errors);
                    value(e.getValue(), s.value.shape, path + ".value", errors);
                }
            }
            case "string" -> {
                String text = v.asText();
                if (s.enumValues != null && !s.enumValues.contains(text)) {
                    errors.add(at(text, path) + "Member must satisfy enum value set: " + s.enumValues);
                    return;
                }
                length(text.codePointCount(0, text.length()), v, s, path, errors);
                if (s.pattern != null && !s.pattern.matcher(text).matches()) {
                    errors.add(at(text, path) + "Member must satisfy regular expression pattern: " + s.patternText);
                }
            }
            case "blob" -> {
                if (v.isBinary()) length(((com.fasterxml.jackson.databind.node.BinaryNode) v).binaryValue().length, v, s, path, errors);
            }
            case "integer", "long", "float", "double", "bigdecimal", "biginteger", "short", "byte" -> {
                if (!v.isNumber()) return;
                double d = v.asDouble();
                if (s.min != null && d < s.min) errors.add(at(v.asText(), path) + "Member must have value greater than or equal to " + fmt(s.min));
                if (s.max != null && d > s.max) errors.add(at(v.asText(), path) + "Member must have value less than or equal to " + fmt(s.max));
            }
            default -> { }
        }
    }

    private static void length(int length, JsonNode v, Shape s, String path, List<String> errors) {
        String shown = v.isTextual() ? v.asText() : v.toString();
        if (s.min != null && length < s.min) errors.add(at(shown, path) + "Member must have length greater than or equal to " + fmt(s.min));
        if (s.max != null && length > s.max) errors.add(at(shown, path) + "Member must have length less than or equal to " + fmt(s.max));
    }

    private static String at(String value, String path) {
        if (value.length() > 256) value = value.substring(0, 256) + "...";
        return "Value '" + value + "' at '" + path + "' failed to satisfy constraint: ";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }
}
