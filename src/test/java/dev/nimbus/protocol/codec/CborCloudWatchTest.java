package dev.nimbus.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import dev.nimbus.protocol.codec.Raw.Tagged;
import dev.nimbus.testing.TestServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * smithy-rpc-v2-cbor against Nimbus's CloudWatch, byte for byte as the protocol specifies: the
 * SDK in the pom (2.31.0) still speaks query to CloudWatch, so these requests are built by hand
 * with Jackson's CBOR generator, and responses are decoded with their tags visible.
 */
class CborCloudWatchTest {
    static TestServer nimbus;

    @BeforeAll
    static void start() {
        nimbus = TestServer.start(new WidgetImageTestService());
    }

    @AfterAll
    static void stop() {
        nimbus.close();
    }

    static HttpResponse<byte[]> call(String operation, byte[] body) {
        return Raw.post(nimbus.endpoint(), "/service/GraniteServiceVersion20100801/operation/" + operation, body,
                "smithy-protocol", "rpc-v2-cbor", "Content-Type", "application/cbor", "Accept", "application/cbor",
                "Authorization", Raw.auth("monitoring"));
    }

    static HttpResponse<byte[]> call(String operation, Raw.CborBody body) {
        return call(operation, Raw.cbor(body));
    }

    static void timestamp(CBORGenerator g, String field, Number epochSeconds) throws IOException {
        g.writeFieldName(field);
        g.writeTag(1);
        if (epochSeconds instanceof Double d) g.writeNumber(d);
        else g.writeNumber(epochSeconds.longValue());
    }

    static void dimensions(CBORGenerator g, String host) throws IOException {
        g.writeArrayFieldStart("Dimensions");
        g.writeStartObject();
        g.writeStringField("Name", "Host");
        g.writeStringField("Value", host);
        g.writeEndObject();
        g.writeEndArray();
    }

    static void metric(CBORGenerator g, String namespace, String host) throws IOException {
        g.writeStringField("Namespace", namespace);
        g.writeStringField("MetricName", "Latency");
        dimensions(g, host);
    }

    /** A whole minute an hour ago: within the two weeks PutMetricData accepts, and where periods of 60 s start. */
    static long minuteAnHourAgo() {
        return System.currentTimeMillis() / 60_000 * 60 - 3600;
    }

    /** Two data points for Latency{Host=host}: a statistic set at t+0.5 s and a single value at t+60 s. */
    static void put(String namespace, String host, long t) {
        HttpResponse<byte[]> res = call("PutMetricData", g -> {
            g.writeStartObject();
            g.writeStringField("Namespace", namespace);
            g.writeArrayFieldStart("MetricData");
            g.writeStartObject();
            g.writeStringField("MetricName", "Latency");
            dimensions(g, host);
            timestamp(g, "Timestamp", t + 0.5);
            g.writeObjectFieldStart("StatisticValues");
            g.writeNumberField("SampleCount", 4.0);
            g.writeNumberField("Sum", 10.0);
            g.writeNumberField("Minimum", 1.0);
            g.writeNumberField("Maximum", 4.0);
            g.writeEndObject();
            g.writeStringField("Unit", "Milliseconds");
            g.writeEndObject();
            g.writeStartObject();
            g.writeStringField("MetricName", "Latency");
            dimensions(g, host);
            timestamp(g, "Timestamp", t + 60);
            g.writeNumberField("Value", 2.25);
            g.writeStringField("Unit", "Milliseconds");
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        });
        assertEquals(200, res.statusCode(), () -> new String(res.body()));
        assertEquals("rpc-v2-cbor", res.headers().firstValue("smithy-protocol").orElse(null));
        // PutMetricData has no output shape: no body and no Content-Type.
        assertEquals(0, res.body().length);
        assertFalse(res.headers().firstValue("Content-Type").isPresent());
    }

    static Map<String, Object> ok(HttpResponse<byte[]> res) {
        assertEquals(200, res.statusCode(), () -> Raw.decode(res.body()).toString());
        assertEquals("application/cbor", res.headers().firstValue("Content-Type").orElse(null));
        assertEquals("rpc-v2-cbor", res.headers().firstValue("smithy-protocol").orElse(null));
        return Raw.decode(res.body());
    }

    static Map<String, Object> error(HttpResponse<byte[]> res, int status) {
        assertEquals(status, res.statusCode());
        assertEquals("application/cbor", res.headers().firstValue("Content-Type").orElse(null));
        assertEquals("rpc-v2-cbor", res.headers().firstValue("smithy-protocol").orElse(null));
        return Raw.decode(res.body());
    }

    @Test
    @SuppressWarnings("unchecked")
    void statisticsComeBackWithTaggedTimestampsDoublesAndMaps() {
        long t = minuteAnHourAgo();
        put("Cbor/Stats", "a", t);
        Map<String, Object> out = ok(call("GetMetricStatistics", g -> {
            g.writeStartObject();
            metric(g, "Cbor/Stats", "a");
            timestamp(g, "StartTime", t);
            timestamp(g, "EndTime", t + 3600);
            g.writeNumberField("Period", 60);
            g.writeArrayFieldStart("Statistics");
            for (String s : List.of("SampleCount", "Sum", "Average", "Maximum")) g.writeString(s);
            g.writeEndArray();
            g.writeEndObject();
        }));
        assertEquals("Latency", out.get("Label"));
        List<Map<String, Object>> points = (List<Map<String, Object>>) out.get("Datapoints");
        assertEquals(2, points.size());
        Map<String, Object> first = points.get(0);
        // Periods start on whole seconds: an integer under tag 1 (the fractional input was a float).
        Tagged whole = (Tagged) first.get("Timestamp");
        assertEquals(1, whole.tag());
        assertEquals(t, ((Number) whole.value()).longValue());
        assertTrue(whole.value() instanceof Integer || whole.value() instanceof Long, () -> whole.value().getClass().getName());
        assertEquals(4.0, first.get("SampleCount"));
        assertEquals(10.0, first.get("Sum"));
        assertEquals(2.5, first.get("Average"));
        assertEquals("Milliseconds", first.get("Unit"));
        Map<String, Object> second = points.get(1);
        assertEquals(t + 60, ((Number) ((Tagged) second.get("Timestamp")).value()).longValue());
        assertEquals(2.25, second.get("Maximum"));

        // Percentiles come back as a map; a statistic set has no values to take them from.
        out = ok(call("GetMetricStatistics", g -> {
            g.writeStartObject();
            metric(g, "Cbor/Stats", "a");
            timestamp(g, "StartTime", t);
            timestamp(g, "EndTime", t + 3600);
            g.writeNumberField("Period", 60);
            g.writeArrayFieldStart("ExtendedStatistics");
            g.writeString("p99");
            g.writeEndArray();
            g.writeEndObject();
        }));
        points = (List<Map<String, Object>>) out.get("Datapoints");
        assertEquals(Map.of(), points.get(0).get("ExtendedStatistics"));
        assertEquals(Map.of("p99", 2.25), points.get(1).get("ExtendedStatistics"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void alarmTimestampsKeepTheirMilliseconds() {
        HttpResponse<byte[]> res = call("PutMetricAlarm", g -> {
            g.writeStartObject();
            g.writeStringField("AlarmName", "cbor-alarm");
            metric(g, "Cbor/Alarm", "a");
            g.writeStringField("Statistic", "Sum");
            g.writeNumberField("Period", 60);
            g.writeNumberField("EvaluationPeriods", 1);
            g.writeNumberField("Threshold", 1.5);
            g.writeStringField("ComparisonOperator", "GreaterThanThreshold");
            g.writeEndObject();
        });
        assertEquals(200, res.statusCode(), () -> Raw.decode(res.body()).toString());
        Map<String, Object> out = ok(call("DescribeAlarms", g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("AlarmNames");
            g.writeString("cbor-alarm");
            g.writeEndArray();
            g.writeEndObject();
        }));
        Map<String, Object> alarm = ((List<Map<String, Object>>) out.get("MetricAlarms")).get(0);
        assertEquals(1.5, alarm.get("Threshold"));
        assertEquals("INSUFFICIENT_DATA", alarm.get("StateValue"));
        Tagged updated = (Tagged) alarm.get("StateUpdatedTimestamp");
        assertEquals(1, updated.tag());
        double seconds = ((Number) updated.value()).doubleValue();
        // A float when the instant has milliseconds, an integer when it has none.
        assertEquals(seconds % 1 != 0, updated.value() instanceof Double, updated::toString);
        assertEquals(List.of(), out.get("CompositeAlarms"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void metricDataAndListMetricsRoundTrip() {
        long t = minuteAnHourAgo() + 600;
        put("Cbor/Data", "b", t);
        Map<String, Object> out = ok(call("GetMetricData", g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("MetricDataQueries");
            g.writeStartObject();
            g.writeStringField("Id", "m1");
            g.writeObjectFieldStart("MetricStat");
            g.writeObjectFieldStart("Metric");
            metric(g, "Cbor/Data", "b");
            g.writeEndObject();
            g.writeNumberField("Period", 60);
            g.writeStringField("Stat", "Maximum");
            g.writeEndObject();
            g.writeEndObject();
            g.writeEndArray();
            timestamp(g, "StartTime", t);
            timestamp(g, "EndTime", (double) t + 3600);
            g.writeStringField("ScanBy", "TimestampAscending");
            g.writeEndObject();
        }));
        List<Map<String, Object>> results = (List<Map<String, Object>>) out.get("MetricDataResults");
        Map<String, Object> r = results.get(0);
        assertEquals("m1", r.get("Id"));
        assertEquals("Complete", r.get("StatusCode"));
        List<Object> times = (List<Object>) r.get("Timestamps");
        assertEquals(1, ((Tagged) times.get(0)).tag());
        assertEquals(t, ((Number) ((Tagged) times.get(0)).value()).longValue());
        assertEquals(t + 60, ((Number) ((Tagged) times.get(1)).value()).longValue());
        assertEquals(List.of(4.0, 2.25), r.get("Values"));

        Map<String, Object> listed = ok(call("ListMetrics", g -> {
            g.writeStartObject();
            g.writeStringField("Namespace", "Cbor/Data");
            g.writeEndObject();
        }));
        assertEquals(List.of(Map.of("Namespace", "Cbor/Data", "MetricName", "Latency",
                "Dimensions", List.of(Map.of("Name", "Host", "Value", "b")))), listed.get("Metrics"));
    }

    @Test
    void blobsAreByteStrings() {
        Map<String, Object> out = ok(call("GetMetricWidgetImage", g -> {
            g.writeStartObject();
            g.writeStringField("MetricWidget", "{\"metrics\":[]}");
            g.writeEndObject();
        }));
        assertArrayEquals(WidgetImageTestService.image("{\"metrics\":[]}"), (byte[]) out.get("MetricWidgetImage"));
    }

    @Test
    void halfPrecisionAndDefiniteLengthInputIsAccepted() {
        // {"Namespace": "Cbor/Half", "MetricData": [{"MetricName": "H", "Value": 1.5 (float16)}]},
        // all containers of definite length, as some encoders write them.
        byte[] body = {(byte) 0xa2,
                0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e', 0x69, 'C', 'b', 'o', 'r', '/', 'H', 'a', 'l', 'f',
                0x6a, 'M', 'e', 't', 'r', 'i', 'c', 'D', 'a', 't', 'a', (byte) 0x81, (byte) 0xa2,
                0x6a, 'M', 'e', 't', 'r', 'i', 'c', 'N', 'a', 'm', 'e', 0x61, 'H',
                0x65, 'V', 'a', 'l', 'u', 'e', (byte) 0xf9, 0x3e, 0x00};
        assertEquals(200, call("PutMetricData", body).statusCode());
        Map<String, Object> listed = ok(call("ListMetrics", g -> {
            g.writeStartObject();
            g.writeStringField("Namespace", "Cbor/Half");
            g.writeEndObject();
        }));
        assertEquals(List.of(Map.of("Namespace", "Cbor/Half", "MetricName", "H", "Dimensions", List.of())), listed.get("Metrics"));
    }

    @Test
    void modeledErrorsCarryTheirShapeIdAndTheQueryCode() {
        HttpResponse<byte[]> res = call("SetAlarmState", g -> {
            g.writeStartObject();
            g.writeStringField("AlarmName", "missing");
            g.writeStringField("StateValue", "OK");
            g.writeStringField("StateReason", "test");
            g.writeEndObject();
        });
        Map<String, Object> body = error(res, 404);
        assertEquals("com.amazonaws.cloudwatch#ResourceNotFound", body.get("__type"));
        assertEquals("Alarm missing does not exist", body.get("message"));
        assertEquals("ResourceNotFound;Sender", res.headers().firstValue("x-amzn-query-error").orElse(null));

        // The shape name and the legacy query code differ here.
        res = call("GetDashboard", g -> {
            g.writeStartObject();
            g.writeStringField("DashboardName", "nope");
            g.writeEndObject();
        });
        body = error(res, 404);
        assertEquals("com.amazonaws.cloudwatch#DashboardNotFoundError", body.get("__type"));
        assertEquals("ResourceNotFound;Sender", res.headers().firstValue("x-amzn-query-error").orElse(null));
    }

    @Test
    void unimplementedOperationIs501NotImplemented() {
        HttpResponse<byte[]> res = call("DescribeAnomalyDetectors", g -> {
            g.writeStartObject();
            g.writeEndObject();
        });
        Map<String, Object> body = error(res, 501);
        assertEquals("NotImplemented", body.get("__type"));
        assertTrue(((String) body.get("message")).contains("cloudwatch.DescribeAnomalyDetectors"), body.toString());
        assertFalse(res.headers().firstValue("x-amzn-query-error").isPresent());
    }

    @Test
    void unknownOperationIsUnknownOperationException() {
        Map<String, Object> body = error(call("NoSuchOperation", new byte[0]), 404);
        assertEquals("UnknownOperationException", body.get("__type"));
    }

    @Test
    void unknownServiceOrBadPathIsAnsweredInCbor() {
        for (String path : new String[] {"/service/NoSuchService/operation/ListMetrics", "/service/GraniteServiceVersion20100801/ListMetrics"}) {
            HttpResponse<byte[]> res = Raw.post(nimbus.endpoint(), path, Raw.cbor(g -> {
                g.writeStartObject();
                g.writeEndObject();
            }), "smithy-protocol", "rpc-v2-cbor", "Content-Type", "application/cbor", "Authorization", Raw.auth("monitoring"));
            Map<String, Object> body = error(res, 404);
            assertEquals("UnknownOperationException", body.get("__type"), path);
        }
    }

    @Test
    void absoluteServiceShapeIdIsAccepted() {
        HttpResponse<byte[]> res = Raw.post(nimbus.endpoint(), "/service/com.amazonaws.cloudwatch.GraniteServiceVersion20100801/operation/ListMetrics",
                Raw.cbor(g -> {
                    g.writeStartObject();
                    g.writeEndObject();
                }), "smithy-protocol", "rpc-v2-cbor", "Content-Type", "application/cbor", "Authorization", Raw.auth("monitoring"));
        assertTrue(ok(res).containsKey("Metrics"));
    }

    @Test
    void missingRequiredMemberIsAValidationError() {
        HttpResponse<byte[]> res = call("PutMetricData", g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("MetricData");
            g.writeEndArray();
            g.writeEndObject();
        });
        Map<String, Object> body = error(res, 400);
        assertEquals("ValidationException", body.get("__type"));
        assertEquals("1 validation error detected: Value null at 'namespace' failed to satisfy constraint: Member must not be null",
                body.get("message"));
    }

    @Test
    void wrongTypesAreSerializationErrors() {
        Map<String, Object> body = error(call("PutMetricData", g -> {
            g.writeStartObject();
            g.writeNumberField("Namespace", 7);
            g.writeEndObject();
        }), 400);
        assertEquals("SerializationException", body.get("__type"));

        // An array where a MetricDatum structure belongs.
        body = error(call("PutMetricData", g -> {
            g.writeStartObject();
            g.writeStringField("Namespace", "Cbor/Bad");
            g.writeArrayFieldStart("MetricData");
            g.writeStartArray();
            g.writeEndArray();
            g.writeEndArray();
            g.writeEndObject();
        }), 400);
        assertEquals("SerializationException", body.get("__type"));
    }

    /** Adds {"Namespace": [[[[...]]]]}, nested far deeper than any model: refused, not a stack overflow. */
    static byte[][] withDeepNesting(byte[][] bodies) {
        int depth = 100_000;
        byte[] deep = new byte[depth + 12];
        byte[] head = {(byte) 0xa1, 0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e'};
        System.arraycopy(head, 0, deep, 0, head.length);
        Arrays.fill(deep, head.length, head.length + depth, (byte) 0x81); // arrays of one element
        deep[deep.length - 1] = 0x00;
        byte[][] all = Arrays.copyOf(bodies, bodies.length + 1);
        all[bodies.length] = deep;
        return all;
    }

    @Test
    void malformedCborIsASerializationErrorInCbor() {
        byte[][] bad = {
                {(byte) 0xbf, 0x69, 'N', 'a', 'm'},          // truncated inside a key
                {(byte) 0xff},                               // "break" outside any container
                {(byte) 0xa1, 0x7f},                         // map whose key never ends
                {(byte) 0x1c},                               // reserved additional information
                {(byte) 0x82, 0x01, 0x02},                   // an array where the input structure belongs
                {(byte) 0xa0, 0x01},                         // a complete map, then a stray byte
                "{\"Namespace\":\"json\"}".getBytes(),      // JSON is not CBOR
        };
        for (byte[] body : withDeepNesting(bad)) {
            HttpResponse<byte[]> res = call("PutMetricData", body);
            Map<String, Object> err = error(res, 400);
            assertEquals("SerializationException", err.get("__type"), () -> HexFormat.of().formatHex(body));
            assertNull(res.headers().firstValue("x-amzn-query-error").orElse(null));
        }
    }
}
