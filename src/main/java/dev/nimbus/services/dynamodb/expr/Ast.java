package dev.nimbus.services.dynamodb.expr;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** The parsed forms of DynamoDB's expressions (condition, filter, key condition, update, projection). */
public final class Ast {
    private Ast() {}

    /** A document path: attribute names (String) and list indexes (Integer), names already resolved. */
    public record Path(List<Object> elements) {
        public String first() {
            return (String) elements.get(0);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            for (Object e : elements) {
                if (e instanceof Integer i) b.append('[').append(i).append(']');
                else b.append(b.isEmpty() ? "" : ".").append(e);
            }
            return b.toString();
        }
    }

    public sealed interface Operand permits PathOperand, ValueOperand, Call, Arithmetic {}

    public record PathOperand(Path path) implements Operand {}

    public record ValueOperand(String ref, JsonNode value) implements Operand {}

    /** size(path), and in updates if_not_exists(path, operand) and list_append(a, b). */
    public record Call(String name, List<Operand> args) implements Operand {}

    /** SET a = b + c / b - c */
    public record Arithmetic(char op, Operand left, Operand right) implements Operand {}

    public sealed interface Condition permits Compare, Between, In, And, Or, Not, Function {}

    public record Compare(String op, Operand left, Operand right) implements Condition {}

    public record Between(Operand value, Operand low, Operand high) implements Condition {}

    public record In(Operand value, List<Operand> candidates) implements Condition {}

    public record And(Condition left, Condition right) implements Condition {}

    public record Or(Condition left, Condition right) implements Condition {}

    public record Not(Condition condition) implements Condition {}

    /** attribute_exists, attribute_not_exists, attribute_type, begins_with, contains. */
    public record Function(String name, List<Operand> args) implements Condition {}

    public enum Clause { SET, REMOVE, ADD, DELETE }

    /** One action of an update expression: SET path = value, REMOVE path, ADD path :v, DELETE path :v. */
    public record Action(Clause clause, Path path, Operand value) {}
}
