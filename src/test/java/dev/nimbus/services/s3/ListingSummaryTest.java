package dev.nimbus.services.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Listing.Summary.of reads a record's bytes by hand: it must give what the Jackson parser gives, for any record. */
class ListingSummaryTest {
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final List<String> FIELDS = List.of("size", "etag", "modified", "type", "storage", "meta", "headers", "parts", "checksum", "marker", "versionId", "owner");

    static byte[] bytes(JsonNode n, boolean pretty) throws Exception {
        return pretty ? Values.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n) : Values.JSON.writeValueAsBytes(n);
    }

    @Test
    void objectAndMarkerRecordsAsStoredTakeTheFastPath() throws Exception {
        String object = "{\"size\":1,\"etag\":\"\\\"9dd4e461268c8034f5c8564e155c67a6\\\"\",\"modified\":1795436399000,\"type\":\"binary/octet-stream\","
                + "\"storage\":\"STANDARD\",\"meta\":{\"a\":\"x\\\"}{\"},\"headers\":{},\"parts\":[{\"data\":\"eA==\",\"size\":1}],"
                + "\"checksum\":{\"alg\":\"CRC64NVME\",\"value\":\"Lb1nAmRU5LE=\"}}";
        byte[] v = object.getBytes(StandardCharsets.UTF_8);
        Listing.Summary s = new Listing.RecordReader(v).summary();
        assertNotNull(s);
        assertEquals(new Listing.Summary(1795436399000L, "\"9dd4e461268c8034f5c8564e155c67a6\"", 1, "STANDARD", "CRC64NVME", "FULL_OBJECT", false), s);
        assertEquals(Listing.Summary.parsed(v), s);
        byte[] marker = "{\"marker\":true,\"modified\":-5,\"versionId\":\"v\"}".getBytes(StandardCharsets.UTF_8);
        assertEquals(new Listing.Summary(-5, "", 0, "STANDARD", null, null, true), new Listing.RecordReader(marker).summary());
    }

    @Test
    void randomRecordsReadAsTheParserReadsThem() throws Exception {
        Random r = new Random(11);
        int fast = 0;
        for (int n = 0; n < 20_000; n++) {
            ObjectNode rec = NODES.objectNode();
            for (int f = r.nextInt(8); f >= 0; f--) {
                String name = FIELDS.get(r.nextInt(FIELDS.size()));
                if (name.equals("checksum") && r.nextInt(4) > 0) {
                    ObjectNode c = rec.putObject("checksum");
                    for (int k = r.nextInt(4); k > 0; k--) c.set(List.of("alg", "type", "value").get(r.nextInt(3)), value(r, 1));
                } else {
                    rec.set(name, value(r, 2));
                }
            }
            byte[] v = bytes(rec, r.nextInt(10) == 0);
            if (new Listing.RecordReader(v).summary() != null) fast++;
            assertEquals(outcome(() -> Listing.Summary.parsed(v)), outcome(() -> Listing.Summary.of(v)), new String(v, StandardCharsets.UTF_8));
        }
        // most of them (every field a string or an integer where the reader expects one) took the fast path
        assertEquals(true, fast > 1_000, "fast path taken " + fast + " times");
    }

    /** The summary, or the exception's message where the parser refuses a value (a boolean of 2^62, say): the same either way. */
    static Object outcome(java.util.function.Supplier<Listing.Summary> read) {
        try {
            return read.get();
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    /** A random value: mostly the kinds records hold (strings with quotes, backslashes, controls, non-ASCII; integers), sometimes anything. */
    static JsonNode value(Random r, int depth) {
        switch (r.nextInt(depth > 0 ? 10 : 7)) {
            case 0, 1, 2: {
                String alphabet = "ab\"\\/\n\t\u0001\u00e9\u20ac\ud83d\ude00 {}[],:0";
                StringBuilder s = new StringBuilder();
                for (int i = r.nextInt(8); i > 0; i--) {
                    int at = r.nextInt(alphabet.length() - 1);
                    if (Character.isHighSurrogate(alphabet.charAt(at))) s.append(alphabet, at, at + 2);
                    else if (!Character.isLowSurrogate(alphabet.charAt(at))) s.append(alphabet.charAt(at));
                }
                return NODES.textNode(s.toString());
            }
            case 3:
                return NODES.numberNode(switch (r.nextInt(4)) {
                    case 0 -> r.nextInt(1000);
                    case 1 -> -r.nextLong(1L << 50);
                    case 2 -> Long.MAX_VALUE - r.nextInt(3);
                    default -> r.nextLong();
                });
            case 4:
                return r.nextBoolean() ? NODES.numberNode(r.nextDouble() * 1e6) : NODES.numberNode(new java.math.BigInteger("123456789012345678901234"));
            case 5:
                return NODES.booleanNode(r.nextBoolean());
            case 6:
                return NODES.nullNode();
            case 7, 8: {
                ObjectNode o = NODES.objectNode();
                for (int i = r.nextInt(3); i > 0; i--) o.set("k" + r.nextInt(5) + (r.nextBoolean() ? "\"" : ""), value(r, depth - 1));
                return o;
            }
            default: {
                ArrayNode a = NODES.arrayNode();
                for (int i = r.nextInt(3); i > 0; i--) a.add(value(r, depth - 1));
                return a;
            }
        }
    }
}
