package dev.nimbus.services.cloudwatch;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * A composite alarm's AlarmRule: ALARM(x), OK(x) and INSUFFICIENT_DATA(x) (x an alarm name or ARN,
 * quoted or not), TRUE, FALSE, combined with NOT, AND, OR (binding in that order) and parentheses.
 */
final class AlarmRule {
    /** A parsed rule: evaluates against the states of the alarms it names. */
    interface Node {
        boolean eval(Function<String, String> stateOf);
    }

    private final Node root;
    private final Set<String> alarms;

    private AlarmRule(Node root, Set<String> alarms) {
        this.root = root;
        this.alarms = alarms;
    }

    /** Whether the rule holds, given each named alarm's state (null for an alarm that does not exist: false). */
    boolean holds(Function<String, String> stateOf) {
        return root.eval(stateOf);
    }

    /** The names of the alarms the rule reads (ARNs reduced to names). */
    Set<String> alarms() {
        return alarms;
    }

    /** @throws IllegalArgumentException with what is wrong and where */
    static AlarmRule parse(String text) {
        Parser p = new Parser(text);
        Node n = p.or();
        p.space();
        if (p.i < text.length()) throw p.error("unexpected '" + text.charAt(p.i) + "'");
        return new AlarmRule(n, p.names);
    }

    /** arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME -> NAME; a name stays itself. */
    static String nameOf(String ref) {
        if (!ref.startsWith("arn:")) return ref;
        String[] p = ref.split(":", 7);
        return p.length == 7 && p[5].equals("alarm") ? p[6] : ref;
    }

    private static final class Parser {
        final String s;
        int i;
        final Set<String> names = new LinkedHashSet<>();

        Parser(String s) {
            this.s = s;
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at position " + (i + 1) + " of the AlarmRule");
        }

        void space() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        boolean word(String w) {
            space();
            int end = i + w.length();
            if (end > s.length() || !s.regionMatches(true, i, w, 0, w.length())) return false;
            if (end < s.length() && (Character.isLetterOrDigit(s.charAt(end)) || s.charAt(end) == '_')) return false;
            i = end;
            return true;
        }

        Node or() {
            Node left = and();
            while (word("OR")) {
                Node l = left, r = and();
                left = st -> l.eval(st) || r.eval(st);
            }
            return left;
        }

        Node and() {
            Node left = not();
            while (word("AND")) {
                Node l = left, r = not();
                left = st -> l.eval(st) && r.eval(st);
            }
            return left;
        }

        Node not() {
            if (word("NOT")) {
                Node n = not();
                return st -> !n.eval(st);
            }
            return primary();
        }

        Node primary() {
            space();
            if (i < s.length() && s.charAt(i) == '(') {
                i++;
                Node n = or();
                space();
                if (i >= s.length() || s.charAt(i) != ')') throw error("expected ')'");
                i++;
                return n;
            }
            if (word("TRUE")) return st -> true;
            if (word("FALSE")) return st -> false;
            for (String state : new String[] {"INSUFFICIENT_DATA", "ALARM", "OK"}) {
                if (word(state)) {
                    String name = nameOf(argument());
                    names.add(name);
                    return st -> state.equals(st.apply(name));
                }
            }
            if (i >= s.length()) throw error("unexpected end");
            throw error("expected ALARM, OK, INSUFFICIENT_DATA, TRUE, FALSE, NOT or '(' but found '"
                    + s.substring(i, Math.min(s.length(), i + 20)).toUpperCase(Locale.ROOT).strip() + "'");
        }

        /** ( "name" ) or ( name ): an unquoted name runs to the closing parenthesis. */
        String argument() {
            space();
            if (i >= s.length() || s.charAt(i) != '(') throw error("expected '('");
            i++;
            space();
            String name;
            if (i < s.length() && s.charAt(i) == '"') {
                int close = s.indexOf('"', i + 1);
                if (close < 0) throw error("unterminated quote");
                name = s.substring(i + 1, close);
                i = close + 1;
                space();
            } else {
                int close = s.indexOf(')', i);
                if (close < 0) throw error("expected ')'");
                name = s.substring(i, close).strip();
                i = close;
            }
            if (name.isEmpty()) throw error("expected an alarm name");
            if (i >= s.length() || s.charAt(i) != ')') throw error("expected ')'");
            i++;
            return name;
        }
    }
}
