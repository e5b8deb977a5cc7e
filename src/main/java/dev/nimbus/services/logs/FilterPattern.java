package dev.nimbus.services.logs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * CloudWatch Logs' filter and pattern syntax, compiled once and matched against each event's message.
 * Three forms:
 * <ul>
 * <li>terms: {@code ERROR "bad thing" -DEBUG ?WARN}: plain terms and "quoted phrases" must all occur
 *     (case-sensitive); a {@code ?term} starts an alternative (the terms after it, up to the next
 *     ?term, belong to it) of which one must match; {@code -term} must not occur; {@code %regex%} is
 *     a regular expression term;</li>
 * <li>JSON: {@code { $.level = "ERROR" && ($.latency > 100 || $.user.id NOT EXISTS) }}: selectors with
 *     members and array indexes, = and != on strings (with * wildcards) and numbers, < > <= >= on
 *     numbers, IS NULL, NOT EXISTS, IS TRUE, IS FALSE; only messages that are JSON objects match;</li>
 * <li>space-delimited: {@code [ip, user, ..., status=4* || status=5*, bytes>1000]}: the message is
 *     split into fields at spaces ("quoted" and [bracketed] fields are one each), the pattern names
 *     them in order (... stands for any number of fields) and conditions restrict them.</li>
 * </ul>
 * The empty pattern matches every event.
 */
public final class FilterPattern {
    private final Predicate<String> matcher;

    private FilterPattern(Predicate<String> matcher) {
        this.matcher = matcher;
    }

    public boolean matches(String message) {
        return matcher.test(message);
    }

    /** Compiles a pattern; InvalidParameterException "Invalid filter pattern" when it is not one. */
    public static FilterPattern compile(String pattern) {
        String p = pattern == null ? "" : pattern.strip();
        try {
            if (p.isEmpty()) return new FilterPattern(m -> true);
            if (p.startsWith("{")) {
                if (!p.endsWith("}")) throw new AwsException("InvalidParameterException", "If a filter pattern starts with '{' it must end with '}'", 400);
                return new FilterPattern(new JsonParser(p).parse());
            }
            if (p.startsWith("[")) return new FilterPattern(new DelimitedParser(p).parse());
            return new FilterPattern(terms(p));
        } catch (Invalid e) {
            throw new AwsException("InvalidParameterException", "Invalid filter pattern", 400);
        }
    }

    /** A syntax error inside the parsers; the caller turns it into AWS's error. */
    private static final class Invalid extends RuntimeException {
        Invalid(String why) {
            super(why, null, false, false);
        }
    }

    // ---- terms

    private static Predicate<String> terms(String p) {
        List<Predicate<String>> required = new ArrayList<>();
        List<Predicate<String>> excluded = new ArrayList<>();
        List<List<Predicate<String>>> alternatives = new ArrayList<>();
        int i = 0;
        while (i < p.length()) {
            char c = p.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            char kind = c == '?' || c == '-' ? c : ' ';
            if (kind != ' ') i++;
            if (i >= p.length()) throw new Invalid("operator without a term");
            Predicate<String> term;
            char open = p.charAt(i);
            if (open == '"' || open == '%') {
                int close = p.indexOf(open, i + 1);
                while (open == '"' && close > 0 && p.charAt(close - 1) == '\\') close = p.indexOf(open, close + 1);
                if (close < 0) throw new Invalid("unterminated " + open);
                String body = p.substring(i + 1, close);
                i = close + 1;
                if (open == '%') {
                    Pattern regex;
                    try {
                        regex = Pattern.compile(body);
                    } catch (RuntimeException e) {
                        throw new Invalid("bad regex");
                    }
                    term = m -> regex.matcher(m).find();
                } else {
                    String phrase = body.replace("\\\"", "\"");
                    term = m -> m.contains(phrase);
                }
            } else {
                int end = i;
                while (end < p.length() && !Character.isWhitespace(p.charAt(end))) end++;
                String word = p.substring(i, end);
                if (word.indexOf('"') >= 0 || word.startsWith("{") || word.startsWith("[")) throw new Invalid("stray character in term");
                i = end;
                term = m -> m.contains(word);
            }
            switch (kind) {
                case '-' -> excluded.add(term);
                case '?' -> alternatives.add(new ArrayList<>(List.of(term)));
                default -> {
                    if (alternatives.isEmpty()) required.add(term);
                    else alternatives.get(alternatives.size() - 1).add(term);
                }
            }
        }
        return m -> {
            for (Predicate<String> t : required) if (!t.test(m)) return false;
            for (Predicate<String> t : excluded) if (t.test(m)) return false;
            if (alternatives.isEmpty()) return true;
            for (List<Predicate<String>> group : alternatives) if (group.stream().allMatch(t -> t.test(m))) return true;
            return false;
        };
    }

    // ---- values shared by JSON and space-delimited comparisons

    /** A comparison's right-hand side: a number, or a string that may hold * wildcards. */
    private record Operand(String text, BigDecimal number, Pattern glob) {
        static Operand of(String text, boolean quoted) {
            BigDecimal n = null;
            if (!quoted) {
                try {
                    n = new BigDecimal(text);
                } catch (NumberFormatException e) {
                    n = null;
                }
            }
            Pattern glob = text.indexOf('*') < 0 ? null : Pattern.compile(globRegex(text), Pattern.DOTALL);
            return new Operand(text, n, glob);
        }

        boolean textMatches(String value) {
            return glob == null ? value.equals(text) : glob.matcher(value).matches();
        }
    }

    private static String globRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (String part : glob.split("\\*", -1)) {
            if (!sb.isEmpty()) sb.append(".*");
            sb.append(Pattern.quote(part));
        }
        return sb.toString();
    }

    private static BigDecimal number(String s) {
        try {
            return new BigDecimal(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** value OP operand, for a field value given as text (numbers compare numerically when both are numbers). */
    private static boolean compare(String op, String value, BigDecimal valueNumber, Operand rhs) {
        if (op.equals("=") || op.equals("!=")) {
            boolean equal = rhs.number() != null && valueNumber != null ? valueNumber.compareTo(rhs.number()) == 0 : rhs.textMatches(value);
            return equal == op.equals("=");
        }
        if (rhs.number() == null) throw new Invalid("ordering needs a number");
        if (valueNumber == null) return false;
        int c = valueNumber.compareTo(rhs.number());
        return switch (op) {
            case "<" -> c < 0;
            case "<=" -> c <= 0;
            case ">" -> c > 0;
            case ">=" -> c >= 0;
            default -> throw new Invalid("operator " + op);
        };
    }

    /** A small scanner shared by the JSON and space-delimited parsers. */
    private abstract static class Scanner {
        final String s;
        int i;

        Scanner(String s) {
            this.s = s;
        }

        void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        boolean eat(String token) {
            skipSpace();
            if (s.startsWith(token, i)) {
                i += token.length();
                return true;
            }
            return false;
        }

        void expect(String token) {
            if (!eat(token)) throw new Invalid("expected " + token + " at " + i);
        }

        /** The comparison operator at the cursor, or null. */
        String operator() {
            skipSpace();
            for (String op : new String[] {"!=", "<=", ">=", "=", "<", ">"}) if (eat(op)) return op;
            return null;
        }

        /** A quoted string or a bare word (up to space or one of {@code stops}). */
        Operand operand(String stops) {
            skipSpace();
            if (i < s.length() && s.charAt(i) == '"') {
                StringBuilder sb = new StringBuilder();
                i++;
                while (i < s.length() && s.charAt(i) != '"') {
                    if (s.charAt(i) == '\\' && i + 1 < s.length()) i++;
                    sb.append(s.charAt(i++));
                }
                if (i >= s.length()) throw new Invalid("unterminated string");
                i++;
                return Operand.of(sb.toString(), true);
            }
            int start = i;
            while (i < s.length() && !Character.isWhitespace(s.charAt(i)) && stops.indexOf(s.charAt(i)) < 0
                    && !s.startsWith("&&", i) && !s.startsWith("||", i)) i++;
            if (start == i) throw new Invalid("missing value at " + i);
            return Operand.of(s.substring(start, i), false);
        }

        /** or := and ('||' and)* ; and := unary ('&&' unary)* ; unary := '(' or ')' | atom */
        Predicate<Object> or() {
            Predicate<Object> left = and();
            while (eat("||")) left = left.or(and());
            return left;
        }

        Predicate<Object> and() {
            Predicate<Object> left = unary();
            while (eat("&&")) left = left.and(unary());
            return left;
        }

        Predicate<Object> unary() {
            if (eat("(")) {
                Predicate<Object> inner = or();
                expect(")");
                return inner;
            }
            return atom();
        }

        abstract Predicate<Object> atom();
    }

    // ---- JSON

    private static final class JsonParser extends Scanner {
        JsonParser(String s) {
            super(s);
        }

        Predicate<String> parse() {
            expect("{");
            Predicate<Object> body = or();
            expect("}");
            skipSpace();
            if (i != s.length()) throw new Invalid("text after }");
            return m -> {
                JsonNode doc;
                try {
                    doc = Values.JSON.readTree(m);
                } catch (JsonProcessingException e) {
                    return false;
                }
                return doc != null && doc.isObject() && body.test(doc);
            };
        }

        @Override
        Predicate<Object> atom() {
            List<Object> path = selector();
            if (eat("IS NULL")) return d -> node(d, path) instanceof JsonNode n && n.isNull();
            if (eat("NOT EXISTS")) return d -> node(d, path) == null;
            if (eat("IS TRUE")) return d -> node(d, path) instanceof JsonNode n && n.isBoolean() && n.booleanValue();
            if (eat("IS FALSE")) return d -> node(d, path) instanceof JsonNode n && n.isBoolean() && !n.booleanValue();
            String op = operator();
            if (op == null) throw new Invalid("expected an operator at " + i);
            Operand rhs = operand("()}");
            if (!op.endsWith("=") && rhs.number() == null) throw new Invalid("ordering needs a number");
            return d -> {
                JsonNode n = node(d, path);
                if (n == null || n.isContainerNode() || n.isNull()) return false;
                if (rhs.number() != null && !n.isNumber()) return op.equals("!=");
                return compare(op, n.asText(), n.isNumber() ? n.decimalValue() : null, rhs);
            };
        }

        /** $ then .member / [index] steps: members as strings, indexes as integers. */
        private List<Object> selector() {
            skipSpace();
            if (!eat("$")) throw new Invalid("expected a $ selector at " + i);
            List<Object> path = new ArrayList<>();
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '.') {
                    int start = ++i;
                    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || "_-@$:".indexOf(s.charAt(i)) >= 0)) i++;
                    if (start == i) throw new Invalid("empty member at " + i);
                    path.add(s.substring(start, i));
                } else if (c == '[') {
                    int close = s.indexOf(']', i);
                    if (close < 0) throw new Invalid("unterminated [");
                    try {
                        path.add(Integer.parseInt(s.substring(i + 1, close).strip()));
                    } catch (NumberFormatException e) {
                        throw new Invalid("bad index");
                    }
                    i = close + 1;
                } else {
                    break;
                }
            }
            if (path.isEmpty()) throw new Invalid("bare $");
            return path;
        }

        private static JsonNode node(Object doc, List<Object> path) {
            JsonNode n = (JsonNode) doc;
            for (Object step : path) {
                n = step instanceof Integer index ? (n.isArray() ? n.get(index) : null) : (n.isObject() ? n.get((String) step) : null);
                if (n == null) return null;
            }
            return n;
        }
    }

    // ---- space-delimited

    private static final class DelimitedParser extends Scanner {
        /** The pattern's columns in order: a name, or null for "...". */
        private final List<String> columns = new ArrayList<>();
        private final List<Predicate<Object>> conditions = new ArrayList<>();

        DelimitedParser(String s) {
            super(s);
        }

        Predicate<String> parse() {
            expect("[");
            skipSpace();
            if (!eat("]")) {
                do {
                    column();
                } while (eat(","));
                expect("]");
            }
            skipSpace();
            if (i != s.length()) throw new Invalid("text after ]");
            List<String> cols = new ArrayList<>(columns); // null entries stand for "..."
            List<Predicate<Object>> conds = List.copyOf(conditions);
            return m -> {
                List<String> fields = fields(m);
                return align(cols, 0, fields, 0, new HashMap<>(), conds);
            };
        }

        private void column() {
            if (eat("...")) {
                columns.add(null);
                return;
            }
            String name = name();
            columns.add(name);
            skipSpace();
            if (i < s.length() && s.charAt(i) != ',' && s.charAt(i) != ']') {
                // The column's condition, e.g. status=4* || status=5*.
                conditions.add(firstCondition(name));
            }
        }

        private Predicate<Object> firstCondition(String name) {
            Predicate<Object> first = comparison(name);
            Predicate<Object> left = first;
            while (true) {
                if (eat("&&")) left = left.and(unary());
                else if (eat("||")) left = left.or(unary());
                else return left;
            }
        }

        private String name() {
            skipSpace();
            int start = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '-')) i++;
            if (start == i) throw new Invalid("expected a field name at " + i);
            return s.substring(start, i);
        }

        @Override
        Predicate<Object> atom() {
            return comparison(name());
        }

        @SuppressWarnings("unchecked")
        private Predicate<Object> comparison(String name) {
            String op = operator();
            if (op == null) throw new Invalid("expected an operator at " + i);
            Operand rhs = operand(",]()");
            if (!op.endsWith("=") && rhs.number() == null) throw new Invalid("ordering needs a number");
            return bound -> {
                String v = ((Map<String, String>) bound).get(name);
                return v != null && compare(op, v, number(v), rhs);
            };
        }

        /** Matches columns to fields, "..." taking any number of them; conditions are checked once all are bound. */
        private static boolean align(List<String> cols, int c, List<String> fields, int f, Map<String, String> bound, List<Predicate<Object>> conds) {
            if (c == cols.size()) {
                if (f != fields.size()) return false;
                for (Predicate<Object> p : conds) if (!p.test(bound)) return false;
                return true;
            }
            String col = cols.get(c);
            if (col == null) {
                for (int take = fields.size() - f; take >= 0; take--) {
                    if (align(cols, c + 1, fields, f + take, bound, conds)) return true;
                }
                return false;
            }
            if (f == fields.size()) return false;
            String previous = bound.put(col, fields.get(f));
            boolean ok = align(cols, c + 1, fields, f + 1, bound, conds);
            if (previous != null) bound.put(col, previous);
            else bound.remove(col);
            return ok;
        }

        /** Space-separated fields; "quoted" and [bracketed] runs are single fields, without their delimiters. */
        static List<String> fields(String m) {
            List<String> out = new ArrayList<>();
            int i = 0;
            int n = m.length();
            while (i < n) {
                char c = m.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                    continue;
                }
                char close = c == '"' ? '"' : c == '[' ? ']' : 0;
                int end = close == 0 ? -1 : m.indexOf(close, i + 1);
                if (end > 0) {
                    out.add(m.substring(i + 1, end));
                    i = end + 1;
                } else {
                    int start = i;
                    while (i < n && !Character.isWhitespace(m.charAt(i))) i++;
                    out.add(m.substring(start, i));
                }
            }
            return out;
        }
    }
}
