package dev.nimbus.services.sns;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * An SNS subscription filter policy, the matcher family that Lambda event filtering and
 * EventBridge patterns share: a JSON object whose keys name fields of a document and whose values
 * are lists of conditions (one must match), nested objects for nested fields, or {@code "$or"}: a
 * list of policies of which one must match. Conditions: exact strings, numbers, booleans and null;
 * {@code prefix}, {@code suffix}, {@code equals-ignore-case}, {@code anything-but} (values, or a
 * prefix or suffix), {@code numeric} ranges and {@code exists}.
 *
 * <p>Use: {@link #parse} once (it refuses invalid policies with AWS's reasons), then
 * {@link #matches} per document. SNS matches message attributes as a flat document built by
 * {@link #attributesDocument}; the message body scope matches the parsed body.
 */
public final class FilterPolicy {
    /** AWS's limits: at most 5 keys, at most 150 combinations of values. */
    private static final int MAX_KEYS = 5;
    private static final int MAX_COMBINATIONS = 150;

    /** A refused policy; the message is AWS's reason ("\"key\" must be an object or an array"). */
    public static final class InvalidException extends IllegalArgumentException {
        InvalidException(String reason) {
            super(reason, null);
        }
    }

    private sealed interface Node permits Leaf, Nested, Or {}

    private record Leaf(String name, List<Condition> conditions) implements Node {}

    private record Nested(String name, List<Node> nodes) implements Node {}

    private record Or(List<List<Node>> alternatives) implements Node {}

    private sealed interface Condition permits Exact, Prefix, Suffix, IgnoreCase, AnythingBut, Numeric, Exists {}

    private record Exact(JsonNode value) implements Condition {}

    private record Prefix(String prefix) implements Condition {}

    private record Suffix(String suffix) implements Condition {}

    private record IgnoreCase(String value) implements Condition {}

    /** Matches a present value equal to none of {@code values}, or (when set) not starting/ending with the affix. */
    private record AnythingBut(List<JsonNode> values, String prefix, String suffix) implements Condition {}

    private record Numeric(BigDecimal low, boolean lowInclusive, BigDecimal high, boolean highInclusive) implements Condition {}

    private record Exists(boolean exists) implements Condition {}

    private final List<Node> root;

    private FilterPolicy(List<Node> root) {
        this.root = root;
    }

    /**
     * Parses and validates a policy.
     *
     * @param nested whether nested objects (fields of fields) are allowed: the message body scope
     * @throws InvalidException with AWS's reason when the policy is invalid
     */
    public static FilterPolicy parse(String json, boolean nested) {
        JsonNode tree;
        try {
            tree = Values.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidException("failed to parse JSON. " + e.getOriginalMessage());
        }
        if (tree == null || !tree.isObject()) throw new InvalidException("Filter policy must be a JSON object");
        List<Node> nodes = object((ObjectNode) tree);
        if (!nested && nodes.stream().anyMatch(FilterPolicy::hasNesting)) {
            throw new InvalidException("Filter policy scope MessageAttributes does not support nested filter policy");
        }
        if (keys(nodes) > MAX_KEYS) throw new InvalidException("Filter policy can not have more than " + MAX_KEYS + " keys");
        if (combinations(nodes) > MAX_COMBINATIONS) throw new InvalidException("Filter policy is too complex");
        return new FilterPolicy(nodes);
    }

    /** Whether the document (a parsed message body, or {@link #attributesDocument}) matches. */
    public boolean matches(JsonNode document) {
        return all(root, document);
    }

    /**
     * Message attributes as the document a MessageAttributes-scope policy matches: String values as
     * strings, Number values as numbers, String.Array values as arrays (any element may match);
     * Binary attributes are not matched, as in AWS.
     *
     * @param attributes name to {DataType, StringValue}
     */
    public static ObjectNode attributesDocument(Map<String, ? extends JsonNode> attributes) {
        ObjectNode doc = Values.object();
        attributes.forEach((name, a) -> {
            String type = a.path("DataType").asText();
            String value = a.path("StringValue").asText(null);
            if (value == null) return;
            if (type.startsWith("Number")) {
                try {
                    doc.put(name, new BigDecimal(value.trim()));
                } catch (NumberFormatException e) {
                    doc.put(name, value);
                }
            } else if (type.startsWith("String.Array")) {
                try {
                    JsonNode array = Values.JSON.readTree(value);
                    doc.set(name, array != null && array.isArray() ? array : Values.NODES.textNode(value));
                } catch (JsonProcessingException e) {
                    doc.put(name, value);
                }
            } else if (type.startsWith("String")) {
                doc.put(name, value);
            }
        });
        return doc;
    }

    // ---- parsing

    private static List<Node> object(ObjectNode o) {
        List<Node> nodes = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("$or")) {
                if (!v.isArray() || v.size() < 2) throw new InvalidException("Or statement must have at least 2 elements");
                List<List<Node>> alternatives = new ArrayList<>();
                for (JsonNode alt : v) {
                    if (!alt.isObject()) throw new InvalidException("Or statement must contain only objects");
                    alternatives.add(object((ObjectNode) alt));
                }
                nodes.add(new Or(alternatives));
            } else if (v.isArray()) {
                List<Condition> conditions = new ArrayList<>();
                for (JsonNode c : v) conditions.add(condition(c));
                nodes.add(new Leaf(name, conditions));
            } else if (v.isObject()) {
                nodes.add(new Nested(name, object((ObjectNode) v)));
            } else {
                throw new InvalidException("\"" + name + "\" must be an object or an array");
            }
        }
        return nodes;
    }

    private static Condition condition(JsonNode c) {
        if (c.isTextual() || c.isNumber() || c.isBoolean() || c.isNull()) return new Exact(c);
        if (!c.isObject()) throw new InvalidException("Match value must be String, number, true, false, or null");
        if (c.size() != 1) throw new InvalidException(c.isEmpty() ? "Empty objects are not allowed in filter policies" : "Only one key allowed in match expression");
        String op = c.fieldNames().next();
        JsonNode v = c.get(op);
        return switch (op) {
            case "prefix" -> new Prefix(string(op, v));
            case "suffix" -> new Suffix(string(op, v));
            case "equals-ignore-case" -> new IgnoreCase(string(op, v));
            case "exists" -> {
                if (!v.isBoolean()) throw new InvalidException("exists match pattern must be either true or false.");
                yield new Exists(v.asBoolean());
            }
            case "anything-but" -> anythingBut(v);
            case "numeric" -> numeric(v);
            default -> throw new InvalidException("Unrecognized match type " + op);
        };
    }

    private static String string(String op, JsonNode v) {
        if (!v.isTextual()) throw new InvalidException(op + " match pattern must be a string");
        return v.asText();
    }

    private static Condition anythingBut(JsonNode v) {
        if (v.isTextual() || v.isNumber()) return new AnythingBut(List.of(v), null, null);
        if (v.isArray()) {
            if (v.isEmpty()) throw new InvalidException("Empty arrays are not allowed");
            List<JsonNode> values = new ArrayList<>();
            for (JsonNode x : v) {
                if (!x.isTextual() && !x.isNumber()) throw new InvalidException("Inside anything but list, start|null|boolean is not supported.");
                values.add(x);
            }
            return new AnythingBut(values, null, null);
        }
        if (v.isObject() && v.size() == 1 && (v.has("prefix") || v.has("suffix"))) {
            String op = v.fieldNames().next();
            String affix = string(op, v.get(op));
            return op.equals("prefix") ? new AnythingBut(List.of(), affix, null) : new AnythingBut(List.of(), null, affix);
        }
        if (v.isObject()) throw new InvalidException("Unsupported anything-but pattern: " + (v.isEmpty() ? "" : v.fieldNames().next()));
        throw new InvalidException("Value of anything-but must be an array or single string/number value.");
    }

    private static Condition numeric(JsonNode v) {
        if (!v.isArray()) throw new InvalidException("Value of numeric must be an array.");
        if (v.isEmpty()) throw new InvalidException("Invalid member in numeric match: ]");
        if (v.size() > 4) throw new InvalidException("Too many terms in numeric range expression");
        JsonNode first = v.get(0);
        if (!first.isTextual()) throw new InvalidException("Invalid member in numeric match: " + first.asText());
        String op = first.asText();
        if (!List.of("=", "<", "<=", ">", ">=").contains(op)) throw new InvalidException("Unrecognized numeric range operator: " + op);
        BigDecimal value = number(op, v.get(1));
        if (op.equals("=")) {
            if (v.size() > 2) throw new InvalidException("Too many elements in numeric expression");
            return new Numeric(value, true, value, true);
        }
        if (op.startsWith("<")) {
            if (v.size() > 2) throw new InvalidException("Too many elements in numeric expression");
            return new Numeric(null, false, value, op.equals("<="));
        }
        if (v.size() == 2) return new Numeric(value, op.equals(">="), null, false);
        JsonNode second = v.get(2);
        if (!second.isTextual()) throw new InvalidException("Bad value in numeric range: " + second.asText());
        String op2 = second.asText();
        if (!op2.equals("<") && !op2.equals("<=")) throw new InvalidException("Bad numeric range operator: " + op2);
        BigDecimal top = number(op2, v.get(3));
        if (value.compareTo(top) >= 0) throw new InvalidException("Bottom must be less than top");
        return new Numeric(value, op.equals(">="), top, op2.equals("<="));
    }

    private static BigDecimal number(String op, JsonNode v) {
        if (v == null || !v.isNumber()) throw new InvalidException("Value of " + (op.equals("=") ? "equals" : op) + " must be numeric");
        return v.decimalValue();
    }

    private static boolean hasNesting(Node n) {
        return switch (n) {
            case Leaf l -> false;
            case Nested x -> true;
            case Or o -> o.alternatives().stream().flatMap(List::stream).anyMatch(FilterPolicy::hasNesting);
        };
    }

    /** Field names with conditions, each alternative of an $or counted. */
    private static int keys(List<Node> nodes) {
        int n = 0;
        for (Node node : nodes) {
            n += switch (node) {
                case Leaf l -> 1;
                case Nested x -> keys(x.nodes());
                case Or o -> o.alternatives().stream().mapToInt(FilterPolicy::keys).max().orElse(0);
            };
        }
        return n;
    }

    /** AWS's complexity: the product of the numbers of values per key, summed over $or alternatives. */
    private static long combinations(List<Node> nodes) {
        long product = 1;
        for (Node node : nodes) {
            product *= switch (node) {
                case Leaf l -> Math.max(1, l.conditions().size());
                case Nested x -> combinations(x.nodes());
                case Or o -> o.alternatives().stream().mapToLong(FilterPolicy::combinations).sum();
            };
            if (product > MAX_COMBINATIONS) return product;
        }
        return product;
    }

    // ---- matching

    private static boolean all(List<Node> nodes, JsonNode doc) {
        for (Node n : nodes) if (!matches(n, doc)) return false;
        return true;
    }

    private static boolean matches(Node n, JsonNode doc) {
        return switch (n) {
            case Or o -> o.alternatives().stream().anyMatch(alt -> all(alt, doc));
            case Nested x -> {
                JsonNode child = doc == null ? null : doc.get(x.name());
                if (child != null && child.isArray()) {
                    for (JsonNode item : child) if (all(x.nodes(), item)) yield true;
                    yield false;
                }
                yield all(x.nodes(), child);
            }
            case Leaf l -> leaf(l, doc == null || !doc.isObject() ? null : doc.get(l.name()));
        };
    }

    private static boolean leaf(Leaf l, JsonNode value) {
        for (Condition c : l.conditions()) {
            if (c instanceof Exists e) {
                if (e.exists() == (value != null)) return true;
            } else if (value == null) {
                // An absent field matches only null (and exists: false).
                if (c instanceof Exact x && x.value().isNull()) return true;
            } else if (value.isArray()) {
                for (JsonNode item : value) if (test(c, item)) return true;
            } else if (test(c, value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean test(Condition c, JsonNode v) {
        return switch (c) {
            case Exact x -> equal(x.value(), v);
            case Prefix p -> v.isTextual() && v.asText().startsWith(p.prefix());
            case Suffix s -> v.isTextual() && v.asText().endsWith(s.suffix());
            case IgnoreCase i -> v.isTextual() && v.asText().equalsIgnoreCase(i.value());
            case AnythingBut a -> {
                if (a.prefix() != null) yield v.isTextual() && !v.asText().startsWith(a.prefix());
                if (a.suffix() != null) yield v.isTextual() && !v.asText().endsWith(a.suffix());
                yield a.values().stream().noneMatch(x -> equal(x, v));
            }
            case Numeric r -> v.isNumber() && inRange(r, v.decimalValue());
            case Exists e -> e.exists();
        };
    }

    private static boolean equal(JsonNode policy, JsonNode v) {
        if (policy.isNumber()) return v.isNumber() && policy.decimalValue().compareTo(v.decimalValue()) == 0;
        if (policy.isTextual()) return v.isTextual() && policy.asText().equals(v.asText());
        if (policy.isBoolean()) return v.isBoolean() && policy.asBoolean() == v.asBoolean();
        return v.isNull();
    }

    private static boolean inRange(Numeric r, BigDecimal x) {
        if (r.low() != null) {
            int c = x.compareTo(r.low());
            if (c < 0 || (c == 0 && !r.lowInclusive())) return false;
        }
        if (r.high() != null) {
            int c = x.compareTo(r.high());
            if (c > 0 || (c == 0 && !r.highInclusive())) return false;
        }
        return true;
    }
}
