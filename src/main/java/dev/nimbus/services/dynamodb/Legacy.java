package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.dynamodb.expr.Ast;
import dev.nimbus.services.dynamodb.expr.Ast.Action;
import dev.nimbus.services.dynamodb.expr.Ast.Clause;
import dev.nimbus.services.dynamodb.expr.Ast.Condition;
import dev.nimbus.services.dynamodb.expr.Ast.Operand;
import dev.nimbus.services.dynamodb.expr.Ast.Path;
import dev.nimbus.services.dynamodb.expr.Expressions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The parameters DynamoDB had before expressions (Expected, AttributeUpdates, AttributesToGet,
 * KeyConditions, QueryFilter, ScanFilter), turned into the same parsed forms, so one evaluator
 * serves both. A request may use one style or the other, not both.
 */
final class Legacy {
    private Legacy() {}

    /** ConditionExpression (or FilterExpression), or the legacy map named alongside it. */
    static Condition condition(Expressions x, JsonNode in, String member) {
        String legacy = switch (member) {
            case "ConditionExpression" -> "Expected";
            case "FilterExpression" -> in.has("QueryFilter") ? "QueryFilter" : "ScanFilter";
            default -> "KeyConditions";
        };
        String text = Values.text(in, member, null);
        JsonNode old = in.get(legacy);
        if (text != null && old != null && !old.isNull()) throw mixed(legacy, member);
        if (old == null || old.isNull()) return x.condition(member, text);
        boolean or = "OR".equals(Values.text(in, "ConditionalOperator", "AND"));
        Condition out = null;
        Iterator<Map.Entry<String, JsonNode>> it = old.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Condition c = legacyCondition(e.getKey(), e.getValue());
            out = out == null ? c : or ? new Ast.Or(out, c) : new Ast.And(out, c);
        }
        return out;
    }

    private static AwsException mixed(String legacy, String expression) {
        return AwsException.validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {" + legacy
                + "} Expression parameters: {" + expression + "}");
    }

    private static Condition legacyCondition(String name, JsonNode spec) {
        Operand path = new Ast.PathOperand(new Path(List.of(name)));
        List<Operand> values = new ArrayList<>();
        for (JsonNode v : spec.path("AttributeValueList")) values.add(value(v));
        if (spec.has("Value") && !spec.has("ComparisonOperator")) {
            if (spec.path("Exists").asBoolean(true)) return new Ast.Compare("=", path, value(spec.get("Value")));
            throw AwsException.validation("One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: " + name);
        }
        if (spec.has("Exists") && !spec.has("ComparisonOperator")) {
            return new Ast.Function(spec.get("Exists").asBoolean() ? "attribute_exists" : "attribute_not_exists", List.of(path));
        }
        String op = spec.path("ComparisonOperator").asText("EQ");
        if (spec.has("Value")) values.add(value(spec.get("Value")));
        int needed = switch (op) {
            case "NULL", "NOT_NULL" -> 0;
            case "BETWEEN" -> 2;
            case "IN" -> -1;
            default -> 1;
        };
        if ((needed >= 0 && values.size() != needed) || (needed < 0 && values.isEmpty())) {
            throw AwsException.validation("One or more parameter values were invalid: Invalid number of argument(s) for the " + op + " ComparisonOperator");
        }
        return switch (op) {
            case "EQ" -> new Ast.Compare("=", path, values.get(0));
            case "NE" -> new Ast.Compare("<>", path, values.get(0));
            case "LT" -> new Ast.Compare("<", path, values.get(0));
            case "LE" -> new Ast.Compare("<=", path, values.get(0));
            case "GT" -> new Ast.Compare(">", path, values.get(0));
            case "GE" -> new Ast.Compare(">=", path, values.get(0));
            case "NULL" -> new Ast.Function("attribute_not_exists", List.of(path));
            case "NOT_NULL" -> new Ast.Function("attribute_exists", List.of(path));
            case "CONTAINS" -> new Ast.Function("contains", List.of(path, values.get(0)));
            case "NOT_CONTAINS" -> new Ast.Not(new Ast.Function("contains", List.of(path, values.get(0))));
            case "BEGINS_WITH" -> new Ast.Function("begins_with", List.of(path, values.get(0)));
            case "IN" -> new Ast.In(path, values);
            case "BETWEEN" -> new Ast.Between(path, values.get(0), values.get(1));
            default -> throw AwsException.validation("One or more parameter values were invalid: Unsupported operator on KeyCondition: " + op);
        };
    }

    private static Operand value(JsonNode av) {
        return new Ast.ValueOperand(null, AttributeValues.validate(av));
    }

    /** UpdateExpression, or AttributeUpdates as the same actions; null when neither. */
    static List<Action> updates(Expressions x, JsonNode in) {
        String text = Values.text(in, "UpdateExpression", null);
        JsonNode old = in.get("AttributeUpdates");
        if (text != null && old != null && !old.isNull()) throw mixed("AttributeUpdates", "UpdateExpression");
        if (old == null || old.isNull()) return x.update(text);
        List<Action> actions = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = old.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Path p = new Path(List.of(e.getKey()));
            JsonNode v = e.getValue().get("Value");
            String action = e.getValue().path("Action").asText("PUT");
            Operand value = v == null || v.isNull() ? null : value(v);
            switch (action) {
                case "PUT" -> {
                    if (value == null) throw AwsException.validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified");
                    actions.add(new Action(Clause.SET, p, value));
                }
                case "DELETE" -> actions.add(new Action(value == null ? Clause.REMOVE : Clause.DELETE, p, value));
                default -> {
                    if (value == null) throw AwsException.validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified");
                    actions.add(new Action(Clause.ADD, p, value));
                }
            }
        }
        return actions;
    }

    /** ProjectionExpression, or AttributesToGet as top-level paths; null for the whole item. */
    static List<Path> projection(Expressions x, JsonNode in) {
        String text = Values.text(in, "ProjectionExpression", null);
        JsonNode old = in.get("AttributesToGet");
        if (text != null && old != null && !old.isNull()) throw mixed("AttributesToGet", "ProjectionExpression");
        if (old == null || old.isNull()) return x.projection(text);
        List<Path> paths = new ArrayList<>();
        for (JsonNode n : old) paths.add(new Path(List.of(n.asText())));
        return paths;
    }
}
