package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nimbus.protocol.AwsException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AwsChunkedInputStreamTest {
    static String decode(String body) throws IOException {
        try (InputStream in = new AwsChunkedInputStream(new ByteArrayInputStream(body.getBytes(StandardCharsets.ISO_8859_1)))) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void signedChunks() throws IOException {
        String sig = ";chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
        assertEquals("hello world!", decode("5" + sig + "\r\nhello\r\n7" + sig + "\r\n world!\r\n0" + sig + "\r\n\r\n"));
    }

    @Test
    void unsignedChunksWithTrailingChecksum() throws IOException {
        assertEquals("abc", decode("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n"));
        // signed trailer, and a body that ends right after the trailers
        assertEquals("abc", decode("3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\nx-amz-trailer-signature:00ff\r\n"));
        assertEquals("", decode("0\r\n\r\n"));
    }

    @Test
    void largeChunksReadInPieces() throws IOException {
        String data = "x".repeat(200_000);
        assertEquals(data + data, decode(Integer.toHexString(data.length()) + "\r\n" + data + "\r\n" + Integer.toHexString(data.length()) + "\r\n" + data + "\r\n0\r\n\r\n"));
    }

    @Test
    void brokenFramingIsTheClientsFault() {
        AwsException truncated = assertThrows(AwsException.class, () -> decode("a\r\nhello"));
        assertEquals("IncompleteBody", truncated.code());
        AwsException noEnd = assertThrows(AwsException.class, () -> decode("5\r\nhello\r\n"));
        assertEquals("IncompleteBody", noEnd.code());
        AwsException size = assertThrows(AwsException.class, () -> decode("zz\r\nhello\r\n0\r\n\r\n"));
        assertEquals("InvalidRequest", size.code());
        AwsException longer = assertThrows(AwsException.class, () -> decode("3\r\nhello\r\n0\r\n\r\n"));
        assertEquals(400, longer.status());
    }
}
