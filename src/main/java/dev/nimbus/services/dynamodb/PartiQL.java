package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.dynamodb.expr.Ast;
import dev.nimbus.services.dynamodb.expr.Ast.Action;
import dev.nimbus.services.dynamodb.expr.Ast.Clause;
import dev.nimbus.services.dynamodb.expr.Ast.Condition;
import dev.nimbus.services.dynamodb.expr.Ast.Operand;
import dev.nimbus.services.dynamodb.expr.Ast.Path;
import dev.nimbus.services.dynamodb.expr.Evaluator;
import dev.nimbus.services.dynamodb.expr.Updates;
import dev.nimbus.store.Table;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * PartiQL for DynamoDB: SELECT, INSERT, UPDATE and DELETE statements with ? parameters, turned into
 * the same parsed conditions and update actions as the expression language, run by Items.
 * ExecuteStatement, BatchExecuteStatement (each statement on its own) and ExecuteTransaction.
 */
final class PartiQL {
    private static final int PAGE_BYTES = 1024 * 1024;

    private final Items items;
    private final Tables tables;
    private final Batches batches;

    PartiQL(Items items, Tables tables, Batches batches) {
        this.items = items;
        this.tables = tables;
        this.batches = batches;
    }

    // ---- operations

    JsonNode executeStatement(RequestContext ctx, ObjectNode in) {
        Statement s = parse(ctx, Values.text(in, "Statement"), in.get("Parameters"));
        if (s.kind.equals("SELECT")) return select(s, Values.integer(in, "Limit", Integer.MAX_VALUE), Values.text(in, "NextToken", null));
        items.store().transaction(() -> items.apply(s.write));
        return Values.object();
    }

    JsonNode batchExecute(RequestContext ctx, ObjectNode in) {
        ArrayNode responses = Values.array();
        for (JsonNode st : in.path("Statements")) {
            ObjectNode r = Values.object();
            try {
                Statement s = parse(ctx, Values.text(st, "Statement"), st.get("Parameters"));
                r.put("TableName", s.table.name);
                if (s.kind.equals("SELECT")) {
                    if (s.key == null) throw AwsException.validation("Batch select statements must specify the full primary key");
                    ObjectNode item = items.read(s.table.itemKey(s.key));
                    if (item != null && Evaluator.test(s.where, item, "Statement")) r.set("Item", s.projection == null ? item : Evaluator.project(item, s.projection));
                } else {
                    items.store().transaction(() -> items.apply(s.write));
                }
            } catch (AwsException e) {
                String code = e.code().endsWith("Exception") ? e.code().substring(0, e.code().length() - "Exception".length()) : e.code();
                r.set("Error", Values.object().put("Code", code).put("Message", e.getMessage()));
            }
            responses.add(r);
        }
        return Values.object().set("Responses", responses);
    }

    JsonNode executeTransaction(RequestContext ctx, ObjectNode in) {
        List<Statement> statements = new ArrayList<>();
        for (JsonNode st : in.path("TransactStatements")) statements.add(parse(ctx, Values.text(st, "Statement"), st.get("Parameters")));
        boolean reads = statements.stream().anyMatch(s -> s.kind.equals("SELECT"));
        if (reads && statements.stream().anyMatch(s -> !s.kind.equals("SELECT"))) {
            throw AwsException.validation("Transaction must contain only reads or only writes");
        }
        if (reads) {
            ArrayNode responses = Values.array();
            List<ObjectNode> found = items.store().transaction(() -> {
                List<ObjectNode> r = new ArrayList<>();
                for (Statement s : statements) {
                    if (s.key == null) throw AwsException.validation("Select statements within a transaction must specify the full primary key");
                    r.add(items.read(s.table.itemKey(s.key)));
                }
                return r;
            });
            for (int i = 0; i < found.size(); i++) {
                ObjectNode item = found.get(i);
                Statement s = statements.get(i);
                ObjectNode r = Values.object();
                if (item != null) r.set("Item", s.projection == null ? item : Evaluator.project(item, s.projection));
                responses.add(r);
            }
            return Values.object().set("Responses", responses);
        }
        List<Items.Write> writes = new ArrayList<>();
        for (Statement s : statements) writes.add(s.write);
        batches.transact(ctx, writes, Values.text(in, "ClientRequestToken", null), in.path("TransactStatements"));
        return Values.object();
    }

    private JsonNode select(Statement s, int limit, String nextToken) {
        ArrayNode out = Values.array();
        if (s.key != null && s.index == null) {
            ObjectNode item = items.read(s.table.itemKey(s.key));
            if (item != null && Evaluator.test(s.where, item, "Statement")) out.add(s.projection == null ? item : Evaluator.project(item, s.projection));
            return Values.object().set("Items", out);
        }
        String prefix = s.index == null ? s.table.prefix() : s.table.prefix(s.index);
        if (s.partition != null) prefix += KeyEncoding.encode(s.partition);
        String after = nextToken == null ? null : new String(Base64.getUrlDecoder().decode(nextToken), StandardCharsets.UTF_8);
        long bytes = 0;
        int read = 0;
        String last = null;
        var it = items.table().iterate(prefix, after, 256);
        while (it.hasNext()) {
            Table.Entry e = it.next();
            ObjectNode item = Items.decode(e.value());
            read++;
            last = e.key();
            bytes += AttributeValues.itemSize(item);
            if (Evaluator.test(s.where, item, "Statement")) out.add(s.projection == null ? item : Evaluator.project(item, s.projection));
            if (read >= limit || bytes >= PAGE_BYTES) {
                ObjectNode res = Values.object().set("Items", out);
                if (it.hasNext()) res.put("NextToken", Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8)));
                return res;
            }
        }
        return Values.object().set("Items", out);
    }

    // ---- parsing

    /** A parsed statement: for SELECT its target and filter, for writes the prepared write. */
    private static final class Statement {
        String kind;
        TableDef table;
        TableDef.Index index;
        List<Path> projection;
        Condition where;
        ObjectNode key;
        JsonNode partition;
        Items.Write write;
    }

    private record Token(String kind, String text) {}

    private Statement parse(RequestContext ctx, String text, JsonNode parameters) {
        Parser p = new Parser(lex(text), parameters);
        Statement s = new Statement();
        s.kind = p.word().toUpperCase(Locale.ROOT);
        switch (s.kind) {
            case "SELECT" -> {
                if (!p.accept("*")) {
                    s.projection = new ArrayList<>();
                    do s.projection.add(p.path());
                    while (p.accept(","));
                }
                p.expectWord("FROM");
                target(ctx, p, s);
                if (p.acceptWord("WHERE")) s.where = p.or();
                p.end();
                keys(s, false);
            }
            case "INSERT" -> {
                p.expectWord("INTO");
                target(ctx, p, s);
                p.expectWord("VALUE");
                JsonNode value = p.value();
                p.end();
                if (!AttributeValues.type(value).equals("M")) throw AwsException.validation("Unsupported operation: Inserting a non-map value");
                ObjectNode item = s.table.checkItem(AttributeValues.value(value), true);
                // INSERT of an existing key is DuplicateItemException, not a failed condition
                s.write = new Items.Write(s.table, s.table.itemKey(item), s.table.keyOf(item, null), null, old -> {
                    if (old != null) throw new AwsException("DuplicateItemException", "Duplicate primary key exists in table", 400);
                    return item;
                }, null, null);
            }
            case "UPDATE" -> {
                target(ctx, p, s);
                List<Action> actions = new ArrayList<>();
                while (true) {
                    if (p.acceptWord("SET")) {
                        do {
                            Path path = p.path();
                            p.expect("=");
                            Operand v = p.operand();
                            if (p.peek().text.equals("+") || p.peek().text.equals("-")) {
                                char op = p.next().text.charAt(0);
                                v = new Ast.Arithmetic(op, v, p.operand());
                            }
                            actions.add(new Action(Clause.SET, path, v));
                        } while (p.accept(","));
                    } else if (p.acceptWord("REMOVE")) {
                        do actions.add(new Action(Clause.REMOVE, p.path(), null));
                        while (p.accept(","));
                    } else {
                        break;
                    }
                }
                p.expectWord("WHERE");
                s.where = p.or();
                p.end();
                keys(s, true);
                Updates.check(actions, s.table.keyNames);
                ObjectNode key = s.key;
                TableDef t = s.table;
                Condition exists = and(new Ast.Function("attribute_exists", List.of(new Ast.PathOperand(new Path(List.of(t.hash.name()))))), s.where);
                s.write = new Items.Write(t, t.itemKey(key), key, exists, old -> t.checkItem(Updates.apply(old, actions), false), null, null);
            }
            case "DELETE" -> {
                p.expectWord("FROM");
                target(ctx, p, s);
                p.expectWord("WHERE");
                s.where = p.or();
                p.end();
                keys(s, true);
                s.write = new Items.Write(s.table, s.table.itemKey(s.key), s.key, s.where, old -> null, null, null);
            }
            default -> throw AwsException.validation("Statement wasn't well formed, can't be processed: Unsupported statement type: " + s.kind);
        }
        return s;
    }

    private static Condition and(Condition a, Condition b) {
        return b == null ? a : new Ast.And(a, b);
    }

    private void target(RequestContext ctx, Parser p, Statement s) {
        String name = p.name();
        s.table = tables.get(ctx, name);
        if (p.accept(".")) {
            String index = p.name();
            s.index = s.table.index(index);
            if (s.index == null) throw AwsException.validation("The table does not have the specified index: " + index);
        }
    }

    /** Finds equalities on key attributes among the WHERE's top-level ANDs: the full table key, or a partition to read. */
    private static void keys(Statement s, boolean fullKeyRequired) {
        List<Condition> parts = new ArrayList<>();
        flatten(s.where, parts);
        ObjectNode key = Values.object();
        TableDef.Key hash = s.index == null ? s.table.hash : s.index.hash();
        for (Condition c : parts) {
            if (c instanceof Ast.Compare cmp && cmp.op().equals("=") && cmp.left() instanceof Ast.PathOperand po && cmp.right() instanceof Ast.ValueOperand v
                    && po.path().elements().size() == 1) {
                key.set(po.path().first(), v.value());
                if (po.path().first().equals(hash.name())) s.partition = v.value();
            }
        }
        boolean full = key.has(s.table.hash.name()) && (s.table.range == null || key.has(s.table.range.name()));
        if (full) {
            ObjectNode k = Values.object();
            k.set(s.table.hash.name(), key.get(s.table.hash.name()));
            if (s.table.range != null) k.set(s.table.range.name(), key.get(s.table.range.name()));
            s.key = s.table.checkKey(k);
        } else if (fullKeyRequired) {
            throw AwsException.validation("Where clause does not contain a mandatory equality on all key attributes");
        }
        if (s.partition != null && !s.partition.has(hash.type())) s.partition = null;
    }

    private static void flatten(Condition c, List<Condition> out) {
        if (c instanceof Ast.And a) {
            flatten(a.left(), out);
            flatten(a.right(), out);
        } else if (c != null) {
            out.add(c);
        }
    }

    private static List<Token> lex(String text) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '\'' || c == '"') {
                StringBuilder b = new StringBuilder();
                int j = i + 1;
                while (true) {
                    if (j >= text.length()) throw AwsException.validation("Statement wasn't well formed, can't be processed: Unterminated quoted text");
                    char d = text.charAt(j);
                    if (d == c && j + 1 < text.length() && text.charAt(j + 1) == c) {
                        b.append(c);
                        j += 2;
                    } else if (d == c) {
                        break;
                    } else {
                        b.append(d);
                        j++;
                    }
                }
                out.add(new Token(c == '\'' ? "string" : "quoted", b.toString()));
                i = j + 1;
            } else if (Character.isDigit(c) || (c == '-' && i + 1 < text.length() && Character.isDigit(text.charAt(i + 1)) && lastIsOperator(out))) {
                int j = i + 1;
                while (j < text.length() && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '.'
                        || ((text.charAt(j) == '-' || text.charAt(j) == '+') && Character.toLowerCase(text.charAt(j - 1)) == 'e'))) j++;
                out.add(new Token("number", text.substring(i, j)));
                i = j;
            } else if (Character.isLetter(c) || c == '_') {
                int j = i;
                while (j < text.length() && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '_')) j++;
                out.add(new Token("word", text.substring(i, j)));
                i = j;
            } else {
                String two = i + 1 < text.length() ? text.substring(i, i + 2) : "";
                if (List.of("<<", ">>", "<=", ">=", "<>", "!=").contains(two)) {
                    out.add(new Token("op", two.equals("!=") ? "<>" : two));
                    i += 2;
                } else {
                    out.add(new Token("op", String.valueOf(c)));
                    i++;
                }
            }
        }
        out.add(new Token("eof", "<EOF>"));
        return out;
    }

    private static boolean lastIsOperator(List<Token> out) {
        return out.isEmpty() || out.get(out.size() - 1).kind.equals("op") && !out.get(out.size() - 1).text.equals("]");
    }

    private static final class Parser {
        private final List<Token> tokens;
        private final JsonNode parameters;
        private int pos;
        private int parameter;

        Parser(List<Token> tokens, JsonNode parameters) {
            this.tokens = tokens;
            this.parameters = parameters;
        }

        Token peek() {
            return tokens.get(pos);
        }

        Token next() {
            return tokens.get(pos++);
        }

        boolean accept(String op) {
            if (peek().kind.equals("op") && peek().text.equals(op)) {
                pos++;
                return true;
            }
            return false;
        }

        void expect(String op) {
            if (!accept(op)) throw unexpected();
        }

        boolean acceptWord(String w) {
            if (peek().kind.equals("word") && peek().text.equalsIgnoreCase(w)) {
                pos++;
                return true;
            }
            return false;
        }

        void expectWord(String w) {
            if (!acceptWord(w)) throw unexpected();
        }

        String word() {
            if (!peek().kind.equals("word")) throw unexpected();
            return next().text;
        }

        String name() {
            Token t = peek();
            if (!t.kind.equals("word") && !t.kind.equals("quoted")) throw unexpected();
            return next().text;
        }

        void end() {
            if (!peek().kind.equals("eof")) throw unexpected();
            if (parameters != null && parameter != parameters.size()) {
                throw AwsException.validation("Number of parameters in request and statement don't match.");
            }
        }

        AwsException unexpected() {
            return AwsException.validation("Statement wasn't well formed, can't be processed: Unexpected token: " + peek().text);
        }

        Path path() {
            List<Object> elements = new ArrayList<>();
            elements.add(name());
            while (true) {
                if (accept(".")) {
                    elements.add(name());
                } else if (peek().text.equals("[") && peek().kind.equals("op")) {
                    pos++;
                    Token n = next();
                    if (n.kind.equals("number")) elements.add(Integer.parseInt(n.text));
                    else if (n.kind.equals("string")) elements.add(n.text);
                    else throw unexpected();
                    expect("]");
                } else {
                    return new Path(elements);
                }
            }
        }

        Condition or() {
            Condition c = and();
            while (acceptWord("OR")) c = new Ast.Or(c, and());
            return c;
        }

        Condition and() {
            Condition c = not();
            while (acceptWord("AND")) c = new Ast.And(c, not());
            return c;
        }

        Condition not() {
            if (acceptWord("NOT")) return new Ast.Not(not());
            if (accept("(")) {
                Condition c = or();
                expect(")");
                return c;
            }
            Token t = peek();
            if (t.kind.equals("word") && tokens.get(pos + 1).text.equals("(") && !t.text.equalsIgnoreCase("size")) {
                String fn = next().text.toLowerCase(Locale.ROOT);
                pos++;
                List<Operand> args = new ArrayList<>();
                do args.add(operand());
                while (accept(","));
                expect(")");
                if (!List.of("begins_with", "contains", "attribute_type", "exists").contains(fn)) {
                    throw AwsException.validation("Statement wasn't well formed, can't be processed: Unsupported function: " + fn);
                }
                return new Ast.Function(fn.equals("exists") ? "attribute_exists" : fn, args);
            }
            Operand left = operand();
            if (acceptWord("IS")) {
                boolean negate = acceptWord("NOT");
                expectWord("MISSING");
                Condition missing = new Ast.Function("attribute_not_exists", List.of(left));
                return negate ? new Ast.Not(missing) : missing;
            }
            if (acceptWord("BETWEEN")) {
                Operand lo = operand();
                expectWord("AND");
                return new Ast.Between(left, lo, operand());
            }
            if (acceptWord("IN")) {
                boolean bracket = accept("[");
                if (!bracket) expect("(");
                List<Operand> list = new ArrayList<>();
                do list.add(operand());
                while (accept(","));
                expect(bracket ? "]" : ")");
                return new Ast.In(left, list);
            }
            Token op = next();
            if (!op.kind.equals("op") || !List.of("=", "<>", "<", "<=", ">", ">=").contains(op.text)) {
                pos--;
                throw unexpected();
            }
            return new Ast.Compare(op.text, left, operand());
        }

        Operand operand() {
            Token t = peek();
            if (t.kind.equals("word") && t.text.equalsIgnoreCase("size") && tokens.get(pos + 1).text.equals("(")) {
                pos += 2;
                Operand a = operand();
                expect(")");
                return new Ast.Call("size", List.of(a));
            }
            if (t.kind.equals("word") && !isLiteralWord(t.text) || t.kind.equals("quoted")) return new Ast.PathOperand(path());
            return new Ast.ValueOperand(null, value());
        }

        private static boolean isLiteralWord(String w) {
            return w.equalsIgnoreCase("true") || w.equalsIgnoreCase("false") || w.equalsIgnoreCase("null");
        }

        JsonNode value() {
            Token t = next();
            switch (t.kind) {
                case "string":
                    return AttributeValues.s(t.text);
                case "number":
                    return AttributeValues.n(AttributeValues.parseNumber(t.text));
                case "word":
                    if (t.text.equalsIgnoreCase("true") || t.text.equalsIgnoreCase("false")) return AttributeValues.bool(Boolean.parseBoolean(t.text.toLowerCase(Locale.ROOT)));
                    if (t.text.equalsIgnoreCase("null")) return Values.object().put("NULL", true);
                    break;
                case "op":
                    switch (t.text) {
                        case "?" -> {
                            if (parameters == null || parameter >= parameters.size()) {
                                throw AwsException.validation("Number of parameters in request and statement don't match.");
                            }
                            return AttributeValues.validate(parameters.get(parameter++));
                        }
                        case "{" -> {
                            ObjectNode m = Values.object();
                            if (!accept("}")) {
                                do {
                                    Token k = next();
                                    if (!k.kind.equals("string") && !k.kind.equals("quoted")) throw unexpected();
                                    expect(":");
                                    m.set(k.text, value());
                                } while (accept(","));
                                expect("}");
                            }
                            return AttributeValues.of("M", m);
                        }
                        case "[" -> {
                            ArrayNode l = Values.array();
                            if (!accept("]")) {
                                do l.add(value());
                                while (accept(","));
                                expect("]");
                            }
                            return AttributeValues.of("L", l);
                        }
                        case "<<" -> {
                            List<JsonNode> members = new ArrayList<>();
                            do members.add(value());
                            while (accept(","));
                            expect(">>");
                            String type = AttributeValues.type(members.get(0));
                            ArrayNode set = Values.array();
                            for (JsonNode m : members) {
                                if (!AttributeValues.type(m).equals(type) || !List.of("S", "N", "B").contains(type)) {
                                    throw AwsException.validation("Statement wasn't well formed, can't be processed: Set members must be of one scalar type");
                                }
                                set.add(AttributeValues.value(m));
                            }
                            return AttributeValues.validate(AttributeValues.of(type + "S", set));
                        }
                        default -> {}
                    }
                    break;
                default:
                    break;
            }
            pos--;
            throw unexpected();
        }
    }
}
