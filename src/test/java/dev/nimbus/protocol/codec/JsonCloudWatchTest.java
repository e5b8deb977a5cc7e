package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CloudWatch over awsJson 1.0, the protocol botocore (the AWS CLI) prefers for it: timestamps as
 * epoch seconds, blobs as base64, and for this awsQueryCompatible service the legacy query code of
 * a modeled error in x-amzn-query-error.
 */
class JsonCloudWatchTest {
    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start(new WidgetImageTestService());
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    static HttpResponse<byte[]> call(String operation, String body) {
        return Raw.post(nimbus.endpoint(), "/", body.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/x-amz-json-1.0",
                "X-Amz-Target", "GraniteServiceVersion20100801." + operation, "Authorization", Raw.auth("monitoring"));
    }

    static JsonNode json(HttpResponse<byte[]> res, int status) throws IOException {
        assertEquals(status, res.statusCode(), () -> new String(res.body(), StandardCharsets.UTF_8));
        assertEquals("application/x-amz-json-1.0", res.headers().firstValue("Content-Type").orElse(null));
        return Values.JSON.readTree(res.body());
    }

    @Test
    void timestampsAreEpochSecondsBothWays() throws IOException {
        Instant t = Instant.now().truncatedTo(ChronoUnit.MINUTES).minusSeconds(3600);
        json(call("PutMetricData", "{\"Namespace\":\"Json/CW\",\"MetricData\":[{\"MetricName\":\"M\",\"Timestamp\":" + t.getEpochSecond() + ".25,\"Value\":1.5},"
                + "{\"MetricName\":\"M\",\"Timestamp\":\"" + t.plusSeconds(60) + "\",\"Value\":3}]}"), 200);
        JsonNode out = json(call("GetMetricStatistics", "{\"Namespace\":\"Json/CW\",\"MetricName\":\"M\",\"StartTime\":" + t.getEpochSecond() + ","
                + "\"EndTime\":" + (t.getEpochSecond() + 3600) + ",\"Period\":60,\"Statistics\":[\"Sum\"]}"), 200);
        JsonNode points = out.get("Datapoints");
        assertEquals(2, points.size());
        assertEquals(t.getEpochSecond(), points.get(0).get("Timestamp").doubleValue());
        assertEquals(1.5, points.get(0).get("Sum").doubleValue());
        // ISO 8601 in the request (accepted leniently), epoch seconds in the response.
        assertTrue(points.get(1).get("Timestamp").isNumber());
        assertEquals(t.getEpochSecond() + 60, points.get(1).get("Timestamp").doubleValue());
        assertEquals(3.0, points.get(1).get("Sum").doubleValue());
    }

    @Test
    void blobsAreBase64() throws IOException {
        JsonNode out = json(call("GetMetricWidgetImage", "{\"MetricWidget\":\"{}\"}"), 200);
        assertEquals(Base64.getEncoder().encodeToString(WidgetImageTestService.image("{}")), out.get("MetricWidgetImage").asText());
    }

    @Test
    void modeledErrorsCarryTheQueryCodeHeader() throws IOException {
        HttpResponse<byte[]> res = call("GetDashboard", "{\"DashboardName\":\"nope\"}");
        JsonNode err = json(res, 404);
        assertEquals("DashboardNotFoundError", err.path("__type").asText());
        assertEquals("Dashboard nope does not exist", err.path("message").asText());
        assertEquals("ResourceNotFound;Sender", res.headers().firstValue("x-amzn-query-error").orElse(null));
    }

    @Test
    void unimplementedOperationIs501() throws IOException {
        JsonNode err = json(call("DescribeAnomalyDetectors", "{}"), 501);
        assertEquals("NotImplemented", err.path("__type").asText());
    }
}
