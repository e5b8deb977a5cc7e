package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

class XmlWriterTest {
    /** The escaping rules one character at a time, as XmlWriter applied them before it appended runs. */
    static String reference(String s, boolean attribute) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append(attribute ? "&quot;" : "\"");
                case '\r' -> sb.append("&#13;");
                case '\n' -> sb.append(attribute ? "&#10;" : "\n");
                default -> {
                    if (c >= 0x20 || c == '\t') sb.append(c);
                }
            }
        }
        return sb.toString();
    }

    @Test
    void escapingMatchesTheRulesCharacterByCharacter() {
        assertEquals("<a k=\"x&quot;&#10;&lt;\">a&amp;b &lt;c&gt; \"q\"\n&#13;\tz\u00e9\ud83d\ude00</a>",
                new XmlWriter().open("a", "k", "x\"\n<").text("a&b <c> \"q\"\n\r\u0001\tz\u00e9\ud83d\ude00").close("a").toString());
        // Random strings over the characters that matter (and some that do not), runs of each length, both contexts.
        char[] alphabet = "<>&\"\r\n\t\u0000\u001f ?=;/aZ~\u007f\u00e9\u20ac\ud83d\ude00".toCharArray();
        Random r = new Random(6);
        for (int n = 0; n < 20_000; n++) {
            StringBuilder s = new StringBuilder();
            for (int i = r.nextInt(12); i > 0; i--) s.append(alphabet[r.nextInt(alphabet.length)]);
            String in = s.toString();
            assertEquals(reference(in, false), new XmlWriter().text(in).toString(), in);
            assertEquals("<e a=\"" + reference(in, true) + "\">", new XmlWriter().open("e", "a", in).toString(), in);
        }
    }

    @Test
    void millisTimestampsMatchThePatternFormatter() {
        DateTimeFormatter pattern = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
        assertEquals("2026-11-22T10:00:00.000Z", XmlShapes.millis(Instant.parse("2026-11-22T10:00:00Z")));
        assertEquals("1970-01-01T00:00:00.007Z", XmlShapes.millis(Instant.ofEpochMilli(7)));
        assertEquals("1969-12-31T23:59:59.999Z", XmlShapes.millis(Instant.ofEpochMilli(-1)));
        Random r = new Random(7);
        long max = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli(), min = Instant.parse("0001-01-01T00:00:00Z").toEpochMilli();
        for (int n = 0; n < 100_000; n++) {
            Instant t = Instant.ofEpochMilli(min + (long) (r.nextDouble() * (max - min)));
            assertEquals(pattern.format(t), XmlShapes.millis(t), t.toString());
        }
        Instant far = Instant.parse("+12345-01-02T03:04:05.678Z");
        assertEquals(pattern.format(far), XmlShapes.millis(far));
    }
}
