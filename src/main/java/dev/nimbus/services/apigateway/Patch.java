package dev.nimbus.services.apigateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.util.Set;

/**
 * API Gateway v1's updates: a list of patch operations (op, path, value) on an entity, with JSON
 * pointer paths ("/variables/name", "/binaryMediaTypes/image~1png"). Values arrive as strings and
 * take the type of the member they replace.
 */
final class Patch {
    /** Members that are lists of strings: "/binaryMediaTypes/image~1png" adds or removes one element. */
    private static final Set<String> LISTS = Set.of("binaryMediaTypes", "cacheKeyParameters", "authorizationScopes", "types");

    private Patch() {}

    /** Applies the operations; only members whose first path segment is in {@code allowed} may change. */
    static void apply(ObjectNode target, JsonNode operations, Set<String> allowed) {
        if (operations == null) return;
        for (JsonNode op : operations) {
            String kind = op.path("op").asText();
            String path = op.path("path").asText();
            String[] parts = path.substring(path.startsWith("/") ? 1 : 0).split("/", -1);
            for (int i = 0; i < parts.length; i++) parts[i] = parts[i].replace("~1", "/").replace("~0", "~");
            if (parts[0].isEmpty() || !allowed.contains(parts[0])) {
                throw new AwsException("BadRequestException", "Invalid patch path '" + path + "' specified for op '" + kind + "'. Must be one of: "
                        + String.join(", ", allowed.stream().sorted().map(a -> "/" + a).toList()), 400);
            }
            JsonNode value = op.get("value");
            ObjectNode parent = target;
            for (int i = 0; i < parts.length - 1; i++) {
                JsonNode next = parent.get(parts[i]);
                if (next instanceof ArrayNode list) {
                    // "/binaryMediaTypes/image~1png": the last segment is the element itself.
                    String element = String.join("/", java.util.Arrays.copyOfRange(parts, i + 1, parts.length));
                    if (kind.equals("remove")) list.removeIf(e -> e.asText().equals(element));
                    else if (!contains(list, element)) list.add(element);
                    parent = null;
                    break;
                }
                if (next == null || !next.isObject()) {
                    if (kind.equals("remove")) {
                        parent = null;
                        break;
                    }
                    if (LISTS.contains(parts[i])) {
                        parent.putArray(parts[i]).add(String.join("/", java.util.Arrays.copyOfRange(parts, i + 1, parts.length)));
                        parent = null;
                        break;
                    }
                    next = parent.putObject(parts[i]);
                }
                parent = (ObjectNode) next;
            }
            if (parent == null) continue;
            String name = parts[parts.length - 1];
            switch (kind) {
                case "remove" -> parent.remove(name);
                case "add", "replace" -> parent.set(name, typed(parent.get(name), value));
                default -> throw new AwsException("BadRequestException", "Invalid patch operation specified. Must be one of: [add, remove, replace, move, copy, test]", 400);
            }
        }
    }

    private static boolean contains(ArrayNode list, String element) {
        for (JsonNode e : list) if (e.asText().equals(element)) return true;
        return false;
    }

    private static JsonNode typed(JsonNode current, JsonNode value) {
        if (value == null || value.isNull()) return Values.NODES.nullNode();
        String text = value.asText();
        if (current != null && current.isBoolean()) return Values.NODES.booleanNode(Boolean.parseBoolean(text));
        if (current != null && current.isNumber() && text.matches("-?\\d+")) return Values.NODES.numberNode(Long.parseLong(text));
        if (text.equals("true") || text.equals("false")) return current == null || !current.isTextual() ? Values.NODES.booleanNode(Boolean.parseBoolean(text)) : value;
        return value;
    }
}
