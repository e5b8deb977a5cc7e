package dev.nimbus.services.logs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A CloudWatch Logs Insights query: commands joined by '|' (fields, filter, parse, stats, sort,
 * limit, display, dedup) over records made from log events. A record maps field names to values:
 * strings, numbers (Double), booleans; the system fields @timestamp (epoch millis), @message,
 * @logStream, @log and @ingestionTime, the members of a JSON message (nested ones as a.b), and for
 * Lambda's START/END/REPORT lines @type, @requestId, @duration, @billedDuration, @initDuration,
 * @memorySize and @maxMemoryUsed (in bytes, as Insights reports them).
 */
public final class InsightsQuery {
    /** A query that does not parse: where (character offsets) and why. */
    public static final class MalformedQuery extends RuntimeException {
        public final int start;
        public final int end;

        MalformedQuery(String message, int start, int end) {
            super(message, null, false, false);
            this.start = start;
            this.end = end;
        }
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    private static final Pattern REPORT_FIELD = Pattern.compile("(Duration|Billed Duration|Init Duration|Memory Size|Max Memory Used): ([0-9.]+)");
    private static final Pattern REQUEST_ID = Pattern.compile("^(START|END|REPORT) RequestId: (\\S+)");

    /** One pipeline stage. */
    private sealed interface Stage permits RowStage, ListStage, StatsStage {}

    /** A stage that looks at one record at a time (fields, filter, parse): null drops the record. */
    private record RowStage(Function<Map<String, Object>, Map<String, Object>> each) implements Stage {}

    /** A stage that needs all records (sort, limit, dedup). */
    private record ListStage(Function<List<Map<String, Object>>, List<Map<String, Object>>> all) implements Stage {}

    /** stats: folds records into one row per group as they stream by, so records are never all held. */
    private record StatsStage(List<String> groupNames, List<Expr> groupExprs, List<Aggregate> aggregates) implements Stage {
        Map<List<Object>, Accumulator[]> start() {
            return new LinkedHashMap<>();
        }

        void accept(Map<List<Object>, Accumulator[]> groups, Map<String, Object> row) {
            List<Object> key = new ArrayList<>(groupExprs.size());
            for (Expr e : groupExprs) key.add(e.apply(row));
            for (Accumulator a : groups.computeIfAbsent(key, k -> fresh())) a.add(row);
        }

        private Accumulator[] fresh() {
            Accumulator[] a = new Accumulator[aggregates.size()];
            for (int n = 0; n < a.length; n++) a[n] = new Accumulator(aggregates.get(n));
            return a;
        }

        List<Map<String, Object>> finish(Map<List<Object>, Accumulator[]> groups) {
            // Without "by", stats over no records is still one row (count() is 0).
            if (groups.isEmpty() && groupExprs.isEmpty()) groups.put(List.of(), fresh());
            List<Map<String, Object>> out = new ArrayList<>();
            groups.forEach((key, accs) -> {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int k = 0; k < groupNames.size(); k++) if (key.get(k) != null) row.put(groupNames.get(k), key.get(k));
                for (Accumulator a : accs) {
                    Object v = a.result();
                    if (v != null) row.put(a.aggregate.name(), v);
                }
                out.add(row);
            });
            return out;
        }
    }

    private final List<Stage> stages;
    /** Fields to show, in order, once the stages ran (null: @timestamp and @message). */
    private final List<String> shown;
    /** Fields whose numbers are times, shown as dates. */
    private final Set<String> timeFields;

    /** Whether the query names a field that only a JSON message can hold (not an @ field): else messages are not parsed. */
    private final boolean jsonFields;

    private InsightsQuery(List<Stage> stages, List<String> shown, Set<String> timeFields, Set<String> referenced) {
        this.jsonFields = referenced.stream().anyMatch(n -> !n.startsWith("@"));
        this.stages = stages;
        this.shown = shown;
        this.timeFields = timeFields;
    }

    public static InsightsQuery parse(String query) {
        return new Parser(query).query();
    }

    /** What a run produced: result rows (field name to display text), records read, and records that passed the per-record stages. */
    public record Result(List<Map<String, String>> rows, long scanned, long matched) {}

    /** Runs the query over records, keeping at most {@code maxRows} result rows. */
    public Result run(Iterator<Map<String, Object>> records, int maxRows) {
        // Records stream through the leading per-record stages (and a stats right after them); the rest work on lists.
        int k = 0;
        while (k < stages.size() && stages.get(k) instanceof RowStage) k++;
        StatsStage stats = k < stages.size() && stages.get(k) instanceof StatsStage st ? st : null;
        Map<List<Object>, Accumulator[]> groups = stats == null ? null : stats.start();
        List<Map<String, Object>> rows = new ArrayList<>();
        long scanned = 0;
        long matched = 0;
        while (records.hasNext()) {
            Map<String, Object> r = records.next();
            scanned++;
            for (int n = 0; n < k && r != null; n++) r = ((RowStage) stages.get(n)).each().apply(r);
            if (r == null) continue;
            matched++;
            if (stats != null) stats.accept(groups, r);
            else rows.add(r);
        }
        if (stats != null) {
            rows = stats.finish(groups);
            k++;
        }
        for (; k < stages.size(); k++) rows = applyAll(stages.get(k), rows);
        List<Map<String, String>> out = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            if (out.size() == maxRows) break;
            Map<String, String> shownRow = new LinkedHashMap<>();
            for (String f : shown == null ? List.of("@timestamp", "@message") : shown) {
                Object v = row.get(f);
                if (v != null) shownRow.put(f, v instanceof Double d && timeFields.contains(f) ? TIME.format(Instant.ofEpochMilli(d.longValue())) : display(v));
            }
            out.add(shownRow);
        }
        return new Result(out, scanned, matched);
    }

    private static List<Map<String, Object>> applyAll(Stage stage, List<Map<String, Object>> rows) {
        return switch (stage) {
            case RowStage r -> {
                List<Map<String, Object>> out = new ArrayList<>();
                for (Map<String, Object> row : rows) {
                    Map<String, Object> kept = r.each().apply(row);
                    if (kept != null) out.add(kept);
                }
                yield out;
            }
            case ListStage l -> l.all().apply(rows);
            case StatsStage st -> {
                Map<List<Object>, Accumulator[]> groups = st.start();
                rows.forEach(row -> st.accept(groups, row));
                yield st.finish(groups);
            }
        };
    }

    /** The record of one log event, with a JSON message's fields only when this query reads any. */
    public Map<String, Object> recordFor(long timestamp, String message, String stream, String log, long ingestionTime) {
        return record(timestamp, message, stream, log, ingestionTime, jsonFields);
    }

    /** The record of one log event, every field discovered. */
    public static Map<String, Object> record(long timestamp, String message, String stream, String log, long ingestionTime) {
        return record(timestamp, message, stream, log, ingestionTime, true);
    }

    private static Map<String, Object> record(long timestamp, String message, String stream, String log, long ingestionTime, boolean json) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("@timestamp", (double) timestamp);
        r.put("@message", message);
        r.put("@logStream", stream);
        r.put("@log", log);
        r.put("@ingestionTime", (double) ingestionTime);
        String m = json ? message.stripLeading() : "";
        if (m.startsWith("{")) {
            try {
                JsonNode doc = Values.JSON.readTree(m);
                if (doc != null && doc.isObject()) flatten("", doc, r);
            } catch (JsonProcessingException e) {
                // Not JSON after all: the message is text.
            }
        }
        Matcher id = REQUEST_ID.matcher(message);
        if (id.find()) {
            r.put("@type", id.group(1));
            r.put("@requestId", id.group(2));
            Matcher f = REPORT_FIELD.matcher(message);
            while (f.find()) {
                double v = Double.parseDouble(f.group(2));
                switch (f.group(1)) {
                    case "Duration" -> r.put("@duration", v);
                    case "Billed Duration" -> r.put("@billedDuration", v);
                    case "Init Duration" -> r.put("@initDuration", v);
                    case "Memory Size" -> r.put("@memorySize", v * 1_000_000);
                    default -> r.put("@maxMemoryUsed", v * 1_000_000);
                }
            }
        }
        return r;
    }

    private static void flatten(String prefix, JsonNode n, Map<String, Object> out) {
        if (n.isObject()) {
            n.properties().forEach(e -> flatten(prefix + e.getKey() + ".", e.getValue(), out));
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) flatten(prefix + i + ".", n.get(i), out);
        } else {
            String name = prefix.substring(0, prefix.length() - 1);
            if (n.isNumber()) out.put(name, n.doubleValue());
            else if (n.isBoolean()) out.put(name, n.booleanValue());
            else if (!n.isNull()) out.put(name, n.asText());
        }
    }

    static String display(Object v) {
        return v instanceof Double d ? number(d) : String.valueOf(v);
    }

    static String number(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) return Double.toString(d);
        return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    // ---- expressions

    /** An expression evaluated against a record. */
    private interface Expr extends Function<Map<String, Object>, Object> {}

    /** An expression whose value is a time (epoch millis): shown as a date, like @timestamp. */
    private interface TimeExpr extends Expr {}

    private static Double num(Object v) {
        if (v instanceof Double d) return d;
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static boolean truthy(Object v) {
        return v instanceof Boolean b ? b : v != null && !(v instanceof String s && s.isEmpty());
    }

    private static int compare(Object a, Object b) {
        Double x = num(a);
        Double y = num(b);
        if (x != null && y != null) return Double.compare(x, y);
        return String.valueOf(a).compareTo(String.valueOf(b));
    }

    /** Durations as bin() and datefloor() take them: 30s, 5m, 1h, 1d, 1w, in milliseconds. */
    private static long periodMillis(String text) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|sec|m|min|h|hr|d|w)").matcher(text);
        if (!m.matches()) return -1;
        long n = Long.parseLong(m.group(1));
        return n * switch (m.group(2)) {
            case "ms" -> 1L;
            case "s", "sec" -> 1000L;
            case "m", "min" -> 60_000L;
            case "h", "hr" -> 3_600_000L;
            case "d" -> 86_400_000L;
            default -> 604_800_000L;
        };
    }

    // ---- aggregates

    /** An aggregate of stats: its output name, function, argument (null for count(*)) and percentile. */
    private record Aggregate(String name, String function, Expr arg, double percentile) {}

    /** One aggregate's running state for one group. */
    private static final class Accumulator {
        final Aggregate aggregate;
        long count;
        double sum;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        Set<Object> distinct;
        List<Double> values;

        Accumulator(Aggregate aggregate) {
            this.aggregate = aggregate;
            if (aggregate.function().equals("count_distinct")) distinct = new HashSet<>();
            if (aggregate.function().equals("pct")) values = new ArrayList<>();
        }

        void add(Map<String, Object> row) {
            Object v = aggregate.arg() == null ? Boolean.TRUE : aggregate.arg().apply(row);
            if (v == null) return;
            switch (aggregate.function()) {
                case "count" -> count++;
                case "count_distinct" -> distinct.add(v);
                default -> {
                    Double d = num(v);
                    if (d == null) return;
                    count++;
                    sum += d;
                    min = Math.min(min, d);
                    max = Math.max(max, d);
                    if (values != null) values.add(d);
                }
            }
        }

        Object result() {
            return switch (aggregate.function()) {
                case "count" -> (double) count;
                case "count_distinct" -> (double) distinct.size();
                default -> {
                    if (count == 0) yield null;
                    yield switch (aggregate.function()) {
                        case "sum" -> sum;
                        case "avg" -> sum / count;
                        case "min" -> min;
                        case "max" -> max;
                        default -> {
                            values.sort(Comparator.naturalOrder());
                            int rank = (int) Math.ceil(aggregate.percentile() / 100.0 * values.size()) - 1;
                            yield values.get(Math.max(0, Math.min(values.size() - 1, rank)));
                        }
                    };
                }
            };
        }
    }

    // ---- parser

    private static final class Parser {
        private final String s;
        private int i;
        private final List<Stage> stages = new ArrayList<>();
        private List<String> shown;
        private final Set<String> timeFields = new HashSet<>(Set.of("@timestamp", "@ingestionTime"));
        /** every field a stage reads */
        private final Set<String> referenced = new HashSet<>();

        Parser(String s) {
            this.s = s;
        }

        private MalformedQuery error(String what) {
            int end = i;
            while (end < s.length() && !Character.isWhitespace(s.charAt(end))) end++;
            String found = i < s.length() ? s.substring(i, end) : "end of query";
            return new MalformedQuery("unexpected symbol found " + found + " at line 1 and position " + (i + 1) + (what.isEmpty() ? "" : ": " + what),
                    i, Math.max(i, end - 1));
        }

        private void space() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private boolean peek(String t) {
            space();
            return s.startsWith(t, i);
        }

        private boolean eat(String t) {
            if (!peek(t)) return false;
            i += t.length();
            return true;
        }

        /** A keyword: the word, case-insensitive, not followed by more of an identifier. */
        private boolean keyword(String k) {
            space();
            int end = i + k.length();
            if (end > s.length() || !s.regionMatches(true, i, k, 0, k.length())) return false;
            if (end < s.length() && isIdent(s.charAt(end))) return false;
            i = end;
            return true;
        }

        private void expect(String t) {
            if (!eat(t)) throw error("expected " + t);
        }

        private static boolean isIdent(char c) {
            return Character.isLetterOrDigit(c) || c == '_' || c == '@' || c == '.' || c == '$';
        }

        private String identifier() {
            space();
            if (i < s.length() && s.charAt(i) == '`') {
                int close = s.indexOf('`', i + 1);
                if (close < 0) throw error("unterminated `");
                String name = s.substring(i + 1, close);
                i = close + 1;
                return name;
            }
            int start = i;
            while (i < s.length() && isIdent(s.charAt(i))) i++;
            if (start == i || Character.isDigit(s.charAt(start))) {
                i = start;
                throw error("expected a field name");
            }
            return s.substring(start, i);
        }

        /** A field the query reads. */
        private String field() {
            String name = identifier();
            referenced.add(name);
            return name;
        }

        InsightsQuery query() {
            do {
                command();
                space();
            } while (eat("|"));
            space();
            if (i < s.length()) throw error("");
            return new InsightsQuery(stages, shown, timeFields, referenced);
        }

        private void command() {
            space();
            if (keyword("fields")) fields();
            else if (keyword("filter")) filter();
            else if (keyword("stats")) stats();
            else if (keyword("sort")) sort();
            else if (keyword("limit")) limit();
            else if (keyword("display")) display();
            else if (keyword("parse")) parseCommand();
            else if (keyword("dedup")) dedup();
            else throw error("expected a command (fields, filter, stats, sort, limit, display, parse, dedup)");
        }

        private void fields() {
            List<String> names = new ArrayList<>();
            List<Expr> exprs = new ArrayList<>();
            do {
                int start = i;
                Expr e = expression();
                String name = keyword("as") ? identifier() : s.substring(start, i).strip();
                if (e instanceof TimeExpr) timeFields.add(name);
                names.add(name);
                exprs.add(e);
            } while (eat(","));
            stages.add(new RowStage(r -> {
                for (int k = 0; k < names.size(); k++) {
                    Object v = exprs.get(k).apply(r);
                    if (v != null) r.put(names.get(k), v);
                }
                return r;
            }));
            Set<String> all = new LinkedHashSet<>(shown == null ? List.of() : shown);
            all.addAll(names);
            shown = new ArrayList<>(all);
        }

        private void filter() {
            Expr cond = expression();
            stages.add(new RowStage(r -> truthy(cond.apply(r)) ? r : null));
        }

        private void stats() {
            List<Aggregate> aggs = new ArrayList<>();
            do {
                int start = i;
                String fn = identifier().toLowerCase(Locale.ROOT);
                if (!Set.of("count", "count_distinct", "sum", "avg", "min", "max", "pct").contains(fn)) {
                    i = start;
                    throw error("expected an aggregate function");
                }
                expect("(");
                Expr arg = null;
                double pct = 0;
                if (!(fn.equals("count") && (eat("*") || peek(")")))) arg = expression();
                if (fn.equals("pct")) {
                    expect(",");
                    Object p = primary().apply(Map.of());
                    if (num(p) == null) throw error("expected a percentile");
                    pct = num(p);
                }
                expect(")");
                String name = keyword("as") ? identifier() : s.substring(start, i).strip();
                aggs.add(new Aggregate(name, fn, arg, pct));
            } while (eat(","));
            List<String> groupNames = new ArrayList<>();
            List<Expr> groupExprs = new ArrayList<>();
            if (keyword("by")) {
                do {
                    int start = i;
                    Expr e = expression();
                    String name = keyword("as") ? identifier() : s.substring(start, i).strip();
                    if (e instanceof TimeExpr) timeFields.add(name);
                    groupNames.add(name);
                    groupExprs.add(e);
                } while (eat(","));
            }
            stages.add(new StatsStage(groupNames, groupExprs, aggs));
            List<String> names = new ArrayList<>(groupNames);
            aggs.forEach(a -> names.add(a.name()));
            shown = names;
        }

        private void sort() {
            List<String> fields = new ArrayList<>();
            List<Boolean> descending = new ArrayList<>();
            do {
                fields.add(field());
                boolean desc = keyword("desc");
                if (!desc) keyword("asc");
                descending.add(desc);
            } while (eat(","));
            stages.add(new ListStage(rows -> {
                Comparator<Map<String, Object>> order = null;
                for (int k = 0; k < fields.size(); k++) {
                    String f = fields.get(k);
                    // Rows without the field sort last either way.
                    Comparator<Object> values = descending.get(k) ? (a, b) -> compare(b, a) : InsightsQuery::compare;
                    Comparator<Map<String, Object>> c = Comparator.comparing(r -> r.get(f), Comparator.nullsLast(values));
                    order = order == null ? c : order.thenComparing(c);
                }
                List<Map<String, Object>> sorted = new ArrayList<>(rows);
                sorted.sort(order);
                return sorted;
            }));
        }

        private void limit() {
            space();
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            if (start == i) throw error("expected a number");
            int n = Integer.parseInt(s.substring(start, i));
            stages.add(new ListStage(rows -> rows.size() <= n ? rows : new ArrayList<>(rows.subList(0, n))));
        }

        private void display() {
            List<String> names = new ArrayList<>();
            do {
                names.add(field());
            } while (eat(","));
            shown = names;
        }

        private void dedup() {
            List<String> names = new ArrayList<>();
            do {
                names.add(field());
            } while (eat(","));
            stages.add(new ListStage(rows -> {
                Set<List<Object>> seen = new HashSet<>();
                List<Map<String, Object>> kept = new ArrayList<>();
                for (Map<String, Object> r : rows) {
                    List<Object> key = new ArrayList<>();
                    for (String n : names) key.add(r.get(n));
                    if (seen.add(key)) kept.add(r);
                }
                return kept;
            }));
        }

        /** parse FIELD "glob with * captures" as a, b  |  parse FIELD /regex with (?<named> groups)/ */
        private void parseCommand() {
            String source = field();
            space();
            Pattern regex;
            List<String> names = new ArrayList<>();
            if (peek("/")) {
                String body = delimited('/');
                regex = compileRegex(body);
                Matcher groups = Pattern.compile("\\(\\?<([a-zA-Z][a-zA-Z0-9]*)>").matcher(body);
                while (groups.find()) names.add(groups.group(1));
                if (names.isEmpty()) throw error("a parse regex needs named groups");
            } else if (peek("\"") || peek("'")) {
                String glob = delimited(s.charAt(i));
                StringBuilder re = new StringBuilder();
                int captures = 0;
                String[] parts = glob.split("\\*", -1);
                for (int k = 0; k < parts.length; k++) {
                    // Captures are lazy, save a trailing one, which takes the rest of the value.
                    if (k > 0) {
                        re.append(k == parts.length - 1 && parts[k].isEmpty() ? "(.*)" : "(.*?)");
                        captures++;
                    }
                    re.append(Pattern.quote(parts[k]));
                }
                regex = Pattern.compile(re.toString(), Pattern.DOTALL);
                if (!keyword("as")) throw error("expected as");
                do {
                    names.add(identifier());
                } while (eat(","));
                if (names.size() != captures) throw error("the pattern has " + captures + " captures for " + names.size() + " fields");
            } else {
                throw error("expected a pattern");
            }
            boolean named = regex.pattern().contains("(?<");
            Pattern compiled = regex;
            stages.add(new RowStage(r -> {
                Object v = r.get(source);
                Matcher m = v == null ? null : compiled.matcher(String.valueOf(v));
                if (m != null && m.find()) {
                    for (int k = 0; k < names.size(); k++) {
                        String value = named ? m.group(names.get(k)) : m.group(k + 1);
                        if (value != null) r.put(names.get(k), value);
                    }
                }
                return r;
            }));
        }

        private String delimited(char quote) {
            int start = i;
            i++;
            StringBuilder sb = new StringBuilder();
            while (i < s.length() && s.charAt(i) != quote) {
                if (s.charAt(i) == '\\' && i + 1 < s.length() && s.charAt(i + 1) == quote) i++;
                sb.append(s.charAt(i++));
            }
            if (i >= s.length()) {
                i = start;
                throw error("unterminated " + quote);
            }
            i++;
            return sb.toString();
        }

        private Pattern compileRegex(String body) {
            try {
                return Pattern.compile(body);
            } catch (RuntimeException e) {
                throw error("invalid regular expression");
            }
        }

        // expression := or ; or := and ('or' and)* ; and := not ('and' not)* ; not := 'not' not | comparison
        Expr expression() {
            Expr left = and();
            while (keyword("or")) {
                Expr l = left;
                Expr r = and();
                left = row -> truthy(l.apply(row)) || truthy(r.apply(row));
            }
            return left;
        }

        private Expr and() {
            Expr left = not();
            while (keyword("and")) {
                Expr l = left;
                Expr r = not();
                left = row -> truthy(l.apply(row)) && truthy(r.apply(row));
            }
            return left;
        }

        private Expr not() {
            if (keyword("not")) {
                Expr inner = not();
                return row -> !truthy(inner.apply(row));
            }
            return comparison();
        }

        private Expr comparison() {
            Expr left = additive();
            boolean negate = keyword("not");
            if (keyword("like") || (!negate && eat("=~"))) {
                space();
                Pattern p;
                if (peek("/")) {
                    p = compileRegex(delimited('/'));
                } else if (peek("\"") || peek("'")) {
                    p = Pattern.compile(Pattern.quote(delimited(s.charAt(i))));
                } else {
                    throw error("expected a regular expression or a string");
                }
                return row -> {
                    Object v = left.apply(row);
                    return v != null && p.matcher(String.valueOf(v)).find() != negate;
                };
            }
            if (keyword("in")) {
                expect("[");
                List<Expr> options = new ArrayList<>();
                if (!peek("]")) {
                    do {
                        options.add(additive());
                    } while (eat(","));
                }
                expect("]");
                return row -> {
                    Object v = left.apply(row);
                    if (v == null) return false;
                    boolean found = false;
                    for (Expr o : options) found |= compare(v, o.apply(row)) == 0;
                    return found != negate;
                };
            }
            if (negate) throw error("expected like or in after not");
            for (String op : new String[] {"!=", "<=", ">=", "=", "<", ">"}) {
                if (eat(op)) {
                    Expr right = additive();
                    return row -> {
                        Object a = left.apply(row);
                        Object b = right.apply(row);
                        if (a == null || b == null) return false;
                        int c = compare(a, b);
                        return switch (op) {
                            case "!=" -> c != 0;
                            case "<=" -> c <= 0;
                            case ">=" -> c >= 0;
                            case "=" -> c == 0;
                            case "<" -> c < 0;
                            default -> c > 0;
                        };
                    };
                }
            }
            return left;
        }

        private Expr additive() {
            Expr left = multiplicative();
            while (true) {
                char op;
                if (eat("+")) op = '+';
                else if (eat("-")) op = '-';
                else return left;
                left = arithmetic(left, multiplicative(), op);
            }
        }

        private Expr multiplicative() {
            Expr left = unary();
            while (true) {
                char op;
                if (eat("*")) op = '*';
                else if (peek("/")) {
                    i++;
                    op = '/';
                } else if (eat("%")) op = '%';
                else return left;
                left = arithmetic(left, unary(), op);
            }
        }

        private static Expr arithmetic(Expr l, Expr r, char op) {
            return row -> {
                Double a = num(l.apply(row));
                Double b = num(r.apply(row));
                if (a == null || b == null) return null;
                return switch (op) {
                    case '+' -> a + b;
                    case '-' -> a - b;
                    case '*' -> a * b;
                    case '/' -> a / b;
                    default -> a % b;
                };
            };
        }

        private Expr unary() {
            if (eat("-")) {
                Expr inner = unary();
                return row -> {
                    Double d = num(inner.apply(row));
                    return d == null ? null : -d;
                };
            }
            return primary();
        }

        private Expr primary() {
            space();
            if (i >= s.length()) throw error("expected a value");
            char c = s.charAt(i);
            if (c == '(') {
                i++;
                Expr inner = expression();
                expect(")");
                return inner;
            }
            if (c == '"' || c == '\'') {
                String text = delimited(c);
                return row -> text;
            }
            if (Character.isDigit(c)) {
                int start = i;
                while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) i++;
                String text = s.substring(start, i);
                try {
                    double d = Double.parseDouble(text);
                    return row -> d;
                } catch (NumberFormatException e) {
                    long period = periodMillis(text);
                    if (period <= 0) {
                        i = start;
                        throw error("expected a number");
                    }
                    return row -> text;
                }
            }
            int start = i;
            String name = identifier();
            if (eat("(")) return function(name.toLowerCase(Locale.ROOT), start);
            if (name.equalsIgnoreCase("true") || name.equalsIgnoreCase("false")) {
                boolean b = Boolean.parseBoolean(name.toLowerCase(Locale.ROOT));
                return row -> b;
            }
            referenced.add(name);
            return row -> row.get(name);
        }

        private Expr function(String name, int start) {
            List<Expr> args = new ArrayList<>();
            if (!peek(")")) {
                do {
                    args.add(expression());
                } while (eat(","));
            }
            expect(")");
            Function<Integer, Expr> arg = k -> k < args.size() ? args.get(k) : row -> null;
            Expr a0 = arg.apply(0);
            Expr a1 = arg.apply(1);
            Expr a2 = arg.apply(2);
            switch (name) {
                case "ispresent":
                    return row -> a0.apply(row) != null;
                case "isempty":
                    return row -> a0.apply(row) == null || String.valueOf(a0.apply(row)).isEmpty();
                case "isblank":
                    return row -> a0.apply(row) == null || String.valueOf(a0.apply(row)).isBlank();
                case "strlen":
                    return row -> a0.apply(row) == null ? null : (double) String.valueOf(a0.apply(row)).length();
                case "tolower":
                    return row -> a0.apply(row) == null ? null : String.valueOf(a0.apply(row)).toLowerCase(Locale.ROOT);
                case "toupper":
                    return row -> a0.apply(row) == null ? null : String.valueOf(a0.apply(row)).toUpperCase(Locale.ROOT);
                case "trim":
                    return row -> a0.apply(row) == null ? null : String.valueOf(a0.apply(row)).strip();
                case "concat":
                    return row -> {
                        StringBuilder sb = new StringBuilder();
                        for (Expr e : args) {
                            Object v = e.apply(row);
                            if (v != null) sb.append(v instanceof Double d ? number(d) : v);
                        }
                        return sb.toString();
                    };
                case "strcontains":
                    return row -> a0.apply(row) != null && a1.apply(row) != null && String.valueOf(a0.apply(row)).contains(String.valueOf(a1.apply(row)));
                case "replace":
                    return row -> a0.apply(row) == null ? null
                            : String.valueOf(a0.apply(row)).replace(String.valueOf(a1.apply(row)), String.valueOf(a2.apply(row)));
                case "substr":
                    return row -> {
                        Object v = a0.apply(row);
                        Double from = num(a1.apply(row));
                        if (v == null || from == null) return null;
                        String text = String.valueOf(v);
                        int b = Math.min(text.length(), Math.max(0, from.intValue()));
                        Double len = num(a2.apply(row));
                        return len == null ? text.substring(b) : text.substring(b, Math.min(text.length(), b + Math.max(0, len.intValue())));
                    };
                case "coalesce":
                    return row -> {
                        for (Expr e : args) {
                            Object v = e.apply(row);
                            if (v != null) return v;
                        }
                        return null;
                    };
                case "abs", "ceil", "floor", "sqrt":
                    return row -> {
                        Double d = num(a0.apply(row));
                        if (d == null) return null;
                        return switch (name) {
                            case "abs" -> Math.abs(d);
                            case "ceil" -> Math.ceil(d);
                            case "floor" -> Math.floor(d);
                            default -> Math.sqrt(d);
                        };
                    };
                case "bin":
                    return timeRound(row -> row.get("@timestamp"), a0, start, false);
                case "datefloor":
                    return timeRound(a0, a1, start, false);
                case "dateceil":
                    return timeRound(a0, a1, start, true);
                default:
                    i = start;
                    throw error("unknown function " + name);
            }
        }

        private Expr timeRound(Expr time, Expr period, int start, boolean up) {
            Object p = period.apply(Map.of());
            long millis = p instanceof String text ? periodMillis(text) : -1;
            if (millis <= 0) {
                i = start;
                throw error("expected a period such as 5m");
            }
            return (TimeExpr) row -> {
                Double t = num(time.apply(row));
                if (t == null) return null;
                long floor = Math.floorDiv(t.longValue(), millis) * millis;
                return (double) (up && floor != t.longValue() ? floor + millis : floor);
            };
        }
    }
}
