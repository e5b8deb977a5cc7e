package dev.nimbus.services.dynamodb.expr;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.services.dynamodb.AttributeValues;
import dev.nimbus.services.dynamodb.expr.Ast.Action;
import dev.nimbus.services.dynamodb.expr.Ast.Condition;
import dev.nimbus.services.dynamodb.expr.Ast.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The expressions of one request and the ExpressionAttributeNames / Values they share: parses
 * each, resolves #names and :values, and afterwards refuses names or values no expression used,
 * as DynamoDB does.
 */
public final class Expressions {
    private final Map<String, String> names = new LinkedHashMap<>();
    private final Map<String, JsonNode> values = new LinkedHashMap<>();
    private final Set<String> usedNames = new LinkedHashSet<>();
    private final Set<String> usedValues = new LinkedHashSet<>();
    private int parsed;

    /** From a request's ExpressionAttributeNames and ExpressionAttributeValues (either may be null). */
    public Expressions(JsonNode names, JsonNode values) {
        if (names != null && !names.isNull()) {
            if (names.isEmpty()) throw AwsException.validation("ExpressionAttributeNames must not be empty");
            Iterator<Map.Entry<String, JsonNode>> it = names.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().startsWith("#") || e.getKey().length() < 2) {
                    throw AwsException.validation("ExpressionAttributeNames contains invalid key: Syntax error; key: \"" + e.getKey() + "\"");
                }
                this.names.put(e.getKey(), e.getValue().asText());
            }
        }
        if (values != null && !values.isNull()) {
            if (values.isEmpty()) throw AwsException.validation("ExpressionAttributeValues must not be empty");
            Iterator<Map.Entry<String, JsonNode>> it = values.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().startsWith(":") || e.getKey().length() < 2) {
                    throw AwsException.validation("ExpressionAttributeValues contains invalid key: Syntax error; key: \"" + e.getKey() + "\"");
                }
                try {
                    this.values.put(e.getKey(), AttributeValues.validate(e.getValue()));
                } catch (AwsException bad) {
                    String why = bad.getMessage().replace("One or more parameter values were invalid: ", "");
                    throw AwsException.validation("ExpressionAttributeValues contains invalid value: " + why + " for key " + e.getKey());
                }
            }
        }
    }

    public static Expressions none() {
        return new Expressions(null, null);
    }

    /** A condition-like expression (ConditionExpression, FilterExpression, KeyConditionExpression), or null when text is null. */
    public Condition condition(String kind, String text) {
        if (text == null) return null;
        parsed++;
        return new Parser(kind, text, this).condition();
    }

    public List<Action> update(String text) {
        if (text == null) return null;
        parsed++;
        return new Parser("UpdateExpression", text, this).update();
    }

    public List<Path> projection(String text) {
        if (text == null) return null;
        parsed++;
        return new Parser("ProjectionExpression", text, this).projection();
    }

    /** After every expression of the request is parsed: names or values given but unused are errors. */
    public void checkUnused() {
        if (parsed == 0) {
            if (!values.isEmpty()) throw AwsException.validation("ExpressionAttributeValues can only be specified when using expressions");
            if (!names.isEmpty()) throw AwsException.validation("ExpressionAttributeNames can only be specified when using expressions");
            return;
        }
        Set<String> unusedNames = new TreeSet<>(names.keySet());
        unusedNames.removeAll(usedNames);
        if (!unusedNames.isEmpty()) {
            throw AwsException.validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {" + String.join(", ", unusedNames) + "}");
        }
        Set<String> unusedValues = new TreeSet<>(values.keySet());
        unusedValues.removeAll(usedValues);
        if (!unusedValues.isEmpty()) {
            throw AwsException.validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {" + String.join(", ", unusedValues) + "}");
        }
    }

    String name(String ref, String kind) {
        String n = names.get(ref);
        if (n == null) {
            throw AwsException.validation("Invalid " + kind + ": An expression attribute name used in the document path is not defined; attribute name: " + ref);
        }
        usedNames.add(ref);
        return n;
    }

    JsonNode value(String ref, String kind) {
        JsonNode v = values.get(ref);
        if (v == null) throw AwsException.validation("Invalid " + kind + ": An expression attribute value used in expression is not defined; attribute value: " + ref);
        usedValues.add(ref);
        return v;
    }
}
