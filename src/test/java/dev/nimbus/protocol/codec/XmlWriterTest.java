package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
