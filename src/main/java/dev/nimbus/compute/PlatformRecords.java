package dev.nimbus.compute;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.Values;
import java.time.Instant;

/**
 * The platform's log records in LogFormat JSON, as Lambda writes them in place of the START and
 * REPORT lines (there is no END record): {"time", "type": "platform.start" | "platform.report", "record"}.
 */
final class PlatformRecords {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private PlatformRecords() {}

    static String start(String requestId, String version) {
        ObjectNode r = envelope("platform.start");
        r.putObject("record").put("requestId", requestId).put("version", version);
        return r + "\n";
    }

    /** {@code initMillis} is negative when this invocation did not follow an init. */
    static String report(String requestId, double durationMillis, int memoryMb, long maxMemoryMb, double initMillis, boolean failed) {
        ObjectNode r = envelope("platform.report");
        ObjectNode record = r.putObject("record").put("requestId", requestId);
        ObjectNode metrics = record.putObject("metrics")
                .put("durationMs", Math.round(durationMillis * 100) / 100.0)
                .put("billedDurationMs", (long) Math.ceil(durationMillis))
                .put("memorySizeMB", memoryMb)
                .put("maxMemoryUsedMB", maxMemoryMb);
        if (initMillis >= 0) metrics.put("initDurationMs", Math.round(initMillis * 100) / 100.0);
        record.put("status", failed ? "error" : "success");
        return r + "\n";
    }

    private static ObjectNode envelope(String type) {
        ObjectNode r = NODES.objectNode();
        r.put("time", Values.isoMillis(Instant.now()));
        r.put("type", type);
        return r;
    }
}
