package dev.nimbus.services.dynamodb.expr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.dynamodb.AttributeValues;
import dev.nimbus.services.dynamodb.expr.Ast.Action;
import dev.nimbus.services.dynamodb.expr.Ast.Arithmetic;
import dev.nimbus.services.dynamodb.expr.Ast.Call;
import dev.nimbus.services.dynamodb.expr.Ast.Clause;
import dev.nimbus.services.dynamodb.expr.Ast.Operand;
import dev.nimbus.services.dynamodb.expr.Ast.Path;
import dev.nimbus.services.dynamodb.expr.Ast.PathOperand;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Applies an UpdateExpression: every right-hand side is computed on the item as it was, then SET,
 * REMOVE, ADD and DELETE change a copy. Errors are DynamoDB's.
 */
public final class Updates {
    private Updates() {}

    private static final String INVALID_PATH = "The document path provided in the update expression is invalid for update";
    private static final String BAD_TYPE = "An operand in the update expression has an incorrect data type";

    /** Checks what DynamoDB refuses before looking at the item: overlapping paths and key attributes. */
    public static void check(List<Action> actions, Set<String> keyNames) {
        for (int i = 0; i < actions.size(); i++) {
            Path a = actions.get(i).path();
            for (int j = i + 1; j < actions.size(); j++) {
                Path b = actions.get(j).path();
                if (overlap(a, b)) {
                    throw AwsException.validation("Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: "
                            + show(a) + ", path two: " + show(b));
                }
            }
        }
        for (Action a : actions) {
            if (keyNames.contains(a.path().first())) {
                throw AwsException.validation("One or more parameter values were invalid: Cannot update attribute " + a.path().first() + ". This attribute is part of the key");
            }
        }
        for (Action a : actions) {
            if ((a.clause() == Clause.ADD || a.clause() == Clause.DELETE) && a.value() instanceof Ast.ValueOperand v) {
                String t = AttributeValues.type(v.value());
                boolean ok = a.clause() == Clause.ADD ? t.equals("N") || AttributeValues.isSet(t) : AttributeValues.isSet(t);
                if (!ok) {
                    throw AwsException.validation("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: " + a.clause()
                            + ", operand type: " + typeName(t) + ", typeSet: " + (a.clause() == Clause.ADD ? "ALLOWED_FOR_ADD_OPERAND" : "ALLOWED_FOR_DELETE_OPERAND"));
                }
            }
        }
    }

    private static String typeName(String t) {
        return switch (t) {
            case "S" -> "STRING";
            case "N" -> "NUMBER";
            case "B" -> "BINARY";
            case "BOOL" -> "BOOLEAN";
            case "L" -> "LIST";
            case "M" -> "MAP";
            default -> t;
        };
    }

    private static boolean overlap(Path a, Path b) {
        int n = Math.min(a.elements().size(), b.elements().size());
        for (int i = 0; i < n; i++) if (!a.elements().get(i).equals(b.elements().get(i))) return false;
        return true;
    }

    private static String show(Path p) {
        List<String> parts = new ArrayList<>();
        for (Object e : p.elements()) parts.add(e instanceof Integer i ? "[" + i + "]" : (String) e);
        return "[" + String.join(", ", parts) + "]";
    }

    /** The updated copy of the item (an empty item when it did not exist). */
    public static ObjectNode apply(JsonNode old, List<Action> actions) {
        JsonNode before = old == null ? Values.object() : old;
        List<JsonNode> computed = new ArrayList<>();
        for (Action a : actions) computed.add(a.clause() == Clause.SET ? compute(a.value(), before) : a.value() == null ? null : Evaluator.value(a.value(), before));
        ObjectNode item = before.deepCopy();
        for (int i = 0; i < actions.size(); i++) if (actions.get(i).clause() == Clause.SET) set(item, actions.get(i).path(), computed.get(i));
        // Removals from one list use the indexes as they were: highest first.
        List<Action> removes = new ArrayList<>();
        for (Action a : actions) if (a.clause() == Clause.REMOVE) removes.add(a);
        removes.sort(Comparator.comparingInt((Action a) -> lastIndex(a.path())).reversed());
        for (Action a : removes) remove(item, a.path());
        for (int i = 0; i < actions.size(); i++) {
            Action a = actions.get(i);
            if (a.clause() == Clause.ADD) add(item, a.path(), computed.get(i));
            if (a.clause() == Clause.DELETE) delete(item, a.path(), computed.get(i));
        }
        return item;
    }

    private static int lastIndex(Path p) {
        Object last = p.elements().get(p.elements().size() - 1);
        return last instanceof Integer i ? i : -1;
    }

    private static JsonNode compute(Operand o, JsonNode item) {
        return switch (o) {
            case Arithmetic a -> {
                JsonNode l = compute(a.left(), item), r = compute(a.right(), item);
                if (!AttributeValues.type(l).equals("N") || !AttributeValues.type(r).equals("N")) throw AwsException.validation(BAD_TYPE);
                BigDecimal x = AttributeValues.number(l), y = AttributeValues.number(r);
                yield AttributeValues.n(AttributeValues.add(x, a.op() == '+' ? y : y.negate()));
            }
            case Call c when c.name().equals("if_not_exists") -> {
                JsonNode existing = Evaluator.get(item, ((PathOperand) c.args().get(0)).path());
                yield existing != null ? existing : compute(c.args().get(1), item);
            }
            case Call c when c.name().equals("list_append") -> {
                JsonNode l = compute(c.args().get(0), item), r = compute(c.args().get(1), item);
                if (!AttributeValues.type(l).equals("L") || !AttributeValues.type(r).equals("L")) throw AwsException.validation(BAD_TYPE);
                ArrayNode out = Values.array();
                out.addAll((ArrayNode) l.get("L"));
                out.addAll((ArrayNode) r.get("L"));
                yield AttributeValues.of("L", out);
            }
            default -> {
                JsonNode v = Evaluator.value(o, item);
                if (v == null) throw AwsException.validation("The provided expression refers to an attribute that does not exist in the item");
                yield v;
            }
        };
    }

    /** The container (M's object or L's array) holding the path's last element, or null when absent. */
    private static JsonNode parent(ObjectNode item, Path p) {
        JsonNode cur = item;
        List<Object> el = p.elements();
        for (int i = 0; i < el.size() - 1; i++) {
            JsonNode av = i == 0 ? cur.get((String) el.get(0)) : child(cur, el.get(i));
            if (av == null) return null;
            Object next = el.get(i + 1);
            cur = next instanceof Integer ? av.get("L") : av.get("M");
            if (cur == null) return null;
        }
        return cur;
    }

    private static JsonNode child(JsonNode container, Object e) {
        return e instanceof Integer i ? container.get(i) : container.get((String) e);
    }

    private static void set(ObjectNode item, Path p, JsonNode v) {
        JsonNode container = parent(item, p);
        if (container == null) throw AwsException.validation(INVALID_PATH);
        Object last = p.elements().get(p.elements().size() - 1);
        if (last instanceof Integer i) {
            ArrayNode l = (ArrayNode) container;
            if (i < l.size()) l.set(i, v.deepCopy());
            else l.add(v.deepCopy());
        } else {
            ((ObjectNode) container).set((String) last, v.deepCopy());
        }
    }

    private static void remove(ObjectNode item, Path p) {
        JsonNode container = parent(item, p);
        if (container == null) return;
        Object last = p.elements().get(p.elements().size() - 1);
        if (last instanceof Integer i) {
            if (container instanceof ArrayNode l && i < l.size()) l.remove(i);
        } else if (container instanceof ObjectNode m) {
            m.remove((String) last);
        }
    }

    private static void add(ObjectNode item, Path p, JsonNode v) {
        JsonNode existing = Evaluator.get(item, p);
        if (existing == null) {
            set(item, p, v);
            return;
        }
        String t = AttributeValues.type(existing);
        if (!t.equals(AttributeValues.type(v))) throw AwsException.validation(BAD_TYPE);
        if (t.equals("N")) {
            set(item, p, AttributeValues.n(AttributeValues.add(AttributeValues.number(existing), AttributeValues.number(v))));
            return;
        }
        ArrayNode union = ((ArrayNode) existing.get(t)).deepCopy();
        for (JsonNode m : v.get(t)) if (!AttributeValues.setContains(t, union, m)) union.add(m);
        set(item, p, AttributeValues.of(t, union));
    }

    private static void delete(ObjectNode item, Path p, JsonNode v) {
        JsonNode existing = Evaluator.get(item, p);
        if (existing == null) return;
        String t = AttributeValues.type(existing);
        if (!t.equals(AttributeValues.type(v))) throw AwsException.validation(BAD_TYPE);
        ArrayNode left = Values.array();
        for (JsonNode m : existing.get(t)) if (!AttributeValues.setContains(t, v.get(t), m)) left.add(m);
        if (left.isEmpty()) remove(item, p);
        else set(item, p, AttributeValues.of(t, left));
    }
}
