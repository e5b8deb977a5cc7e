package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.AwsException;
import dev.nimbus.protocol.Values;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * DynamoDB's AttributeValue as the codec gives it: an object with one member named by its type
 * (S, N, B, SS, NS, BS, M, L, NULL, BOOL); numbers are strings, binaries BinaryNode. The rules
 * DynamoDB applies to them live here: validation, number normalisation, equality, order, size.
 */
public final class AttributeValues {
    private AttributeValues() {}

    /** 400 KB: DynamoDB's item size limit, names and values together. */
    public static final int MAX_ITEM_BYTES = 400 * 1024;
    private static final BigDecimal MAX_MAGNITUDE = new BigDecimal("9.9999999999999999999999999999999999999E+125");
    private static final BigDecimal MIN_MAGNITUDE = new BigDecimal("1E-130");

    public static String type(JsonNode av) {
        Iterator<String> names = av.fieldNames();
        return names.hasNext() ? names.next() : "";
    }

    public static JsonNode value(JsonNode av) {
        return av.elements().next();
    }

    public static ObjectNode of(String type, JsonNode value) {
        ObjectNode o = Values.object();
        o.set(type, value);
        return o;
    }

    public static ObjectNode s(String v) {
        return Values.object().put("S", v);
    }

    public static ObjectNode n(BigDecimal v) {
        return Values.object().put("N", format(v));
    }

    public static ObjectNode bool(boolean v) {
        return Values.object().put("BOOL", v);
    }

    public static boolean isSet(String type) {
        return type.equals("SS") || type.equals("NS") || type.equals("BS");
    }

    public static BigDecimal number(JsonNode av) {
        return new BigDecimal(av.get("N").asText());
    }

    /** DynamoDB's canonical text of a number: no exponent, no trailing zeros. */
    public static String format(BigDecimal v) {
        if (v.signum() == 0) return "0";
        return v.stripTrailingZeros().toPlainString();
    }

    /** A number from a request: parsed, range- and precision-checked, normalised. */
    public static BigDecimal parseNumber(String text) {
        BigDecimal v;
        try {
            v = new BigDecimal(text.strip());
        } catch (NumberFormatException e) {
            throw AwsException.validation("A value provided cannot be converted into a number");
        }
        return checkNumber(v);
    }

    /** Range and precision as DynamoDB stores them (after arithmetic too). */
    public static BigDecimal checkNumber(BigDecimal v) {
        v = v.signum() == 0 ? BigDecimal.ZERO : v.stripTrailingZeros();
        if (v.precision() > 38) throw AwsException.validation("Attempting to store more than 38 significant digits in a Number");
        if (v.abs().compareTo(MAX_MAGNITUDE) > 0) throw AwsException.validation("Number overflow. Attempting to store a number with magnitude larger than supported range");
        if (v.signum() != 0 && v.abs().compareTo(MIN_MAGNITUDE) < 0) {
            throw AwsException.validation("Number underflow. Attempting to store a number with magnitude smaller than supported range");
        }
        return v;
    }

    /** Arithmetic keeps 38 digits like DynamoDB; more is an error, not a rounding. */
    public static BigDecimal add(BigDecimal a, BigDecimal b) {
        return checkNumber(a.add(b, MathContext.UNLIMITED));
    }

    /**
     * Checks an AttributeValue a request sent and returns it normalised (numbers canonical):
     * exactly one type, sets non-empty and without duplicates, numbers valid.
     */
    public static JsonNode validate(JsonNode av) {
        if (av == null || !av.isObject() || av.isEmpty()) {
            throw AwsException.validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
        }
        int set = 0;
        Iterator<Map.Entry<String, JsonNode>> it = av.fields();
        while (it.hasNext()) if (!it.next().getValue().isNull()) set++;
        if (set == 0) throw AwsException.validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
        if (set > 1) throw AwsException.validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
        ObjectNode o = (ObjectNode) av;
        // drop explicit nulls the codec kept, so that type() sees the one type
        o.retain(nonNullField(o));
        String type = type(o);
        JsonNode v = value(o);
        switch (type) {
            case "S" -> {}
            case "B" -> {}
            case "N" -> o.put("N", format(parseNumber(v.asText())));
            case "BOOL" -> {}
            case "NULL" -> {
                if (!v.asBoolean()) throw AwsException.validation("One or more parameter values were invalid: Null attribute value types must have the value of true");
            }
            case "SS", "NS", "BS" -> validateSet(o, type);
            case "L" -> {
                ArrayNode a = (ArrayNode) v;
                for (int i = 0; i < a.size(); i++) a.set(i, validate(a.get(i)));
            }
            case "M" -> {
                ObjectNode m = (ObjectNode) v;
                m.fields().forEachRemaining(e -> e.setValue(validate(e.getValue())));
            }
            default -> throw AwsException.validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
        }
        return o;
    }

    private static String nonNullField(ObjectNode o) {
        Iterator<Map.Entry<String, JsonNode>> it = o.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isNull()) return e.getKey();
        }
        return "";
    }

    private static void validateSet(ObjectNode o, String type) {
        ArrayNode a = (ArrayNode) value(o);
        if (a.isEmpty()) {
            throw AwsException.validation(switch (type) {
                case "SS" -> "One or more parameter values were invalid: An string set  may not be empty";
                case "NS" -> "One or more parameter values were invalid: An number set  may not be empty";
                default -> "One or more parameter values were invalid: Binary sets should not be empty";
            });
        }
        Set<Object> seen = new HashSet<>();
        for (int i = 0; i < a.size(); i++) {
            Object k = switch (type) {
                case "NS" -> {
                    String f = format(parseNumber(a.get(i).asText()));
                    a.set(i, Values.NODES.textNode(f));
                    yield f;
                }
                case "BS" -> new Bin(bytes(a.get(i)));
                default -> a.get(i).asText();
            };
            if (!seen.add(k)) {
                throw AwsException.validation("One or more parameter values were invalid: Input collection " + a.toString().replace("\"", "").replace(",", ", ") + " contains duplicates.");
            }
        }
    }

    public static byte[] bytes(JsonNode n) {
        try {
            return n.binaryValue();
        } catch (java.io.IOException e) {
            throw AwsException.serialization("Invalid base64: " + n.asText());
        }
    }

    /** Bytes as a set member: equality by content. */
    private record Bin(byte[] b) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Bin other && Arrays.equals(b, other.b);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(b);
        }
    }

    /** DynamoDB equality: numbers by value, sets regardless of order, maps and lists deeply. */
    public static boolean equal(JsonNode a, JsonNode b) {
        if (a == null || b == null) return false;
        String t = type(a);
        if (!t.equals(type(b))) return false;
        JsonNode x = value(a), y = value(b);
        return switch (t) {
            case "N" -> new BigDecimal(x.asText()).compareTo(new BigDecimal(y.asText())) == 0;
            case "B" -> Arrays.equals(bytes(x), bytes(y));
            case "SS", "NS", "BS" -> x.size() == y.size() && containsAll(t, x, y);
            case "L" -> {
                if (x.size() != y.size()) yield false;
                for (int i = 0; i < x.size(); i++) if (!equal(x.get(i), y.get(i))) yield false;
                yield true;
            }
            case "M" -> {
                if (x.size() != y.size()) yield false;
                Iterator<Map.Entry<String, JsonNode>> it = x.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!equal(e.getValue(), y.get(e.getKey()))) yield false;
                }
                yield true;
            }
            default -> x.equals(y);
        };
    }

    private static boolean containsAll(String setType, JsonNode set, JsonNode members) {
        for (JsonNode m : members) if (!setContains(setType, set, m)) return false;
        return true;
    }

    /** Whether a set (the array of an SS/NS/BS) holds a member (the array's element form). */
    public static boolean setContains(String setType, JsonNode set, JsonNode member) {
        for (JsonNode e : set) {
            boolean same = switch (setType) {
                case "NS" -> new BigDecimal(e.asText()).compareTo(new BigDecimal(member.asText())) == 0;
                case "BS" -> Arrays.equals(bytes(e), bytes(member));
                default -> e.asText().equals(member.asText());
            };
            if (same) return true;
        }
        return false;
    }

    /**
     * Order of two scalars of one type (S by UTF-8 bytes, N numerically, B bytewise), or null when
     * they are not comparable (different types, or not S/N/B): such comparisons are false.
     */
    public static Integer compare(JsonNode a, JsonNode b) {
        if (a == null || b == null) return null;
        String t = type(a);
        if (!t.equals(type(b))) return null;
        return switch (t) {
            case "S" -> compareUtf8(value(a).asText(), value(b).asText());
            case "N" -> number(a).compareTo(number(b));
            case "B" -> Arrays.compareUnsigned(bytes(value(a)), bytes(value(b)));
            default -> null;
        };
    }

    static int compareUtf8(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** DynamoDB's size of an item: UTF-8 names plus values (numbers about one byte per two digits). */
    public static long itemSize(JsonNode item) {
        long size = 0;
        Iterator<Map.Entry<String, JsonNode>> it = item.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            size += utf8Length(e.getKey()) + size(e.getValue());
        }
        return size;
    }

    public static long size(JsonNode av) {
        JsonNode v = value(av);
        return switch (type(av)) {
            case "S" -> utf8Length(v.asText());
            case "N" -> numberSize(v.asText());
            case "B" -> bytes(v).length;
            case "SS" -> {
                long s = 0;
                for (JsonNode e : v) s += utf8Length(e.asText());
                yield s;
            }
            case "NS" -> {
                long s = 0;
                for (JsonNode e : v) s += numberSize(e.asText());
                yield s;
            }
            case "BS" -> {
                long s = 0;
                for (JsonNode e : v) s += bytes(e).length;
                yield s;
            }
            case "L" -> {
                long s = 3;
                for (JsonNode e : v) s += 1 + size(e);
                yield s;
            }
            case "M" -> 3 + itemSize(v) + v.size();
            default -> 1;
        };
    }

    private static long numberSize(String text) {
        String digits = text.replace("-", "").replace(".", "");
        return (digits.length() + 1) / 2 + 1;
    }

    static long utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
