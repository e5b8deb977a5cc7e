package dev.nimbus.services.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/**
 * Key attribute values as store-key text whose UTF-8 byte order is DynamoDB's order of the values
 * (S by UTF-8 bytes, N numerically, B bytewise), so that a Query is one range read of the store.
 *
 * Every encoded value ends with a terminator that sorts below any of its content, so that a value
 * followed by more components (an index entry's table key) still sorts by the value first, and no
 * encoding is a prefix of another. The characters U+0000 and U+0001 never appear in content:
 * U+0001 is the terminator and U+0002 escapes the three lowest characters.
 */
public final class KeyEncoding {
    private KeyEncoding() {}

    static final char END = '\u0001';
    private static final char ESCAPE = '\u0002';
    /** Ends a negative number: above every (complemented) digit, so -12 sorts above -123. */
    private static final char NEGATIVE_END = '~';

    public static String encode(JsonNode av) {
        StringBuilder out = new StringBuilder();
        append(out, av);
        return out.toString();
    }

    public static void append(StringBuilder out, JsonNode av) {
        switch (AttributeValues.type(av)) {
            case "S" -> string(out, av.get("S").asText()).append(END);
            case "N" -> number(out, AttributeValues.number(av));
            case "B" -> bytes(out, AttributeValues.bytes(av.get("B"))).append(END);
            default -> throw new IllegalArgumentException("not a key type: " + av);
        }
    }

    /** The encoding of an S or B value without its terminator: every value it begins is above it (begins_with). */
    public static String prefix(JsonNode av) {
        StringBuilder out = new StringBuilder();
        if (AttributeValues.type(av).equals("S")) string(out, av.get("S").asText());
        else bytes(out, AttributeValues.bytes(av.get("B")));
        return out.toString();
    }

    private static StringBuilder string(StringBuilder out, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ESCAPE) out.append(ESCAPE).append((char) (c + 2));
            else out.append(c);
        }
        return out;
    }

    /** Each byte as one character above the escape, in the same order (code point order is UTF-8 order). */
    private static StringBuilder bytes(StringBuilder out, byte[] b) {
        for (byte x : b) out.append((char) ((x & 0xff) + 3));
        return out;
    }

    /**
     * Sign class, then the decimal exponent, then the significant digits: for negatives the
     * exponent and the digits are complemented so that larger magnitudes sort lower.
     */
    private static void number(StringBuilder out, BigDecimal v) {
        if (v.signum() == 0) {
            out.append('1').append(END);
            return;
        }
        BigDecimal a = v.abs().stripTrailingZeros();
        String digits = a.unscaledValue().toString();
        // value = 0.digits x 10^exponent; DynamoDB's range keeps exponent within -129..126
        int exponent = digits.length() - a.scale();
        int biased = exponent + 200;
        if (v.signum() > 0) {
            out.append('2').append(String.format("%03d", biased)).append(digits).append(END);
        } else {
            out.append('0').append(String.format("%03d", 999 - biased));
            for (int i = 0; i < digits.length(); i++) out.append((char) ('9' - (digits.charAt(i) - '0')));
            out.append(NEGATIVE_END);
        }
    }
}
