package dev.nimbus.protocol.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * CloudWatch's one blob output, GetMetricWidgetImage, which Nimbus does not render: a test-only
 * answer so that codec tests see blobs both ways next to the real CloudWatch operations.
 */
final class WidgetImageTestService implements AwsService {
    @Override
    public String modelName() {
        return "cloudwatch";
    }

    @Override
    public void register(Operations ops) {
        ops.add("GetMetricWidgetImage", (ctx, in) -> widgetImage(in));
    }

    /** A fake image: a PNG signature (bytes that are not UTF-8) followed by the widget definition. */
    static byte[] image(String widget) {
        byte[] text = widget.getBytes(StandardCharsets.UTF_8);
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xff};
        byte[] out = Arrays.copyOf(png, png.length + text.length);
        System.arraycopy(text, 0, out, png.length, text.length);
        return out;
    }

    private static JsonNode widgetImage(ObjectNode in) {
        ObjectNode out = Values.object();
        return out.put("MetricWidgetImage", image(Values.text(in, "MetricWidget")));
    }
}
