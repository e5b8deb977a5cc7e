package dev.nimbus.services.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** MD5OfMessageBody stays the plain MD5 whatever a body shares with the bodies digested before it. */
class Md5Test {
    private static String plain(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void bodiesSharingTheirStartDigestAsAlone() throws Exception {
        Random random = new Random(7);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1500; i++) sb.append((char) (i % 97 == 0 ? 0x00e9 : 'a' + random.nextInt(26)));
        String head = sb.toString();
        List<String> bodies = List.of("", "x", head, head + "/sub-1", head + "/sub-2", head + "/sub-3", head, head.substring(0, 700),
                head.substring(0, 256), head.substring(0, 255), head.substring(0, 300) + "different tail", head.substring(0, 300) + "other",
                "\u2603" + head, head.substring(0, 640) + "\ud83d\ude00" + head, head.substring(0, 640) + "\ud83d\ude00" + head + "!", "x", head + "/sub-1");
        for (String body : bodies) assertEquals(plain(body), Md5.of(body), () -> "length " + body.length());
    }
}
