package dev.nimbus.services.dynamodb.expr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The expression parser, condition evaluator and update applier, without a server. */
class ExpressionsTest {
    static JsonNode json(String s) {
        try {
            return Values.JSON.readTree(s.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static final ObjectNode ITEM = (ObjectNode) json("{'pk':{'S':'u1'},'age':{'N':'42'},'name':{'S':'Ada Lovelace'},'tags':{'SS':['a','b']},"
            + "'nums':{'NS':['1','2']},'lst':{'L':[{'S':'x'},{'N':'1'},{'M':{'deep':{'S':'y'}}}]},'mp':{'M':{'k':{'S':'v'},'n':{'N':'5'}}},"
            + "'flag':{'BOOL':true},'nothing':{'NULL':true}}");

    static boolean test(String condition, String values) {
        return test(condition, "{'#n':'name'}", values);
    }

    static boolean test(String condition, String names, String values) {
        Expressions x = new Expressions(names == null ? null : json(names), values == null ? null : json(values));
        Ast.Condition c = x.condition("ConditionExpression", condition);
        return Evaluator.test(c, ITEM, "ConditionExpression");
    }

    static String error(Runnable r) {
        return assertThrows(AwsException.class, r::run).getMessage();
    }

    @Test
    void comparatorsAndLogic() {
        assertTrue(test("age = :a", null, "{':a':{'N':'42.0'}}"));
        assertTrue(test("age <> :a", null, "{':a':{'N':'41'}}"));
        assertTrue(test("age < :a AND age <= :b", null, "{':a':{'N':'43'},':b':{'N':'42'}}"));
        assertTrue(test("age > :a OR age >= :b", null, "{':a':{'N':'50'},':b':{'N':'42'}}"));
        assertFalse(test("NOT (age > :a OR age >= :b)", null, "{':a':{'N':'50'},':b':{'N':'42'}}"));
        assertTrue(test("age BETWEEN :lo AND :hi", null, "{':lo':{'N':'40'},':hi':{'N':'42'}}"));
        assertTrue(test("age IN (:a, :b)", null, "{':a':{'N':'1'},':b':{'N':'42'}}"));
        assertFalse(test("age < :s", null, "{':s':{'S':'zzz'}}"), "different types never compare");
        assertFalse(test("absent = :a", null, "{':a':{'N':'1'}}"));
        assertTrue(test("a = :x OR b = :x AND c = :x OR age = :a", null, "{':x':{'S':'q'},':a':{'N':'42'}}"), "AND binds tighter than OR");
    }

    @Test
    void functionsAndNestedPaths() {
        assertTrue(test("attribute_exists(#n) AND attribute_not_exists(absent)", "{'#n':'name'}", null));
        assertTrue(test("attribute_type(age, :t)", null, "{':t':{'S':'N'}}"));
        assertTrue(test("begins_with(#n, :p)", "{'#n':'name'}", "{':p':{'S':'Ada'}}"));
        assertTrue(test("contains(#n, :p) AND contains(tags, :t) AND contains(nums, :one) AND contains(lst, :x)", "{'#n':'name'}",
                "{':p':{'S':'Love'},':t':{'S':'b'},':one':{'N':'1'},':x':{'S':'x'}}"));
        assertTrue(test("size(#n) = :twelve AND size(tags) = :two AND size(lst) > :two", "{'#n':'name'}", "{':twelve':{'N':'12'},':two':{'N':'2'}}"));
        assertTrue(test("lst[2].deep = :y AND #m.k = :v", "{'#m':'mp'}", "{':y':{'S':'y'},':v':{'S':'v'}}"));
        assertEquals("Invalid ConditionExpression: Invalid attribute type name found in type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
                error(() -> test("attribute_type(age, :t)", null, "{':t':{'S':'X'}}")));
    }

    @Test
    void errorsNameTheProblem() {
        assertEquals("Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name",
                error(() -> test("name = :v", null, "{':v':{'S':'x'}}")));
        assertEquals("Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x",
                error(() -> test("#x = :v", null, "{':v':{'S':'x'}}")));
        assertEquals("Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :w",
                error(() -> test("a = :w", null, "{':v':{'S':'x'}}")));
        assertEquals("Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\"", error(() -> test("a =", null, null)));
        assertEquals("Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = :v\"", error(() -> test("a = = :v", null, "{':v':{'S':'x'}}")));
        assertEquals("Invalid UpdateExpression: Syntax error; token: \":\", near: \"hits : incr\"",
                error(() -> new Expressions(null, null).update("ADD hits : incr")));
        assertEquals("Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\"",
                error(() -> new Expressions(null, null).update("INVALID SYNTAX HERE")));
        assertEquals("Invalid ConditionExpression: Invalid function name; function: nope", error(() -> test("nope(a)", null, null)));
        assertEquals("Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2",
                error(() -> test("attribute_exists(a, b)", null, null)));
        assertEquals("Invalid ConditionExpression: The expression can not be empty;", error(() -> test(" ", null, null)));
        Expressions x = new Expressions(json("{'#a':'a','#b':'b'}"), json("{':v':{'S':'x'},':u':{'S':'y'}}"));
        x.condition("ConditionExpression", "#a = :v");
        assertEquals("Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}", error(x::checkUnused));
        Expressions y = new Expressions(null, json("{':v':{'S':'x'},':u':{'S':'y'}}"));
        y.condition("ConditionExpression", "a = :v");
        assertEquals("Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}", error(y::checkUnused));
        assertEquals("ExpressionAttributeValues can only be specified when using expressions", error(new Expressions(null, json("{':v':{'S':'x'}}"))::checkUnused));
    }

    static ObjectNode update(String expression, String names, String values) {
        Expressions x = new Expressions(names == null ? null : json(names), values == null ? null : json(values));
        List<Ast.Action> actions = x.update(expression);
        x.checkUnused();
        Updates.check(actions, Set.of("pk"));
        return Updates.apply(ITEM, actions);
    }

    @Test
    void updateExpressionClauses() {
        ObjectNode u = update("SET age = age + :one, #n = :n, mp.k = :v, lst[1] = :v, lst[9] = :v, created = if_not_exists(created, :v), "
                + "lst2 = list_append(:l, lst) REMOVE flag, lst[0] ADD nums :ns, cnt :one DELETE tags :t", "{'#n':'name'}",
                "{':one':{'N':'1'},':n':{'S':'Grace'},':v':{'S':'new'},':l':{'L':[{'S':'first'}]},':ns':{'NS':['3','1']},':t':{'SS':['a']}}");
        assertEquals("43", u.get("age").get("N").asText());
        assertEquals("Grace", u.get("name").get("S").asText());
        assertEquals("new", u.get("mp").get("M").get("k").get("S").asText());
        assertEquals("new", u.get("created").get("S").asText());
        // SET lst[1] then lst[9] appends; REMOVE lst[0] drops the original first element
        assertEquals("[{\"S\":\"new\"},{\"M\":{\"deep\":{\"S\":\"y\"}}},{\"S\":\"new\"}]", u.get("lst").get("L").toString());
        assertEquals(4, u.get("lst2").get("L").size());
        assertFalse(u.has("flag"));
        assertEquals(3, u.get("nums").get("NS").size());
        assertEquals("1", u.get("cnt").get("N").asText());
        assertEquals("[\"b\"]", u.get("tags").get("SS").toString());
        ObjectNode gone = update("DELETE tags :t", null, "{':t':{'SS':['a','b']}}");
        assertFalse(gone.has("tags"), "a set emptied by DELETE is removed");
    }

    @Test
    void updateErrors() {
        assertEquals("Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [mp], path two: [mp, k]",
                error(() -> update("SET mp = :v REMOVE mp.k", null, "{':v':{'S':'x'}}")));
        assertEquals("One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
                error(() -> update("SET pk = :v", null, "{':v':{'S':'x'}}")));
        assertEquals("An operand in the update expression has an incorrect data type", error(() -> update("SET x = #n + :v", "{'#n':'name'}", "{':v':{'N':'1'}}")));
        assertEquals("The provided expression refers to an attribute that does not exist in the item", error(() -> update("SET x = absent + :v", null, "{':v':{'N':'1'}}")));
        assertEquals("The document path provided in the update expression is invalid for update", error(() -> update("SET absent.deep = :v", null, "{':v':{'N':'1'}}")));
        assertEquals("Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;",
                error(() -> update("SET a = :v SET b = :v", null, "{':v':{'N':'1'}}")));
        assertEquals("Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND",
                error(() -> update("ADD a :v", null, "{':v':{'S':'x'}}")));
        assertEquals("Number overflow. Attempting to store a number with magnitude larger than supported range",
                error(() -> update("SET a = :big + :big", null, "{':big':{'N':'9E+125'}}")));
    }

    @Test
    void projectionKeepsNestedPaths() {
        Expressions x = new Expressions(json("{'#n':'name'}"), null);
        ObjectNode p = Evaluator.project(ITEM, x.projection("#n, mp.k, lst[2].deep, absent"));
        assertEquals(json("{'name':{'S':'Ada Lovelace'},'mp':{'M':{'k':{'S':'v'}}},'lst':{'L':[{'M':{'deep':{'S':'y'}}}]}}"), p);
    }
}
