package dev.nimbus.services.dynamodb.expr;

import dev.nimbus.protocol.AwsException;
import dev.nimbus.services.dynamodb.expr.Ast.Action;
import dev.nimbus.services.dynamodb.expr.Ast.And;
import dev.nimbus.services.dynamodb.expr.Ast.Arithmetic;
import dev.nimbus.services.dynamodb.expr.Ast.Between;
import dev.nimbus.services.dynamodb.expr.Ast.Call;
import dev.nimbus.services.dynamodb.expr.Ast.Clause;
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
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Recursive-descent parser of one DynamoDB expression. Errors are DynamoDB's ValidationExceptions,
 * prefixed "Invalid &lt;Kind&gt;: " and naming the token and where it is.
 */
final class Parser {
    static final Set<String> RESERVED = loadReserved();
    private static final Set<String> CONDITION_FUNCTIONS = Set.of("attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains");
    private static final Set<String> COMPARATORS = Set.of("=", "<>", "<", "<=", ">", ">=");

    private record Token(String kind, String text, int start, int end) {}

    private final String kind;
    private final String text;
    private final Expressions context;
    private final List<Token> tokens;
    private int pos;

    Parser(String kind, String text, Expressions context) {
        this.kind = kind;
        this.text = text;
        this.context = context;
        if (text.isBlank()) throw invalid("The expression can not be empty;");
        this.tokens = lex();
    }

    // ---- entry points

    Condition condition() {
        Condition c = or();
        expectEnd();
        return c;
    }

    List<Action> update() {
        List<Action> actions = new ArrayList<>();
        Set<Clause> seen = EnumSet.noneOf(Clause.class);
        do {
            Token t = peek();
            Clause clause = t.kind.equals("id") ? clauseOf(t.text) : null;
            if (clause == null) throw syntax(t);
            if (!seen.add(clause)) throw invalid("The \"" + clause + "\" section can only be used once in an update expression;");
            pos++;
            do {
                Path p = path();
                switch (clause) {
                    case SET -> {
                        expect("=");
                        actions.add(new Action(clause, p, setValue()));
                    }
                    case REMOVE -> actions.add(new Action(clause, p, null));
                    case ADD, DELETE -> {
                        Token v = peek();
                        if (!v.kind.equals("value")) throw syntax(v);
                        actions.add(new Action(clause, p, operand()));
                    }
                }
            } while (accept(","));
        } while (!peek().kind.equals("eof"));
        return actions;
    }

    List<Path> projection() {
        List<Path> paths = new ArrayList<>();
        do paths.add(path());
        while (accept(","));
        expectEnd();
        return paths;
    }

    private static Clause clauseOf(String word) {
        return switch (word.toUpperCase(Locale.ROOT)) {
            case "SET" -> Clause.SET;
            case "REMOVE" -> Clause.REMOVE;
            case "ADD" -> Clause.ADD;
            case "DELETE" -> Clause.DELETE;
            default -> null;
        };
    }

    // ---- conditions

    private Condition or() {
        Condition c = and();
        while (acceptWord("OR")) c = new Or(c, and());
        return c;
    }

    private Condition and() {
        Condition c = not();
        while (acceptWord("AND")) c = new And(c, not());
        return c;
    }

    private Condition not() {
        if (acceptWord("NOT")) return new Not(not());
        return primary();
    }

    private Condition primary() {
        Token t = peek();
        if (t.text.equals("(") && t.kind.equals("op")) {
            pos++;
            Condition c = or();
            expect(")");
            return c;
        }
        if (t.kind.equals("id") && peekAt(1).text.equals("(")) {
            String name = t.text;
            if (CONDITION_FUNCTIONS.contains(name)) {
                pos += 2;
                List<Operand> args = arguments();
                checkFunction(name, args);
                return new Function(name, args);
            }
            if (!name.equals("size")) throw invalid("Invalid function name; function: " + name);
        }
        Operand left = operand();
        Token op = peek();
        if (op.kind.equals("op") && COMPARATORS.contains(op.text)) {
            pos++;
            return new Compare(op.text, left, operand());
        }
        if (isWord(op, "BETWEEN")) {
            pos++;
            Operand low = operand();
            if (!acceptWord("AND")) throw syntax(peek());
            return new Between(left, low, operand());
        }
        if (isWord(op, "IN")) {
            pos++;
            expect("(");
            List<Operand> list = new ArrayList<>();
            do list.add(operand());
            while (accept(","));
            expect(")");
            return new In(left, list);
        }
        throw syntax(op);
    }

    private void checkFunction(String name, List<Operand> args) {
        int arity = name.startsWith("attribute_") && !name.equals("attribute_type") ? 1 : 2;
        if (args.size() != arity) {
            throw invalid("Incorrect number of operands for operator or function; operator or function: " + name + ", number of operands: " + args.size());
        }
        if (!(args.get(0) instanceof PathOperand)) {
            throw invalid("Operator or function requires a document path; operator or function: " + name);
        }
    }

    // ---- operands

    private Operand setValue() {
        Operand left = updateOperand();
        Token t = peek();
        if (t.kind.equals("op") && (t.text.equals("+") || t.text.equals("-"))) {
            pos++;
            return new Arithmetic(t.text.charAt(0), left, updateOperand());
        }
        return left;
    }

    private Operand updateOperand() {
        Token t = peek();
        if (t.kind.equals("id") && peekAt(1).text.equals("(")) {
            String name = t.text;
            if (!name.equals("if_not_exists") && !name.equals("list_append")) throw invalid("Invalid function name; function: " + name);
            pos += 2;
            List<Operand> args = new ArrayList<>();
            if (!peek().text.equals(")")) {
                do args.add(updateOperand());
                while (accept(","));
            }
            expect(")");
            if (args.size() != 2) {
                throw invalid("Incorrect number of operands for operator or function; operator or function: " + name + ", number of operands: " + args.size());
            }
            if (name.equals("if_not_exists") && !(args.get(0) instanceof PathOperand)) {
                throw invalid("Operator or function requires a document path; operator or function: " + name);
            }
            return new Call(name, args);
        }
        return operand();
    }

    private Operand operand() {
        Token t = peek();
        if (t.kind.equals("value")) {
            pos++;
            return new ValueOperand(t.text, context.value(t.text, kind));
        }
        if (t.kind.equals("id") && peekAt(1).text.equals("(")) {
            if (!t.text.equals("size")) throw invalid("Invalid function name; function: " + t.text);
            pos += 2;
            List<Operand> args = arguments();
            if (args.size() != 1) throw invalid("Incorrect number of operands for operator or function; operator or function: size, number of operands: " + args.size());
            if (!(args.get(0) instanceof PathOperand)) throw invalid("Operator or function requires a document path; operator or function: size");
            return new Call("size", args);
        }
        if (t.kind.equals("id") || t.kind.equals("name")) return new PathOperand(path());
        throw syntax(t);
    }

    private List<Operand> arguments() {
        List<Operand> args = new ArrayList<>();
        if (!peek().text.equals(")")) {
            do args.add(operand());
            while (accept(","));
        }
        expect(")");
        return args;
    }

    private Path path() {
        List<Object> elements = new ArrayList<>();
        do {
            Token t = peek();
            if (t.kind.equals("name")) {
                elements.add(context.name(t.text, kind));
            } else if (t.kind.equals("id")) {
                if (RESERVED.contains(t.text.toUpperCase(Locale.ROOT))) throw invalid("Attribute name is a reserved keyword; reserved keyword: " + t.text);
                elements.add(t.text);
            } else {
                throw syntax(t);
            }
            pos++;
            while (accept("[")) {
                Token n = peek();
                if (!n.kind.equals("number")) throw syntax(n);
                pos++;
                try {
                    elements.add(Integer.parseInt(n.text));
                } catch (NumberFormatException e) {
                    throw invalid("List index is not within the allowable range; index: [" + n.text + "]");
                }
                expect("]");
            }
        } while (accept("."));
        return new Path(elements);
    }

    // ---- tokens

    private Token peek() {
        return tokens.get(pos);
    }

    private Token peekAt(int ahead) {
        return tokens.get(Math.min(pos + ahead, tokens.size() - 1));
    }

    private boolean accept(String op) {
        Token t = peek();
        if (t.kind.equals("op") && t.text.equals(op)) {
            pos++;
            return true;
        }
        return false;
    }

    private static boolean isWord(Token t, String word) {
        return t.kind.equals("id") && t.text.equalsIgnoreCase(word);
    }

    private boolean acceptWord(String word) {
        if (isWord(peek(), word)) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(String op) {
        if (!accept(op)) throw syntax(peek());
    }

    private void expectEnd() {
        if (!peek().kind.equals("eof")) throw syntax(peek());
    }

    private List<Token> lex() {
        List<Token> out = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            if (c == '#' || c == ':') {
                i++;
                while (i < text.length() && isWordChar(text.charAt(i))) i++;
                // a lone # or : is a token no rule accepts: the parser reports it with its neighbours
                out.add(new Token(i == start + 1 ? "bad" : c == '#' ? "name" : "value", text.substring(start, i), start, i));
            } else if (Character.isDigit(c)) {
                while (i < text.length() && Character.isDigit(text.charAt(i))) i++;
                out.add(new Token("number", text.substring(start, i), start, i));
            } else if (isWordChar(c)) {
                while (i < text.length() && isWordChar(text.charAt(i))) i++;
                out.add(new Token("id", text.substring(start, i), start, i));
            } else if ((c == '<' || c == '>') && i + 1 < text.length() && (text.charAt(i + 1) == '=' || (c == '<' && text.charAt(i + 1) == '>'))) {
                i += 2;
                out.add(new Token("op", text.substring(start, i), start, i));
            } else if ("=<>(),.[]+-".indexOf(c) >= 0) {
                i++;
                out.add(new Token("op", String.valueOf(c), start, i));
            } else {
                throw invalid("Invalid character encountered; character: " + c + ", position: " + (start + 1));
            }
        }
        out.add(new Token("eof", "<EOF>", text.length(), text.length()));
        return out;
    }

    private static boolean isWordChar(char c) {
        return c == '_' || (c < 128 && Character.isLetterOrDigit(c));
    }

    /** DynamoDB shows the bad token and the text around it, from the token before it to the one after it. */
    private AwsException syntax(Token t) {
        int i = tokens.indexOf(t);
        int from = i > 0 ? tokens.get(i - 1).start : t.start;
        int to = i + 1 < tokens.size() && !tokens.get(i + 1).kind.equals("eof") ? tokens.get(i + 1).end : t.end;
        return invalid("Syntax error; token: \"" + t.text + "\", near: \"" + text.substring(from, to) + "\"");
    }

    private AwsException invalid(String detail) {
        return AwsException.validation("Invalid " + kind + ": " + detail);
    }

    private static Set<String> loadReserved() {
        try (InputStream in = Parser.class.getResourceAsStream("/dynamodb/reserved-words.txt")) {
            return Set.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip().split("\\s+"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
