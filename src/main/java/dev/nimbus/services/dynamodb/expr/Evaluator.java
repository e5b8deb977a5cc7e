package dev.nimbus.services.dynamodb.expr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.dynamodb.AttributeValues;
import dev.nimbus.services.dynamodb.expr.Ast.And;
import dev.nimbus.services.dynamodb.expr.Ast.Arithmetic;
import dev.nimbus.services.dynamodb.expr.Ast.Between;
import dev.nimbus.services.dynamodb.expr.Ast.Call;
import dev.nimbus.services.dynamodb.expr.Ast.Compare;
import dev.nimbus.services.dynamodb.expr.Ast.Condition;
import dev.nimbus.services.dynamodb.expr.Ast.Function;
import dev.nimbus.services.dynamodb.expr.Ast.In;
import dev.nimbus.services.dynamodb.expr.Ast.Not;
import dev.nimbus.services.dynamodb.expr.Ast.Operand;
import dev.nimbus.services.dynamodb.expr.Ast.Or;
import dev.nimbus.services.dynamodb.expr.Ast.Path;
import dev.nimbus.services.dynamodb.expr.Ast.PathOperand;
import dev.nimbus.services.dynamodb.expr.Ast.ValueOperand;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** Evaluates parsed conditions and operands against an item (attribute name to AttributeValue). */
public final class Evaluator {
    private Evaluator() {}

    private static final Set<String> TYPES = Set.of("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL");

    /** Whether the item satisfies the condition; a null condition always holds, a null item has no attributes. */
    public static boolean test(Condition c, JsonNode item, String kind) {
        if (c == null) return true;
        JsonNode it = item == null ? Values.object() : item;
        return eval(c, it, kind);
    }

    private static boolean eval(Condition c, JsonNode item, String kind) {
        return switch (c) {
            case And a -> eval(a.left(), item, kind) && eval(a.right(), item, kind);
            case Or o -> eval(o.left(), item, kind) || eval(o.right(), item, kind);
            case Not n -> !eval(n.condition(), item, kind);
            case Compare cmp -> compare(cmp.op(), value(cmp.left(), item), value(cmp.right(), item));
            case Between b -> {
                JsonNode v = value(b.value(), item), lo = value(b.low(), item), hi = value(b.high(), item);
                Integer bounds = AttributeValues.compare(lo, hi);
                if (bounds != null && bounds > 0 && b.low() instanceof ValueOperand && b.high() instanceof ValueOperand) {
                    throw AwsException.validation("Invalid " + kind + ": The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower operand: AttributeValue: "
                            + display(lo) + ", upper operand: AttributeValue: " + display(hi));
                }
                Integer a = AttributeValues.compare(v, lo), z = AttributeValues.compare(v, hi);
                yield a != null && z != null && a >= 0 && z <= 0;
            }
            case In in -> {
                JsonNode v = value(in.value(), item);
                for (Operand o : in.candidates()) if (AttributeValues.equal(v, value(o, item))) yield true;
                yield false;
            }
            case Function f -> function(f, item, kind);
        };
    }

    private static String display(JsonNode av) {
        return "{" + AttributeValues.type(av) + ":" + AttributeValues.value(av).asText() + "}";
    }

    private static boolean compare(String op, JsonNode a, JsonNode b) {
        if (op.equals("=")) return AttributeValues.equal(a, b);
        if (op.equals("<>")) return !AttributeValues.equal(a, b);
        Integer c = AttributeValues.compare(a, b);
        if (c == null) return false;
        return switch (op) {
            case "<" -> c < 0;
            case "<=" -> c <= 0;
            case ">" -> c > 0;
            default -> c >= 0;
        };
    }

    private static boolean function(Function f, JsonNode item, String kind) {
        JsonNode target = value(f.args().get(0), item);
        switch (f.name()) {
            case "attribute_exists":
                return target != null;
            case "attribute_not_exists":
                return target == null;
            case "attribute_type": {
                JsonNode t = value(f.args().get(1), item);
                String name = t == null ? "" : AttributeValues.value(t).asText();
                if (t == null || !AttributeValues.type(t).equals("S") || !TYPES.contains(name)) {
                    throw AwsException.validation("Invalid " + kind + ": Invalid attribute type name found in type: " + name + ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
                }
                return target != null && AttributeValues.type(target).equals(name);
            }
            case "begins_with": {
                JsonNode p = value(f.args().get(1), item);
                if (target == null || p == null) return false;
                String t = AttributeValues.type(target);
                if (!t.equals(AttributeValues.type(p))) return false;
                if (t.equals("S")) return target.get("S").asText().startsWith(p.get("S").asText());
                if (t.equals("B")) {
                    byte[] whole = AttributeValues.bytes(target.get("B")), start = AttributeValues.bytes(p.get("B"));
                    return whole.length >= start.length && Arrays.equals(whole, 0, start.length, start, 0, start.length);
                }
                return false;
            }
            default: { // contains
                JsonNode m = value(f.args().get(1), item);
                if (target == null || m == null) return false;
                String t = AttributeValues.type(target), mt = AttributeValues.type(m);
                return switch (t) {
                    case "S" -> mt.equals("S") && target.get("S").asText().contains(m.get("S").asText());
                    case "B" -> mt.equals("B") && indexOf(AttributeValues.bytes(target.get("B")), AttributeValues.bytes(m.get("B"))) >= 0;
                    case "SS", "NS", "BS" -> mt.equals(t.substring(0, 1)) && AttributeValues.setContains(t, target.get(t), AttributeValues.value(m));
                    case "L" -> {
                        for (JsonNode e : target.get("L")) if (AttributeValues.equal(e, m)) yield true;
                        yield false;
                    }
                    default -> false;
                };
            }
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    /** An operand's value on the item, or null when its path is absent. */
    public static JsonNode value(Operand o, JsonNode item) {
        return switch (o) {
            case ValueOperand v -> v.value();
            case PathOperand p -> get(item, p.path());
            case Call c when c.name().equals("size") -> {
                JsonNode v = get(item, ((PathOperand) c.args().get(0)).path());
                yield v == null ? null : sizeOf(v);
            }
            case Call c -> throw new IllegalStateException("update function outside an update: " + c.name());
            case Arithmetic a -> throw new IllegalStateException("arithmetic outside an update: " + a);
        };
    }

    private static JsonNode sizeOf(JsonNode v) {
        String t = AttributeValues.type(v);
        JsonNode x = AttributeValues.value(v);
        long n = switch (t) {
            case "S" -> x.asText().codePointCount(0, x.asText().length());
            case "B" -> AttributeValues.bytes(x).length;
            case "SS", "NS", "BS", "L", "M" -> x.size();
            default -> -1;
        };
        return n < 0 ? null : AttributeValues.n(BigDecimal.valueOf(n));
    }

    /** The AttributeValue at a document path, or null. */
    public static JsonNode get(JsonNode item, Path path) {
        JsonNode cur = item.get(path.first());
        List<Object> el = path.elements();
        for (int i = 1; i < el.size() && cur != null; i++) {
            Object e = el.get(i);
            if (e instanceof Integer idx) {
                JsonNode l = cur.get("L");
                cur = l == null ? null : l.get(idx);
            } else {
                JsonNode m = cur.get("M");
                cur = m == null ? null : m.get((String) e);
            }
        }
        return cur;
    }

    /** The item cut down to the given paths (ProjectionExpression); list elements keep their relative order. */
    public static ObjectNode project(JsonNode item, List<Path> paths) {
        ObjectNode out = Values.object();
        for (Path p : paths) {
            JsonNode v = get(item, p);
            if (v == null) continue;
            place(out, p, 0, v);
        }
        return out;
    }

    private static void place(ObjectNode container, Path p, int i, JsonNode v) {
        String name = (String) p.elements().get(i);
        if (i == p.elements().size() - 1) {
            container.set(name, v.deepCopy());
            return;
        }
        placeIn(container, name, p, i + 1, v);
    }

    /** Puts v below container[name] following path elements from index i. */
    private static void placeIn(ObjectNode container, String name, Path p, int i, JsonNode v) {
        Object e = p.elements().get(i);
        boolean last = i == p.elements().size() - 1;
        if (e instanceof Integer) {
            JsonNode existing = container.get(name);
            ArrayNode list = existing != null && existing.has("L") ? (ArrayNode) existing.get("L") : null;
            if (list == null) {
                list = Values.array();
                container.set(name, AttributeValues.of("L", list));
            }
            if (last) {
                list.add(v.deepCopy());
            } else {
                ObjectNode holder = Values.object();
                placeIn(holder, "x", p, i + 1, v);
                list.add(holder.get("x"));
            }
        } else {
            JsonNode existing = container.get(name);
            ObjectNode map = existing != null && existing.has("M") ? (ObjectNode) existing.get("M") : null;
            if (map == null) {
                map = Values.object();
                container.set(name, AttributeValues.of("M", map));
            }
            if (last) map.set((String) e, v.deepCopy());
            else placeIn(map, (String) e, p, i + 1, v);
        }
    }
}
