package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.server.ServerConfig;
import dev.nimbus.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Document bodies sent with Content-Encoding: gzip, as SDKs compress CloudWatch PutMetricData. */
class GzipBodyTest {
    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start(ServerConfig.defaults().withPort(0).asEphemeral().withMaxBodyBytes(64 * 1024));
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(plain);
        }
        return out.toByteArray();
    }

    static HttpResponse<byte[]> call(String operation, byte[] body) {
        return Raw.post(nimbus.endpoint(), "/", body, "Content-Type", "application/x-amz-json-1.0", "Content-Encoding", "gzip",
                "X-Amz-Target", "GraniteServiceVersion20100801." + operation, "Authorization", Raw.auth("monitoring"));
    }

    @Test
    void gzippedJsonIsDecoded() throws IOException {
        long t = System.currentTimeMillis() / 60_000 * 60 - 3600; // a whole minute an hour ago
        String put = "{\"Namespace\":\"Gz\",\"MetricData\":[{\"MetricName\":\"M\",\"Timestamp\":" + t + ",\"Value\":2}]}";
        assertEquals(200, call("PutMetricData", gzip(put.getBytes(StandardCharsets.UTF_8))).statusCode());
        HttpResponse<byte[]> res = call("GetMetricStatistics", gzip(("{\"Namespace\":\"Gz\",\"MetricName\":\"M\",\"StartTime\":" + t + ","
                + "\"EndTime\":" + (t + 3600) + ",\"Period\":60,\"Statistics\":[\"Sum\"]}").getBytes(StandardCharsets.UTF_8)));
        JsonNode out = Values.JSON.readTree(res.body());
        assertEquals(2.0, out.path("Datapoints").path(0).path("Sum").doubleValue(), () -> new String(res.body(), StandardCharsets.UTF_8));
    }

    @Test
    void notGzipIsASerializationError() throws IOException {
        HttpResponse<byte[]> res = call("PutMetricData", "{\"Namespace\":\"Gz\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, res.statusCode());
        assertEquals("SerializationException", Values.JSON.readTree(res.body()).path("__type").asText());
    }

    @Test
    void inflatedSizeIsBoundedByTheBodyLimit() throws IOException {
        // 1 MB of spaces compresses to about 1 KB: under the 64 KiB limit on the wire, far over it inflated.
        byte[] bomb = gzip(("{\"Namespace\":\"Gz\"" + " ".repeat(1 << 20) + "}").getBytes(StandardCharsets.UTF_8));
        assertTrue(bomb.length < 64 * 1024);
        HttpResponse<byte[]> res = call("PutMetricData", bomb);
        assertEquals(413, res.statusCode());
    }
}
