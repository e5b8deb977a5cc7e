package dev.nimbus.services.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The store sorts keys by UTF-8 bytes: encodings must sort as DynamoDB sorts the values, also when followed by more key parts. */
class KeyEncodingTest {
    private static int utf8(String a, String b) {
        return AttributeValues.compareUtf8(a, b);
    }

    private static void assertSameOrder(List<JsonNode> values) {
        Random random = new Random(7);
        for (int n = 0; n < 5000; n++) {
            JsonNode a = values.get(random.nextInt(values.size())), b = values.get(random.nextInt(values.size()));
            int expected = Integer.signum(AttributeValues.compare(a, b));
            assertEquals(expected, Integer.signum(utf8(KeyEncoding.encode(a), KeyEncoding.encode(b))), () -> a + " vs " + b);
            // a suffix (an index entry's table key) never changes the order of different values
            if (expected != 0) {
                assertEquals(expected, Integer.signum(utf8(KeyEncoding.encode(a) + "\uffff", KeyEncoding.encode(b))), () -> a + "+suffix vs " + b);
            }
        }
    }

    @Test
    void numbersSortNumericallyNegativesIncluded() {
        List<JsonNode> values = new ArrayList<>();
        for (String s : List.of("0", "1", "-1", "10", "-10", "9", "-9", "0.5", "-0.5", "0.05", "-0.05", "123.456", "-123.456", "123.4567", "-123.4567",
                "1E+125", "-1E+125", "9.9999999999999999999999999999999999999E+125", "1E-130", "-1E-130", "12345678901234567890123456789012345678", "100", "-100", "2", "11")) {
            values.add(AttributeValues.n(new BigDecimal(s)));
        }
        Random random = new Random(3);
        for (int i = 0; i < 300; i++) values.add(AttributeValues.n(new BigDecimal(random.nextGaussian() * Math.pow(10, random.nextInt(20) - 10)).round(new java.math.MathContext(1 + random.nextInt(30)))));
        assertSameOrder(values);
    }

    @Test
    void stringsSortByUtf8BytesControlCharactersIncluded() {
        List<JsonNode> values = new ArrayList<>();
        for (String s : List.of("", "a", "ab", "b", "\u0000", "a\u0000", "a\u0001b", "a\u0002", "a\u0003", "é", "\uffff", "😀", "z", "Z", "a b")) {
            values.add(AttributeValues.s(s));
        }
        assertSameOrder(values);
    }

    @Test
    void binarySortsBytewiseUnsigned() {
        List<JsonNode> values = new ArrayList<>();
        for (byte[] b : List.of(new byte[] {}, new byte[] {0}, new byte[] {0, 0}, new byte[] {1}, new byte[] {(byte) 0x7f}, new byte[] {(byte) 0x80},
                new byte[] {(byte) 0xff}, new byte[] {(byte) 0xff, 0}, new byte[] {2, 3})) {
            values.add(AttributeValues.of("B", Values.NODES.binaryNode(b)));
        }
        assertSameOrder(values);
    }

    @Test
    void beginsWithIsAPrefixOfTheEncoding() {
        JsonNode full = AttributeValues.s("order#2024-01");
        assertTrue(KeyEncoding.encode(full).startsWith(KeyEncoding.prefix(AttributeValues.s("order#"))));
        List<String> sorted = new ArrayList<>(List.of(KeyEncoding.encode(AttributeValues.s("b")), KeyEncoding.encode(AttributeValues.s("a"))));
        sorted.sort(Comparator.naturalOrder());
        assertEquals(KeyEncoding.encode(AttributeValues.s("a")), sorted.get(0));
    }
}
