package dev.nimbus.services.cloudwatch;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.function.DoubleBinaryOperator;
import java.util.function.Function;

/**
 * Metric math for GetMetricData: arithmetic (+ - * /, unary minus, parentheses) over query ids
 * and numbers, arrays [m1, m2], and the functions SUM, AVG, MIN, MAX (across the series of an
 * array or METRICS(), per timestamp), METRICS(), ABS and FILL(series, value). Binary operators on
 * two series apply at the timestamps both have, as CloudWatch does.
 */
final class Expressions {
    /** A series: timestamp -> value, in time order. */
    sealed interface Value permits Scalar, Series, Many {}

    record Scalar(double v) implements Value {}

    record Series(TreeMap<Instant, Double> points) implements Value {}

    record Many(List<Series> series) implements Value {}

    /** The value of an id, or null when no query has it. */
    interface Ids {
        Series get(String id);

        /** Every MetricStat query's series (METRICS()). */
        List<Series> all();
    }

    static final class Invalid extends RuntimeException {
        Invalid(String message) {
            super(message);
        }
    }

    private final String text;
    private final Ids ids;
    private int pos;

    private Expressions(String text, Ids ids) {
        this.text = text;
        this.ids = ids;
    }

    /** Evaluates an expression to one series (a number becomes no datapoints: it has no timestamps of its own). */
    static Series evaluate(String expression, Ids ids) {
        Expressions p = new Expressions(expression, ids);
        Value v = p.expr();
        p.skipSpace();
        if (p.pos < expression.length()) throw new Invalid("Unexpected character '" + expression.charAt(p.pos) + "' at position " + (p.pos + 1));
        return switch (v) {
            case Series s -> s;
            case Scalar s -> new Series(new TreeMap<>());
            case Many m -> throw new Invalid("The expression must return a single time series, not an array");
        };
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
    }

    private boolean eat(char c) {
        skipSpace();
        if (pos < text.length() && text.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private Value expr() {
        Value v = term();
        while (true) {
            if (eat('+')) v = binary(v, term(), Double::sum);
            else if (eat('-')) v = binary(v, term(), (a, b) -> a - b);
            else return v;
        }
    }

    private Value term() {
        Value v = unary();
        while (true) {
            if (eat('*')) v = binary(v, unary(), (a, b) -> a * b);
            else if (eat('/')) v = binary(v, unary(), (a, b) -> a / b);
            else return v;
        }
    }

    private Value unary() {
        if (eat('-')) return binary(new Scalar(0), unary(), (a, b) -> a - b);
        return primary();
    }

    private Value primary() {
        skipSpace();
        if (pos >= text.length()) throw new Invalid("Unexpected end of expression");
        char c = text.charAt(pos);
        if (eat('(')) {
            Value v = expr();
            if (!eat(')')) throw new Invalid("Expected ')' at position " + (pos + 1));
            return v;
        }
        if (eat('[')) {
            List<Series> list = new ArrayList<>();
            do {
                addAll(list, expr());
            } while (eat(','));
            if (!eat(']')) throw new Invalid("Expected ']' at position " + (pos + 1));
            return new Many(list);
        }
        if (Character.isDigit(c) || c == '.') {
            int start = pos;
            while (pos < text.length() && (Character.isDigit(text.charAt(pos)) || text.charAt(pos) == '.')) pos++;
            try {
                return new Scalar(Double.parseDouble(text.substring(start, pos)));
            } catch (NumberFormatException e) {
                throw new Invalid("Invalid number '" + text.substring(start, pos) + "' at position " + (start + 1));
            }
        }
        if (Character.isLetter(c)) {
            int start = pos;
            while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) pos++;
            String name = text.substring(start, pos);
            if (eat('(')) return function(name.toUpperCase(Locale.ROOT), start);
            Series s = ids.get(name);
            if (s == null) throw new Invalid("Unrecognized identifier '" + name + "' at position " + (start + 1));
            return s;
        }
        throw new Invalid("Unexpected character '" + c + "' at position " + (pos + 1));
    }

    private List<Value> arguments() {
        List<Value> args = new ArrayList<>();
        if (eat(')')) return args;
        do {
            skipSpace();
            if (pos < text.length() && (text.charAt(pos) == '\'' || text.charAt(pos) == '"')) { // METRICS("filter"): a label filter, not kept
                char q = text.charAt(pos++);
                while (pos < text.length() && text.charAt(pos) != q) pos++;
                pos++;
                continue;
            }
            args.add(expr());
        } while (eat(','));
        if (!eat(')')) throw new Invalid("Expected ')' at position " + (pos + 1));
        return args;
    }

    private Value function(String name, int at) {
        List<Value> args = arguments();
        return switch (name) {
            case "METRICS" -> new Many(ids.all());
            case "SUM" -> across(args, name, l -> l.stream().mapToDouble(Double::doubleValue).sum());
            case "AVG" -> across(args, name, l -> l.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
            case "MIN" -> across(args, name, l -> l.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN));
            case "MAX" -> across(args, name, l -> l.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN));
            case "ABS" -> {
                if (args.size() != 1) throw new Invalid("ABS takes one argument");
                yield binary(args.get(0), new Scalar(0), (a, b) -> Math.abs(a));
            }
            case "FILL" -> {
                if (args.size() != 2 || !(args.get(0) instanceof Series s) || !(args.get(1) instanceof Scalar fill)) {
                    throw new Invalid("FILL takes a time series and a number");
                }
                yield fill(s, fill.v());
            }
            default -> throw new Invalid("Unknown function '" + name + "' at position " + (at + 1));
        };
    }

    private static void addAll(List<Series> list, Value v) {
        switch (v) {
            case Series s -> list.add(s);
            case Many m -> list.addAll(m.series());
            case Scalar s -> throw new Invalid("An array holds time series, not numbers");
        }
    }

    /** SUM/AVG/MIN/MAX per timestamp across the series given (an array, METRICS(), or series). */
    private static Value across(List<Value> args, String name, Function<List<Double>, Double> f) {
        List<Series> list = new ArrayList<>();
        for (Value a : args) addAll(list, a);
        if (list.isEmpty()) throw new Invalid(name + " needs at least one time series");
        TreeMap<Instant, List<Double>> at = new TreeMap<>();
        for (Series s : list) s.points().forEach((t, v) -> at.computeIfAbsent(t, k -> new ArrayList<>()).add(v));
        TreeMap<Instant, Double> out = new TreeMap<>();
        at.forEach((t, vs) -> out.put(t, f.apply(vs)));
        return new Series(out);
    }

    /** Fills the gaps between the series' first and last datapoints, on the smallest spacing between its datapoints. */
    private static Series fill(Series s, double value) {
        TreeMap<Instant, Double> out = new TreeMap<>(s.points());
        if (out.size() < 2) return new Series(out);
        long step = Long.MAX_VALUE;
        Instant prev = null;
        for (Instant t : out.keySet()) {
            if (prev != null) step = Math.min(step, t.getEpochSecond() - prev.getEpochSecond());
            prev = t;
        }
        for (Instant t = out.firstKey(); t.isBefore(out.lastKey()); t = t.plusSeconds(step)) out.putIfAbsent(t, value);
        return new Series(out);
    }

    private static Value binary(Value a, Value b, DoubleBinaryOperator op) {
        if (a instanceof Many || b instanceof Many) throw new Invalid("Arithmetic applies to time series and numbers, not arrays");
        if (a instanceof Scalar x && b instanceof Scalar y) return new Scalar(op.applyAsDouble(x.v(), y.v()));
        TreeMap<Instant, Double> out = new TreeMap<>();
        if (a instanceof Series x && b instanceof Series y) {
            x.points().forEach((t, v) -> {
                Double w = y.points().get(t);
                if (w != null) out.put(t, op.applyAsDouble(v, w));
            });
        } else if (a instanceof Series x) {
            double w = ((Scalar) b).v();
            x.points().forEach((t, v) -> out.put(t, op.applyAsDouble(v, w)));
        } else {
            double v = ((Scalar) a).v();
            ((Series) b).points().forEach((t, w) -> out.put(t, op.applyAsDouble(v, w)));
        }
        return new Series(out);
    }
}
